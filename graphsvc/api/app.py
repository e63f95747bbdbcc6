"""The FastAPI application: factory, lifespan (pool + graph store) and error mapping.

Errors a client can act on map to plain ``{"detail": message}`` answers:
NotFound -> 404, InvalidValue and request validation -> 422, GraphUnavailable / database down -> 503
with ``Retry-After``, a graph query over ``graph_timeout_s`` -> 504.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from psycopg_pool import ConnectionPool, PoolTimeout

from graphsvc import __version__
from graphsvc.api import explorer
from graphsvc.api.answers import ApiJSON
from graphsvc.api.limits import BodyLimit
from graphsvc.api.metrics import ApiMetrics, RequestMetrics
from graphsvc.api.state import ApiState
from graphsvc.deadline import DeadlineExceeded
from graphsvc.errors import DatabaseError, GraphUnavailable, InvalidValue, NotFound
from graphsvc.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Set when an app's lifespan has ended (pool closed, embedded server released): a SIGTERM that uvicorn
#: re-raises after its graceful shutdown then ends the process with status 0 (graphsvc.cli).
LIFESPAN_ENDED = threading.Event()

#: Where the Swagger UI and ReDoc assets are served from
DOCS_ASSETS = "/docs-assets"

DESCRIPTION = """\
Graph-native recommendations for DJs: next tracks that mix (harmonic key moves, BPM, energy, genre and
real DJ transitions), harmonic paths between two tracks, a set builder, artist collaboration networks and
analytics, and the lineage of every track back to its raw source records.

Graph endpoints answer `{nodes, edges}`; add `?format=d3|cytoscape|graphology` for visualisation libraries.
Admin endpoints (`POST /v1/pipeline/...`) need the `X-API-Key` header.
"""

TAGS = [
    {"name": "tracks", "description": "Search, next-track recommendations, harmonic paths, lineage"},
    {"name": "artists", "description": "Search, collaboration networks and paths, analytics"},
    {"name": "sets", "description": "Set builder and set analytics"},
    {"name": "charts", "description": "Most played and trending tracks and artists, by genre and window"},
    {"name": "camelot", "description": "The Camelot wheel: keys and compatible moves"},
    {"name": "pipeline", "description": "ETL runs and status; admin triggers"},
    {"name": "health", "description": "Liveness and readiness probes"},
]


def _open_state(settings: Settings) -> ApiState:
    from etl.graph import open_store
    from etl.migrate import migrate
    from graphsvc.pg import database_url

    url = database_url(settings)
    try:
        with psycopg.connect(url) as conn:
            migrate(conn)
    except psycopg.OperationalError as e:
        raise DatabaseError(f"cannot connect to Postgres to apply migrations: {e}") from e
    pool = open_pool(url, settings)
    try:
        with pool.connection() as conn:
            store = open_store(conn, settings)
    except BaseException:
        pool.close()
        raise
    state = ApiState(settings, pool, store, url)
    with pool.connection() as conn:
        state.refresh_ranker(conn)
    return state


def open_pool(url: str, settings: Settings) -> ConnectionPool:
    """The API's Postgres pool. Every wait is bounded by ``db_timeout_s``: a connection attempt
    (``connect_timeout``, whole seconds, at least 2 as libpq counts them), a statement on the server
    (``statement_timeout``), and a request's wait for a free connection (``Db.run``)."""
    timeout_ms = int(settings.db_timeout_s * 1000)

    def configure(conn: psycopg.Connection) -> None:
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (f"{timeout_ms}ms",))
        conn.commit()

    pool = ConnectionPool(url, min_size=settings.db_pool_min, max_size=max(settings.db_pool_max, settings.db_pool_min),
                          kwargs={"connect_timeout": max(2, math.ceil(settings.db_timeout_s))},
                          configure=configure, open=False, check=ConnectionPool.check_connection,
                          timeout=settings.db_timeout_s, name="graphsvc-api")
    pool.open(wait=True, timeout=30)
    return pool


async def _refresh_loop(state: ApiState, every: float) -> None:
    """Reload the embedded graph when gold changed (another process ran the pipeline)."""
    while True:
        await asyncio.sleep(every)
        try:
            await anyio.to_thread.run_sync(state.refresh_graph)
        except Exception:  # a failed check is retried next time
            log.warning("graph refresh check failed", exc_info=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    state = await anyio.to_thread.run_sync(_open_state, settings)
    app.state.api = state
    tasks = []
    if settings.graph_refresh_s > 0:  # the embedded graph and (any backend) the ranker
        tasks.append(asyncio.create_task(_refresh_loop(state, settings.graph_refresh_s)))
    metrics: ApiMetrics = app.state.metrics
    metrics.state = state
    tasks.append(asyncio.create_task(metrics.refresh_loop(settings.metrics_refresh_s)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        state.store.close()
        state.pool.close()
        if not settings.database_url:  # the embedded server this process started or joined
            from graphsvc.pg import release_embedded

            release_embedded(settings.data_dir)
        LIFESPAN_ENDED.set()


def _error(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


#: A 422 names at most this many problems, each value shown in at most SHOWN_CHARS characters: an error
#: answer never grows with the request (a body of a million unknown keys gets a short answer).
MAX_ERRORS = 10
SHOWN_CHARS = 80


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = []
    parts = []
    problems = exc.errors()
    for err in problems[:MAX_ERRORS]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = _clip(".".join(loc) or "request", SHOWN_CHARS)
        msg = _clip(str(err.get("msg", "invalid value")), 2 * SHOWN_CHARS)
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {_clip(repr(got), SHOWN_CHARS)})"
        parts.append(f"{where}: {msg}{shown}")
        errors.append({"field": where, "message": msg})
    if len(problems) > MAX_ERRORS:
        parts.append(f"and {len(problems) - MAX_ERRORS} more problems")
    return "; ".join(parts) or "invalid request", errors


def _install_error_handlers(app: FastAPI, settings: Settings) -> None:
    retry = {"Retry-After": str(settings.retry_after_s)}

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(InvalidValue)
    async def invalid(_: Request, exc: InvalidValue) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, errors = _validation_message(exc)
        return _error(422, message, errors=errors)

    @app.exception_handler(GraphUnavailable)
    async def graph_down(request: Request, exc: GraphUnavailable) -> JSONResponse:
        log.warning("%s %s: graph backend unavailable: %s", request.method, request.url.path, exc)
        return _error(503, "the graph backend is unavailable; retry shortly", retry)

    @app.exception_handler(DeadlineExceeded)
    async def graph_timeout(_: Request, exc: DeadlineExceeded) -> JSONResponse:
        return _error(504, str(exc))

    # database failures: the details (server addresses, socket paths, driver text) go to the log, the client
    # learns that it may retry
    @app.exception_handler(DatabaseError)
    async def db_error(request: Request, exc: DatabaseError) -> JSONResponse:
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
        return _error(503, "the database is unavailable; retry shortly", retry)

    @app.exception_handler(psycopg.OperationalError)
    async def db_down(request: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
        return _error(503, "the database is unavailable; retry shortly", retry)

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(_: Request, exc: PoolTimeout) -> JSONResponse:
        return _error(503, "no database connection available right now; retry shortly", retry)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API application. ``settings`` default to the environment (``get_settings()``)."""
    from graphsvc.api.routes import artists, camelot, charts, health, pipeline, sets, tracks

    settings = settings or get_settings()
    # Swagger UI and ReDoc from assets inside the installed package (fastapi-offline), no CDN: /docs works on a
    # machine without internet
    app = FastAPIOffline(
        title="graphsvc",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
        static_url=DOCS_ASSETS,
        default_response_class=ApiJSON,  # every id a string in every answer (graphsvc.api.ids)
        swagger_ui_parameters={"validatorUrl": None},  # Swagger UI's badge would call validator.swagger.io
    )
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["*"])
    _install_error_handlers(app, settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,  # before any parsing
                       larger={"/v1/pipeline/": max(settings.max_admin_body_bytes, settings.max_body_bytes)})
    metrics = app.state.metrics = ApiMetrics()
    app.add_middleware(RequestMetrics, metrics=metrics)  # outermost: 413s are counted too
    app.add_api_route("/metrics", metrics.render, methods=["GET"], include_in_schema=False)
    for module in (tracks, artists, sets, charts, camelot, pipeline, health):
        app.include_router(module.router, prefix="/v1")
    explorer.install(app)  # the graph explorer page at /
    return app
