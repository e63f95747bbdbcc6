"""``etl reconcile``: zero drift after a build; drift reported (and exit status 1) when gold and the
graph disagree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from etl.gold import build_gold
from etl.reconcile import reconcile
from graphsvc.graph.embedded import EmbeddedStore
from tests.gold_fixture import fill_silver

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("NEO4J_URI", None)
    env.pop("GRAPHSVC_NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "etl.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def _built(pg_url):
    conn = psycopg.connect(pg_url)
    fx = fill_silver(conn)
    build_gold(conn)
    conn.commit()
    return conn, fx


def test_no_drift_after_build(pg_env):
    conn, _ = _built(pg_env)
    with conn:
        drifts = reconcile(conn, EmbeddedStore.from_gold(conn))
    assert [d.kind for d in drifts][:5] == ["Track", "Artist", "Key", "Set", "Label"]
    assert len(drifts) == 14 and not any(d.drifted for d in drifts)
    assert {d.kind: d.gold for d in drifts}["TRANSITIONS_TO"] == 21
    r = _cli("reconcile")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no drift" in r.stdout and "TRANSITIONS_TO" in r.stdout


def test_gold_changed_without_reload_is_drift(pg_env):
    conn, fx = _built(pg_env)
    with conn:
        store = EmbeddedStore.from_gold(conn)
        conn.execute("INSERT INTO gold.artist (id, name, name_key, tracks, sets, change_seq) "
                     "VALUES (42, 'New Artist', 'new artist', 0, 0, 1)")
        conn.execute("DELETE FROM gold.transitions_to WHERE from_id = %s AND to_id = %s",
                     (fx.track["src"], fx.track["ev"]))
        drifts = {d.kind: d for d in reconcile(conn, store)}
    assert drifts["Artist"].missing == 1 and drifts["Artist"].sample_missing == [42]
    assert drifts["TRANSITIONS_TO"].extra == 1
    assert drifts["TRANSITIONS_TO"].sample_extra == [(fx.track["src"], fx.track["ev"], None)]
    assert drifts["TRANSITIONS_TO"].gold == 20 and drifts["TRANSITIONS_TO"].graph == 21
    assert [k for k, d in drifts.items() if d.drifted] == ["Artist", "TRANSITIONS_TO"]


def test_cli_reports_drift_and_fails(pg_env):
    conn, fx = _built(pg_env)
    with conn:
        # a track row deleted from gold: its BY/CONTAINS/TRANSITIONS_TO rows now dangle and cannot be loaded
        conn.execute("DELETE FROM gold.track WHERE id = %s", (fx.track["ev"],))
        conn.commit()
    r = _cli("reconcile")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "drift in" in r.stdout
    for kind in ("BY", "CONTAINS", "TRANSITIONS_TO"):
        assert kind in r.stdout.split("drift in", 1)[1]
    assert str(fx.track["ev"]) in r.stdout  # sample ids name the dangling rows
