"""Bad input: each case gives a clear message, leaves a bronze.reject row, and keeps what was loaded before."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import psycopg
import pytest

from etl.importers import (
    IngestFailed,
    ingest_1001tracklists,
    ingest_features,
    ingest_mixesdb,
    ingest_rekordbox,
)
from graphsvc.errors import InputError

DATA = Path(__file__).parent / "data"


@pytest.fixture
def conn(pg_url, shared_data):
    """A connection to a database that already holds one 1001Tracklists file (13 rows)."""
    with psycopg.connect(pg_url) as conn:
        (result,) = ingest_1001tracklists(conn, [shared_data / "1001tracklists" / "cosmic_gate_example.csv"])
        assert result.records_new == 13
        yield conn


def earlier_rows(conn: psycopg.Connection) -> list[tuple]:
    """The rows of the file the fixture loaded first."""
    return conn.execute(
        """SELECT record_id, source_key, content_hash, payload::text FROM bronze.raw_record
           WHERE file_id = (SELECT min(file_id) FROM bronze.ingest_file) ORDER BY record_id"""
    ).fetchall()


def committed(pg_url: str, sql: str) -> int:
    """A count seen from another connection: only committed rows."""
    with psycopg.connect(pg_url) as other:
        return other.execute(sql).fetchone()[0]


def rejects(conn: psycopg.Connection, source: str) -> list[tuple]:
    return conn.execute(
        "SELECT file_id, position, reason, raw_text FROM bronze.reject WHERE source = %s ORDER BY reject_id",
        (source,),
    ).fetchall()


def mixes(mixesdb_file: Path, n: int) -> list[dict]:
    return json.loads(gzip.decompress(mixesdb_file.read_bytes()))[:n]


def test_truncated_gzip_loads_the_complete_mixes_and_says_so(conn, pg_url, mixesdb_file, tmp_path):
    before = earlier_rows(conn)
    raw = mixesdb_file.read_bytes()
    cut = tmp_path / "djmix-cut.json.gz"
    cut.write_bytes(raw[: len(raw) // 2])

    with pytest.raises(InputError) as info:
        ingest_mixesdb(conn, cut)
    message = str(info.value)
    assert str(cut) in message and f"file truncated at byte {len(raw) // 2}" in message
    assert "incomplete mix" in message and "Download the file again" in message
    assert isinstance(info.value, IngestFailed)
    (result,) = info.value.results
    complete = result.records_new
    assert 1000 < complete < 4448 and result.records_read == complete + 1

    # the complete mixes are the first ones of the real file, verbatim
    original = json.loads(gzip.decompress(raw))
    ids = [r[0] for r in conn.execute(
        "SELECT source_key FROM bronze.raw_record WHERE source = 'mixesdb' ORDER BY position")]
    assert ids == [m["id"] for m in original[:complete]]
    (last,) = conn.execute("SELECT payload FROM bronze.raw_record WHERE source_key = %s", (ids[-1],)).fetchone()
    assert last == original[complete - 1]

    ((file_id, position, reason, raw_text),) = rejects(conn, "mixesdb")
    assert file_id is not None and position == complete
    assert reason.startswith(f"file truncated at byte {len(raw) // 2}") and reason.endswith("are an incomplete mix")
    assert raw_text.startswith('{"id": "') and f"last {len(raw_text.encode())} bytes" in reason
    assert earlier_rows(conn) == before
    assert committed(pg_url, "SELECT count(*) FROM bronze.raw_record WHERE source = 'mixesdb'") == complete
    assert committed(pg_url, "SELECT count(*) FROM bronze.reject") == 1

    # running it again adds nothing and still reports the truncation
    with pytest.raises(IngestFailed, match="file truncated"):
        ingest_mixesdb(conn, cut)
    assert len(rejects(conn, "mixesdb")) == 1


def test_broken_json_record_is_rejected_and_the_rest_loads(conn, mixesdb_file, tmp_path):
    before = earlier_rows(conn)
    parts = [json.dumps(m) for m in mixes(mixesdb_file, 5)]
    parts[1] = parts[1].replace('"title": ', '"title" ', 1)  # {"id": "mix0001", "title" "..." -> syntax error
    path = tmp_path / "broken.json"
    path.write_text("[" + ", ".join(parts) + "]")

    result = ingest_mixesdb(conn, path)
    assert (result.records_read, result.records_new, result.records_rejected) == (5, 4, 1)
    ((position, reason),) = result.rejects
    assert position == 1 and "broken JSON" in reason and "Expecting ':' delimiter" in reason
    ((file_id, _, _, raw_text),) = rejects(conn, "mixesdb")
    assert file_id is not None and raw_text == parts[1]
    keys = {r[0] for r in conn.execute("SELECT source_key FROM bronze.raw_record WHERE source = 'mixesdb'")}
    assert keys == {"mix0000", "mix0002", "mix0003", "mix0004"}
    assert earlier_rows(conn) == before


def test_unrecoverable_broken_json_rejects_the_rest(conn, mixesdb_file, tmp_path):
    parts = [json.dumps(m) for m in mixes(mixesdb_file, 3)]
    parts[2] = parts[2].replace('"tracklist": [', '"tracklist": [{"id": "x, "title": "unterminated"}, ', 1)
    path = tmp_path / "broken-end.json"
    path.write_text("[" + ", ".join(parts) + "]")
    result = ingest_mixesdb(conn, path)
    assert (result.records_new, result.records_rejected) == (2, 1)
    ((position, reason),) = result.rejects
    assert position == 2 and "no next mix could be found" in reason


def test_malformed_mix_objects_are_rejected(conn, mixesdb_file, tmp_path):
    good, base = mixes(mixesdb_file, 2)
    no_tracklist = {k: v for k, v in base.items() if k != "tracklist"}
    path = tmp_path / "shapes.json"
    path.write_text(json.dumps([no_tracklist, {**base, "tracklist": "x"}, {**base, "tracklist": [1]}, 5, good]))
    result = ingest_mixesdb(conn, path)
    assert (result.records_new, result.records_rejected) == (1, 4)
    reasons = [reason for _, reason in result.rejects]
    assert "has no tracklist" in reasons[0] and "not a list" in reasons[1]
    assert "tracklist entry 0" in reasons[2] and "expected a JSON object" in reasons[3]


def test_csv_missing_required_columns(conn, tmp_path):
    before = earlier_rows(conn)
    path = tmp_path / "not_a_tracklist.csv"
    path.write_text("index,tracklist_id,title,artist\n0,abc,Song,Someone\n")
    with pytest.raises(InputError) as info:
        ingest_1001tracklists(conn, [path])
    message = str(info.value)
    assert str(path) in message
    assert "missing column(s) tracklist_name, name, track_number" in message
    assert "columns found: index, tracklist_id, title, artist" in message
    ((file_id, position, reason, raw_text),) = rejects(conn, "1001tracklists")
    assert file_id is None and position is None and "missing column(s)" in reason
    assert raw_text.startswith("index,tracklist_id")
    assert earlier_rows(conn) == before


def test_feature_csv_missing_columns(conn, tmp_path):
    path = tmp_path / "features.csv"
    path.write_text("artist,comment,loudness\nA,nice,-6\n")
    with pytest.raises(InputError) as info:
        ingest_features(conn, path)
    message = str(info.value)
    assert "no title column" in message and "no bpm, key or energy column" in message
    assert "Columns found: artist, comment, loudness" in message
    ((file_id, position, reason, _),) = rejects(conn, "features")
    assert file_id is None and position is None and reason == message


def test_feature_rows_without_identity_are_rejected(conn, tmp_path):
    path = tmp_path / "features.csv"
    path.write_text("Artist,Title,BPM\nA,One,128\n,,126\nB,Two,130,extra\n")
    result = ingest_features(conn, path)
    assert (result.records_read, result.records_new, result.records_rejected) == (3, 1, 2)
    assert result.rejects == [
        (3, "line 3: row has no Artist / Title value"),
        (4, "line 4: expected 3 fields as in the header, found 4"),
    ]


def test_wrong_number_of_fields_in_a_csv_row(conn, shared_data, tmp_path):
    before = earlier_rows(conn)
    lines = (shared_data / "1001tracklists" / "justice_example.csv").read_text().splitlines(keepends=True)
    lines[3] = "2,zu8mtf9,only a few fields\n"
    path = tmp_path / "justice_damaged.csv"
    path.write_text("".join(lines))
    (result,) = ingest_1001tracklists(conn, [path])
    assert (result.records_read, result.records_new, result.records_rejected) == (31, 30, 1)
    width = len(lines[0].split(","))
    assert result.rejects == [(4, f"line 4: expected {width} fields as in the header, found 3")]
    ((file_id, position, _, raw_text),) = rejects(conn, "1001tracklists")
    assert file_id is not None and position == 4 and raw_text == "2,zu8mtf9,only a few fields\n"
    assert earlier_rows(conn) == before


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (lambda text: text.encode("latin-1"), "the XML declaration says UTF-8 but byte"),
        (lambda text: text.encode("utf-16-le"), "UTF-16 without a byte order mark"),
        (lambda text: text.encode("utf-16"), "byte order mark but its XML declaration says UTF-8"),
    ],
    ids=["latin1-declared-utf8", "utf16-no-bom", "utf16-bom-declared-utf8"],
)
def test_xml_in_the_wrong_encoding(conn, tmp_path, encode, expected):
    before = earlier_rows(conn)
    path = tmp_path / "collection.xml"
    path.write_bytes(encode((DATA / "rekordbox_small.xml").read_text(encoding="utf-8")))
    with pytest.raises(InputError) as info:
        ingest_rekordbox(conn, path)
    message = str(info.value)
    assert str(path) in message and expected in message and "Re-export the collection" in message
    ((file_id, position, reason, raw_text),) = rejects(conn, "rekordbox")
    assert file_id is None and position is None and reason == message and raw_text
    assert conn.execute("SELECT count(*) FROM bronze.raw_record WHERE source = 'rekordbox'").fetchone() == (0,)
    assert earlier_rows(conn) == before


def test_rekordbox_track_without_trackid_is_rejected(conn, tmp_path):
    text = (DATA / "rekordbox_small.xml").read_text(encoding="utf-8").replace('TrackID="103" ', "")
    path = tmp_path / "collection.xml"
    path.write_text(text, encoding="utf-8")
    result = ingest_rekordbox(conn, path)
    assert (result.records_read, result.records_new, result.records_rejected) == (5, 4, 1)
    assert result.rejects == [(2, "track 2: TRACK without a TrackID attribute")]
    ((_, _, _, raw_text),) = rejects(conn, "rekordbox")
    assert 'Name="Strings of Life"' in raw_text


def test_not_well_formed_xml(conn, tmp_path):
    path = tmp_path / "collection.xml"
    path.write_text((DATA / "rekordbox_small.xml").read_text(encoding="utf-8")[:900], encoding="utf-8")
    with pytest.raises(InputError, match="not well-formed XML"):
        ingest_rekordbox(conn, path)
    assert len(rejects(conn, "rekordbox")) == 1


def test_missing_file(conn, pg_url, tmp_path):
    before = earlier_rows(conn)
    path = tmp_path / "nowhere" / "mixes.json.gz"
    with pytest.raises(InputError) as info:
        ingest_mixesdb(conn, path)
    assert str(info.value) == f"{path}: file not found; check the path (and that the file was downloaded or exported)"
    ((file_id, position, reason, _),) = rejects(conn, "mixesdb")
    assert file_id is None and position is None and reason == str(info.value)
    assert committed(pg_url, "SELECT count(*) FROM bronze.reject WHERE path LIKE '%nowhere%'") == 1
    assert earlier_rows(conn) == before


def test_not_gzip_although_named_gz(conn, tmp_path):
    path = tmp_path / "mixes.json.gz"
    path.write_text("[]")
    with pytest.raises(InputError, match=r"not a gzip file although its name ends in \.gz"):
        ingest_mixesdb(conn, path)
    assert len(rejects(conn, "mixesdb")) == 1


def test_one_missing_file_does_not_stop_the_other_csvs(conn, shared_data, tmp_path):
    missing = tmp_path / "gone.csv"
    with pytest.raises(IngestFailed) as info:
        ingest_1001tracklists(conn, [missing, shared_data / "1001tracklists" / "justice_example.csv"])
    assert f"{missing}: file not found" in str(info.value) and "1 other file(s) were loaded" in str(info.value)
    (loaded,) = info.value.results
    assert loaded.records_new == 31
