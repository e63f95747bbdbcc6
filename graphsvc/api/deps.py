"""Dependencies handed to the routes as ``Annotated`` types (FastAPI full-stack template style).

Override them with ``app.dependency_overrides[get_store] = ...`` (tests inject a failing store this way).
Dependencies are ``async`` so FastAPI does not spend a threadpool hop on reading ``app.state``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import anyio
import psycopg
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from graphsvc.api.state import ApiState
from graphsvc.graph.base import GraphStore
from graphsvc.settings import Settings

T = TypeVar("T")


class GraphTimeout(Exception):
    """A graph query ran longer than ``settings.graph_timeout_s``."""


async def get_state(request: Request) -> ApiState:
    return request.app.state.api


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.api.settings


async def get_store(request: Request) -> GraphStore:
    return request.app.state.api.store


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    """A pooled connection for the request (returned to the pool afterwards, rolled back on error)."""
    with request.app.state.api.pool.connection() as conn:
        yield conn


StateDep = Annotated[ApiState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
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
    """Run a blocking graph query in the thread pool with the configured timeout. On timeout the
    request answers 504 at once; the worker thread finishes on its own (queries are bounded)."""
    try:
        with anyio.fail_after(settings.graph_timeout_s):
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), abandon_on_cancel=True)
    except TimeoutError:
        raise GraphTimeout(f"the graph query took longer than {settings.graph_timeout_s:g} s; "
                           "narrow it (smaller depth, limit, k or max_len)") from None
