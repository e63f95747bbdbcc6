"""The fast write path of the waterfall on a real Postgres: COPY text escaping, the background writer
vs the same-connection writer, the optimistic flag clearing that replaced the row locks, label
spellings, and the 008 schema."""

from __future__ import annotations

from collections.abc import Collection

import psycopg
import pytest

from etl.enrichment.config import start_run
from etl.enrichment.providers import LookupContext, ProviderValue, TrackInput, build_providers
from etl.enrichment.waterfall import enrich
from tests.silver_rows import add_obs, add_track
from tests.test_waterfall import attempts, track_row

pytestmark = pytest.mark.usefixtures("offline_providers")


def _snapshot(conn) -> tuple[list, list, list]:
    """Attempts, history and track values, without ids/timestamps/run ids (comparable across runs)."""
    att = conn.execute(
        "SELECT entity_id, field, provider, priority, input, output, confidence, success, error"
        " FROM enrichment.attempt ORDER BY entity_id, attempt_id").fetchall()
    hist = conn.execute(
        "SELECT entity_id, field, value, provider, confidence FROM enrichment.field_history"
        " ORDER BY entity_id, field").fetchall()
    tracks = conn.execute(
        "SELECT track_id, bpm, key_pitch_class, key_mode, camelot, energy, genres, l.name, release_year, isrc,"
        " field_confidence, quality_score, validation_status, needs_enrichment"
        " FROM silver.track t LEFT JOIN silver.label l USING (label_id) ORDER BY track_id").fetchall()
    return att, hist, tracks


def _seed(conn) -> list[int]:
    tids = []
    for i in range(7):
        tid = add_track(conn, f"s|{i}", title=f"T{i}", artists="A")
        tids.append(tid)
        if i % 2:
            add_obs(conn, tid, "rekordbox", bpm=120.0 + i, key_pitch_class=i, key_mode=i % 2)
        if i % 3 == 0:
            add_obs(conn, tid, "mixesdb", label=f"Label {i % 2}", extra='{"year": "2001"}')
    conn.commit()
    return tids


def test_background_and_same_connection_writers_write_the_same_rows(pg_server, pg_url):
    with psycopg.connect(pg_url) as conn:
        _seed(conn)
    with psycopg.connect(pg_server, autocommit=True) as admin:
        dbname = psycopg.conninfo.conninfo_to_dict(pg_url)["dbname"]
        admin.execute(f'CREATE DATABASE "{dbname}_copy" TEMPLATE "{dbname}"')
    other = psycopg.conninfo.make_conninfo(pg_url, dbname=f"{dbname}_copy")
    try:
        results = []
        for url, background in ((pg_url, True), (other, False)):
            with psycopg.connect(url) as conn:
                stats = enrich(conn, start_run(conn), chunk_size=3, background=background)
                assert stats.tracks == 7 and stats.chunks == 3
                results.append(_snapshot(conn))
        assert results[0] == results[1]
        att, hist, tracks = results[0]
        assert len(att) == stats.attempts and len(hist) == stats.history_rows > 0
        assert all(t[-1] is False for t in tracks)  # every flag cleared
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}_copy" WITH (FORCE)')


def test_awkward_text_survives_the_copy_text_format(pg_url):
    label = 'Tab\there \\ back "quoted" \u00e9'
    genres = ['Drum "n" Bass', "Back\\slash", "Tab\tbed", "Comma, Genre"]
    with psycopg.connect(pg_url) as conn:
        tid = add_track(conn, "x|awkward", title="Weird\nTitle", artists="A\\B")
        add_obs(conn, tid, "mixesdb", label=label, catalog_number="CAT\\1\n")
        add_obs(conn, tid, "1001tracklists", genres=genres)
        enrich(conn, start_run(conn))
        t = track_row(conn, tid)
        name = conn.execute("SELECT name FROM silver.label WHERE label_id = %s", (t["label_id"],)).fetchone()[0]
        assert name == " ".join(label.split())  # whitespace collapsed by the waterfall, the rest intact
        assert t["genres"] == genres
        won = next(r for r in attempts(conn, tid, "label") if r[3])
        assert won[6]["catalog_number"] == "CAT\\1\n" and won[7] == {"value": label.strip()}
        hist = conn.execute("SELECT value FROM enrichment.field_history WHERE entity_id = %s AND field = 'genres'",
                            (tid,)).fetchone()[0]
        assert hist == genres


class _FlaggingProvider:
    """A provider that, while the waterfall computes, changes the track on another connection
    (as a silver builder does when a new observation arrives)."""

    name = "rekordbox"
    fields = frozenset({"bpm"})
    online = False
    enabled = True

    def __init__(self, url: str) -> None:
        self.url = url

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]:
        with psycopg.connect(self.url, autocommit=True) as other:
            other.execute("UPDATE silver.track SET needs_enrichment = true WHERE track_id = %s", (track.track_id,))
        return {"bpm": ProviderValue(128.0, 0.95, None, {"test": True})}


@pytest.mark.parametrize("background", [True, False])
def test_a_track_changed_while_computing_keeps_its_flag(pg_url, background):
    with psycopg.connect(pg_url) as conn:
        changed = add_track(conn, "y|changed")
        conn.commit()
        providers = build_providers()
        providers["rekordbox"] = _FlaggingProvider(pg_url)
        stats = enrich(conn, start_run(conn), providers=providers, background=background)
        assert stats.tracks == 1
        t = track_row(conn, changed)
        assert float(t["bpm"]) == 128.0          # the values of this pass are written ...
        assert t["needs_enrichment"] is True     # ... but the flag survives: the next run redoes the track
        quiet = add_track(conn, "y|quiet")
        conn.commit()
        enrich(conn, start_run(conn), track_ids=[quiet], background=background)
        assert track_row(conn, quiet)["needs_enrichment"] is False


def test_a_label_spelled_differently_adds_no_history_on_rerun(pg_url):
    with psycopg.connect(pg_url) as conn:
        first = add_track(conn, "z|one")
        second = add_track(conn, "z|two")
        add_obs(conn, first, "mixesdb", label="Tresor")
        add_obs(conn, second, "mixesdb", label="TRESOR")   # same label name key, another spelling
        enrich(conn, start_run(conn))
        ids = {track_row(conn, t)["label_id"] for t in (first, second)}
        assert len(ids) == 1 and None not in ids
        n = conn.execute("SELECT count(*) FROM enrichment.field_history").fetchone()[0]
        conn.execute("UPDATE silver.track SET needs_enrichment = true")
        conn.commit()
        stats = enrich(conn, start_run(conn))
        assert stats.history_rows == 0 and stats.unchanged == 2
        assert conn.execute("SELECT count(*) FROM enrichment.field_history").fetchone()[0] == n


def test_attempts_are_indexed_by_entity_and_ids_follow_the_waterfall(pg_url):
    with psycopg.connect(pg_url) as conn:
        conn.execute("SET enable_seqscan = off")  # an empty table: ask whether the index exists and fits
        plan = conn.execute(
            "EXPLAIN SELECT * FROM enrichment.attempt WHERE entity_type = 'track' AND entity_id = 42").fetchall()
        assert "attempt_log_entity_id_idx" in " ".join(r[0] for r in plan)  # through the view (010)
        conn.execute("RESET enable_seqscan")
        tid = add_track(conn, "w|order")
        enrich(conn, start_run(conn), fields=["bpm"])
        assert [r[1] for r in attempts(conn, tid, "bpm")] == [
            "rekordbox", "virtualdj", "traktor", "mixxx", "features", "1001tracklists"]  # migration 016's order
