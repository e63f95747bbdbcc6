"""Gold built from the hand-made silver fixture (tests/gold_fixture.py): counts, specific rows,
idempotence, change_seq only bumped on real changes, tombstones for removed rows."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from etl.gold import build_gold
from tests.gold_fixture import fill_silver


@pytest.fixture
def built(pg_url):
    with psycopg.connect(pg_url) as conn:
        fx = fill_silver(conn)
        stats = build_gold(conn)
        conn.commit()
        yield conn, fx, stats


def _snapshot(conn) -> dict[str, list]:
    tables = ["track", "artist", "set", "label", "by", "collaborated_with", "transitions_to", "contains",
              "played", "supports", "key", "compatible", "tombstone"]
    return {t: conn.execute(f"SELECT * FROM gold.{t} ORDER BY 1, 2").fetchall() for t in tables}


def test_counts(built):
    conn, _fx, stats = built
    assert {t: stats[t] for t in ("track", "artist", "set", "label", "by", "collaborated_with", "transitions_to",
                                  "contains", "played", "supports", "key", "compatible")} == {
        "track": 40, "artist": 15, "set": 6, "label": 4, "by": 55, "collaborated_with": 12,
        "transitions_to": 21, "contains": 30, "played": 7, "supports": 18, "key": 24, "compatible": 216,
    }
    # 24 keys x 9 non-clash moves each (same, 2 adjacent, relative, 2 two-step, diagonal, 2 semitone)
    assert conn.execute("SELECT count(*) FROM gold.compatible WHERE from_camelot = '8A'").fetchone()[0] == 9
    assert conn.execute(
        "SELECT move, score FROM gold.compatible WHERE from_camelot = '8A' AND to_camelot = '9B'"
    ).fetchone() == ("diagonal", 0.7)


def test_specific_rows(built):
    conn, fx, _ = built
    t = fx.track
    # src -> ev: set1, set2 (Dixon) and set5 (Dixon b2b Kerri Chandler)
    assert conn.execute(
        "SELECT count, djs, last_seen FROM gold.transitions_to WHERE from_id = %s AND to_id = %s", (t["src"], t["ev"])
    ).fetchone() == (3, 2, date(2020, 6, 6))
    a, b = sorted((fx.artist["Dixon"], fx.artist["Âme"]))
    assert conn.execute(
        "SELECT weight, first_year, last_year FROM gold.collaborated_with WHERE a_id = %s AND b_id = %s", (a, b)
    ).fetchone() == (2, 2008, 2010)
    # Dixon played 8 entries whose primary artist is Bicep (3 in set1, 2 in set2, 3 in set5)
    assert conn.execute(
        "SELECT count FROM gold.supports WHERE dj_id = %s AND artist_id = %s", (fx.artist["Dixon"], fx.artist["Bicep"])
    ).fetchone() == (8,)
    # the gap at set3 position 3 breaks c8 -> c9; c9 -> c3 (positions 4 -> 5) stays
    pair = "SELECT count(*) FROM gold.transitions_to WHERE from_id = %s AND to_id = %s"
    assert conn.execute(pair, (t["c8"], t["c9"])).fetchone() == (0,)
    assert conn.execute(pair, (t["c9"], t["c3"])).fetchone() == (1,)
    # src is played twice in set5: plays counts entries, sets counts distinct sets
    row = conn.execute("SELECT plays, sets, camelot, key_pc, key_mode, energy, label FROM gold.track WHERE id = %s",
                       (t["src"],)).fetchone()
    assert row == (4, 3, "8A", 9, 0, 0.6, "Feel My Bicep")
    # a track never played is still a gold track
    assert conn.execute("SELECT plays, sets FROM gold.track WHERE id = %s", (t["dest"],)).fetchone() == (0, 0)
    dixon = conn.execute("SELECT tracks, sets FROM gold.artist WHERE id = %s", (fx.artist["Dixon"],)).fetchone()
    assert dixon == (3, 3)
    assert conn.execute("SELECT tracks FROM gold.set WHERE id = %s", (fx.set["set3"],)).fetchone() == (4,)


def test_build_twice_is_identical(built):
    conn, _, _ = built
    before = _snapshot(conn)
    seq_before = conn.execute("SELECT last_value FROM gold.change_seq_seq").fetchone()
    stats = build_gold(conn)
    conn.commit()
    assert _snapshot(conn) == before
    assert conn.execute("SELECT last_value FROM gold.change_seq_seq").fetchone() == seq_before
    assert all(v == 0 for k, v in stats.items() if k.endswith((".changed", ".deleted")))


def test_silver_change_bumps_only_that_row(built):
    conn, fx, _ = built
    before = dict(conn.execute("SELECT id, change_seq FROM gold.track").fetchall())
    others = {t: conn.execute(f"SELECT * FROM gold.{t} ORDER BY 1, 2").fetchall()
              for t in ("artist", "by", "transitions_to", "supports")}
    conn.execute("UPDATE silver.track SET energy = 0.95 WHERE track_id = %s", (fx.track["same"],))
    stats = build_gold(conn)
    conn.commit()
    after = dict(conn.execute("SELECT id, change_seq FROM gold.track").fetchall())
    changed = {i for i in after if after[i] != before[i]}
    assert changed == {fx.track["same"]}
    assert after[fx.track["same"]] > max(before.values())
    assert stats["track.changed"] == 1
    assert conn.execute("SELECT energy FROM gold.track WHERE id = %s", (fx.track["same"],)).fetchone() == (0.95,)
    for t, rows in others.items():
        assert conn.execute(f"SELECT * FROM gold.{t} ORDER BY 1, 2").fetchall() == rows


def test_removed_relationship_leaves_tombstone(built):
    conn, fx, _ = built
    kerri, bodzin = fx.artist["Kerri Chandler"], fx.artist["Stephan Bodzin"]
    a, b = sorted((kerri, bodzin))
    conn.execute("DELETE FROM silver.track_artist WHERE track_id = %s AND artist_id = %s", (fx.track["c9"], bodzin))
    stats = build_gold(conn)
    conn.commit()
    assert stats["collaborated_with.deleted"] == 1 and stats["by.deleted"] == 1
    assert conn.execute("SELECT count(*) FROM gold.collaborated_with WHERE a_id = %s AND b_id = %s",
                        (a, b)).fetchone() == (0,)
    seq = conn.execute("SELECT change_seq FROM gold.tombstone WHERE kind = 'COLLABORATED_WITH' AND key = %s",
                       (f"{a}:{b}",)).fetchone()
    assert seq is not None and seq[0] > 0
    assert conn.execute("SELECT count(*) FROM gold.tombstone WHERE kind = 'BY' AND key = %s",
                        (f"{fx.track['c9']}:{bodzin}:featured",)).fetchone() == (1,)
    # Bodzin is credited on 8 tracks (c4 c5 c6 c9 c15 dest s5 s6); without c9: 7
    assert conn.execute("SELECT tracks FROM gold.artist WHERE id = %s", (bodzin,)).fetchone() == (7,)
    # the credit comes back: the row is live again and its tombstone is gone
    conn.execute("INSERT INTO silver.track_artist VALUES (%s, %s, 'featured', 2)", (fx.track["c9"], bodzin))
    build_gold(conn)
    conn.commit()
    assert conn.execute("SELECT weight FROM gold.collaborated_with WHERE a_id = %s AND b_id = %s",
                        (a, b)).fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM gold.tombstone WHERE key = %s", (f"{a}:{b}",)).fetchone() == (0,)


def test_run_id_records_processing_status(built):
    conn, _, _ = built
    run_id = conn.execute("INSERT INTO ops.run (kind) VALUES ('pipeline') RETURNING run_id").fetchone()[0]
    build_gold(conn, run_id=run_id)
    conn.commit()
    rows = conn.execute("SELECT table_name, status FROM ops.processing_status WHERE run_id = %s AND layer = 'gold'",
                        (run_id,)).fetchall()
    assert ("gold.track", "succeeded") in rows and len(rows) == 10


def test_only_played_orders_make_transitions(pg_url):
    """A crate has no order and a library playlist's order was chosen, not played: their neighbours are
    not TRANSITIONS_TO (a Mixxx history log is a played order); every kind still CONTAINS its tracks."""
    import psycopg

    from tests.gold_fixture import fill_silver

    with psycopg.connect(pg_url) as conn:
        fx = fill_silver(conn)
        build_gold(conn)
        before = conn.execute("SELECT count(*) FROM gold.transitions_to").fetchone()[0]
        a, b = fx.track["s1"], fx.track["s2"]  # never played in a row in the fixture's mixes
        for sid, source, tags in ((901, "mixxx", ["crate"]), (902, "rekordbox", ["My Folder"]),
                                  (903, "mixxx", ["history"])):
            conn.execute("""INSERT INTO silver.dj_set (set_id, source, source_key, title, tags, entry_count)
                            VALUES (%s, %s, %s, 'x', %s, 2)""", (sid, source, str(sid), tags))
            for pos, t in ((1, a), (2, b)):
                conn.execute("INSERT INTO silver.set_entry VALUES (%s, %s, NULL, NULL, %s, %s, %s, 'x')",
                             (sid, pos, t, sid, pos))
        build_gold(conn)
        kinds = dict(conn.execute("SELECT id, kind FROM gold.set WHERE id IN (901, 902, 903)").fetchall())
        assert kinds == {901: "crate", 902: "playlist", 903: "mix"}
        assert conn.execute("SELECT count FROM gold.transitions_to WHERE from_id = %s AND to_id = %s",
                            (a, b)).fetchone() == (1,)  # the history log's, only
        assert conn.execute("SELECT count(*) FROM gold.transitions_to").fetchone()[0] == before + 1
        assert conn.execute("SELECT count(*) FROM gold.contains WHERE set_id IN (901, 902, 903)").fetchone()[0] == 6
