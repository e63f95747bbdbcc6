"""Sets: the set builder and set analytics."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from graphsvc.api.deps import SettingsDep, StoreDep, run_graph
from graphsvc.api.examples import EXAMPLES, demo_example
from graphsvc.api.ids import Id
from graphsvc.api.routes import COMMON, NOT_FOUND
from graphsvc.api.schemas import ErrorOut, SetAnalyticsOut, SetRequest, SetResultOut
from graphsvc.errors import NotFound

router = APIRouter(prefix="/sets", tags=["sets"], responses=COMMON)


def _plain(obj: Any) -> Any:
    """A SetResult (dataclass, pydantic model or mapping) as JSON-ready data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _set_builder() -> Any:
    try:
        return importlib.import_module("graphsvc.setbuilder")
    except ModuleNotFoundError as e:
        if e.name != "graphsvc.setbuilder":
            raise
        return None


@router.post("", summary="Build a DJ set: a harmonic sequence under the given constraints",
             response_model=SetResultOut,
             responses={**NOT_FOUND, 501: {"model": ErrorOut, "description": "Set builder not installed"}})
async def build_set(request: SetRequest, store: StoreDep, settings: SettingsDep) -> Any:
    module = _set_builder()
    if module is None or not hasattr(module, "build_set"):
        raise HTTPException(501, "the set builder (graphsvc.setbuilder.build_set) is not available in this "
                                 "version of graphsvc")
    data = request.model_dump()
    req_type = getattr(module, "SetRequest", None)
    req = req_type(**data) if req_type is not None else request
    result = await run_graph(settings, module.build_set, store, req)
    return _plain(result)


@router.get("/{set_id}/analytics", response_model=SetAnalyticsOut, responses=NOT_FOUND,
            summary="Harmonic flow, compatible transitions, energy and BPM curves, genres of a set")
async def set_analytics(set_id: Annotated[Id, Path(description="Set id (gold.set.id)", openapi_examples=demo_example(EXAMPLES.set_id))], store: StoreDep,
                        settings: SettingsDep) -> dict:
    out = await run_graph(settings, store.set_analytics, set_id)
    if out is None:
        raise NotFound(f"set {set_id} does not exist")
    return out
