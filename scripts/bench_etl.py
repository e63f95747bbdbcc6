"""Benchmark: entries per second for bronze and for bronze -> silver on the real MixesDB file.

Prints figures; asserts nothing. Uses a fresh database on the server of DATABASE_URL, or on an
embedded PostgreSQL in a temporary directory.

    python scripts/bench_etl.py [--file ../shared/data/mixesdb/djmix-mixes-upto-2018.json.gz] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from etl.enrichment.config import start_run
from etl.enrichment.waterfall import enrich
from etl.importers import ingest_mixesdb
from etl.migrate import migrate
from etl.silver import build_silver
from graphsvc.pg import drop_database, embedded_server_uri, ensure_database

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "mixesdb" / "djmix-mixes-upto-2018.json.gz"


def one_round(admin: str, path: Path, i: int) -> dict[str, float]:
    name = f"bench_etl_{os.getpid()}_{i}"
    drop_database(admin, name)
    url = ensure_database(admin, name)
    try:
        with psycopg.connect(url) as conn:
            migrate(conn)
            t0 = time.perf_counter()
            res = ingest_mixesdb(conn, path)
            t1 = time.perf_counter()
            run_id = start_run(conn, "pipeline", "silver_only")
            conn.commit()
            t2, c2 = time.perf_counter(), time.process_time()
            stats = build_silver(conn, run_id)
            t3, c3 = time.perf_counter(), time.process_time()
            estats = enrich(conn, run_id)
            t4, c4 = time.perf_counter(), time.process_time()
            (entries,) = conn.execute(
                "SELECT sum(jsonb_array_length(payload->'tracklist')) FROM bronze.raw_record").fetchone()
        return {"entries": float(entries), "mixes": float(res.records_new), "bronze_s": t1 - t0,
                "silver_build_s": t3 - t2, "enrich_s": t4 - t3,
                "silver_cpu_s": c3 - c2, "enrich_cpu_s": c4 - c3, "tracks": float(estats.tracks),
                "silver_entries": float(stats.entries)}
    finally:
        drop_database(admin, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if os.environ.get("DATABASE_URL"):
        admin = os.environ["DATABASE_URL"]
    else:
        admin = embedded_server_uri(Path(tempfile.mkdtemp(prefix="gsvc-bench-")), cleanup="delete")
    load_before = os.getloadavg()[0]
    rounds = [one_round(admin, args.file, i) for i in range(args.repeat)]
    e = rounds[0]["entries"]
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, load {load_before:.2f} before / {os.getloadavg()[0]:.2f} after; "
          f"date {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"file: {args.file.name}: {int(med['mixes'])} mixes, {int(e)} entries; median of {args.repeat} rounds")
    print(f"bronze (ingest, COPY):        {med['bronze_s']:6.2f} s  {e / med['bronze_s']:9.0f} entries/s")
    print(f"silver build (parse+identity): {med['silver_build_s']:6.2f} s  {e / med['silver_build_s']:9.0f} entries/s")
    print(f"  (CPU time of this process in the silver build: {med['silver_cpu_s']:.2f} s; "
          f"in enrichment: {med['enrich_cpu_s']:.2f} s; wall minus CPU is waiting: server, other load)")
    print(f"enrichment ({int(med['tracks'])} tracks):   {med['enrich_s']:6.2f} s  "
          f"{med['tracks'] / med['enrich_s']:9.0f} tracks/s")
    total = med["silver_build_s"] + med["enrich_s"]
    print(f"bronze -> silver (build + enrichment): {total:6.2f} s  {e / total:9.0f} entries/s  (target >= 20,000)")
    print(f"end to end (file -> silver):  {med['bronze_s'] + total:6.2f} s  "
          f"{e / (med['bronze_s'] + total):9.0f} entries/s")


if __name__ == "__main__":
    main()
