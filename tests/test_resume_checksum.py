"""kill -9 at any step, then a rerun: ``etl checksum`` (the project's own tool) equals the checksum of an
uninterrupted run, every layer included (bronze, silver, enrichment, gold)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

CHUNK = {"GRAPHSVC_ETL_CHUNK_RECORDS": "100"}


def _env(url: str, tmp_path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "GRAPHSVC_DATA_DIR": str(tmp_path / "data"), **CHUNK}
    env.pop("NEO4J_URI", None)
    return env


def _etl(args: list[str], url: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl.cli", *args], env=_env(url, tmp_path), capture_output=True,
                          text=True, timeout=600)


def _killed_when(args: list[str], url: str, tmp_path, condition: str) -> bool:
    """Start ``etl ARGS`` and SIGKILL it as soon as the SQL ``condition`` holds; False when it finished first."""
    proc = subprocess.Popen([sys.executable, "-m", "etl.cli", *args], env=_env(url, tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if conn.execute(condition).fetchone()[0]:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    proc.wait(timeout=60)
    return proc.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def subset(mixesdb_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("subset") / "mixes-1200.json"
    path.write_text(json.dumps(json.loads(gzip.decompress(mixesdb_file.read_bytes()))[:1200]))
    return path


def test_killed_in_enrichment_and_in_gold_then_resumed_equals_uninterrupted(database_factory, subset, tmp_path):
    run = ["run", "--mode", "complete", "--mixesdb", str(subset)]
    url_a = database_factory("resumed")
    killed = [
        _killed_when(run, url_a, tmp_path, "SELECT count(*) > 0 FROM enrichment.attempt_log"),
        _killed_when(run, url_a, tmp_path,
                     "SELECT count(*) > 0 FROM ops.processing_status WHERE layer = 'gold' AND status = 'running'"),
    ]
    assert killed[0], "the first run finished before enrichment could be killed"
    res = _etl(run, url_a, tmp_path)
    assert res.returncode == 0, res.stderr

    url_b = database_factory("straight")
    res = _etl(run, url_b, tmp_path)
    assert res.returncode == 0, res.stderr

    sums_a = json.loads(_etl(["checksum"], url_a, tmp_path).stdout)
    sums_b = json.loads(_etl(["checksum"], url_b, tmp_path).stdout)
    assert sums_a["gold.track"][0] > 1000 and sums_a["enrichment.attempt_plan"][0] >= 1
    diff = {t: (sums_a[t], sums_b.get(t)) for t in sums_a if sums_a[t] != sums_b.get(t)}
    assert not diff, f"killed at {killed} and resumed differs from uninterrupted: {diff}"
