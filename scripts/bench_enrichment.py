"""Benchmark of the enrichment waterfall on the real MixesDB file. Prints figures; asserts nothing.

Usage (from the repo root, with the virtualenv active)::

    python scripts/bench_enrichment.py                   # fresh embedded database with the real file
    DATABASE_URL=postgresql://... python scripts/bench_enrichment.py   # an existing, built database

Fresh mode: an embedded PostgreSQL in a temporary directory; bronze ingest of
``../shared/data/mixesdb/djmix-mixes-upto-2018.json.gz`` and the silver build *without* enrichment are
done once and kept as a template database; every repetition clones it, so each "first run" figure is a
real first enrichment (all values new, ~49k history rows). Then the same tracks are re-flagged and
enriched again ("re-run": same values, no history).

With DATABASE_URL only the re-run is measured (the database must already hold silver tracks; their
``needs_enrichment`` flags are set to true, which is what a rebuild does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.enrichment.config import start_run  # noqa: E402
from etl.enrichment.waterfall import EnrichStats, enrich  # noqa: E402

MIXESDB_FILE = ROOT.parent / "shared" / "data" / "mixesdb" / "djmix-mixes-upto-2018.json.gz"


def _line(label: str, s: EnrichStats, wall: float) -> str:
    return (f"{label:<10} {s.tracks:>7} tracks  {wall:6.2f} s wall  {s.tracks / wall:9.0f} tracks/s"
            f"  | read {s.read_s:5.2f}  compute {s.compute_s:5.2f}  write {s.write_s:5.2f}"
            f"  | {s.attempts} attempts, {s.history_rows} history, {s.chunks} chunks")


def _enrich_once(url: str, label: str, chunk_size: int | None) -> EnrichStats:
    with psycopg.connect(url) as conn:
        run_id = start_run(conn, "eval", "bench")
        conn.commit()
        kwargs = {} if chunk_size is None else {"chunk_size": chunk_size}
        t0 = time.perf_counter()
        stats = enrich(conn, run_id, **kwargs)
        wall = time.perf_counter() - t0
        print(_line(label, stats, wall), flush=True)
        return stats


def _reflag(url: str) -> int:
    with psycopg.connect(url) as conn:
        n = conn.execute("UPDATE silver.track SET needs_enrichment = true").rowcount
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:  # a rebuild leaves dead tuples; keep runs comparable
        conn.execute("VACUUM ANALYZE silver.track")
    return n


def _build_template(admin: str, template: str) -> None:
    from etl.migrate import migrate
    from etl.pipeline import Inputs, Pipeline
    from etl.silver import build_silver
    from graphsvc.pg import ensure_database

    url = ensure_database(admin, template)
    with psycopg.connect(url) as conn:
        migrate(conn)
        t0 = time.perf_counter()
        Pipeline(conn).run("bronze_only", Inputs(mixesdb=[MIXESDB_FILE]))
        t1 = time.perf_counter()
        run_id = start_run(conn, "pipeline", "silver_only")
        conn.commit()
        stats = build_silver(conn, run_id)
        t2 = time.perf_counter()
        print(f"template: bronze {t1 - t0:.2f} s, silver (no enrichment) {t2 - t1:.2f} s,"
              f" {stats.entries} entries", flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _clone(admin: str, template: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    info = psycopg.conninfo.conninfo_to_dict(admin)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=2, help="repetitions of each measurement (default 2)")
    ap.add_argument("--chunk-size", type=int, default=None, help="override enrich(chunk_size=...)")
    args = ap.parse_args()
    repeat = max(1, min(args.repeat, 20))

    url = os.environ.get("DATABASE_URL")
    if url:
        for i in range(repeat):
            n = _reflag(url)
            print(f"re-flagged {n} tracks")
            _enrich_once(url, f"re-run {i + 1}", args.chunk_size)
        return

    if not MIXESDB_FILE.is_file():
        sys.exit(f"{MIXESDB_FILE} is missing: the fresh benchmark needs the real MixesDB file")
    from graphsvc.pg import embedded_server_uri

    base = Path(tempfile.mkdtemp(prefix="gsvc-bench-"))
    try:
        admin = embedded_server_uri(base, cleanup="delete")
        _build_template(admin, "bench_template")
        for i in range(repeat):
            db = _clone(admin, "bench_template", "bench_run")
            _enrich_once(db, f"first {i + 1}", args.chunk_size)
            _reflag(db)
            _enrich_once(db, f"re-run {i + 1}", args.chunk_size)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
