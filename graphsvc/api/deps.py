"""Dependencies handed to the routes as ``Annotated`` types (FastAPI full-stack template style).

Override them with ``app.dependency_overrides[get_store] = ...`` (tests inject a failing store this way).
Dependencies are ``async`` so FastAPI does not spend a threadpool hop on reading ``app.state``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import anyio
import psycopg
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from graphsvc import deadline
from graphsvc.api.answers import AnswerCache
from graphsvc.api.state import ApiState
from graphsvc.errors import DatabaseError
from graphsvc.graph.base import GraphStore
from graphsvc.recommend.model import Ranker
from graphsvc.settings import Settings

T = TypeVar("T")

log = logging.getLogger(__name__)


class GraphTimeout(deadline.DeadlineExceeded):
    """A graph query ran longer than ``settings.graph_timeout_s``."""


class DatabaseTimeout(DatabaseError):
    """Postgres did not answer an API request within ``settings.db_timeout_s`` (down, frozen or overloaded)."""


#: Worker threads per event loop for graph calls and for Postgres calls. Separate pools of threads, so
#: requests stuck on a frozen database cannot take the threads graph-only routes need (and the reverse);
#: FastAPI's own thread pool (sync routes and dependencies) is a third.
GRAPH_THREADS = 16
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anyio.CapacityLimiter]] = \
    weakref.WeakKeyDictionary()


def limiter(kind: str, tokens: int) -> anyio.CapacityLimiter:
    """The capacity limiter ``kind`` ("graph" or "db") of the running event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _limiters.get(loop)
    if per_loop is None:
        per_loop = _limiters[loop] = {}
    lim = per_loop.get(kind)
    if lim is None:
        lim = per_loop[kind] = anyio.CapacityLimiter(tokens)
    return lim


async def get_state(request: Request) -> ApiState:
    return request.app.state.api


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.api.settings


async def get_store(request: Request) -> GraphStore:
    return request.app.state.api.store


async def get_ranker(request: Request) -> Ranker:
    return request.app.state.api.ranker


async def get_answers(request: Request) -> AnswerCache:
    return request.app.state.api.answers


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    """A pooled connection for the request (returned to the pool afterwards, rolled back on error)."""
    state = request.app.state.api
    with state.pool.connection(timeout=state.settings.db_timeout_s) as conn:
        yield conn


StateDep = Annotated[ApiState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
AnswersDep = Annotated[AnswerCache, Depends(get_answers)]
RankerDep = Annotated[Ranker, Depends(get_ranker)]
ConnDep = Annotated[psycopg.Connection, Depends(get_conn)]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="Admin key: the value of GRAPHSVC_API_KEY on the server")


async def require_admin(settings: SettingsDep, key: Annotated[str | None, Security(_api_key_header)]) -> None:
    """Admin endpoints: 503 when the server has no key configured (admin disabled), 401 without or
    with a wrong ``X-API-Key``."""
    if not settings.api_key:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "admin endpoints are disabled: set GRAPHSVC_API_KEY on the server to enable them")
    if not key or not secrets.compare_digest(key.encode(), settings.api_key.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or invalid X-API-Key header",
                            headers={"WWW-Authenticate": "APIKey"})


AdminDep = Depends(require_admin)


async def run_graph(settings: Settings, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking graph query in the graph threads with the configured timeout, under a
    :class:`graphsvc.deadline.Deadline`. On timeout the request answers 504 at once and the deadline is
    cancelled: the computation stops at its next :func:`graphsvc.deadline.check` (within one expansion)."""
    limit = deadline.Deadline(settings.graph_timeout_s)

    def work() -> T:
        with deadline.active(limit):
            limit.check()  # it may have waited for a thread past its time
            return fn(*args, **kwargs)

    try:
        with anyio.fail_after(settings.graph_timeout_s):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True,
                                                  limiter=limiter("graph", GRAPH_THREADS))
    except (TimeoutError, deadline.DeadlineExceeded):
        raise GraphTimeout(f"the graph query took longer than {settings.graph_timeout_s:g} s; "
                           "narrow it (smaller depth, limit, k or max_len)") from None
    finally:
        limit.cancel()


#: How long a request waits for a pooled connection before it checks whether the pool is failing to connect
#: (Postgres stopped, or just back and the pool still in its reconnect backoff) rather than busy.
POOL_FAST_WAIT_S = 0.25


class Db:
    """Postgres for a request: ``await db.run(fn)`` calls ``fn(conn)`` with a pooled connection in the
    database threads, and answers 503 (:class:`DatabaseTimeout` or :class:`DatabaseError`) within
    ``settings.db_timeout_s`` when Postgres cannot answer: a stopped server fails the connection attempt at
    once, a frozen one is given up on (its thread is left to finish when the server wakes or the connection
    breaks).

    When the pool cannot hand out a connection at once although it is not full, it is failing to connect or
    waiting out its reconnect backoff after an outage: the request then connects directly, so a stopped
    server is a 503 in milliseconds and a restarted one serves the very next request (the pool catches up
    on its own). At most ``db_pool_max + 8`` requests use Postgres at once (the database threads)."""

    def __init__(self, state: ApiState) -> None:
        self.state = state

    def _direct(self, seconds: float) -> psycopg.Connection:
        import math

        try:
            conn = psycopg.connect(self.state.db_url, connect_timeout=max(2, math.ceil(seconds)))
        except psycopg.OperationalError as e:
            raise DatabaseError(f"cannot connect to Postgres: {e}") from e
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (f"{int(seconds * 1000)}ms",))
        return conn

    async def run(self, fn: Callable[[psycopg.Connection], T]) -> T:
        from psycopg_pool import PoolTimeout

        state = self.state
        timeout = state.settings.db_timeout_s
        budget = max(0.2, timeout * 0.95 - 0.05)  # the answer, 503 included, comes within db_timeout_s

        def work() -> T:
            started = time.monotonic()
            pool = state.pool
            try:
                with pool.connection(timeout=min(POOL_FAST_WAIT_S, budget)) as conn:
                    return fn(conn)
            except PoolTimeout:
                pass
            left = max(0.05, budget - (time.monotonic() - started))
            if pool.get_stats().get("pool_size", 0) < pool.max_size:  # not busy: failing to connect
                with self._direct(left) as conn:
                    return fn(conn)
            with pool.connection(timeout=left) as conn:  # busy: wait for a connection to come back
                return fn(conn)

        try:
            with anyio.fail_after(budget):
                return await anyio.to_thread.run_sync(
                    work, abandon_on_cancel=True, limiter=limiter("db", state.settings.db_pool_max + 8))
        except TimeoutError:
            raise DatabaseTimeout(f"Postgres did not answer within {timeout:g} s") from None


async def get_db(request: Request) -> Db:
    return Db(request.app.state.api)


DbDep = Annotated[Db, Depends(get_db)]


class InlinePolicy:
    """Which cheap graph queries may run on the event loop itself.

    A thread-pool hop costs ~0.4 ms of CPU per call under load (GIL handoffs between the loop and the
    worker threads): a third of a ~1.2 ms recommendation. Queries on the embedded store with small
    bounded parameters run inline instead. They cannot be interrupted there, so as a safety net a route
    goes back through the pool (where ``graph_timeout_s`` applies) for ``cooldown_s`` when its inline calls
    run over ``budget_s`` of CPU ``strikes`` times within ``window_s``, or once by more than ``hard_factor``
    times the budget. One call over the budget alone is usually the machine, not the query (a virtual CPU
    descheduled mid-call, a page-fault burst); on a shared VM such blips came every few minutes and each
    cost the route a minute off the loop, ~1.3 ms more CPU per request.
    """

    def __init__(self, budget_s: float = 0.025, cooldown_s: float = 60.0, strikes: int = 3, window_s: float = 10.0,
                 hard_factor: float = 4.0) -> None:
        self.budget_s = budget_s
        self.cooldown_s = cooldown_s
        self.strikes = strikes
        self.window_s = window_s
        self.hard_factor = hard_factor
        self._off_until: dict[str, float] = {}
        self._over: dict[str, deque[float]] = {}

    def allowed(self, route: str) -> bool:
        until = self._off_until.get(route)
        return until is None or time.monotonic() >= until

    def record(self, route: str, elapsed_s: float, timeout_s: float | None = None) -> None:
        """Note an inline call's CPU time (over the budget: a strike; see the class docstring)."""
        budget = self.budget_s if timeout_s is None else min(self.budget_s, timeout_s)
        if elapsed_s <= budget:
            return
        now = time.monotonic()
        over = self._over.setdefault(route, deque(maxlen=self.strikes))
        over.append(now)
        if elapsed_s > self.hard_factor * budget or (len(over) == self.strikes and now - over[0] <= self.window_s):
            over.clear()
            self._off_until[route] = now + self.cooldown_s
            log.warning("inline graph query %s took %.1f ms of CPU (budget %.0f ms): it runs in the thread pool for "
                        "the next %.0f s", route, elapsed_s * 1000, budget * 1000, self.cooldown_s)


INLINE = InlinePolicy()


class GcClock:
    """CPU seconds the garbage collector ran, per thread (``gc.callbacks``). A full collection of a
    process holding a big graph and its caches takes tens of ms and falls on whichever call allocated
    last: that pause is not the query's cost, so :func:`run_graph_cheap` leaves it out of the budget
    (else one collection would send a cheap route to the pool, ~1.3 ms more CPU per call, for a minute)."""

    def __init__(self) -> None:
        self._started: dict[int, float] = {}
        self._total: dict[int, float] = {}

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        me = threading.get_ident()
        if phase == "start":
            self._started[me] = time.thread_time()
        else:
            t0 = self._started.pop(me, None)
            if t0 is not None:
                self._total[me] = self._total.get(me, 0.0) + time.thread_time() - t0

    def seconds(self) -> float:
        """The collector's CPU seconds so far on the calling thread."""
        return self._total.get(threading.get_ident(), 0.0)


GC_CLOCK = GcClock()
gc.callbacks.append(GC_CLOCK)


async def run_graph_cheap(settings: Settings, store: GraphStore, route: str, cheap: bool, fn: Callable[[], T]) -> T:
    """``fn()`` inline when ``cheap`` (the caller's parameters bound the work to a few ms), the store is the
    in-process embedded one (Neo4j queries wait on the network: always the pool) and ``INLINE`` allows
    ``route``; otherwise through :func:`run_graph` with its timeout."""
    if cheap and getattr(store, "backend", None) == "embedded" and INLINE.allowed(route):
        # CPU time: a busy machine preempting the loop is not the query's cost, nor is a collection pause
        started, gc_started = time.thread_time(), GC_CLOCK.seconds()
        try:
            return fn()
        finally:
            cpu = time.thread_time() - started - (GC_CLOCK.seconds() - gc_started)
            INLINE.record(route, cpu, settings.graph_timeout_s)
    return await run_graph(settings, fn)
