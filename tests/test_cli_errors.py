"""What the commands print when the database goes wrong: one line and exit 1, never a traceback; and two
commands started together on a fresh data dir both work."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    for name in ("DATABASE_URL", "GRAPHSVC_DATABASE_URL", "NEO4J_URI"):
        env.pop(name, None)
    env.update(extra)
    return env


def test_two_commands_on_a_fresh_data_dir_both_work():
    data = Path(tempfile.mkdtemp(prefix="gsvc-race-"))  # short: the server's socket lives in it
    env = _env(GRAPHSVC_DATA_DIR=str(data), GRAPHSVC_DATABASE_NAME="raced")
    try:
        procs = [subprocess.Popen([sys.executable, "-m", "etl.cli", "status", "--json"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=180) for p in procs]
        for p, (out, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, err
            assert "Traceback" not in err and json.loads(out)["bronze"]["records"] == 0
    finally:  # the last of the two processes stopped the server on exit
        shutil.rmtree(data, ignore_errors=True)


def test_a_lost_connection_is_one_line_not_a_traceback(database_factory, mixesdb_file, tmp_path):
    url = database_factory("lost_connection")
    subset = tmp_path / "mixes.json"
    subset.write_text(json.dumps(json.loads(gzip.decompress(mixesdb_file.read_bytes()))[:1500]))
    env = _env(DATABASE_URL=url, GRAPHSVC_DATA_DIR=str(tmp_path / "data"), GRAPHSVC_ETL_CHUNK_RECORDS="50")
    proc = subprocess.Popen([sys.executable, "-m", "etl.cli", "run", "--mixesdb", str(subset)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 120
        while conn.execute("SELECT count(*) FROM silver.processed_record").fetchone()[0] < 100:
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended too soon"
            time.sleep(0.01)
        # what a crashed or full-disk server does to its clients: their connections end
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                     " AND pid <> pg_backend_pid()")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: lost the connection to Postgres"), err
    assert "disk" in lines[0]


@pytest.mark.parametrize("command", [["status"], ["checksum"]])
def test_no_server_is_one_line(command, tmp_path):
    env = _env(DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2",
               GRAPHSVC_DATA_DIR=str(tmp_path / "data"))
    res = subprocess.run([sys.executable, "-m", "etl.cli", *command], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("error: "), res.stderr
