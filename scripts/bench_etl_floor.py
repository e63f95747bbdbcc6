"""Floors of bronze -> silver on the real MixesDB file: what the parts cost that no implementation of
this design can skip. Prints figures; asserts nothing.

1. Python: building the corpus credit knowledge and parsing every distinct entry text (CPU of this
   process, no database).
2. Python: formatting every final silver row for COPY (psycopg's C formatter; CPU of this process).
3. Server: writing the final silver rows and the enrichment log of one complete run into an empty,
   migrated database in ONE pass with binary COPY: every row written once, tracks already enriched
   (no UPDATE), no Python work at all. CPU of that Postgres backend, read from /proc (embedded or
   local server only). Then the same rows into bare tables without keys, indexes or foreign keys:
   the bound for any schema that stores the same data.

20,000 entries/s means the whole bronze -> silver in 4.54 s for 90,862 entries, i.e. at most 9.1
CPU-seconds on two cores, used perfectly.

    python scripts/bench_etl_floor.py [--file ../shared/data/mixesdb/djmix-mixes-upto-2018.json.gz]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import psycopg

from etl.credits import CreditSplitter
from etl.enrichment.config import start_run
from etl.enrichment.waterfall import enrich
from etl.importers import ingest_mixesdb
from etl.migrate import migrate
from etl.silver import _CUE_ARTIST, _TABLES, _WRITE_ORDER, build_silver
from etl.tracklist import EntryParseError, parse_entry
from graphsvc.pg import drop_database, embedded_server_uri, ensure_database

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "mixesdb" / "djmix-mixes-upto-2018.json.gz"
# written once per run, in foreign-key order: the silver rows, then what enrichment adds
MEASURED = [f"silver.{t}" for t in ("label", *_WRITE_ORDER)] + ["enrichment.attempt_log", "enrichment.field_history"]


def python_floor(path: Path) -> tuple[int, float, float]:
    with gzip.open(path, "rt") as f:
        mixes = json.load(f)
    raws = [e["title"] for m in mixes for e in m.get("tracklist") or () if isinstance(e, dict)
            and isinstance(e.get("title"), str)]
    c0 = time.process_time()
    texts, titles = [], []
    for raw in raws:
        m = _CUE_ARTIST.match(raw)
        if m:
            texts.append(m.group(1))
            titles.append(m.group(2))
    splitter = CreditSplitter.from_corpus(texts, titles)
    c1 = time.process_time()
    for raw in set(raws):
        try:  # noqa: SIM105 - try costs nothing here; suppress() would add a context manager per entry to the timing
            parse_entry(raw, splitter)
        except EntryParseError:
            pass
    return len(raws), c1 - c0, time.process_time() - c1


def backend_cpu(conn: psycopg.Connection) -> float | None:
    """CPU seconds used so far by this connection's server process (None when not on this machine)."""
    (pid,) = conn.execute("SELECT pg_backend_pid()").fetchone()
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dump(conn: psycopg.Connection, table: str) -> bytes:
    buf = io.BytesIO()
    with conn.cursor().copy(f"COPY {table} TO STDOUT (FORMAT binary)") as cp:
        for block in cp:
            buf.write(block)
    return buf.getvalue()


def timed_load(conn: psycopg.Connection, data: dict[str, bytes], targets: dict[str, str]) -> tuple[float, float | None]:
    """COPY each dumped table into its target in one transaction: (wall seconds, server CPU seconds)."""
    cpu0, t0 = backend_cpu(conn), time.perf_counter()
    with conn.transaction():
        for table, target in targets.items():
            with conn.cursor().copy(f"COPY {target} FROM STDIN (FORMAT binary)") as cp:
                cp.write(data[table])
    wall, cpu1 = time.perf_counter() - t0, backend_cpu(conn)
    return wall, (None if cpu0 is None or cpu1 is None else cpu1 - cpu0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", type=Path, default=DEFAULT)
    args = ap.parse_args()
    admin = os.environ.get("DATABASE_URL") or embedded_server_uri(
        Path(tempfile.mkdtemp(prefix="gsvc-floor-")), cleanup="delete")
    load_before = os.getloadavg()[0]

    entries, corpus_s, parse_s = python_floor(args.file)

    # one complete bronze -> silver run, whose rows are then written again in one pass
    src_name, dst_name = f"floor_src_{os.getpid()}", f"floor_dst_{os.getpid()}"
    try:
        src_url, dst_url = ensure_database(admin, src_name), ensure_database(admin, dst_name)
        with psycopg.connect(src_url) as src, psycopg.connect(dst_url) as dst:
            migrate(src)
            ingest_mixesdb(src, args.file)
            run_id = start_run(src, "pipeline", "silver_only")
            src.commit()
            build_silver(src, run_id)
            enrich(src, run_id)
            migrate(dst)
            # everything the measured rows refer to, copied first and not measured
            setup = [f"{s}.{t}" for s, t in src.execute(
                "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('bronze', 'ops', 'enrichment')"
                " AND tablename IN ('ingest_file', 'raw_record', 'run', 'config_snapshot')"
                " ORDER BY CASE tablename WHEN 'ingest_file' THEN 0 WHEN 'raw_record' THEN 1"
                " WHEN 'config_snapshot' THEN 2 ELSE 3 END")]
            data = {t: dump(src, t) for t in setup + MEASURED}
            src.commit()
            for t in setup:
                with dst.cursor().copy(f"COPY {t} FROM STDIN (FORMAT binary)") as cp:
                    cp.write(data[t])
            dst.commit()
            dst.execute("SET synchronous_commit = off")  # as the silver writers run
            wall, server = timed_load(dst, data, {t: t for t in MEASURED})
            # the same rows into bare tables (no keys, indexes or foreign keys): any schema's lower bound
            dst.execute("CREATE SCHEMA bare")
            bare = {t: f"bare.{t.replace('.', '_')}" for t in MEASURED}
            for t, target in bare.items():
                dst.execute(f"CREATE TABLE {target} (LIKE {t} INCLUDING DEFAULTS)")
            dst.commit()
            bare_wall, bare_server = timed_load(dst, data, bare)
            n_rows = sum(dst.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in MEASURED)
            mb = sum(len(data[t]) for t in MEASURED) / 1e6

            # formatting the silver rows for COPY (text), client side only
            fmt_cpu = 0.0
            for table, cols in _TABLES.items():
                got = src.execute(f"SELECT {', '.join(cols)} FROM silver.{table}").fetchall()
                got = [tuple(json.dumps(v) if isinstance(v, dict) else v for v in r) for r in got]
                dst.execute(f"CREATE TEMP TABLE fmt_{table} AS SELECT {', '.join(cols)} FROM silver.{table} LIMIT 0")
                c0 = time.process_time()
                with dst.cursor().copy(f"COPY fmt_{table} ({', '.join(cols)}) FROM STDIN") as cp:
                    for r in got:
                        cp.write_row(r)
                fmt_cpu += time.process_time() - c0
            dst.rollback()
    finally:
        drop_database(admin, src_name)
        drop_database(admin, dst_name)

    budget = entries / 20_000
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, load {load_before:.2f} before / {os.getloadavg()[0]:.2f} after; "
          f"date {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"file: {args.file.name}: {entries} entries; 20,000 entries/s = {budget:.2f} s wall "
          f"= {2 * budget:.2f} CPU-s on 2 cores")
    print(f"python: corpus credit knowledge        {corpus_s:6.2f} CPU-s")
    print(f"python: parse every distinct entry     {parse_s:6.2f} CPU-s")
    print(f"python: format the silver rows for COPY {fmt_cpu:5.2f} CPU-s")
    print(f"server: one-pass binary COPY of {n_rows:,} rows ({mb:.0f} MB) in {wall:.2f} s wall, "
          + (f"{server:.2f} CPU-s" if server is not None else "CPU n/a (server not on this machine)"))
    if bare_server is not None:
        print(f"server: the same rows into bare tables (no keys, indexes, foreign keys) in {bare_wall:.2f} s wall, "
              f"{bare_server:.2f} CPU-s")
    if server is not None:
        floor = corpus_s + parse_s + fmt_cpu + server
        print(f"sum of these floors: {floor:.2f} CPU-s of the {2 * budget:.2f} the target allows "
              "(before identity, row building, reading bronze and the waterfall)")


if __name__ == "__main__":
    main()
