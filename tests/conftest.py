"""Real servers, started once per test session.

- ``pg_server``: an embedded PostgreSQL 18 in a temporary directory (one per pytest worker). Its
  databases use the C collation; ``GRAPHSVC_TEST_LOCALE=en_US.UTF-8`` runs the suite on databases in
  that locale (the usual production default; compiled here with localedef).
- ``pg_url``: a fresh, migrated database per test, cloned from a migrated template in ~50 ms.
- ``shared_data``: ``../shared/data``; tests that need it fail in CI when it is missing, and skip
  elsewhere.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from etl.migrate import migrate
from graphsvc.pg import drop_database, embedded_server_uri, ensure_database

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
TEMPLATE_DB = "graphsvc_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> str:
    """Admin URI of a real PostgreSQL server for this session."""
    # a short path: the unix socket lives in the data dir and socket paths are limited to ~100 bytes
    base = Path(tempfile.mkdtemp(prefix="gsvc-pg-"))
    locale = os.environ.get("GRAPHSVC_TEST_LOCALE")  # e.g. en_US.UTF-8, the usual production default
    if locale:
        _compile_locale(base / "locales", locale)
        os.environ["LOCPATH"] = str(base / "locales")  # read by the server started below
    uri = embedded_server_uri(base, cleanup="delete")
    if locale:
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} LOCALE {} TEMPLATE template0").format(
                sql.Identifier(TEMPLATE_DB), sql.Literal(locale)))
            (collate,) = conn.execute("SELECT datcollate FROM pg_database WHERE datname = %s",
                                      (TEMPLATE_DB,)).fetchone()
            assert collate == locale, f"template database has collation {collate}, not {locale}"
    template = ensure_database(uri, TEMPLATE_DB)
    with psycopg.connect(template) as conn:
        migrate(conn)
    yield uri
    shutil.rmtree(base, ignore_errors=True)


def _compile_locale(directory: Path, locale: str) -> None:
    """Compile a glibc locale (``en_US.UTF-8``) into ``directory``: this machine ships only C locales."""
    import subprocess

    name, _, charset = locale.partition(".")
    directory.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["localedef", "-i", name, "-f", charset or "UTF-8", str(directory / locale)],
                         capture_output=True, text=True, check=False)
    if not (directory / locale).exists():
        raise RuntimeError(f"GRAPHSVC_TEST_LOCALE={locale}: localedef failed: {res.stderr.strip()[:300]}")


def clone_template(pg_server: str, name: str) -> str:
    """Create database ``name`` (dropping an old one) as a copy of the migrated template; return its URL."""
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(TEMPLATE_DB))
        )
    info = psycopg.conninfo.conninfo_to_dict(pg_server)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)


@pytest.fixture(scope="session")
def database_factory(pg_server):
    """``make(name) -> url``: extra fresh migrated databases, dropped at the end of the session."""
    made: list[str] = []

    def make(name: str) -> str:
        made.append(name)
        return clone_template(pg_server, f"{name}_{os.getpid()}")

    yield make
    for name in made:
        drop_database(pg_server, f"{name}_{os.getpid()}")


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh migrated database for one test; dropped afterwards."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    yield clone_template(pg_server, name)
    drop_database(pg_server, name)


@pytest.fixture
def pg_env(pg_url, monkeypatch, tmp_path) -> str:
    """Point the settings (and CLI subprocesses) at the per-test database."""
    from graphsvc.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("GRAPHSVC_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield pg_url
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED_DATA} is missing; in CI the shared data must be present")
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def mixesdb_file(shared_data) -> Path:
    return shared_data / "mixesdb" / "djmix-mixes-upto-2018.json.gz"


@pytest.fixture
def offline_providers(monkeypatch):
    """Online enrichment providers stay unconfigured whatever the developer's environment says."""
    from graphsvc.settings import get_settings

    for var in ("GRAPHSVC_MUSICBRAINZ_ENABLED", "GRAPHSVC_DISCOGS_TOKEN", "GRAPHSVC_GETSONGBPM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def synthetic_store_factory(database_factory):
    """``make(name, n_tracks, seed)``: a seeded synthetic gold graph in its own database, loaded into the
    embedded store (closed at the end of the session)."""
    from graphsvc.graph.embedded import EmbeddedStore
    from graphsvc.graph.synthetic import generate_gold

    stores = []

    def make(name: str, n_tracks: int, seed: int) -> EmbeddedStore:
        with psycopg.connect(database_factory(name)) as conn:
            generate_gold(conn, n_tracks, seed)
            conn.commit()
            store = EmbeddedStore.from_gold(conn)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture(scope="session")
def real_gold(database_factory, mixesdb_file, tmp_path_factory):
    """400 real MixesDB mixes (2012-2016, the latest by title) through the whole pipeline (bronze, silver,
    gold, the ranker step): (database url, embedded store)."""
    from etl.evaluation.split import read_mixes, write_mixes
    from etl.pipeline import Inputs, Pipeline
    from graphsvc.graph.embedded import EmbeddedStore

    mixes = sorted(read_mixes(mixesdb_file), key=lambda m: (m["title"], m["id"]))
    dated = [m for m in mixes if m["title"][:4].isdigit() and "2012" <= m["title"][:4] <= "2016"]
    path = tmp_path_factory.mktemp("real_gold") / "mixes.json.gz"
    write_mixes(path, dated[-400:])
    url = database_factory("real_gold")
    with psycopg.connect(url) as conn:
        assert Pipeline(conn).run("complete", Inputs(mixesdb=[path])).status == "succeeded"
        store = EmbeddedStore.from_gold(conn)
    return url, store


@pytest.fixture
def real_neo4j():
    """A store on the real Neo4j of NEO4J_TEST_URI, wiped first (the Neo4j leg's tests skip without it)."""
    from graphsvc.graph.neo4j_store import Neo4jStore

    s = Neo4jStore(os.environ["NEO4J_TEST_URI"], user=os.environ.get("NEO4J_TEST_USER"),
                   password=os.environ.get("NEO4J_TEST_PASSWORD"),
                   database=os.environ.get("NEO4J_TEST_DATABASE", "neo4j"))
    s.wipe()
    yield s
    s.close()


@pytest.fixture
def gold(pg_url):
    """The hand-made silver fixture (``tests.gold_fixture``) built into gold: (connection, fixture ids)."""
    from etl.gold import build_gold
    from tests.gold_fixture import fill_silver

    with psycopg.connect(pg_url) as conn:
        fx = fill_silver(conn)
        build_gold(conn)
        conn.commit()
        yield conn, fx


@pytest.fixture
def fixture_store(gold):
    """The embedded store loaded from the hand-made gold fixture, its ids on ``store.fx``."""
    from graphsvc.graph.embedded import EmbeddedStore

    conn, fx = gold
    store = EmbeddedStore.from_gold(conn)
    store.fx = fx
    yield store
    store.close()
