"""The waterfall on a real Postgres: thresholds, fall-through, disabled providers, the attempt log,
provenance, history, chunked commits and config snapshots."""

from __future__ import annotations

import psycopg
import pytest

from etl.enrichment.config import config_of_run, load_config, set_config, start_run, take_snapshot
from etl.enrichment.waterfall import camelot, enrich
from graphsvc.errors import InvalidValue
from tests.silver_rows import add_obs, add_track

pytestmark = pytest.mark.usefixtures("offline_providers")

# enabled rows of the default config (005, tempo and key ordered by measured accuracy in 016) per field
DEFAULT_PROVIDERS = {
    "bpm": ["rekordbox", "virtualdj", "traktor", "mixxx", "features", "1001tracklists", "getsongbpm"],
    "key": ["rekordbox", "virtualdj", "traktor", "features", "1001tracklists", "getsongbpm", "mixxx"],
    "energy": ["1001tracklists"],
    "genres": ["1001tracklists", "discogs", "musicbrainz"],
    "label": ["mixesdb", "rekordbox", "discogs", "musicbrainz", "traktor", "virtualdj"],
    "release_year": ["mixesdb", "discogs", "musicbrainz"],
    "isrc": ["musicbrainz"],
}
ONLINE = {"getsongbpm", "discogs", "musicbrainz"}


def attempts(conn, track_id: int, field: str | None = None) -> list[tuple]:
    sql = ("SELECT field, provider, priority, success, error, confidence, input, output FROM enrichment.attempt"
           " WHERE entity_id = %s" + (" AND field = %s" if field else "") + " ORDER BY attempt_id")
    return conn.execute(sql, (track_id, field) if field else (track_id,)).fetchall()


def track_row(conn, track_id: int) -> dict:
    cur = conn.execute("SELECT * FROM silver.track WHERE track_id = %s", (track_id,))
    names = [d.name for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def test_below_threshold_falls_through_to_next_provider(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "a|one")
        add_obs(conn, tid, "rekordbox", bpm=126.0)
        add_obs(conn, tid, "features:beatport_2021jan", bpm=125.5)
        set_config(conn, "bpm", "rekordbox", min_confidence=1.0)  # rekordbox's measured BPM confidence: 0.99
        run = start_run(conn)
        stats = enrich(conn, run, fields=["bpm"])
        rows = attempts(conn, tid, "bpm")
        assert [(r[1], r[3], r[4]) for r in rows] == [
            ("rekordbox", False, "confidence 0.99 below 1.00"),
            ("virtualdj", False, "no data"), ("traktor", False, "no data"), ("mixxx", False, "no data"),
            ("features", True, None),
        ]
        assert rows[0][7] == {"value": 126.0} and rows[-1][7] == {"value": 125.5}
        assert rows[-1][6]["source"] == "features:beatport_2021jan"
        assert float(track_row(conn, tid)["bpm"]) == 125.5
        assert stats.wins == {"bpm:features": 1}


def test_attempt_log_numbers_steps_of_the_calls_plan(pg_url):
    """Each enrich() call writes its waterfall once (enrichment.attempt_plan); a track's log elements are
    [step, input, error] / [step, input, output, confidence, error] / [step, input, output, confidence]."""
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "a|plan")
        add_obs(conn, tid, "rekordbox", bpm=126.0)
        add_obs(conn, tid, "features:beatport_2021jan", bpm=125.5)
        set_config(conn, "bpm", "rekordbox", min_confidence=1.0)
        enrich(conn, start_run(conn), fields=["bpm", "energy"])
        (steps,) = conn.execute("SELECT steps FROM enrichment.attempt_plan").fetchone()
        offline_bpm = [p for p in DEFAULT_PROVIDERS["bpm"] if p not in ONLINE]
        assert [s[:2] for s in steps] == [["bpm", p] for p in offline_bpm] + [["energy", "1001tracklists"]]
        (log,) = conn.execute("SELECT attempts FROM enrichment.attempt_log WHERE entity_id = %s", (tid,)).fetchone()
        # bpm: rekordbox below threshold, three programs without data, features wins; energy: none
        assert [e[0] for e in log] == [0, 1, 2, 3, 4, 6]
        assert log[0][2:] == [{"value": 126.0}, 0.99, "confidence 0.99 below 1.00"]
        assert log[4][2:] == [{"value": 125.5}, 0.6] and log[5][2] == "no data"  # a feature file of unknown kind
        assert [r[:5] for r in attempts(conn, tid) if r[1] != "virtualdj" and r[1] not in ("traktor", "mixxx")] == [
            ("bpm", "rekordbox", 1, False, "confidence 0.99 below 1.00"),
            ("bpm", "features", 5, True, None),
            ("energy", "1001tracklists", 1, False, "no data"),
        ]


def test_full_enrichment_writes_values_provenance_history_and_status(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "b|two", title="Two", artists="B")
        add_obs(conn, tid, "rekordbox", record_id=10, bpm=124.0, key_pitch_class=9, key_mode=0)
        add_obs(conn, tid, "rekordbox", record_id=20, bpm=124.5)  # newer export, no key analysed
        add_obs(conn, tid, "1001tracklists", energy=0.81, genres=["Techno", "Minimal"], key_pitch_class=0, key_mode=1)
        add_obs(conn, tid, "mixesdb", label=" Tresor ", catalog_number="TRESOR 1", extra='{"year": "1999"}')
        run = start_run(conn)
        stats = enrich(conn, run)
        t = track_row(conn, tid)
        assert float(t["bpm"]) == 124.5                              # newest rekordbox record with a bpm
        assert (t["key_pitch_class"], t["key_mode"], t["camelot"]) == (9, 0, "8A")  # older record has the key
        assert t["energy"] == pytest.approx(0.81)
        assert t["genres"] == ["Techno", "Minimal"]
        assert t["release_year"] == 1999
        label = conn.execute("SELECT name, name_key FROM silver.label WHERE label_id = %s", (t["label_id"],)).fetchone()
        assert label == ("Tresor", "tresor")
        prov = t["provenance"]
        assert prov["bpm"] == {"provider": "rekordbox", "confidence": 0.99, "fetched_at": None, "run_id": run}
        assert prov["key"]["provider"] == "rekordbox" and prov["energy"]["provider"] == "1001tracklists"
        assert prov["label"]["provider"] == "mixesdb" and "isrc" not in prov
        # the confidences measured per kind of source (migration 016): rekordbox BPM 0.99, key 0.761
        assert t["field_confidence"] == {"bpm": 0.99, "key": 0.761, "energy": 0.7, "genres": 0.65,
                                         "label": 0.6, "release_year": 0.6}
        assert t["validation_status"] == "valid" and t["needs_enrichment"] is False
        expected_q = 0.25 * 0.99 + 0.25 * 0.761 + 0.1 * 0.7 + 0.15 * 0.65 + 0.15 * 0.6 + 0.05 * 0.6
        assert t["quality_score"] == pytest.approx(expected_q, abs=1e-4)
        hist = conn.execute("SELECT field, value, provider, run_id FROM enrichment.field_history"
                            " WHERE entity_id = %s ORDER BY field", (tid,)).fetchall()
        assert [h[0] for h in hist] == ["bpm", "energy", "genres", "key", "label", "release_year"]
        assert hist[3][1] == {"pitch_class": 9, "mode": 0} and all(h[3] == run for h in hist)
        label_attempt = next(r for r in attempts(conn, tid, "label") if r[3])
        assert label_attempt[6]["catalog_number"] == "TRESOR 1"
        assert stats.tracks == 1 and stats.history_rows == 6
        run_stats = conn.execute("SELECT stats FROM ops.run WHERE run_id = %s", (run,)).fetchone()[0]
        assert run_stats["enrichment"]["tracks"] == 1


def test_every_attempt_is_logged_when_no_provider_has_data(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "c|three", bpm=99.5)   # a value from before: kept, not erased
        run = start_run(conn)
        stats = enrich(conn, run)
        rows = attempts(conn, tid)
        got: dict[str, list[str]] = {}
        for field, provider, _, success, error, *_ in rows:
            assert (success, error) == (False, "no data")
            got.setdefault(field, []).append(provider)
        # every enabled provider of every field was asked, in priority order; the unconfigured online
        # ones are skipped and named once on the run instead of once per track
        offline = {f: [p for p in ps if p not in ONLINE] for f, ps in DEFAULT_PROVIDERS.items()}
        assert got == {f: ps for f, ps in offline.items() if ps}
        assert stats.attempts == len(rows) == sum(map(len, offline.values()))
        assert [r[2] for r in attempts(conn, tid, "bpm")] == [1, 2, 3, 4, 5, 6]
        assert stats.disabled_providers == sorted(ONLINE)
        run_stats = conn.execute("SELECT stats FROM ops.run WHERE run_id = %s", (run,)).fetchone()[0]
        assert run_stats["enrichment"]["disabled_providers"] == sorted(ONLINE)
        t = track_row(conn, tid)
        assert float(t["bpm"]) == 99.5 and t["provenance"] == {}
        assert t["validation_status"] == "incomplete" and t["needs_enrichment"] is False
        assert conn.execute("SELECT count(*) FROM enrichment.field_history").fetchone()[0] == 0


def test_config_disabled_provider_is_never_attempted(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "d|four")
        add_obs(conn, tid, "rekordbox", bpm=128.0)
        add_obs(conn, tid, "1001tracklists", bpm=127.0)
        set_config(conn, "bpm", "rekordbox", enabled=False)
        set_config(conn, "bpm", "features", enabled=False)
        enrich(conn, start_run(conn), fields=["bpm"])
        assert [(r[1], r[3]) for r in attempts(conn, tid)] == [
            ("virtualdj", False), ("traktor", False), ("mixxx", False), ("1001tracklists", True)]
        assert float(track_row(conn, tid)["bpm"]) == 127.0


def test_invalid_provider_value_falls_through(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "e|five")
        add_obs(conn, tid, "rekordbox", bpm=999.0)
        add_obs(conn, tid, "features:x", bpm=140.0)
        enrich(conn, start_run(conn), fields=["bpm"])
        rows = attempts(conn, tid)
        assert rows[0][1] == "rekordbox" and rows[0][4].startswith("invalid value: bpm 999.0 outside")
        assert rows[-1][1:4] == ("features", 5, True)


def test_rerun_with_nothing_flagged_does_nothing_and_new_observation_reflags(pg_url):
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "f|six")
        add_obs(conn, tid, "features:x", bpm=120.0)
        enrich(conn, start_run(conn))
        n = conn.execute("SELECT count(*) FROM enrichment.attempt").fetchone()[0]
        stats = enrich(conn, start_run(conn))
        assert stats.tracks == 0 and stats.attempts == 0
        assert conn.execute("SELECT count(*) FROM enrichment.attempt").fetchone()[0] == n
        # a rekordbox observation arrives: the builder flags the track again; same config, better provider
        add_obs(conn, tid, "rekordbox", bpm=121.0)
        conn.execute("UPDATE silver.track SET needs_enrichment = true WHERE track_id = %s", (tid,))
        run3 = start_run(conn)
        enrich(conn, run3)
        assert float(track_row(conn, tid)["bpm"]) == 121.0
        hist = conn.execute("SELECT value, provider FROM enrichment.field_history WHERE field = 'bpm'"
                            " ORDER BY history_id").fetchall()
        assert hist == [(120.0, "features"), (121.0, "rekordbox")]
        # unchanged winners add no history
        conn.execute("UPDATE silver.track SET needs_enrichment = true WHERE track_id = %s", (tid,))
        enrich(conn, start_run(conn))
        assert conn.execute("SELECT count(*) FROM enrichment.field_history WHERE field = 'bpm'").fetchone()[0] == 2


def test_chunks_commit_and_a_killed_run_resumes(pg_url):
    with psycopg.connect(pg_url) as conn:
        tids = [add_track(conn, f"g|{i}") for i in range(5)]
        for t in tids:
            add_obs(conn, t, "rekordbox", bpm=100.0)
        conn.commit()
        run = start_run(conn)

        def boom(done):
            if done >= 2:
                raise KeyboardInterrupt("killed")

        with pytest.raises(KeyboardInterrupt):
            enrich(conn, run, chunk_size=2, progress=boom)
        conn.rollback()
        flagged = conn.execute("SELECT count(*) FROM silver.track WHERE needs_enrichment").fetchone()[0]
        assert flagged == 3  # the first chunk committed
        stats = enrich(conn, run, chunk_size=2)
        assert stats.tracks == 3 and stats.chunks == 2
        assert conn.execute("SELECT count(DISTINCT entity_id) FROM enrichment.attempt"
                            " WHERE field = 'bpm' AND success").fetchone()[0] == 5


def test_snapshot_dedup_and_config_of_run(pg_url):
    with psycopg.connect(pg_url) as conn:
        s1 = take_snapshot(conn)
        assert take_snapshot(conn) == s1
        run1 = start_run(conn)
        set_config(conn, "bpm", "features", priority=1)  # swaps with rekordbox
        cfg = {(r.field, r.provider): r.priority for r in load_config(conn)}
        assert cfg[("bpm", "features")] == 1 and cfg[("bpm", "rekordbox")] == 5
        s2 = take_snapshot(conn)
        assert s2 != s1
        old = {(r.field, r.provider): r.priority for r in config_of_run(conn, run1)}
        assert old[("bpm", "rekordbox")] == 1 and old[("bpm", "features")] == 5
        set_config(conn, "bpm", "rekordbox", priority=1)
        assert take_snapshot(conn) == s1   # back to the original configuration: the same snapshot
        assert conn.execute("SELECT count(*) FROM enrichment.config_snapshot").fetchone()[0] == 2


def test_set_config_rejects_nonsense(pg_url):
    with psycopg.connect(pg_url) as conn:
        with pytest.raises(InvalidValue, match="unknown field"):
            set_config(conn, "tempo", "rekordbox")
        with pytest.raises(InvalidValue, match="unknown provider"):
            set_config(conn, "bpm", "spotify")
        with pytest.raises(InvalidValue, match="cannot fill"):
            set_config(conn, "isrc", "rekordbox")
        with pytest.raises(InvalidValue, match="between 0 and 1"):
            set_config(conn, "bpm", "rekordbox", min_confidence=1.5)
        with pytest.raises(InvalidValue, match="unknown field"):
            enrich(conn, start_run(conn), fields=["tempo"])


@pytest.mark.parametrize(("pc", "mode", "code"), [
    (0, 1, "8B"), (9, 0, "8A"), (7, 1, "9B"), (4, 0, "9A"), (2, 1, "10B"), (11, 0, "10A"), (6, 1, "2B"), (8, 0, "1A"),
])
def test_camelot(pc, mode, code):
    assert camelot(pc, mode) == code
