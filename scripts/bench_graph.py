"""Graph benchmark: projection rows/s and query latency of the embedded store (and Neo4j when
NEO4J_URI is set) at the real data size and on seeded synthetic graphs.

    .venv/bin/python scripts/bench_graph.py [--sizes 100000,1000000] [--seed 7] [--samples 200] [--sets N]
        [--db-dir /tmp/graphsvc-bench] [--skip-real]

Uses its own embedded PostgreSQL under --db-dir (kept between runs: a synthetic database of the right
size and seed is reused, not regenerated). Prints one block per dataset plus ``uptime``.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from etl.migrate import migrate  # noqa: E402
from graphsvc.graph.embedded import EmbeddedStore  # noqa: E402
from graphsvc.pg import embedded_server_uri, ensure_database  # noqa: E402
from graphsvc.recommend.model import Ranker  # noqa: E402
from graphsvc.recommend.service import recommend  # noqa: E402
from graphsvc.setbuilder import SetRequest, build_set  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def load_avg() -> str:
    """The 1-minute load average, printed next to each latency figure (they are wall-clock times)."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def timed(fn, args_list) -> tuple[float, float, int]:
    ms = []
    for args in args_list:
        t = time.perf_counter()
        fn(*args)
        ms.append((time.perf_counter() - t) * 1000)
    return pct(ms, 0.5), pct(ms, 0.95), len(ms)


def gold_rows(conn) -> int:
    tables = ("track", "artist", "set", "label", "key", "by", "collaborated_with", "transitions_to", "compatible",
              "contains", "played", "supports")
    return sum(conn.execute(f"SELECT count(*) FROM gold.{t}").fetchone()[0] for t in tables)


def latency(store: EmbeddedStore, samples: int, seed: int, n_sets: int | None = None) -> None:
    rng = random.Random(seed)
    known = [t.id for t in store.tracks.values() if t.camelot is not None and t.bpm is not None]
    if not known:  # e.g. MixesDB alone has no keys: next-track then runs on real transitions only
        print("  (no track has both key and BPM: sampling tracks with real transitions; sets cannot be built)")
        known = sorted(store.trans_out)
    collab = [a for a in store.artists if store.collab.degree(a) > 0] or list(store.artists)
    picks = [rng.choice(known) for _ in range(samples)]
    for tid in picks[:10]:
        store.next_tracks(tid)  # warm-up
    p50, p95, n = timed(lambda t: store.next_tracks(t, limit=20), [(t,) for t in picks])
    print(f"  harmonic candidates (rule 3, 20):   p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  (n={n}, load {load_avg()})")
    ranker = Ranker.prior()
    for tid in picks[:10]:
        recommend(store, ranker, tid, limit=20)  # warm-up
    p50, p95, n = timed(lambda t: recommend(store, ranker, t, limit=20), [(t,) for t in picks])
    print(f"  next-track (served, limit 20):      p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  (n={n}, load {load_avg()})")
    sets = n_sets or max(10, samples // 5)
    starts = picks[:sets] + [rng.choice(known) for _ in range(sets - len(picks))]
    p50, p95, n = timed(lambda t: build_set(store, SetRequest(t, length=20, beam_width=4, alternatives=2)),
                        [(t,) for t in starts])
    print(f"  20-track set (beam 4):              p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  (n={n}, load {load_avg()})")
    egos = [rng.choice(collab) for _ in range(samples)]
    p50, p95, n = timed(lambda a: store.collaboration_network(a, depth=2, limit=100), [(a,) for a in egos])
    print(f"  ego network depth 2 (limit 100):    p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  (n={n}, load {load_avg()})")
    p50, p95, n = timed(lambda t: store.neighbourhood("track", t, depth=2, limit=100), [(t,) for t in picks])
    print(f"  track neighbourhood depth 2:        p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  (n={n}, load {load_avg()})")


def load(url: str, label: str) -> EmbeddedStore:
    gc.collect()
    before = rss_mb()
    with psycopg.connect(url) as conn:
        rows = gold_rows(conn)
        t = time.perf_counter()
        store = EmbeddedStore.from_gold(conn)
        secs = time.perf_counter() - t
    print(f"  embedded load: {rows:,} gold rows in {secs:.2f} s = {rows / secs:,.0f} rows/s; "
          f"RSS +{rss_mb() - before:,.0f} MB (process {rss_mb():,.0f} MB)")
    return store


def neo4j_projection(url: str) -> None:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return
    from graphsvc.graph.neo4j_store import Neo4jStore

    store = Neo4jStore(uri, user=os.environ.get("NEO4J_USER"), password=os.environ.get("NEO4J_PASSWORD"),
                       database=os.environ.get("NEO4J_DATABASE", "neo4j"))
    with psycopg.connect(url) as conn:
        rows = gold_rows(conn)
        t = time.perf_counter()
        store.wipe()
        store.ensure_schema()
        store.project(conn, full=True)
        secs = time.perf_counter() - t
    print(f"  neo4j projection: {rows:,} rows in {secs:.2f} s = {rows / secs:,.0f} rows/s")
    store.close()


def bench_real(admin: str, samples: int, seed: int, n_sets: int | None = None) -> None:
    mixesdb = SHARED / "mixesdb" / "djmix-mixes-upto-2018.json.gz"
    if not mixesdb.exists():
        print("real data: ../shared/data not present, skipped")
        return
    from etl.gold import build_gold
    from etl.pipeline import Inputs, Pipeline

    url = ensure_database(admin, "bench_real")
    with psycopg.connect(url) as conn:
        migrate(conn)
        if conn.execute("SELECT count(*) FROM silver.set_entry").fetchone()[0] == 0:
            t = time.perf_counter()
            Pipeline(conn).run("bronze_only", Inputs(mixesdb=[mixesdb]))
            Pipeline(conn).run("silver_only")
            print(f"real data (MixesDB): bronze+silver in {time.perf_counter() - t:.1f} s")
        conn.execute("TRUNCATE gold.track, gold.artist, gold.set, gold.label, gold.by, gold.collaborated_with, "
                     "gold.transitions_to, gold.contains, gold.played, gold.supports, gold.tombstone")
        conn.commit()
        t = time.perf_counter()
        stats = build_gold(conn)
        conn.commit()
        secs = time.perf_counter() - t
        rows = sum(v for k, v in stats.items() if "." not in k)
    print(f"real data (MixesDB): build_gold {rows:,} rows in {secs:.2f} s = {rows / secs:,.0f} rows/s")
    neo4j_projection(url)
    store = load(url, "real")
    print(f"  graph: {store.counts()}")
    latency(store, samples, seed, n_sets)
    store.close()


def bench_synthetic(admin: str, n: int, samples: int, seed: int, n_sets: int | None = None) -> None:
    from graphsvc.graph.synthetic import generate_gold

    url = ensure_database(admin, f"bench_syn_{n}_{seed}")
    with psycopg.connect(url) as conn:
        migrate(conn)
        have = conn.execute("SELECT count(*) FROM gold.track").fetchone()[0]
        if have != n:
            t = time.perf_counter()
            info = generate_gold(conn, n, seed)
            conn.commit()
            secs = time.perf_counter() - t
            rows = gold_rows(conn)
            print(f"synthetic {n:,} tracks: generated {rows:,} gold rows in {secs:.1f} s = {rows / secs:,.0f} rows/s "
                  f"({info})")
        else:
            print(f"synthetic {n:,} tracks: reusing the generated database")
    neo4j_projection(url)
    store = load(url, f"synthetic {n}")
    latency(store, samples, seed, n_sets)
    store.close()
    del store
    gc.collect()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--sets", type=int,
                    help="20-track sets built (default samples / 5; the p95 of 40 is the third slowest)")
    ap.add_argument("--db-dir", default="/tmp/graphsvc-bench")
    ap.add_argument("--skip-real", action="store_true")
    args = ap.parse_args()
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    admin = embedded_server_uri(Path(args.db_dir), cleanup="stop")
    if not args.skip_real:
        bench_real(admin, args.samples, args.seed, args.sets)
    for n in (int(x) for x in args.sizes.split(",") if x):
        bench_synthetic(admin, n, args.samples, args.seed, args.sets)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
