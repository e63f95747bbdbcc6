"""A real uvicorn process (``graphsvc serve``) on loopback, hit over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from tests.api_fixtures import demo_database

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_over_http(pg_server, tmp_path):
    url = demo_database(pg_server, "api_uvicorn", tmp_path / "demo", tracks=200, seed=3)
    with psycopg.connect(url) as conn:
        track = conn.execute(
            "SELECT id FROM gold.track WHERE camelot IS NOT NULL ORDER BY plays DESC, id LIMIT 1").fetchone()[0]
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "NEO4J_URI": ""}
    env.pop("NEO4J_URI")
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsvc.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        ready = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"server exited: {proc.stdout.read()}"
            try:
                ready = httpx.get(f"{base}/v1/health/ready", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, "server not ready within 60 s"
        assert ready.json()["checks"]["postgres"] == "ok"
        r = httpx.get(f"{base}/v1/tracks/{track}/recommendations", params={"limit": 5}, timeout=10)
        assert r.status_code == 200
        body = r.json()
        assert body["source"]["id"] == str(track) and 1 <= len(body["recommendations"]) <= 5
        assert httpx.get(f"{base}/v1/tracks/1", timeout=5).status_code == 404
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode is not None
