"""Liveness and readiness probes."""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from graphsvc.api.deps import SettingsDep, StateDep, StoreDep, limiter
from graphsvc.api.schemas import HealthOut

router = APIRouter(prefix="/health", tags=["health"])
log = logging.getLogger(__name__)


@router.get("/live", response_model=HealthOut, summary="Liveness: the process answers")
async def live() -> dict:
    return {"status": "ok", "checks": {}}


@router.get("/ready", response_model=HealthOut, summary="Readiness: Postgres and the graph backend answer",
            responses={503: {"model": HealthOut, "description": "A dependency is down (see checks)"}})
async def ready(state: StateDep, store: StoreDep, settings: SettingsDep):
    # the answer says which dependency failed, never how (driver messages name hosts, sockets and users):
    # the details go to the server log
    def check_pg() -> str:
        try:
            with state.pool.connection(timeout=settings.db_timeout_s) as conn:
                conn.execute("SELECT 1").fetchone()
            return "ok"
        except Exception as e:  # noqa: BLE001 - a probe reports, it does not raise
            log.warning("readiness: Postgres check failed: %s: %s", type(e).__name__, e)
            return "failed: Postgres does not answer"

    def check_graph() -> str:
        try:
            if store.ping():
                return "ok"
            log.warning("readiness: the graph backend (%s) did not answer its ping", store.backend)
        except Exception as e:  # noqa: BLE001
            log.warning("readiness: graph check failed: %s: %s", type(e).__name__, e)
        return "failed: the graph backend does not answer"

    pg = f"failed: no answer within {settings.db_timeout_s:g} s"
    graph = f"failed: no answer within {settings.graph_timeout_s:g} s"
    with anyio.move_on_after(settings.db_timeout_s):
        pg = await anyio.to_thread.run_sync(check_pg, abandon_on_cancel=True,
                                            limiter=limiter("db", settings.db_pool_max + 8))
    with anyio.move_on_after(settings.graph_timeout_s):
        graph = await anyio.to_thread.run_sync(check_graph, abandon_on_cancel=True, limiter=limiter("graph", 16))
    checks = {"postgres": pg, "graph": graph, "graph_backend": store.backend}
    if checks["postgres"] == "ok" and checks["graph"] == "ok":
        return {"status": "ok", "checks": checks}
    return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503,
                        headers={"Retry-After": str(settings.retry_after_s)})
