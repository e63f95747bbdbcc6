"""Silver from every source format, on real files where they exist and small files written here."""

from __future__ import annotations

from pathlib import Path

import psycopg

from etl.checks import integrity_problems
from etl.pipeline import Inputs, run_pipeline

DATA = Path(__file__).parent / "data"


def _one(conn, query, *params):
    return conn.execute(query, params).fetchone()


def _every_row_in_one_place(conn, source: str) -> tuple[int, int, int]:
    """(rows, lost, doubled) for the bronze records of a row-per-record source."""
    return _one(conn, """
        WITH places AS (
            SELECT record_id FROM silver.set_entry UNION ALL SELECT record_id FROM silver.mashup_component
            UNION ALL SELECT record_id FROM silver.set_gap UNION ALL SELECT record_id FROM silver.reject
            UNION ALL SELECT record_id FROM silver.observation o WHERE NOT EXISTS (
                SELECT 1 FROM silver.set_entry e WHERE e.record_id = o.record_id)
                AND NOT EXISTS (SELECT 1 FROM silver.mashup_component m WHERE m.record_id = o.record_id))
        SELECT count(*), count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1)
        FROM (SELECT r.record_id, (SELECT count(*) FROM places p WHERE p.record_id = r.record_id) AS n
              FROM bronze.raw_record r WHERE r.source = %s AND r.record_type <> 'library_playlist') x""", source)


def test_rekordbox_library_tracks_playlists_and_invalid_values(pg_url):
    with psycopg.connect(pg_url) as conn:
        summary = run_pipeline(conn, "complete", Inputs(rekordbox=[DATA / "rekordbox_small.xml"]))
        assert summary.status == "succeeded"
        assert _one(conn, "SELECT count(*) FROM silver.track")[0] == 3
        rows, lost, doubled = _every_row_in_one_place(conn, "rekordbox")
        assert (rows, lost, doubled) == (3, 0, 0)
        # BPM 999 and key 13A are rejected values with reasons, the track itself lands
        invalid = dict(conn.execute("SELECT field, reason FROM silver.invalid_value").fetchall())
        assert set(invalid) == {"bpm", "key"}
        assert "999" in invalid["bpm"] and "13A" in invalid["key"]
        # a valid rekordbox value wins the waterfall and carries provenance
        bpm, camelot, prov = _one(conn, """SELECT bpm, camelot, provenance FROM silver.track
                                         WHERE title = 'Windowlicker'""")
        assert float(bpm) == 127.0 and camelot == "4A"
        assert prov["bpm"]["provider"] == "rekordbox" and prov["key"]["provider"] == "rekordbox"
        # the remixer attribute becomes a remixer credit
        assert _one(conn, """SELECT count(*) FROM silver.track_artist ta JOIN silver.artist a USING (artist_id)
                            WHERE ta.role = 'remixer' AND a.canonical_name = 'Alec Empire'""")[0] == 1
        # playlists are ordered sets; KeyType 1 entries resolve through the file location
        sets = conn.execute("""SELECT s.source_key, array_agg(t.title ORDER BY e.position)
                               FROM silver.dj_set s JOIN silver.set_entry e USING (set_id)
                               JOIN silver.track t USING (track_id) GROUP BY 1 ORDER BY 1""").fetchall()
        assert sets == [("rekordbox_small:Peak", ["Jóga"]),
                        ("rekordbox_small:Warm-up/Opening", ["Strings of Life", "Windowlicker"])]
        assert integrity_problems(conn) == {}


def test_1001tracklists_sets_mashups_and_spotify_features(pg_url, shared_data):
    csvs = sorted((shared_data / "1001tracklists").glob("*.csv"))
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(tracklists1001=csvs))
        assert _one(conn, "SELECT count(*) FROM silver.dj_set WHERE source = '1001tracklists'")[0] == 5
        rows, lost, doubled = _every_row_in_one_place(conn, "1001tracklists")
        assert (rows, lost, doubled) == (191, 0, 0)
        # Hardwell @ UMF 2016: 18 numbered positions; the 9 "w/" rows are played with the track above
        dj, day, n = _one(conn, """SELECT dj_display, set_date, entry_count + gap_count FROM silver.dj_set
                                   WHERE title LIKE 'Hardwell @ Mainstage%%'""")
        assert dj == "Hardwell" and str(day) == "2016-03-19" and n == 18
        assert _one(conn, "SELECT count(*) FROM silver.reject")[0] == 0
        # mashup components hang off their mashup's position
        assert _one(conn, "SELECT count(*) FROM silver.mashup_component")[0] > 10
        # Spotify key/tempo become waterfall values from the 1001tracklists provider
        with_key = _one(conn, """SELECT count(*) FROM silver.track
                                 WHERE camelot IS NOT NULL AND provenance->'key'->>'provider' = '1001tracklists'""")[0]
        assert with_key > 100
        assert integrity_problems(conn) == {}


def test_feature_file_with_bad_values_rejects_values_and_keeps_rows(pg_url, tmp_path, shared_data):
    csvs = sorted((shared_data / "1001tracklists").glob("*.csv"))
    features = tmp_path / "my_features.csv"
    features.write_text(
        "artist,title,bpm,key,energy\n"
        "Hardwell,Spaceman,128,8A,0.9\n"          # a real track of the Hardwell set: matched
        "Nobody Known,Nothing,0,H minor,0.5\n"     # BPM 0 and H minor: invalid values
        "Nobody Known,Something,999,13A,2\n"       # BPM 999, 13A, energy 2
        "Nobody Known,Else,NaN,Gbm,\n"             # NaN
        ",,,,\n",                                  # nothing at all: rejected by bronze
        encoding="utf-8")
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(tracklists1001=csvs, features=[features]))
        bad = conn.execute("SELECT field, raw_value, reason FROM silver.invalid_value ORDER BY 2").fetchall()
        reasons = {(f, v): r for f, v, r in bad}
        assert ("bpm", "0") in reasons and ("bpm", "999") in reasons and ("bpm", "NaN") in reasons
        assert ("key", "H minor") in reasons and ("key", "13A") in reasons and ("energy", "2") in reasons
        assert all(v in r or v.lower() in r.lower() for (_, v), r in reasons.items()), reasons
        obs = conn.execute("""SELECT title_raw, track_id IS NOT NULL, bpm, key_pitch_class FROM silver.observation
                              WHERE source = 'features:my_features' ORDER BY title_raw""").fetchall()
        assert [o[0] for o in obs] == ["Else", "Nothing", "Something", "Spaceman"]
        spaceman = obs[-1]
        assert spaceman[1] is True and float(spaceman[2]) == 128.0
        assert obs[0][3] is not None  # Gbm is a valid key, kept though the BPM was NaN
        # every bronze feature row is in exactly one place
        rows, lost, doubled = _every_row_in_one_place(conn, "features")
        assert lost == 0 and doubled == 0 and rows == 4
        assert _one(conn, "SELECT count(*) FROM bronze.reject WHERE source = 'features'")[0] == 1
