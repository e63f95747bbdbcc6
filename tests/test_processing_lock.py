"""One pipeline run past bronze at a time per database: a second one fails with a clear message instead
of dying on a unique violation in the middle of a COPY; a run killed earlier is marked interrupted."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import psycopg
import pytest

from etl import locks
from etl.enrichment.config import start_run
from etl.locks import processing_lock
from etl.pipeline import Inputs, run_pipeline
from graphsvc.errors import Busy


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setattr(locks, "WAIT_S", 0.2)


@pytest.fixture
def mixesdb_small(tmp_path):
    path = tmp_path / "mixes.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump([{"id": "m1", "title": "2016-05-01 - DJ Koze @ Pampa Night", "url": "https://www.mixesdb.com/w/m1",
                    "tags": [], "tracklist": [{"id": None, "title": "[01] Moby - Porcelain"},
                                              {"id": None, "title": "[02] Underworld - Born Slippy"}]}], f)
    return path


def test_second_run_is_refused_while_one_holds_the_lock(pg_url, mixesdb_small, short_wait):
    with psycopg.connect(pg_url) as holder, psycopg.connect(pg_url) as conn:
        with processing_lock(holder, "a test"):
            for mode in ("silver_only", "gold_only", "complete"):
                with pytest.raises(Busy, match=f"cannot start a {mode} run: another pipeline run is processing "
                                               r"this database \(server process \d+"):
                    run_pipeline(conn, mode, Inputs(mixesdb=[mixesdb_small]))
            # ingesting into bronze does not need it
            assert run_pipeline(conn, "bronze_only", Inputs(mixesdb=[mixesdb_small])).status == "succeeded"
            assert conn.execute("SELECT count(*) FROM silver.processed_record").fetchone() == (0,)
        # released: the same run now goes through
        summary = run_pipeline(conn, "silver_only")
        assert summary.status == "succeeded"
        assert conn.execute("SELECT count(*) FROM silver.processed_record").fetchone()[0] > 0
        # a refused run leaves no run row behind: only the bronze and the silver run exist
        assert conn.execute("SELECT mode, status FROM ops.run ORDER BY run_id").fetchall() == [
            ("bronze_only", "succeeded"), ("silver_only", "succeeded")]


def test_lock_is_released_when_the_run_fails(pg_url, short_wait, monkeypatch):
    import etl.pipeline as pipeline

    def boom(self, summary, **_kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline.Pipeline, "silver", boom)
    with psycopg.connect(pg_url) as conn:
        with pytest.raises(RuntimeError, match="disk on fire"):
            run_pipeline(conn, "silver_only")
        monkeypatch.undo()
        assert run_pipeline(conn, "silver_only").status == "succeeded"


def test_cli_run_says_another_run_is_in_progress(pg_url):
    with psycopg.connect(pg_url) as holder, processing_lock(holder, "a test"):
        res = subprocess.run([sys.executable, "-m", "etl.cli", "run", "--mode", "silver_only"],
                             env={**os.environ, "DATABASE_URL": pg_url}, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    said = " ".join((res.stderr + res.stdout).split())  # (the console wraps long lines)
    assert "cannot start a silver_only run: another pipeline run is processing this database" in said
    assert "Traceback" not in res.stderr


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(pg_url):
    with psycopg.connect(pg_url) as conn:
        dead = start_run(conn, "pipeline", "silver_only")
        ingesting = start_run(conn, "pipeline", "bronze_only")  # may really be running: left alone
        conn.commit()
        summary = run_pipeline(conn, "gold_only")
        status, error = conn.execute("SELECT status, error FROM ops.run WHERE run_id = %s", (dead,)).fetchone()
        assert status == "failed"
        assert error == f"interrupted: the process ended before the run finished (found by run {summary.run_id})"
        assert conn.execute("SELECT status FROM ops.run WHERE run_id = %s", (ingesting,)).fetchone() == ("running",)
