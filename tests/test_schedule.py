"""graphsvc schedule: the seed's schedule (bronze 02:00, silver 02:30, gold 03:00 UTC) with APScheduler; jobs
run the pipeline, overlapping runs are refused by the processing lock and logged as skipped."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from etl import locks
from graphsvc import schedule
from graphsvc.errors import GraphsvcError
from graphsvc.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC


def _settings(url: str, **kw) -> Settings:
    return Settings(database_url=url, **kw)


def test_the_default_schedule_is_the_seeds(pg_url):
    scheduler = schedule.build_scheduler(_settings(pg_url), BackgroundScheduler)
    nxt = schedule.next_runs(scheduler, dt.datetime(2026, 3, 1, 1, 15, tzinfo=UTC))
    assert nxt == {"bronze": dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
                   "silver": dt.datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
                   "gold": dt.datetime(2026, 3, 1, 3, 0, tzinfo=UTC)}
    later = schedule.next_runs(scheduler, dt.datetime(2026, 3, 1, 2, 45, tzinfo=UTC))
    assert later["bronze"] == dt.datetime(2026, 3, 2, 2, 0, tzinfo=UTC) and later["gold"].hour == 3
    for job in scheduler.get_jobs():
        assert job.max_instances == 1 and job.coalesce
    with pytest.raises(GraphsvcError, match="GRAPHSVC_SCHEDULE_GOLD"):
        schedule.build_scheduler(_settings(pg_url, schedule_gold="at three"), BackgroundScheduler)


def test_jobs_run_the_pipeline_through_the_scheduler(pg_url, shared_data):
    csv = shared_data / "1001tracklists" / "cosmic_gate_example.csv"
    settings = _settings(pg_url, input_1001tracklists=str(csv))
    scheduler = schedule.build_scheduler(settings, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        for name in ("bronze", "silver", "gold"):  # fire each job now, as its cron time would
            scheduler.modify_job(name, next_run_time=dt.datetime.now(UTC))
        scheduler.resume()
        deadline = time.monotonic() + 180
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                modes = [m for (m,) in conn.execute(
                    "SELECT mode FROM ops.run WHERE status = 'succeeded' ORDER BY run_id")]
                if len(modes) == 3:
                    break
                time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)
    assert sorted(modes) == ["bronze_only", "gold_only", "silver_only"], modes
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == 13


def test_an_overlapping_run_is_refused_by_the_lock_and_logged(pg_url, monkeypatch, caplog):
    monkeypatch.setattr(locks, "WAIT_S", 0.2)
    with psycopg.connect(pg_url) as holder:
        before = holder.execute("SELECT count(*) FROM ops.run").fetchone()[0]
        holder.commit()
        with locks.processing_lock(holder, "an operator's etl run"):
            for name in ("silver", "gold"):
                outcome = schedule.run_job(name, _settings(pg_url))
                assert outcome.status == "skipped", outcome
                assert "another pipeline run is processing this database" in outcome.message
        assert holder.execute("SELECT count(*) FROM ops.run").fetchone()[0] == before
    assert "job silver: skipped" in caplog.text and "job gold: skipped" in caplog.text
    nothing = schedule.run_job("bronze", _settings(pg_url))
    assert nothing.status == "skipped" and "no input files" in nothing.message


def test_run_now_from_the_command_line(pg_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": pg_url, "GRAPHSVC_DATA_DIR": str(tmp_path / "data")}
    env.pop("NEO4J_URI", None)
    res = subprocess.run([sys.executable, "-m", "graphsvc.cli", "schedule", "--run-now", "gold"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "job gold: succeeded (run " in res.stderr
    res = subprocess.run([sys.executable, "-m", "graphsvc.cli", "schedule", "--run-now", "bronze"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 75 and "no input files configured" in res.stderr
