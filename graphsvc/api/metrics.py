"""``GET /metrics``: Prometheus metrics for dashboards and alerts (prometheus_client, text format 0.0.4).

- ``graphsvc_http_requests_total{method,route,status}`` and ``graphsvc_http_request_duration_seconds{method,
  route}`` (histogram): every request, by route template (``/v1/tracks/{track_id}``, never the raw path, so
  the label set stays small); unmatched paths are ``route="unmatched"``.
- ``graphsvc_graph_nodes{label}``, ``graphsvc_graph_relationships{type}``: the graph the API serves.
- ``graphsvc_pipeline_runs_total{kind,mode,status}``, ``graphsvc_pipeline_last_success_timestamp_seconds{mode}``,
  ``graphsvc_layer_rows{layer,table}``, ``graphsvc_layer_rejects{layer}``: what the pipeline recorded in
  Postgres (runs of every process: the CLI, the scheduler, admin jobs), and
  ``graphsvc_pipeline_metrics_age_seconds`` / ``graphsvc_pipeline_metrics_up`` for their freshness.

A scrape never queries anything: Postgres figures are read by a background task every
``settings.metrics_refresh_s`` (bounded by ``db_timeout_s``, so a frozen database only makes them stale), and
graph sizes are computed once per loaded graph (the embedded store) or with the pipeline figures (Neo4j).
Each app has its own registry, so several apps in one process (tests) do not collide.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import anyio
import psycopg
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphsvc.pg import fetch_one

log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series: they double the output and no dashboard uses them

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: layer -> (table label, SQL count); constant SQL, no input
LAYER_ROWS: dict[str, dict[str, str]] = {
    "bronze": {"raw_record": "SELECT count(*) FROM bronze.raw_record",
               "ingest_file": "SELECT count(*) FROM bronze.ingest_file"},
    "silver": {"dj_set": "SELECT count(*) FROM silver.dj_set", "set_entry": "SELECT count(*) FROM silver.set_entry",
               "track": "SELECT count(*) FROM silver.track", "artist": "SELECT count(*) FROM silver.artist"},
    "gold": {"track": "SELECT count(*) FROM gold.track", "artist": "SELECT count(*) FROM gold.artist",
             "set": "SELECT count(*) FROM gold.set", "transitions_to": "SELECT count(*) FROM gold.transitions_to"},
}
LAYER_REJECTS = {"bronze": "SELECT count(*) FROM bronze.reject", "silver": "SELECT count(*) FROM silver.reject"}


def read_pipeline_figures(conn: psycopg.Connection) -> dict[str, Any]:
    """Everything the pipeline metrics show, read in one short transaction."""
    out: dict[str, Any] = {
        "runs": conn.execute(
            "SELECT kind, coalesce(mode, ''), status, count(*) FROM ops.run GROUP BY 1, 2, 3").fetchall(),
        "last_success": conn.execute(
            """SELECT coalesce(mode, kind), extract(epoch FROM max(completed_at)) FROM ops.run
               WHERE status = 'succeeded' AND completed_at IS NOT NULL GROUP BY 1""").fetchall(),
        "rows": [(layer, table, fetch_one(conn.execute(q))[0])
                 for layer, qs in LAYER_ROWS.items() for table, q in qs.items()],
        "rejects": [(layer, fetch_one(conn.execute(q))[0]) for layer, q in LAYER_REJECTS.items()],
    }
    conn.commit()
    return out


class ApiMetrics(Collector):
    """The registry of one app: request metrics plus this collector for graph and pipeline figures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("graphsvc_http_requests", "HTTP requests answered", ("method", "route", "status"),
                                registry=self.registry)
        self.latency = Histogram("graphsvc_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ("method", "route"), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.state: Any = None  # ApiState, set by the lifespan
        self.pipeline: dict[str, Any] | None = None
        self.pipeline_at: float | None = None
        self.pipeline_ok = False
        self._graph_counts: tuple[int, dict[str, int]] | None = None  # (id of the store, counts)
        self.registry.register(self)

    # --- graph ---------------------------------------------------------------------------------
    def graph_counts(self) -> dict[str, int] | None:
        store = getattr(self.state, "store", None)
        if store is None:
            return None
        cached = self._graph_counts
        if cached is not None and cached[0] == id(store):
            return cached[1]
        if store.backend != "embedded":  # a query: refreshed with the pipeline figures, not at scrape time
            return cached[1] if cached is not None else None
        counts = store.counts()  # in memory: sums of index sizes, once per loaded graph
        self._graph_counts = (id(store), counts)
        return counts

    def refresh_graph_counts_remote(self) -> None:
        store = getattr(self.state, "store", None)
        if store is not None and store.backend != "embedded":
            self._graph_counts = (id(store), store.counts())

    # --- Collector -------------------------------------------------------------------------------
    def describe(self) -> list[Metric]:
        return []  # unchecked collector: the families depend on the data

    def collect(self) -> Iterator[Metric]:
        from graphsvc.graph.model import NODE_LABELS

        counts = self.graph_counts()
        if counts is not None:
            nodes = GaugeMetricFamily("graphsvc_graph_nodes", "Nodes of the served graph", labels=("label",))
            rels = GaugeMetricFamily("graphsvc_graph_relationships", "Relationships of the served graph",
                                     labels=("type",))
            for kind, n in sorted(counts.items()):
                (nodes if kind in NODE_LABELS else rels).add_metric([kind], n)
            yield nodes
            yield rels
        up = GaugeMetricFamily("graphsvc_pipeline_metrics_up",
                               "1 when the last read of the pipeline figures from Postgres succeeded")
        up.add_metric([], 1.0 if self.pipeline_ok else 0.0)
        yield up
        if self.pipeline is None:
            return
        age = GaugeMetricFamily("graphsvc_pipeline_metrics_age_seconds", "Age of the pipeline figures")
        age.add_metric([], time.time() - (self.pipeline_at or time.time()))
        yield age
        runs = CounterMetricFamily("graphsvc_pipeline_runs", "Runs recorded in ops.run",
                                   labels=("kind", "mode", "status"))
        for kind, mode, status, n in self.pipeline["runs"]:
            runs.add_metric([kind, mode, status], n)
        yield runs
        last = GaugeMetricFamily("graphsvc_pipeline_last_success_timestamp_seconds",
                                 "Unix time the last successful run of each mode completed", labels=("mode",))
        for mode, ts in self.pipeline["last_success"]:
            last.add_metric([mode], float(ts))
        yield last
        rows = GaugeMetricFamily("graphsvc_layer_rows", "Rows per layer and table", labels=("layer", "table"))
        for layer, table, n in self.pipeline["rows"]:
            rows.add_metric([layer, table], n)
        yield rows
        rejects = GaugeMetricFamily("graphsvc_layer_rejects", "Rejected rows per layer", labels=("layer",))
        for layer, n in self.pipeline["rejects"]:
            rejects.add_metric([layer], n)
        yield rejects

    # --- background refresh ------------------------------------------------------------------------
    async def refresh(self) -> None:
        state = self.state
        timeout = state.settings.db_timeout_s

        def read() -> dict[str, Any]:
            with state.pool.connection(timeout=timeout) as conn:
                return read_pipeline_figures(conn)

        try:
            with anyio.fail_after(timeout * 2):
                figures = await anyio.to_thread.run_sync(read, abandon_on_cancel=True)
                await anyio.to_thread.run_sync(self.refresh_graph_counts_remote, abandon_on_cancel=True)
        except Exception as e:  # noqa: BLE001 - stale figures, marked down; retried next time
            self.pipeline_ok = False
            log.warning("metrics: could not read the pipeline figures: %s: %s", type(e).__name__, e)
            return
        self.pipeline, self.pipeline_at, self.pipeline_ok = figures, time.time(), True

    async def refresh_loop(self, every: float) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(every)

    def render(self, _: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Pure ASGI middleware: counts and times every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            # FastAPI names the router's own route (without the /v1 the app mounts every router under)
            if template != "unmatched" and scope.get("path", "").startswith("/v1/") and not template.startswith("/v1"):
                template = "/v1" + template
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status[0])).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
