"""Liveness and readiness probes."""

from __future__ import annotations

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from graphsvc.api.deps import SettingsDep, StateDep, StoreDep
from graphsvc.api.schemas import HealthOut

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", response_model=HealthOut, summary="Liveness: the process answers")
async def live() -> dict:
    return {"status": "ok", "checks": {}}


@router.get("/ready", response_model=HealthOut, summary="Readiness: Postgres and the graph backend answer",
            responses={503: {"model": HealthOut, "description": "A dependency is down (see checks)"}})
async def ready(state: StateDep, store: StoreDep, settings: SettingsDep):
    def check_pg() -> str:
        try:
            with state.pool.connection(timeout=2.0) as conn:
                conn.execute("SELECT 1").fetchone()
            return "ok"
        except Exception as e:  # noqa: BLE001 - a probe reports, it does not raise
            return f"failed: {type(e).__name__}: {e}"

    def check_graph() -> str:
        try:
            return "ok" if store.ping() else "failed: ping returned false"
        except Exception as e:  # noqa: BLE001
            return f"failed: {type(e).__name__}: {e}"

    pg = graph = f"failed: no answer within {settings.graph_timeout_s:g} s"
    with anyio.move_on_after(settings.graph_timeout_s):
        pg = await anyio.to_thread.run_sync(check_pg, abandon_on_cancel=True)
        graph = await anyio.to_thread.run_sync(check_graph, abandon_on_cancel=True)
    checks = {"postgres": pg, "graph": graph, "graph_backend": store.backend}
    if checks["postgres"] == "ok" and checks["graph"] == "ok":
        return {"status": "ok", "checks": checks}
    return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503,
                        headers={"Retry-After": str(settings.retry_after_s)})
