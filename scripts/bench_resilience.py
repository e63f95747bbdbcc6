"""Hostile input and outages, measured on a real ``graphsvc serve`` over its own embedded PostgreSQL (figures
for docs/benchmarks.md; tests/test_server_resilience.py checks the same behaviour with generous bounds):

1. a 12 MB POST /v1/sets: time to the 413, and /v1/health/live latency while it is sent;
2. 44 maximal set-builder requests at once: their 504s, then the server's CPU time in the seconds after;
3. Postgres stopped: time to the 503 of a database route, a graph route's latency meanwhile, and how long
   until database routes answer 200 after it starts again;
4. Postgres frozen (SIGSTOP on the postmaster and its backends): the same;
5. a gzip bomb (1 MB of gzip, 1 GB of spaces) through `etl ingest mixesdb`: its exit, message, peak RSS.

    python scripts/bench_resilience.py [--tracks 600] [--sets 44]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.pipeline import Inputs, Pipeline  # noqa: E402
from graphsvc import demo  # noqa: E402
from tests.server_fixtures import OwnPostgres, Served  # noqa: E402  (the same real-server harness as the tests)
from tests.test_server_resilience import _post_raw  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def body_limit(served: Served) -> None:
    lives: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=served.base, timeout=10) as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                c.get("/v1/health/live")
                lives.append(time.perf_counter() - t0)
                time.sleep(0.005)

    prober = threading.Thread(target=probe)
    prober.start()
    took = []
    for _ in range(20):
        t, status = _post_raw(served.port, "/v1/sets", 12 * 1024 * 1024)
        assert status.startswith(b"HTTP/1.1 413"), status
        took.append(t)
        time.sleep(0.05)
    stop.set()
    prober.join()
    lives.sort()
    print(f"12 MB body: 413 after {ms(statistics.median(took))} median, {ms(max(took))} max (20 requests); "
          f"/v1/health/live during it: p50 {ms(lives[len(lives) // 2])}, max {ms(lives[-1])} ({len(lives)} probes)")


def timeout_cpu(served: Served, n: int) -> None:
    body = {"start_track_id": served.track, "length": 60, "beam_width": 64, "alternatives": 10, "strictness": "any",
            "max_bpm_step_pct": 20}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        answers = list(pool.map(lambda _: httpx.post(f"{served.base}/v1/sets", json=body, timeout=120), range(n)))
    took = time.perf_counter() - t0
    codes = sorted({r.status_code for r in answers})
    after = []
    last = served.cpu_seconds()
    for _ in range(4):
        time.sleep(0.5)
        now = served.cpu_seconds()
        after.append(now - last)
        last = now
    print(f"{n} maximal POST /v1/sets: status {codes}, all answered in {took:.1f} s; server CPU per 0.5 s after: "
          + ", ".join(f"{c:.2f} s" for c in after))


def outage(served: Served, pg: OwnPostgres, kind: str) -> None:
    (pg.stop if kind == "stopped" else pg.freeze)()
    try:
        t503 = []
        for _ in range(3):
            t0 = time.perf_counter()
            r = httpx.get(f"{served.base}/v1/pipeline/runs", timeout=60)
            t503.append(time.perf_counter() - t0)
            assert r.status_code == 503, r.status_code
        t0 = time.perf_counter()
        g = httpx.get(f"{served.base}/v1/tracks/{served.track}/recommendations", timeout=60)
        graph = time.perf_counter() - t0
    finally:
        (pg.start if kind == "stopped" else pg.thaw)()
    t0 = time.perf_counter()
    first = None
    while time.perf_counter() - t0 < 60:
        t1 = time.perf_counter()
        r = httpx.get(f"{served.base}/v1/pipeline/runs", timeout=60)
        if r.status_code == 200:
            first = time.perf_counter() - t1
            break
        time.sleep(0.1)
    back = time.perf_counter() - t0
    print(f"Postgres {kind}: 503 + Retry-After after {', '.join(f'{t:.2f} s' for t in t503)}; graph route "
          f"{g.status_code} in {ms(graph)}; after {'start' if kind == 'stopped' else 'SIGCONT'}: 200 again after "
          f"{back:.2f} s (that request took {ms(first or 0)})")


def gzip_bomb(tmp: Path, url: str) -> None:
    bomb = tmp / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"[" + b" " * (1 << 30) + b"]", 9))
    env = {**os.environ, "DATABASE_URL": url}
    import psutil

    t0 = time.perf_counter()
    proc = psutil.Popen([sys.executable, "-m", "etl.cli", "ingest", "mixesdb", str(bomb)], env=env,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.005)
    _, err = proc.communicate()
    took = time.perf_counter() - t0
    print(f"gzip bomb ({bomb.stat().st_size / 1e6:.2f} MB -> 1 GiB): exit {proc.returncode} in {took:.1f} s, peak RSS "
          f"{peak / 1048576:.0f} MB (sampled every 5 ms); {err.strip()[:110]}...")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracks", type=int, default=600)
    ap.add_argument("--sets", type=int, default=44)
    args = ap.parse_args()
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    pg = OwnPostgres()
    tmp = Path(tempfile.mkdtemp(prefix="bench-res-"))
    try:
        url = pg.database("bench_resilience")
        files = demo.generate(tmp / "demo", tracks=args.tracks, seed=7)
        with psycopg.connect(url) as conn:
            Pipeline(conn).run("complete", Inputs(mixesdb=[files.mixesdb], rekordbox=[files.rekordbox],
                                                  tracklists1001=[files.tracklists1001]))
            track = conn.execute("""SELECT id FROM gold.track WHERE camelot IS NOT NULL AND bpm IS NOT NULL
                                    ORDER BY plays DESC, id LIMIT 1""").fetchone()[0]
        served = Served(url, tmp / "data", GRAPHSVC_GRAPH_REFRESH_S="0")
        served.track = track
        try:
            print(f"demo data: {args.tracks} tracks; defaults: GRAPHSVC_DB_TIMEOUT_S=3, GRAPHSVC_GRAPH_TIMEOUT_S=5")
            body_limit(served)
            timeout_cpu(served, args.sets)
            outage(served, pg, "stopped")
            outage(served, pg, "frozen")
        finally:
            served.close()
        gzip_bomb(tmp, url)
    finally:
        pg.close()


if __name__ == "__main__":
    main()
