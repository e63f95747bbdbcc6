"""End to end: `etl eval split` then `etl eval transitions` on a small split of the real MixesDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from etl.evaluation.split import year_range

ETL = [sys.executable, "-m", "etl.cli"]
ROOT = Path(__file__).resolve().parents[1]


def _etl(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_RUNTIME_DIR=os.environ.get("XDG_RUNTIME_DIR", "/tmp"))
    return subprocess.run([*ETL, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def test_year_range_from_title():
    assert year_range("2016-08-06 - Daniel Avery @ Boiler Room") == (2016, 2016)
    assert year_range("2011-0X - Someone") == (2011, 2011)
    assert year_range("200X - Someone") == (2000, 2009)
    assert year_range("Untitled") is None and year_range(None) is None


def test_cli_split_and_transitions_end_to_end(pg_env, mixesdb_file, tmp_path):
    train, test, out = tmp_path / "train.json.gz", tmp_path / "test.json.gz", tmp_path / "report.json"
    r = _etl("eval", "split", "--input", str(mixesdb_file), "--train-until", "2016", "--train", str(train),
             "--test", str(test), "--max-train", "120", "--max-test", "40")
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats["train"] == 120 and stats["test"] == 40 and stats["skipped"] == 1  # "201X - ..." straddles the cut

    r = _etl("eval", "transitions", "--train", str(train), "--test", str(test), "--k", "10", "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert "| recommender | HR@1 | HR@10 | HR@50 | MRR | NDCG@10 | HR@10 ci95 |" in r.stdout
    for name in ("random", "popularity", "cooccurrence", "markov", "markov+cooccurrence", "same-artist-greatest-hits",
                 "served"):
        assert f"| {name} |" in r.stdout
    report = json.loads(out.read_text())
    assert report["train"]["mixes"] == 120 and report["test"]["mixes"] == 40
    assert report["train"]["entries"] > 0 and report["train"]["known_tracks"] > 0
    assert report["test"]["pairs_evaluated"] > 0 and 0 < report["test"]["coverage"] < 1
    res = report["results"]
    assert all(res[n]["n"] == report["test"]["pairs_evaluated"] for n in res)
    for n in res:
        assert 0 <= res[n]["HR@1"] <= res[n]["HR@10"] <= res[n]["HR@50"] <= 1
    # the served recommender (transitions, sets, artists, DJs) finds more next tracks than chance
    assert res["served"]["HR@50"] > res["random"]["HR@50"]
    assert report["tie_policy"] == "pessimistic"
    with psycopg.connect(pg_env) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'graphsvc_eval_%'").fetchall()
    assert left == []


def test_cli_transitions_reports_a_missing_file(pg_env, tmp_path):
    r = _etl("eval", "transitions", "--train", str(tmp_path / "nope.json"), "--test", str(tmp_path / "nope.json"))
    assert r.returncode == 2 and "does not exist" in r.stderr
