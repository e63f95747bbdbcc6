"""SIGTERM (systemd, docker stop, kill) to ``graphsvc serve`` and ``graphsvc demo``: a graceful exit with
status 0 that stops the embedded PostgreSQL the process started, instead of 143 and a server left running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.server_fixtures import ROOT, free_port


def _postmaster_pid(data: Path) -> int | None:
    pidfile = data / "pg" / "postmaster.pid"
    if not pidfile.exists():
        return None
    pid = int(pidfile.read_text().split()[0])
    return pid if psutil.pid_exists(pid) else None


@pytest.mark.parametrize("command", [["serve"], ["demo", "--tracks", "60"]], ids=["serve", "demo"])
def test_sigterm_exits_cleanly_and_stops_the_embedded_postgres(command):
    data = Path(tempfile.mkdtemp(prefix="gsvc-sig-"))  # short: the server's socket lives in it
    port = free_port()
    env = {**os.environ, "GRAPHSVC_DATA_DIR": str(data), "GRAPHSVC_GRAPH_REFRESH_S": "0"}
    for name in ("DATABASE_URL", "GRAPHSVC_DATABASE_URL", "NEO4J_URI"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "graphsvc.cli", *command, "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "not serving within 180 s"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        postmaster = _postmaster_pid(data)
        assert postmaster is not None, "the command did not start the embedded PostgreSQL"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "Traceback" not in out, out
        deadline = time.monotonic() + 20
        while psutil.pid_exists(postmaster) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not psutil.pid_exists(postmaster) or psutil.Process(postmaster).status() == psutil.STATUS_ZOMBIE, \
            "the embedded PostgreSQL outlived the process that started it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)
