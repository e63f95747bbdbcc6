"""``etl reset``: asks first, deletes every layer (bronze included) and leaves an empty migrated database;
refuses while a pipeline run holds the processing lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from etl import locks

ROOT = Path(__file__).resolve().parents[1]


def _etl(args: list[str], url: str, tmp_path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "DATABASE_URL": url, "GRAPHSVC_DATA_DIR": str(tmp_path / "data"), **env}
    full.pop("NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "etl.cli", *args], cwd=ROOT, env=full, input=stdin,
                          capture_output=True, text=True, timeout=300)


def _records(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0]


def test_reset_asks_then_deletes_everything(pg_url, shared_data, tmp_path):
    csv = shared_data / "1001tracklists" / "cosmic_gate_example.csv"
    assert _etl(["run", "--1001tracklists", str(csv)], pg_url, tmp_path).returncode == 0
    assert _records(pg_url) == 13

    declined = _etl(["reset"], pg_url, tmp_path, stdin="n\n")
    assert declined.returncode == 1 and "Continue?" in declined.stderr and "nothing deleted" in declined.stderr
    assert _records(pg_url) == 13
    no_answer = _etl(["reset"], pg_url, tmp_path, stdin="")  # a script without --yes: nothing happens
    assert no_answer.returncode != 0 and _records(pg_url) == 13

    confirmed = _etl(["reset"], pg_url, tmp_path, stdin="y\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert "13 bronze records" in confirmed.stdout
    with psycopg.connect(pg_url) as conn:
        for table in ("bronze.raw_record", "bronze.ingest_file", "silver.track", "gold.track", "ops.run"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        assert conn.execute("SELECT count(*) FROM ops.schema_migration").fetchone()[0] > 10
    # the same file loads again from scratch
    assert _etl(["run", "--1001tracklists", str(csv)], pg_url, tmp_path).returncode == 0
    assert _records(pg_url) == 13
    assert _etl(["reset", "--yes"], pg_url, tmp_path).returncode == 0 and _records(pg_url) == 0


def test_reset_refuses_during_a_run(pg_url, tmp_path):
    with psycopg.connect(pg_url) as holder, locks.processing_lock(holder, "a test run"):
        res = _etl(["reset", "--yes"], pg_url, tmp_path)
    assert res.returncode == 1 and "cannot start a reset: another pipeline run" in res.stderr, res.stderr
