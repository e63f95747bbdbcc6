"""The orchestration: processing modes, runs and processing status.

Modes
    ``bronze_only``  ingest the given input files into bronze;
    ``silver_only``  process every unprocessed bronze record into silver, then enrich flagged tracks;
    ``gold_only``    rebuild gold from silver and project it into the graph;
    ``complete``     all of the above in order.

Every step is incremental and idempotent: running any mode twice changes no data (only the run log grows).
Each step is recorded in ``ops.processing_status`` (layer, table, status, records, started, completed,
error) under an ``ops.run`` bound to a snapshot of the enrichment config.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from etl.enrichment.config import start_run
from etl.locks import processing_lock
from graphsvc.pg import conninfo_of, fetch_one
from graphsvc.settings import Settings, get_settings

log = logging.getLogger(__name__)

MODES = ("bronze_only", "silver_only", "gold_only", "complete")


@dataclass
class Inputs:
    mixesdb: list[Path] = field(default_factory=list)
    tracklists1001: list[Path] = field(default_factory=list)
    rekordbox: list[Path] = field(default_factory=list)
    features: list[Path] = field(default_factory=list)
    # the rekordbox library name for every ``rekordbox`` file; None: each file's name stem
    rekordbox_library: str | None = None
    traktor: list[Path] = field(default_factory=list)
    mixxx: list[Path] = field(default_factory=list)
    virtualdj: list[Path] = field(default_factory=list)
    # the library name for every Traktor / Mixxx / VirtualDJ file; None: each file's name stem
    library: str | None = None
    features_kind: str | None = None  # the kind of every ``features`` table; None: detected per file

    def empty(self) -> bool:
        return not (self.mixesdb or self.tracklists1001 or self.rekordbox or self.features or self.traktor
                    or self.mixxx or self.virtualdj)


@dataclass
class StepResult:
    layer: str
    table: str
    status: str
    records: int = 0  # rows out
    rejected: int = 0
    records_in: int = 0
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunSummary:
    run_id: int
    mode: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "running"

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "mode": self.mode, "status": self.status, "seconds": round(self.seconds, 3),
            "steps": [s.__dict__ for s in self.steps],
        }


Progress = Callable[[str, int | None], Callable[[int], None]]  # (description, total) -> advance(n)


def _no_progress(_desc: str, _total: int | None) -> Callable[[int], None]:
    return lambda _n: None


def _deltas(advance: Callable[[int], None]) -> Callable[[int], None]:
    """The importers and enrichment report how far they are (a running total); a progress bar advances by
    steps. (Passing totals as steps made the bronze bar read 14448 for a 4,448-mix file.)"""
    done = 0

    def report(total: int) -> None:
        nonlocal done
        if total > done:
            advance(total - done)
            done = total

    return report


class Pipeline:
    def __init__(self, conn: psycopg.Connection, *, progress: Progress | None = None,
                 chunk_records: int | None = None, settings: Settings | None = None) -> None:
        self.conn = conn
        self.progress = progress or _no_progress
        self.settings = settings or get_settings()  # the graph backend the gold step projects into
        self.chunk_records = chunk_records or self.settings.etl_chunk_records

    @contextmanager
    def _step(self, summary: RunSummary, layer: str, table: str) -> Iterator[StepResult]:
        (status_id,) = fetch_one(self.conn.execute(
            "INSERT INTO ops.processing_status (run_id, layer, table_name, status) VALUES (%s, %s, %s, 'running')"
            " RETURNING status_id", (summary.run_id, layer, table)))
        self.conn.commit()
        step = StepResult(layer, table, "running")
        t0 = time.perf_counter()
        try:
            yield step
        except BaseException as e:
            step.status = "failed"
            self._record_failure(
                "UPDATE ops.processing_status SET status = 'failed', completed_at = now(), error = %s,"
                " records = %s WHERE status_id = %s", (f"{type(e).__name__}: {e}", step.records, status_id))
            summary.steps.append(step)
            raise
        step.seconds = time.perf_counter() - t0
        if step.status == "running":
            step.status = "succeeded"
        self.conn.execute(
            "UPDATE ops.processing_status SET status = %s, records = %s, completed_at = now() WHERE status_id = %s",
            (step.status, step.records, status_id))
        self.conn.commit()
        summary.steps.append(step)

    def _record_failure(self, query: str, params: tuple) -> None:
        """Write down that a step or run failed, without masking why. Ctrl-C in the middle of a query leaves
        this connection busy ('another command is already in progress'): then a fresh connection writes
        it, and if even that fails the next run marks this one interrupted."""
        try:
            self.conn.rollback()
            self.conn.execute(query, params)
            self.conn.commit()
            return
        except psycopg.Error:
            pass
        try:
            with psycopg.connect(conninfo_of(self.conn), autocommit=True, options="-c lock_timeout=2000") as fresh:
                fresh.execute(query, params)
        except psycopg.Error as e:
            log.warning("could not record the failure of run step (%s); the next run marks it interrupted", e)

    def run(self, mode: str, inputs: Inputs | None = None, *, max_silver_chunks: int | None = None) -> RunSummary:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes are {', '.join(MODES)}")
        inputs = inputs or Inputs()
        if mode == "bronze_only":  # ingests take their own per-source locks
            return self._run(mode, inputs, max_silver_chunks)
        with processing_lock(self.conn, f"a {mode} run"):
            return self._run(mode, inputs, max_silver_chunks)

    def _run(self, mode: str, inputs: Inputs, max_silver_chunks: int | None) -> RunSummary:
        run_id = start_run(self.conn, "pipeline", mode)
        if mode != "bronze_only":
            # holding the processing lock, any other run past bronze still marked running died unfinished
            self.conn.execute(
                """UPDATE ops.run SET status = 'failed', completed_at = now(),
                       error = 'interrupted: the process ended before the run finished (found by run ' || %s || ')'
                   WHERE kind = 'pipeline' AND status = 'running' AND mode <> 'bronze_only' AND run_id <> %s""",
                (run_id, run_id))
        self.conn.commit()
        summary = RunSummary(run_id, mode)
        t0 = time.perf_counter()
        try:
            if mode in ("bronze_only", "complete"):
                self.bronze(summary, inputs)
            if mode in ("silver_only", "complete"):
                self.silver(summary, max_chunks=max_silver_chunks)
            if mode in ("gold_only", "complete"):
                self.gold(summary)
        except BaseException as e:
            summary.status = "failed"
            summary.seconds = time.perf_counter() - t0
            self._record_failure(
                "UPDATE ops.run SET status = 'failed', completed_at = now(), error = %s, stats = %s WHERE run_id = %s",
                (f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}",
                 psycopg.types.json.Jsonb(summary.as_dict()), run_id))
            raise
        summary.status = "succeeded"
        summary.seconds = time.perf_counter() - t0
        self.conn.execute(
            "UPDATE ops.run SET status = 'succeeded', completed_at = now(), stats = %s WHERE run_id = %s",
            (psycopg.types.json.Jsonb(summary.as_dict()), run_id))
        self.conn.commit()
        return summary

    # -- steps --------------------------------------------------------------------------------

    def bronze(self, summary: RunSummary, inputs: Inputs) -> None:
        from etl import importers

        if inputs.empty():
            with self._step(summary, "bronze", "raw_record") as step:
                step.status = "skipped"
                step.detail["reason"] = "no input files given"
            return
        jobs: list[tuple[str, Path, Callable]] = (
            [("mixesdb", p, importers.ingest_mixesdb) for p in inputs.mixesdb]
            + [("1001tracklists", p,
                lambda c, p, progress: importers.ingest_1001tracklists(c, [p], progress=progress)[0])
               for p in inputs.tracklists1001]
            + [("rekordbox", p, lambda c, p, progress: importers.ingest_rekordbox(
                c, p, library=inputs.rekordbox_library, progress=progress)) for p in inputs.rekordbox]
            + [(program, p, lambda c, p, progress, fn=fn: fn(c, p, library=inputs.library, progress=progress))
               for program, paths, fn in (("traktor", inputs.traktor, importers.ingest_traktor),
                                          ("mixxx", inputs.mixxx, importers.ingest_mixxx),
                                          ("virtualdj", inputs.virtualdj, importers.ingest_virtualdj))
               for p in paths]
            + [("features", p, lambda c, p, progress: importers.ingest_features(
                c, p, kind=inputs.features_kind, progress=progress)) for p in inputs.features]
        )
        for source, path, fn in jobs:
            with self._step(summary, "bronze", f"raw_record:{source}") as step:
                advance = _deltas(self.progress(f"bronze {source} {Path(path).name}", None))
                result = fn(self.conn, Path(path), progress=advance)
                step.records_in = result.records_read
                step.records = result.records_new
                step.rejected = result.records_rejected
                step.detail.update(path=str(path), read=result.records_read, new=result.records_new,
                                   rejected=result.records_rejected, already_ingested=result.already_ingested,
                                   rejects=[list(r) for r in result.rejects[:20]])

    def silver(self, summary: RunSummary, *, max_chunks: int | None = None) -> None:
        from etl.enrichment.waterfall import enrich
        from etl.silver import build_silver

        with self._step(summary, "silver", "set_entry") as step:
            (todo,) = fetch_one(self.conn.execute(
                "SELECT count(*) FROM bronze.raw_record r WHERE NOT EXISTS"
                " (SELECT 1 FROM silver.processed_record p WHERE p.record_id = r.record_id)"))
            self.conn.commit()
            advance = self.progress("silver records", todo)
            stats = build_silver(self.conn, summary.run_id, chunk_records=self.chunk_records, progress=advance,
                                 max_chunks=max_chunks)
            step.records_in = stats.records
            step.records = stats.entries
            step.rejected = stats.rejects
            step.detail.update(stats.as_dict())
        if max_chunks is not None:
            return
        with self._step(summary, "silver", "track:enrichment") as step:
            (todo,) = fetch_one(self.conn.execute("SELECT count(*) FROM silver.track WHERE needs_enrichment"))
            self.conn.commit()
            advance = _deltas(self.progress("enrichment tracks", todo))
            estats = enrich(self.conn, summary.run_id, progress=advance)
            step.records_in = todo
            step.records = estats.tracks
            step.detail.update(estats.as_json())

    def gold(self, summary: RunSummary) -> None:
        try:
            from etl.gold import build_gold
        except ImportError:  # the gold layer is optional until it lands
            with self._step(summary, "gold", "*") as step:
                step.status = "skipped"
                step.detail["reason"] = "gold layer not available"
            return
        with self._step(summary, "gold", "*") as step:
            from etl.gold import GOLD_TABLES

            counts = build_gold(self.conn, summary.run_id, progress=self.progress("gold tables", len(GOLD_TABLES)))
            step.records_in = sum(v for k, v in counts.items() if "." not in k)  # rows gold holds
            step.records = sum(v for k, v in counts.items() if k.endswith(".changed"))  # rows written now
            step.detail.update(counts)
        from etl.ranker import refresh_ranker

        with self._step(summary, "gold", "ranker") as step:
            got = refresh_ranker(self.conn)
            step.records_in, step.records = got.queries, got.usable
            step.detail.update(got.as_dict())
        from etl.graph import project_graph

        with self._step(summary, "graph", "*") as step:
            stats = project_graph(self.conn, self.settings, progress=self.progress)
            step.records_in = step.records = sum(stats.nodes.values()) + sum(stats.relationships.values())
            step.detail.update(backend=stats.backend, nodes=stats.nodes, relationships=stats.relationships,
                               seconds=round(stats.seconds, 3))


def run_pipeline(conn: psycopg.Connection, mode: str, inputs: Inputs | None = None, **kwargs: Any) -> RunSummary:
    return Pipeline(conn, progress=kwargs.pop("progress", None), chunk_records=kwargs.pop("chunk_records", None)).run(
        mode, inputs, **kwargs)
