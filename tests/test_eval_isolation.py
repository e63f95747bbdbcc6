"""etl eval transitions: train/test isolation, read-only test resolution, determinism, cleanup."""

from __future__ import annotations

from itertools import pairwise

import psycopg
import pytest

from etl.evaluation.recommenders import TrainView
from etl.evaluation.split import read_mixes, split_mixes, write_mixes
from etl.evaluation.transitions import TestResolver, run_transitions_eval
from graphsvc.graph.embedded import EmbeddedStore
from graphsvc.recommend.model import load_ranker
from graphsvc.recommend.service import recommend


@pytest.fixture(scope="module")
def small_split(mixesdb_file, tmp_path_factory):
    """60 train mixes (2016, the latest) and 20 test mixes (2017, the earliest) from the real file."""
    train, test, _ = split_mixes(read_mixes(mixesdb_file), 2016)
    order = lambda mix: (mix["title"], mix["id"])  # noqa: E731
    train, test = sorted(train, key=order)[-60:], sorted(test, key=order)[:20]
    d = tmp_path_factory.mktemp("split")
    write_mixes(d / "train.json.gz", train)
    write_mixes(d / "test.json", test)
    return d / "train.json.gz", d / "test.json", train, test


def _databases(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def test_eval_db_holds_train_only_resolution_is_read_only_and_db_is_dropped(pg_env, small_split):
    train_path, test_path, train, test = small_split
    seen = {}

    def inspect(conn: psycopg.Connection, dbname: str) -> None:
        seen["db"] = dbname
        seen["mix_ids"] = {r[0] for r in conn.execute("SELECT payload->>'id' FROM bronze.raw_record")}
        seen["sets"] = conn.execute("SELECT count(*) FROM silver.dj_set").fetchone()[0]
        before = conn.execute("SELECT (SELECT count(*) FROM silver.artist), (SELECT count(*) FROM silver.track),"
                              " (SELECT count(*) FROM silver.artist_alias)").fetchone()
        resolver = TestResolver(conn)
        # a train entry resolves to its train track, by YouTube id and by its text alone
        entry = next(e for mix in train for e in mix["tracklist"] if e.get("id") and " - " in e["title"])
        status, track = resolver.entry(entry["title"], entry["id"])
        assert status == "known"
        track_of_entry = conn.execute(
            "SELECT track_id FROM silver.track_identifier WHERE scheme = 'youtube' AND value = %s",
            (entry["id"],)).fetchone()[0]
        assert track == track_of_entry
        assert resolver.entry(entry["title"], None) == ("known", track)
        # a test-only track (new artist, new title, unseen YouTube id) is unknown
        unknown = resolver.entry("[12] Zqxv Nobodyknows - Never Played Anywhere (Test Mix)", "zzzzzzzzzzz")
        assert unknown == ("unknown", None)
        assert resolver.entry("ID - ID", None) == ("gap", None)
        # the lookups wrote nothing
        after = conn.execute("SELECT (SELECT count(*) FROM silver.artist), (SELECT count(*) FROM silver.track),"
                             " (SELECT count(*) FROM silver.artist_alias)").fetchone()
        assert after == before
        # the served ranker was fitted on the train graph (the pipeline's ranker step ran there)
        (fitted_on,) = conn.execute("SELECT fitted_on FROM gold.ranker").fetchone()
        assert fitted_on["cuts"], fitted_on
        conn.commit()

    report = run_transitions_eval(train_path, test_path, on_built=inspect)
    assert seen["mix_ids"] == {m["id"] for m in train}
    assert not seen["mix_ids"] & {m["id"] for m in test}
    assert seen["sets"] == len(train) == report["train"]["mixes"]
    assert seen["db"] not in _databases(pg_env)  # dropped
    assert seen["db"] != psycopg.conninfo.conninfo_to_dict(pg_env)["dbname"]
    t = report["test"]
    assert t["mixes"] == len(test)
    assert 0 < t["pairs_evaluated"] <= t["pairs_identified"] <= t["pairs_adjacent"]
    assert report["candidates_per_query"] == report["train"]["known_tracks"] - 1


def test_two_runs_give_identical_figures_and_leave_no_database(pg_env, small_split):
    train_path, test_path, _, _ = small_split
    before = _databases(pg_env)
    a = run_transitions_eval(train_path, test_path)
    b = run_transitions_eval(train_path, test_path)
    for key in ("results", "served", "test", "served_vs_best_baseline"):
        assert a[key] == b[key], key
    assert a["train"]["known_tracks"] == b["train"]["known_tracks"]
    assert _databases(pg_env) == before


def test_test_pairs_never_feed_the_graph(pg_env, small_split):
    """A transition seen only in test is not TRANSITIONS_TO evidence: the graph cannot know it."""
    train_path, test_path, _, test = small_split
    got = {}

    def grab(conn, _name):
        got["store"] = EmbeddedStore.from_gold(conn)
        got["ranker"] = load_ranker(conn)
        got["resolver"] = TestResolver(conn)
        conn.commit()

    run_transitions_eval(train_path, test_path, on_built=grab)
    store, resolver = got["store"], got["resolver"]
    view = TrainView.from_store(store)
    train_edges = {(a, b) for a, d in view.trans_out.items() for b in d}
    test_only = []
    for mix in test:
        resolved = resolver.mix(mix)
        for (s1, t1), (s2, t2) in pairwise(resolved):
            if s1 == s2 == "known" and t1 != t2 and (t1, t2) not in train_edges:
                test_only.append((t1, t2))
    assert test_only, "the sample should have known pairs that train never played in a row"
    for a, b in test_only:  # the served recommender has no "followed" evidence for them
        items = {r.track["id"]: r for r in recommend(store, got["ranker"], a, limit=500).items}
        assert b not in items or items[b].evidence["followed"] is None
