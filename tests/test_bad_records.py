"""Bad records inside otherwise good files: each becomes one reject row with its reason, the good records of
the file are loaded, and nothing raises a traceback. Oversized inputs (a gzip bomb, a file over the input
limit, a CSV of one 100 MB line) fail with one clear message and a reject row."""

from __future__ import annotations

import gzip
import json

import psycopg
import pytest

from etl.importers import ingest_1001tracklists, ingest_mixesdb
from graphsvc.errors import InputError


@pytest.fixture
def conn(pg_url):
    with psycopg.connect(pg_url) as conn:
        yield conn


@pytest.fixture
def small_input_limit(monkeypatch):
    from graphsvc.settings import get_settings

    monkeypatch.setenv("GRAPHSVC_INPUT_MAX_MB", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _mix(mix_id: str, title: str = "2001-01-01 - DJ Test @ Club", entry: str = "[00] Artist - Title") -> str:
    return json.dumps({"id": mix_id, "title": title, "tracklist": [{"id": None, "title": entry}]})


def test_nul_surrogates_and_deep_nesting_are_rejects_and_the_good_mixes_load(conn, tmp_path):
    mixes = [
        _mix("good1"),
        # a NUL and a lone surrogate in the title (JSON escapes Python decodes as they are)
        '{"id": "nul", "title": "a\\u0000b\\ud800", "tracklist": []}',
        # a lone surrogate only, in a tracklist entry
        '{"id": "surrogate", "title": "ok", "tracklist": [{"id": null, "title": "x\\udc80y"}]}',
        # nested 1,100 deep: more than Python's JSON decoder takes
        '{"id": "deep", "tracklist": [], "x": ' + "[" * 1100 + "]" * 1100 + "}",
        # nested 80 deep: decodes, but no mix is
        '{"id": "deepish", "tracklist": [], "x": ' + "[" * 80 + "]" * 80 + "}",
        _mix("good2"),
    ]
    path = tmp_path / "bad-records.json"
    path.write_text("[" + ",\n".join(mixes) + "]", encoding="utf-8")
    result = ingest_mixesdb(conn, path)
    assert result.records_read == 6 and result.records_new == 2 and result.records_rejected == 4
    keys = [k for (k,) in conn.execute("SELECT source_key FROM bronze.raw_record ORDER BY position")]
    assert keys == ["good1", "good2"]
    rejects = conn.execute("SELECT position, reason, raw_text FROM bronze.reject ORDER BY position").fetchall()
    assert [p for p, _, _ in rejects] == [1, 2, 3, 4]
    reasons = [r for _, r, _ in rejects]
    assert "NUL" in reasons[0] and "invalid unicode" in reasons[1]
    assert "nested too deeply" in reasons[2] and "nested more than 64 levels" in reasons[3]
    assert "\\ud800" in rejects[0][2]  # the raw text kept, made storable
    # running it again adds nothing
    again = ingest_mixesdb(conn, path)
    assert again.already_ingested and conn.execute("SELECT count(*) FROM bronze.reject").fetchone()[0] == 4


def test_a_gzip_bomb_is_refused_before_it_fills_memory(conn, tmp_path, small_input_limit):
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"[" + b" " * (20 * 1024 * 1024) + b"]", 9))  # 20 KB -> 20 MB
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"decompresses to more than 1 MiB \(GRAPHSVC_INPUT_MAX_MB\)") as info:
        ingest_mixesdb(conn, bomb)
    assert "\n" not in str(info.value)
    assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == 0
    (reason,) = conn.execute("SELECT reason FROM bronze.reject").fetchone()
    assert "GRAPHSVC_INPUT_MAX_MB" in reason


def test_a_file_over_the_input_limit_is_refused_unread(conn, tmp_path, small_input_limit):
    big = tmp_path / "big.json"
    big.write_text("[" + ",".join([_mix(f"m{i}") for i in range(20_000)]) + "]")
    assert big.stat().st_size > 1024 * 1024
    with pytest.raises(InputError, match="over the 1 MiB input limit"):
        ingest_mixesdb(conn, big)
    assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == 0


def test_a_csv_of_one_huge_line_says_what_is_wrong(conn, tmp_path):
    huge = tmp_path / "one-line.csv"
    huge.write_text("index,tracklist_id," + "x" * 300_000)
    with pytest.raises(InputError) as info:
        ingest_1001tracklists(conn, [huge])
    message = str(info.value)
    assert "empty file" not in message and "field larger than field limit" in message, message
    assert "300,019 bytes" in message
