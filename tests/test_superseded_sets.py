"""A newer bronze record of a set already in silver (a corrected MixesDB tracklist, a re-exported rekordbox
playlist) replaces the old version in silver; the old version's items become rejects with the reason, so
every bronze item of both versions is still in exactly one place."""

from __future__ import annotations

import gzip
import json
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from etl.checks import integrity_problems
from etl.checksum import table_checksums
from etl.migrate import migrate
from etl.pipeline import Inputs, run_pipeline
from etl.status import status
from graphsvc.pg import embedded_server_uri, ensure_database


def _mixes(path: Path, mixes: list[tuple[str, list[str]]]) -> Path:
    records = [{"id": mix_id, "title": "2016-05-01 - DJ Koze @ Pampa Night", "url": f"https://www.mixesdb.com/w/{mix_id}",
                "tags": [], "tracklist": [{"id": None, "title": t} for t in titles]} for mix_id, titles in mixes]
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(records, f)
    return path


V1 = ["[01] Moby - Porcelain [Mute - CDSTUMM172]", "[02] ID - ID", "[03] Underworld - Born Slippy"]
V2 = ["[01] Moby - Porcelain [Mute - CDSTUMM172]", "[02] Leftfield - Open Up", "[03] Underworld - Born Slippy",
      "[04] Orbital - Chime"]


def _load(conn: psycopg.Connection, *files: Path) -> None:
    run_pipeline(conn, "bronze_only", Inputs(mixesdb=list(files)))
    run_pipeline(conn, "silver_only")


def _items_in_one_place(conn: psycopg.Connection) -> tuple[int, int, int]:
    """(items, lost, doubled) over every tracklist item of every MixesDB bronze record."""
    return conn.execute(
        """WITH items AS (
               SELECT r.record_id, (e.ord - 1)::int AS item_index
               FROM bronze.raw_record r, jsonb_array_elements(r.payload->'tracklist') WITH ORDINALITY e(v, ord)
               WHERE r.source = 'mixesdb'),
           places AS (
               SELECT record_id, item_index FROM silver.set_entry
               UNION ALL SELECT record_id, item_index FROM silver.set_gap
               UNION ALL SELECT record_id, item_index FROM silver.reject WHERE item_index >= 0)
           SELECT count(*), count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1)
           FROM (SELECT i.record_id, i.item_index, count(p.record_id) AS n
                 FROM items i LEFT JOIN places p USING (record_id, item_index) GROUP BY 1, 2) x""").fetchone()


def _titles(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        """SELECT e.raw_title FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)
           WHERE s.source_key = 'koze-pampa' ORDER BY e.position""")]


def test_corrected_mix_replaces_the_old_version(pg_url, tmp_path):
    with psycopg.connect(pg_url) as conn:
        _load(conn, _mixes(tmp_path / "old.json.gz", [("koze-pampa", V1), ("other", ["[01] Moby - Go"])]))
        (old_record,) = conn.execute("SELECT record_id FROM silver.dj_set WHERE source_key = 'koze-pampa'").fetchone()
        assert _titles(conn) == [V1[0], V1[2]]
        _load(conn, _mixes(tmp_path / "new.json.gz", [("koze-pampa", V2)]))

        (new_record,) = conn.execute("SELECT record_id FROM silver.dj_set WHERE source_key = 'koze-pampa'").fetchone()
        assert new_record != old_record
        assert _titles(conn) == V2  # the identified ID, the added track; no gap left
        assert conn.execute("SELECT entry_count, gap_count FROM silver.dj_set WHERE record_id = %s",
                            (new_record,)).fetchone() == (4, 0)
        assert conn.execute("SELECT count(*) FROM silver.set_gap").fetchone() == (0,)
        moved = conn.execute("SELECT item_index, raw_text, reason FROM silver.reject WHERE record_id = %s"
                             " ORDER BY item_index", (old_record,)).fetchall()
        assert [(i, t) for i, t, _ in moved] == [(0, V1[0]), (1, V1[1]), (2, V1[2])]
        assert all(r == f"superseded by bronze record {new_record}, a newer version of mix koze-pampa"
                   for *_, r in moved)
        # the label observation now comes from the new record only; the other mix is untouched
        mute = conn.execute("SELECT record_id FROM silver.observation WHERE label = 'Mute'").fetchall()
        assert mute == [(new_record,)]
        assert conn.execute("SELECT outcome FROM silver.processed_record WHERE record_id = %s",
                            (old_record,)).fetchone() == ("superseded",)
        assert conn.execute("SELECT count(*) FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)"
                            " WHERE s.source_key = 'other'").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone() == (3,)  # bronze keeps both
        assert _items_in_one_place(conn) == (8, 0, 0)
        assert integrity_problems(conn) == {}
        # spellings count the new version only: Moby twice (Porcelain in V2 and Go in "other")
        assert conn.execute("SELECT sum(uses) FROM silver.artist_spelling_use WHERE spelling = 'Moby'"
                            ).fetchone() == (2,)

        before = table_checksums(conn, ("silver",))
        run_pipeline(conn, "silver_only")
        assert table_checksums(conn, ("silver",)) == before


def test_both_versions_in_one_file_end_like_two_files(pg_url, tmp_path, database_factory):
    """The old version may still be in the chunk being built when the new one arrives."""
    with psycopg.connect(pg_url) as conn:
        _load(conn, _mixes(tmp_path / "both.json.gz", [("koze-pampa", V1), ("koze-pampa", V2)]))
        assert _titles(conn) == V2
        assert _items_in_one_place(conn) == (7, 0, 0)
        assert integrity_problems(conn) == {}
        one_file = table_checksums(conn, ("silver",))
    with psycopg.connect(database_factory("superseded_two_files")) as conn:
        _load(conn, _mixes(tmp_path / "v1.json.gz", [("koze-pampa", V1)]))
        _load(conn, _mixes(tmp_path / "v2.json.gz", [("koze-pampa", V2)]))
        two_files = table_checksums(conn, ("silver",))
    # bronze record ids are the same (1, 2) in both databases, so silver must be identical
    assert two_files == one_file


REKORDBOX = """<?xml version="1.0" encoding="UTF-8"?>
<DJ_PLAYLISTS Version="1.0.0"><PRODUCT Name="rekordbox" Version="6.8.5" Company="AlphaTheta"/>
<COLLECTION Entries="3">
<TRACK TrackID="1" Name="Porcelain" Artist="Moby" AverageBpm="95.00" Tonality="Am"/>
<TRACK TrackID="2" Name="Born Slippy" Artist="Underworld" AverageBpm="138.00" Tonality="Fm"/>
<TRACK TrackID="3" Name="Chime" Artist="Orbital" AverageBpm="126.00" Tonality="8A"/>
</COLLECTION>
<PLAYLISTS><NODE Type="0" Name="ROOT" Count="1"><NODE Name="Peak" Type="1" KeyType="0" Entries="{n}">{entries}
</NODE></NODE></PLAYLISTS></DJ_PLAYLISTS>
"""


def _export(path: Path, track_ids: list[int]) -> Path:
    path.write_text(REKORDBOX.format(n=len(track_ids), entries="".join(f'<TRACK Key="{t}"/>' for t in track_ids)),
                    encoding="utf-8")
    return path


def test_reexported_playlist_replaces_the_old_one(pg_url, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(rekordbox=[_export(tmp_path / "a" / "collection.xml", [1, 2])]))
        run_pipeline(conn, "complete", Inputs(rekordbox=[_export(tmp_path / "b" / "collection.xml", [3, 1])]))
        titles = conn.execute(
            """SELECT t.title FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)
               JOIN silver.track t USING (track_id)
               WHERE s.source = 'rekordbox' ORDER BY e.position""").fetchall()
        assert titles == [("Chime",), ("Porcelain",)]
        assert conn.execute("SELECT count(*) FROM silver.dj_set").fetchone() == (1,)
        reasons = conn.execute("SELECT DISTINCT reason FROM silver.reject").fetchall()
        assert len(reasons) == 1 and "newer export of playlist 'Peak' of library 'collection'" in reasons[0][0]
        assert conn.execute("SELECT count(*) FROM silver.reject").fetchone() == (2,)
        assert integrity_problems(conn) == {}
        # gold and the graph follow: the set holds the new order
        gold = conn.execute(
            """SELECT t.title FROM gold.contains c JOIN gold.track t ON t.id = c.track_id ORDER BY c.position"""
        ).fetchall()
        assert gold == [("Chime",), ("Porcelain",)]


# ---------------------------------------------------------------- 1001Tracklists re-exports

TL_HEADER = ("index,tracklist_id,tracklist_name,tracklist_date,tracklist_userpagevisits,tracklist_tracks_IDed,"
             "name,track_number,tempo")
TL_NAME = "Hernan Cattaneo @ Resident 300"


def _tl_export(path: Path, visits: int, rows: list[tuple[str, str, str]]) -> Path:
    """A 1001Tracklists CSV of tracklist tl1: (name, track_number, tempo) per row. The page visit counter
    changes with every scrape, so a re-export repeats no row verbatim unless it is scraped unchanged."""
    lines = [TL_HEADER] + [f'{i},tl1,"{TL_NAME}","Sat, Jan 12 2019",{visits},all,"{name}",{num},{tempo}'
                           for i, (name, num, tempo) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TL_V1 = [("Moby - Porcelain", "01", "95"), ("", "02", ""), ("Underworld - Born Slippy", "03", "138"),
         ("Orbital - Chime", "w/", "")]
TL_V2 = [("Moby - Porcelain", "01", "95"), ("Leftfield - Open Up", "02", "126"),
         ("Underworld - Born Slippy", "03", "138")]


def _load_tl(conn: psycopg.Connection, *files: Path) -> None:
    run_pipeline(conn, "bronze_only", Inputs(tracklists1001=list(files)))
    run_pipeline(conn, "silver_only")


def _tl_rows_in_one_place(conn: psycopg.Connection) -> tuple[int, int, int]:
    """(rows, lost, doubled) over every 1001Tracklists bronze row."""
    return conn.execute(
        """WITH places AS (
               SELECT record_id FROM silver.set_entry UNION ALL SELECT record_id FROM silver.set_gap
               UNION ALL SELECT record_id FROM silver.mashup_component UNION ALL SELECT record_id FROM silver.reject)
           SELECT count(*), count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1)
           FROM (SELECT r.record_id, (SELECT count(*) FROM places p WHERE p.record_id = r.record_id) AS n
                 FROM bronze.raw_record r WHERE r.source = '1001tracklists') x""").fetchone()


def _tl_positions(conn: psycopg.Connection) -> list[tuple[int, str, int]]:
    return conn.execute(
        """SELECT e.position, e.raw_title, e.record_id FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)
           WHERE s.source_key = 'tl1'
           UNION ALL
           SELECT g.position, g.raw_title, g.record_id FROM silver.set_gap g JOIN silver.dj_set s USING (set_id)
           WHERE s.source_key = 'tl1' ORDER BY 1""").fetchall()


def test_reexported_tracklist_replaces_the_old_export(pg_url, tmp_path):
    with psycopg.connect(pg_url) as conn:
        _load_tl(conn, _tl_export(tmp_path / "v1.csv", 100, TL_V1))
        v1_records = [r for (r,) in conn.execute("SELECT record_id FROM bronze.raw_record ORDER BY 1")]
        assert [(p, t) for p, t, _ in _tl_positions(conn)] == [(1, "Moby - Porcelain"), (2, "#02 (no name)"),
                                                              (3, "Underworld - Born Slippy")]
        assert conn.execute("SELECT count(*) FROM silver.mashup_component").fetchone() == (1,)

        # re-scraped later: track 2 identified, the "w/" row gone, the visit counter moved on
        _load_tl(conn, _tl_export(tmp_path / "v2.csv", 180, TL_V2))
        (v2_file,) = conn.execute("SELECT max(file_id) FROM bronze.ingest_file").fetchone()
        positions = _tl_positions(conn)
        assert [(p, t) for p, t, _ in positions] == [(1, "Moby - Porcelain"), (2, "Leftfield - Open Up"),
                                                     (3, "Underworld - Born Slippy")]
        assert all(r not in v1_records for *_, r in positions)
        assert conn.execute("SELECT count(*) FROM silver.mashup_component").fetchone() == (0,)
        assert conn.execute("SELECT entry_count, gap_count FROM silver.dj_set WHERE source_key = 'tl1'"
                            ).fetchone() == (3, 0)
        moved = conn.execute("SELECT record_id, raw_text, reason FROM silver.reject ORDER BY record_id").fetchall()
        assert [r for r, _, _ in moved] == v1_records
        assert moved[0][1] == "Moby - Porcelain" and moved[3][1] == "Orbital - Chime"
        assert {reason for *_, reason in moved} == {
            f"superseded by bronze file {v2_file}, a newer export of tracklist tl1"}
        assert {o for (o,) in conn.execute("SELECT DISTINCT outcome FROM silver.processed_record p"
                                           " WHERE record_id = ANY(%s)", (v1_records,))} == {"superseded"}
        # the BPM observations of the old rows went with them; the new rows carry their own
        assert conn.execute("SELECT count(*) FROM silver.observation WHERE record_id = ANY(%s)",
                            (v1_records,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM silver.observation").fetchone() == (3,)
        assert _tl_rows_in_one_place(conn) == (7, 0, 0)
        assert integrity_problems(conn) == {}
        counts = status(conn)["silver"]
        assert (counts["rejects"], counts["rejects_superseded"]) == (4, 4)

        before = table_checksums(conn, ("silver",))
        run_pipeline(conn, "silver_only")
        assert table_checksums(conn, ("silver",)) == before


def test_rows_a_reexport_repeats_verbatim_stay(pg_url, tmp_path):
    """Scraped again with the same counter: only the corrected row is a new bronze record, the repeated
    rows are the old records, and they are still rows of the tracklist."""
    with psycopg.connect(pg_url) as conn:
        _load_tl(conn, _tl_export(tmp_path / "v2.csv", 180, TL_V2))
        kept = [r for (r,) in conn.execute("SELECT record_id FROM bronze.raw_record ORDER BY 1")]
        v3 = [*TL_V2[:2], ("Underworld - Born Slippy (Nuxx)", "03", "138")]
        _load_tl(conn, _tl_export(tmp_path / "v3.csv", 180, v3))
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone() == (4,)
        (v3_file,) = conn.execute("SELECT max(file_id) FROM bronze.ingest_file").fetchone()
        assert [r for (r,) in conn.execute("SELECT record_id FROM bronze.file_record WHERE file_id = %s"
                                           " ORDER BY position", (v3_file,))][:2] == kept[:2]
        positions = _tl_positions(conn)
        assert [(p, t) for p, t, _ in positions] == [(1, "Moby - Porcelain"), (2, "Leftfield - Open Up"),
                                                     (3, "Underworld - Born Slippy (Nuxx)")]
        assert [r for *_, r in positions][:2] == kept[:2]
        assert conn.execute("SELECT record_id FROM silver.reject").fetchall() == [(kept[2],)]
        assert _tl_rows_in_one_place(conn) == (4, 0, 0)
        assert integrity_problems(conn) == {}


def test_both_exports_in_one_run_end_like_two_runs(pg_url, tmp_path, database_factory):
    v1, v2 = _tl_export(tmp_path / "v1.csv", 100, TL_V1), _tl_export(tmp_path / "v2.csv", 180, TL_V2)
    with psycopg.connect(pg_url) as conn:
        _load_tl(conn, v1, v2)
        assert [t for _, t, _ in _tl_positions(conn)] == [name for name, _, _ in TL_V2]
        assert _tl_rows_in_one_place(conn) == (7, 0, 0)
        one_run = table_checksums(conn, ("silver",))
    with psycopg.connect(database_factory("tl_two_runs")) as conn:
        _load_tl(conn, v1)
        _load_tl(conn, v2)
        two_runs = table_checksums(conn, ("silver",))
    assert two_runs == one_run


def test_a_real_tracklist_scraped_again_replaces_the_first_scrape(pg_url, tmp_path, shared_data):
    """The real Hardwell export, scraped again a week later: the counters moved, one unidentified
    position got its track. Every row of the first scrape is superseded, none is lost or doubled."""
    import csv

    real = shared_data / "1001tracklists" / "hardwell_example.csv"
    with real.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    for r in rows:
        r["tracklist_userpagevisits"] = str(int(float(r["tracklist_userpagevisits"] or 0)) + 700)
    named = [r for r in rows if r["track_number"].strip().isdigit() and r["name"].strip()]
    named[-1]["name"] = "Hardwell - Spaceman (Carnage Festival Trap Remix)"  # a corrected identification
    again = tmp_path / "hardwell_again.csv"
    with again.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    with psycopg.connect(pg_url) as conn:
        _load_tl(conn, real)
        first = conn.execute("SELECT entry_count, gap_count FROM silver.dj_set").fetchone()
        first_records = conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0]
        _load_tl(conn, again)
        assert conn.execute("SELECT entry_count, gap_count FROM silver.dj_set").fetchone() == first
        assert conn.execute("SELECT count(*) FROM silver.reject WHERE reason LIKE 'superseded by bronze file %%'"
                            ).fetchone() == (first_records,)
        assert conn.execute("SELECT count(*) FROM silver.set_entry WHERE raw_title = %s",
                            (named[-1]["name"],)).fetchone() == (1,)
        total, lost, doubled = _tl_rows_in_one_place(conn)
        assert (total, lost, doubled) == (2 * first_records, 0, 0)
        assert integrity_problems(conn) == {}


def test_exports_loaded_before_file_membership_was_recorded_fall_back_to_row_keys(pg_url, tmp_path):
    """Files loaded before migration 011 do not list the rows they repeated, so which rows a newer export
    dropped is unknown: then the newest record of each row key (tracklist:index) wins."""
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "bronze_only", Inputs(tracklists1001=[_tl_export(tmp_path / "v1.csv", 100, TL_V1),
                                                                 _tl_export(tmp_path / "v2.csv", 180, TL_V2)]))
        # as if both files had been loaded before migration 011: not listed (bronze's triggers forbid the
        # DELETE; replica mode skips them to recreate that history)
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM bronze.listed_file")
        conn.execute("RESET session_replication_role")
        conn.commit()
        run_pipeline(conn, "silver_only")
        v1 = [r for (r,) in conn.execute("SELECT record_id FROM bronze.raw_record WHERE file_id = 1 ORDER BY 1")]
        v2 = [r for (r,) in conn.execute("SELECT record_id FROM bronze.raw_record WHERE file_id = 2 ORDER BY 1")]
        assert [(p, t, r) for p, t, r in _tl_positions(conn)] == [
            (1, "Moby - Porcelain", v2[0]), (2, "Leftfield - Open Up", v2[1]), (3, "Underworld - Born Slippy", v2[2])]
        reasons = conn.execute("SELECT record_id, reason FROM silver.reject ORDER BY 1").fetchall()
        assert reasons == [(v1[i], f"superseded by bronze record {v2[i]}, a newer export of row {i} of tracklist tl1")
                           for i in range(3)]
        # the v1 row with no newer counterpart stays: the w/ component of position 3
        assert conn.execute("SELECT position, record_id FROM silver.mashup_component").fetchall() == [(3, v1[3])]
        assert _tl_rows_in_one_place(conn) == (7, 0, 0)


def test_an_export_repeating_an_older_one_makes_it_current_again(pg_url, tmp_path, database_factory):
    """v1, v2, then v1 scraped again byte for byte apart from line endings: the third file brings no new
    bronze record, and still its rows are the tracklist now."""
    v1, v2 = _tl_export(tmp_path / "v1.csv", 100, TL_V1), _tl_export(tmp_path / "v2.csv", 180, TL_V2)
    v1_again = tmp_path / "v1_again.csv"
    v1_again.write_bytes(v1.read_bytes().replace(b"\n", b"\r\n"))
    with psycopg.connect(pg_url) as conn:
        for f in (v1, v2):
            _load_tl(conn, f)
        run_pipeline(conn, "bronze_only", Inputs(tracklists1001=[v1_again]))
        counts = status(conn)["silver"]
        assert (counts["unprocessed_records"], counts["unprocessed_files"]) == (0, 1)  # no new row, still work
        run_pipeline(conn, "silver_only")
        assert status(conn)["silver"]["unprocessed_files"] == 0
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone() == (7,)
        assert [(p, t) for p, t, _ in _tl_positions(conn)] == [(1, "Moby - Porcelain"), (2, "#02 (no name)"),
                                                              (3, "Underworld - Born Slippy")]
        assert conn.execute("SELECT count(*) FROM silver.mashup_component").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM silver.reject WHERE reason = 'superseded by bronze file 3,"
                            " a newer export of tracklist tl1'").fetchone() == (3,)
        assert _tl_rows_in_one_place(conn) == (7, 0, 0)
        three_runs = table_checksums(conn, ("silver",))
        run_pipeline(conn, "silver_only")
        assert table_checksums(conn, ("silver",)) == three_runs
        # a value enrichment chose stays when its observation goes (no winner keeps the current value):
        # Open Up was seen with 126 BPM in the v2 scrape, and that is still true of the track
        assert conn.execute("SELECT bpm FROM silver.track WHERE title = 'Open Up'").fetchone() == (126,)
        tracks_three_runs = conn.execute(_TRACK_IDENTITY).fetchall()
    with psycopg.connect(database_factory("tl_revert_one_run")) as conn:
        _load_tl(conn, v1, v2, v1_again)
        one_run = table_checksums(conn, ("silver",))
        assert conn.execute(_TRACK_IDENTITY).fetchall() == tracks_three_runs
    # everything else is identical; silver.track differs only in that kept BPM
    assert {t: v for t, v in one_run.items() if t != "silver.track"} == {
        t: v for t, v in three_runs.items() if t != "silver.track"}


_TRACK_IDENTITY = ("SELECT track_id, track_key, title, version, artists_display, first_record_id"
                   " FROM silver.track ORDER BY 1")


def test_another_tracklist_between_two_exports_changes_nothing(pg_url, tmp_path, database_factory):
    """tl1 v1, then tl2, then tl1 v2 sharing a track with tl2: one run and three runs end identical
    (identities are resolved in bronze order, before any set is placed)."""
    v1, v2 = _tl_export(tmp_path / "v1.csv", 100, TL_V1), _tl_export(tmp_path / "v2.csv", 180, TL_V2)
    tl2 = tmp_path / "tl2.csv"
    tl2.write_text(TL_HEADER + '\n0,tl2,"Sasha @ Fabric","Sat, Feb 02 2019",5,all,"Leftfield - Open Up",01,126\n',
                   encoding="utf-8")
    with psycopg.connect(pg_url) as conn:
        for f in (v1, tl2, v2):
            _load_tl(conn, f)
        three_runs = table_checksums(conn, ("silver",))
        assert conn.execute("SELECT count(*) FROM silver.set_entry").fetchone() == (4,)
    with psycopg.connect(database_factory("tl_interleaved")) as conn:
        _load_tl(conn, v1, tl2, v2)
        assert table_checksums(conn, ("silver",)) == three_runs


@pytest.fixture
def en_us_server(monkeypatch) -> str:
    """An embedded PostgreSQL that knows the en_US.UTF-8 locale (compiled here with localedef; this
    machine ships only C locales), like the usual production image."""
    base = Path(tempfile.mkdtemp(prefix="gsvc-loc-"))  # short: the unix socket lives under it
    locales = base / "locales"
    locales.mkdir()
    res = subprocess.run(["localedef", "-i", "en_US", "-f", "UTF-8", str(locales / "en_US.UTF-8")],
                         capture_output=True, text=True, check=False)
    if not (locales / "en_US.UTF-8").exists():
        pytest.skip(f"cannot compile the en_US.UTF-8 locale here: {res.stderr.strip()[:200]}")
    monkeypatch.setenv("LOCPATH", str(locales))  # read by the server started below
    return embedded_server_uri(base, cleanup="delete")


def test_reexports_on_a_database_with_a_linguistic_collation(en_us_server, tmp_path):
    """In en_US.UTF-8, ':' .. ';' is no byte range (';' sorts before ':'); the rows of a tracklist must
    still be found (COLLATE "C")."""
    url = ensure_database(en_us_server, "en_us")
    with psycopg.connect(en_us_server, autocommit=True) as admin:
        admin.execute("DROP DATABASE en_us")
        admin.execute("CREATE DATABASE en_us LOCALE 'en_US.UTF-8' TEMPLATE template0")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT '1:0' < '1;'").fetchone() == (False,)  # the collation is linguistic
        migrate(conn)
        _load_tl(conn, _tl_export(tmp_path / "v1.csv", 100, TL_V1))
        _load_tl(conn, _tl_export(tmp_path / "v2.csv", 180, TL_V2))
        assert [t for _, t, _ in _tl_positions(conn)] == [name for name, _, _ in TL_V2]
        assert _tl_rows_in_one_place(conn) == (7, 0, 0)
