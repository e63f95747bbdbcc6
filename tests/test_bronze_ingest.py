"""Bronze ingestion of the real source files (and a small hand-written rekordbox export) into real Postgres."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import psycopg
import pytest

from etl.importers import (
    IngestResult,
    ingest_1001tracklists,
    ingest_features,
    ingest_mixesdb,
    ingest_rekordbox,
)

DATA = Path(__file__).parent / "data"
TL_COUNTS = {
    "cosmic_gate_example.csv": 13,
    "hardwell_example.csv": 55,
    "justice_example.csv": 31,
    "night_owl_radio_example.csv": 42,
    "zeds_dead_example.csv": 50,
}


def bronze_state(conn: psycopg.Connection) -> tuple:
    """Counts and a checksum of everything in bronze."""
    return conn.execute(
        """SELECT (SELECT count(*) FROM bronze.ingest_file),
                  (SELECT count(*) FROM bronze.raw_record),
                  (SELECT count(*) FROM bronze.reject),
                  (SELECT md5(string_agg(concat_ws('|', source, record_type, source_key, file_id, position,
                                                   content_hash, payload::text), ',' ORDER BY record_id))
                   FROM bronze.raw_record)"""
    ).fetchone()


def payload(conn: psycopg.Connection, source: str, key: str) -> dict:
    row = conn.execute(
        "SELECT payload FROM bronze.raw_record WHERE source = %s AND source_key = %s", (source, key)
    ).fetchone()
    assert row is not None, f"no {source} record {key}"
    return row[0]


@pytest.mark.slow
def test_real_mixesdb_file_loads_every_mix_once(pg_url, mixesdb_file):
    seen: list[int] = []
    with psycopg.connect(pg_url) as conn:
        result = ingest_mixesdb(conn, mixesdb_file, progress=seen.append)
        print(f"\nMixesDB: {result.records_read} mixes in {result.seconds:.3f} s")
        assert isinstance(result, IngestResult)
        assert (result.records_read, result.records_new, result.records_rejected) == (4448, 4448, 0)
        assert not result.already_ingested and result.rejects == []
        assert seen[-1] == 4448 and seen == sorted(seen)
        before = bronze_state(conn)
        assert before[:3] == (1, 4448, 0)

        original = json.loads(gzip.decompress(mixesdb_file.read_bytes()))
        assert payload(conn, "mixesdb", "mix0000") == original[0]
        assert payload(conn, "mixesdb", original[-1]["id"]) == original[-1]
        url, position = conn.execute(
            "SELECT source_url, position FROM bronze.raw_record WHERE source_key = 'mix0000'"
        ).fetchone()
        assert url == original[0]["url"] and position == 0

        again = ingest_mixesdb(conn, mixesdb_file)
        assert again.already_ingested and again.records_new == 0 and again.records_read == 4448
        assert bronze_state(conn) == before


def test_reexported_mixes_add_no_records(pg_url, mixesdb_file, tmp_path):
    mixes = json.loads(gzip.decompress(mixesdb_file.read_bytes()))[:40]
    first = tmp_path / "first.json"
    first.write_text(json.dumps(mixes))
    reexport = tmp_path / "renamed-and-reformatted.json.gz"
    reexport.write_bytes(gzip.compress(json.dumps(mixes[::-1], indent=2, ensure_ascii=True).encode()))
    with psycopg.connect(pg_url) as conn:
        assert ingest_mixesdb(conn, first).records_new == 40
        state = bronze_state(conn)
        result = ingest_mixesdb(conn, reexport)
        assert not result.already_ingested
        assert (result.records_read, result.records_new) == (40, 0)
        files, records, rejects, checksum = bronze_state(conn)
        assert (files, records, rejects, checksum) == (state[0] + 1, state[1], state[2], state[3])


def test_real_1001tracklists_csvs_load_191_rows(pg_url, shared_data):
    paths = sorted((shared_data / "1001tracklists").glob("*.csv"))
    progress: list[int] = []
    with psycopg.connect(pg_url) as conn:
        results = ingest_1001tracklists(conn, paths, progress=progress.append)
        assert {Path(r.path).name: r.records_new for r in results} == TL_COUNTS
        assert sum(r.records_read for r in results) == 191 and all(r.records_rejected == 0 for r in results)
        assert progress[-1] == 191
        (count,) = conn.execute(
            "SELECT count(*) FROM bronze.raw_record WHERE source = '1001tracklists' AND record_type = 'tracklist_row'"
        ).fetchone()
        assert count == 191

        # a mashup component row, verbatim strings, with its line and key
        row = payload(conn, "1001tracklists", "1ldcw1rk:2")
        assert row["mashup"] == "True" and row["name"] == "Zedd & Lucky Date ft. Ellie Goulding - Fall Into The Sky"
        assert row["mashup_name"].startswith("Hardwell & W&W vs. Mightyfools")
        assert row["track_number"] == "" and row["_line"] == 4 and row["tempo"] == "128.001"
        (url,) = conn.execute(
            "SELECT source_url FROM bronze.raw_record WHERE source_key = '1ldcw1rk:2'"
        ).fetchone()
        assert url == "https://www.1001tracklists.com/track/4gzhhwx/zedd-lucky-date-fall-into-the-sky/index.html"

        with psycopg.connect(pg_url) as other:  # committed, not left in an open transaction
            assert other.execute("SELECT count(*) FROM bronze.raw_record").fetchone() == (191,)
        state = bronze_state(conn)
        again = ingest_1001tracklists(conn, paths)
        assert all(r.already_ingested and r.records_new == 0 for r in again)
        assert bronze_state(conn) == state


def test_real_feature_files_load(pg_url, shared_data):
    with psycopg.connect(pg_url) as conn:
        beatport = ingest_features(conn, shared_data / "beatport-2021" / "beatport_2021jan.csv")
        assert (beatport.records_read, beatport.records_rejected) == (3200, 0)
        row = payload(conn, "features", "beatport_2021jan.csv:2")
        assert row["artist"] == "Javi Colors" and row["track"] == "Feeling Good-Original Mix"
        assert row["69-BPM"] == "120" and row["_file"] == "beatport_2021jan.csv" and row["_line"] == 2
        assert row["_columns"] == {"artist": "artist", "title": "track", "bpm": "69-BPM", "genre": "genre"}

        keys = ingest_features(conn, shared_data / "giantsteps-key" / "giantsteps_key_annotations.csv")
        assert (keys.records_read, keys.records_new, keys.records_rejected) == (604, 604, 0)
        row = payload(conn, "features", "giantsteps_key_annotations.csv:2")
        assert row["beatport_id"] == "1004923" and row["key"] == "C minor"
        assert row["_columns"] == {"id": "beatport_id", "key": "key", "genre": "genre"}

        sources = ingest_features(conn, shared_data / "giantsteps-key" / "sources.csv")
        assert (sources.records_read, sources.records_new, sources.records_rejected) == (604, 604, 0)
        row = payload(conn, "features", "sources.csv:2")
        assert row["TRACK"] == "10089" and row["TRACK#2"] == "Close My Eyes" and row["ARTIST"] == "Jason Sparks"
        assert row["_columns"] == {
            "id": "TRACK", "title": "TRACK#2", "artist": "ARTIST", "key": "GLOBAL KEY", "genre": "SUBGENRE",
        }


def test_feature_rows_deduplicate_by_content_not_by_file_or_line(pg_url, tmp_path):
    first = tmp_path / "my_features.csv"
    first.write_text("artist,title,bpm,key\nA,One,128,8A\nA,One,128,8A\nB,Two,999,13A\n")
    renamed = tmp_path / "copy_with_other_name.csv"
    renamed.write_text("artist,title,bpm,key\nB,Two,999,13A\nA,One,128,8A\n\n")
    with psycopg.connect(pg_url) as conn:
        result = ingest_features(conn, first)
        assert (result.records_read, result.records_new, result.records_rejected) == (3, 2, 0)
        assert payload(conn, "features", "my_features.csv:4")["bpm"] == "999"  # values stay verbatim
        again = ingest_features(conn, renamed)
        assert (again.records_read, again.records_new, again.already_ingested) == (2, 0, False)


def test_rekordbox_export_loads_tracks_and_playlists(pg_url):
    with psycopg.connect(pg_url) as conn:
        result = ingest_rekordbox(conn, DATA / "rekordbox_small.xml")
        assert (result.records_read, result.records_new, result.records_rejected) == (5, 5, 0)
        rows = conn.execute(
            "SELECT record_type, source_key, position FROM bronze.raw_record ORDER BY record_id"
        ).fetchall()
        # keys are scoped to the library, named after the file by default
        lib = "rekordbox_small"
        assert rows == [
            ("library_track", f"{lib}:101", 0), ("library_track", f"{lib}:102", 1), ("library_track", f"{lib}:103", 2),
            ("library_playlist", f"{lib}:Warm-up/Opening", 3), ("library_playlist", f"{lib}:Peak", 4),
        ]
        track = payload(conn, "rekordbox", f"{lib}:101")
        assert track["_library"] == lib
        assert track["Name"] == "Windowlicker" and track["Artist"] == "Aphex Twin" and track["Label"] == "Warp"
        assert track["AverageBpm"] == "127.00" and track["Tonality"] == "4A" and track["TotalTime"] == "367"
        assert track["Rating"] == "255" and track["Genre"] == "IDM"
        assert track["tempo"] == [
            {"Inizio": "0.062", "Bpm": "127.00", "Metro": "4/4", "Battito": "1"},
            {"Inizio": "120.500", "Bpm": "128.00", "Metro": "4/4", "Battito": "3"},
        ]
        assert track["position_marks"] == [{"Name": "drop", "Type": "0", "Start": "64.120", "Num": "0"}]
        odd = payload(conn, "rekordbox", f"{lib}:102")
        assert odd["Artist"] == "Björk" and odd["Remixer"] == "Alec Empire"
        assert odd["AverageBpm"] == "999.00" and odd["Tonality"] == "13A"  # kept verbatim: silver rejects values
        assert "tempo" not in payload(conn, "rekordbox", f"{lib}:103")
        assert payload(conn, "rekordbox", f"{lib}:Warm-up/Opening") == {
            "name": "Opening", "path": ["Warm-up"], "key_type": "0", "entries": ["103", "101"], "_library": lib,
        }
        assert payload(conn, "rekordbox", f"{lib}:Peak")["key_type"] == "1"
        state = bronze_state(conn)
        assert ingest_rekordbox(conn, DATA / "rekordbox_small.xml").already_ingested
        assert bronze_state(conn) == state


def test_rekordbox_latin1_declared_and_encoded_parses(pg_url, tmp_path):
    text = (DATA / "rekordbox_small.xml").read_text(encoding="utf-8")
    text = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    latin = tmp_path / "latin1.xml"
    latin.write_bytes(text.encode("latin-1"))
    with psycopg.connect(pg_url) as conn:
        utf8 = ingest_rekordbox(conn, DATA / "rekordbox_small.xml")
        result = ingest_rekordbox(conn, latin, library="rekordbox_small")  # the same library, re-encoded
        assert (result.records_read, result.records_rejected) == (5, 0)
        assert result.file_sha256 != utf8.file_sha256
        assert result.records_new == 0  # the same records, decoded from another encoding
        assert payload(conn, "rekordbox", "rekordbox_small:102")["Name"] == "Jóga"


def test_copied_file_under_another_name_is_already_ingested(pg_url, shared_data, tmp_path):
    copy = tmp_path / "same.csv"
    shutil.copy(shared_data / "1001tracklists" / "justice_example.csv", copy)
    with psycopg.connect(pg_url) as conn:
        ingest_1001tracklists(conn, [shared_data / "1001tracklists" / "justice_example.csv"])
        (again,) = ingest_1001tracklists(conn, [copy])
        assert again.already_ingested and again.records_new == 0 and again.records_read == 31
