"""Entries parsed in worker processes (etl.parsepool) give exactly the silver of a serial build."""

from __future__ import annotations

import gzip
import json

import psycopg
import pytest

from etl.checksum import table_checksums
from etl.enrichment.config import start_run
from etl.importers import ingest_1001tracklists, ingest_mixesdb
from etl.parsepool import ParsePool, unpack
from etl.silver import build_silver
from etl.tracklist import DEFAULT_SPLITTER, EntryParseError, parse_entry

# texts that parse, are gaps, or fail with a reason
TEXTS = [
    "[05] Above & Beyond feat. Zoë Johnston - Good For Me (Sunny Lax Remix) [Anjunabeats - ANJ 123]",
    "[12:30] ID - ID",
    "Intro",
    "Joy Orbison-Hyph Mngo",
    "[01] [Label - Cat]",
    "Chase & Status vs. Plan B - End Credits (Extended Mix)",
]


def test_pool_results_equal_parse_entry_including_failures():
    pool = ParsePool(DEFAULT_SPLITTER, 2)
    try:
        results = ParsePool.collect(pool.submit(TEXTS))
    finally:
        pool.close()
    assert list(results) == TEXTS
    failures = 0
    for raw in TEXTS:
        try:
            expected = parse_entry(raw, DEFAULT_SPLITTER)
        except EntryParseError as e:
            failures += 1
            with pytest.raises(EntryParseError, match=str(e)):
                unpack(raw, results[raw])
            continue
        assert unpack(raw, results[raw]) == expected
    assert failures == 2


def test_parallel_build_equals_serial_build(database_factory, mixesdb_file, shared_data, tmp_path):
    with gzip.open(mixesdb_file, "rt") as f:
        mixes = json.load(f)[:400]
    mixes.append({"id": "broken-entries", "title": "2018-01-01 - Somebody @ Somewhere", "url": "u",
                  "tracklist": [{"id": None, "title": t} for t in TEXTS]})
    part = tmp_path / "mixes.json.gz"
    with gzip.open(part, "wt") as f:
        json.dump(mixes, f)
    csvs = sorted((shared_data / "1001tracklists").glob("*.csv"))

    sums = {}
    for workers in (0, 2):
        url = database_factory(f"pool{workers}")
        with psycopg.connect(url) as conn:
            ingest_mixesdb(conn, part)
            ingest_1001tracklists(conn, csvs)
            run_id = start_run(conn, "pipeline", "silver_only")
            conn.commit()
            stats = build_silver(conn, run_id, chunk_records=50, parse_workers=workers)
            assert stats.entries > 5_000 and stats.gaps > 0 and stats.rejects >= 2
            sums[workers] = table_checksums(conn, ("silver",))
    assert sums[0]["silver.set_entry"][0] > 5_000
    diff = {t: (sums[0][t], sums[2].get(t)) for t in sums[0] if sums[0][t] != sums[2].get(t)}
    assert not diff, f"parallel parsing changed silver: {diff}"


def test_a_killed_worker_is_a_clear_error():
    import os
    import signal

    from etl.parsepool import ParseWorkerDied

    pool = ParsePool(DEFAULT_SPLITTER, 2)
    try:
        for pid in list(pool._pool._processes):  # the test kills a worker on purpose
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(ParseWorkerDied, match="parse worker process ended abruptly"):
            for _ in range(50):  # the pool notices the death on its next task
                ParsePool.collect(pool.submit(TEXTS))
    finally:
        pool.close()
