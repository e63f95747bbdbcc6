"""Replays: the acceptance story (config change, replay under current and historical config), filters,
diffs, history and failures."""

from __future__ import annotations

import psycopg
import pytest

from etl.enrichment.config import set_config, start_run
from etl.enrichment.replay import enqueue_replay, process_replays, resolve_tracks
from etl.enrichment.waterfall import enrich
from graphsvc.errors import InvalidValue
from tests.silver_rows import add_obs, add_track

pytestmark = pytest.mark.usefixtures("offline_providers")


def bpm_of(conn, tid: int) -> tuple[float, str]:
    bpm, prov = conn.execute("SELECT bpm, provenance FROM silver.track WHERE track_id = %s", (tid,)).fetchone()
    return float(bpm), prov["bpm"]["provider"]


def diff(conn, replay_id: int, tid: int, field: str = "bpm") -> tuple:
    return conn.execute(
        "SELECT old_value, new_value, old_provider, new_provider, changed FROM enrichment.replay_diff"
        " WHERE replay_id = %s AND entity_id = %s AND field = %s", (replay_id, tid, field)).fetchone()


def test_acceptance_config_change_replay_and_historical_replay(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "story|track")
        other = add_track(conn, "story|other")  # no rekordbox: not part of the {"source": "rekordbox"} replays
        add_obs(conn, tid, "rekordbox", record_id=1, bpm=128.0)
        add_obs(conn, tid, "features:beatport_2021jan", record_id=2, bpm=130.0)
        add_obs(conn, other, "features:beatport_2021jan", record_id=3, bpm=100.0)
        # config v1: features first
        set_config(conn, "bpm", "features", priority=1)
        run1 = start_run(conn)
        enrich(conn, run1)
        assert bpm_of(conn, tid) == (130.0, "features")

        # config v2: rekordbox first; replay under the current config
        set_config(conn, "bpm", "rekordbox", priority=1)
        r2 = enqueue_replay(conn, fields=["bpm"], reason="rekordbox beats beatport previews",
                            filter={"source": "rekordbox"})
        run2 = start_run(conn, kind="replay")
        [res2] = process_replays(conn, run2)
        assert (res2.replay_id, res2.status, res2.tracks, res2.changed) == (r2, "done", 1, 1)
        assert bpm_of(conn, tid) == (128.0, "rekordbox")
        assert diff(conn, r2, tid) == (130.0, 128.0, "features", "rekordbox", True)

        # replay under run 1's (historical) config reproduces 130
        r3 = enqueue_replay(conn, fields=["bpm"], reason="reproduce run 1", track_ids=[tid], config_run_id=run1)
        run3 = start_run(conn, kind="replay")
        [res3] = process_replays(conn, run3)
        assert res3.status == "done" and res3.changed == 1
        assert bpm_of(conn, tid) == (130.0, "features")
        assert diff(conn, r3, tid) == (128.0, 130.0, "rekordbox", "features", True)

        hist = conn.execute("SELECT value, provider, run_id, replay_id FROM enrichment.field_history"
                            " WHERE entity_id = %s AND field = 'bpm' ORDER BY history_id", (tid,)).fetchall()
        assert hist == [(130.0, "features", run1, None), (128.0, "rekordbox", run2, r2), (130.0, "features", run3, r3)]
        queue = conn.execute("SELECT replay_id, status, run_id, completed_at IS NOT NULL FROM enrichment.replay_queue"
                             " ORDER BY replay_id").fetchall()
        assert queue == [(r2, "done", run2, True), (r3, "done", run3, True)]
        # the replay attempts carry the replay id; the other track was not touched
        assert conn.execute("SELECT count(*) FROM enrichment.attempt WHERE replay_id = %s AND entity_id = %s",
                            (r2, other)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM enrichment.attempt WHERE replay_id = %s", (r3,)).fetchone()[0] == 1
        # a replay of one field does not touch the others' provenance
        prov = conn.execute("SELECT provenance FROM silver.track WHERE track_id = %s", (tid,)).fetchone()[0]
        assert prov["bpm"]["replay_id"] == r3 and "replay_id" not in prov.get("key", {})
        assert process_replays(conn, run3) == []


def test_unchanged_replay_records_an_unchanged_diff_and_no_history(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "u|1")
        empty = add_track(conn, "u|2")
        add_obs(conn, tid, "features:x", record_id=1, bpm=122.0)
        enrich(conn, start_run(conn))
        rid = enqueue_replay(conn, fields=["bpm", "key"], reason="no-op",
                             filter={"provider": "features", "field": "bpm"})
        [res] = process_replays(conn, start_run(conn, kind="replay"))
        assert res.tracks == 1 and res.changed == 0
        assert diff(conn, rid, tid) == (122.0, 122.0, "features", "features", False)
        assert diff(conn, rid, tid, "key") == (None, None, None, None, False)   # no winner, nothing kept
        assert conn.execute("SELECT count(*) FROM enrichment.field_history").fetchone()[0] == 1
        assert resolve_tracks(conn, None, {"field_is_null": "bpm"}) == [empty]
        assert resolve_tracks(conn, None, {"provider": "features"}) == [tid]
        assert resolve_tracks(conn, None, {"source": "features"}) == [tid]
        assert resolve_tracks(conn, None, {"source": "rekordbox"}) == []


def test_enqueue_validates_its_input(pg_url):
    with psycopg.connect(pg_url) as conn:
        with pytest.raises(InvalidValue, match=r"unknown replay filter key\(s\) \['providr'\]"):
            enqueue_replay(conn, fields=["bpm"], reason="x", filter={"providr": "features"})
        with pytest.raises(InvalidValue, match="unknown field"):
            enqueue_replay(conn, fields=["tempo"], reason="x", track_ids=[1])
        with pytest.raises(InvalidValue, match="exactly one of"):
            enqueue_replay(conn, fields=["bpm"], reason="x")
        with pytest.raises(InvalidValue, match="unknown provider"):
            enqueue_replay(conn, fields=["bpm"], reason="x", filter={"provider": "spotify"})
        with pytest.raises(InvalidValue, match="only narrows"):
            enqueue_replay(conn, fields=["bpm"], reason="x", filter={"field": "bpm"})
        with pytest.raises(InvalidValue, match="needs a reason"):
            enqueue_replay(conn, fields=["bpm"], reason=" ", track_ids=[1])
        (bare_run,) = conn.execute("INSERT INTO ops.run (kind) VALUES ('pipeline') RETURNING run_id").fetchone()
        with pytest.raises(InvalidValue, match="has no config snapshot"):
            enqueue_replay(conn, fields=["bpm"], reason="x", track_ids=[1], config_run_id=bare_run)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM enrichment.replay_queue").fetchone()[0] == 0


def test_a_failing_replay_is_marked_failed_and_the_next_one_runs(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "f|1")
        add_obs(conn, tid, "rekordbox", record_id=1, bpm=128.0)
        conn.commit()
        bad = enqueue_replay(conn, fields=["bpm"], reason="bad", track_ids=[tid])
        good = enqueue_replay(conn, fields=["bpm"], reason="good", track_ids=[tid])
        # the queue entry is corrupted after validation (e.g. by hand): processing must not lose it
        conn.execute("UPDATE enrichment.replay_queue SET fields = '{tempo}' WHERE replay_id = %s", (bad,))
        conn.commit()
        results = process_replays(conn, start_run(conn, kind="replay"))
        assert [(r.replay_id, r.status) for r in results] == [(bad, "failed"), (good, "done")]
        assert "unknown field(s) 'tempo'" in results[0].error
        row = conn.execute("SELECT status, error FROM enrichment.replay_queue WHERE replay_id = %s", (bad,)).fetchone()
        assert row[0] == "failed" and "tempo" in row[1]
        assert bpm_of(conn, tid) == (128.0, "rekordbox")
