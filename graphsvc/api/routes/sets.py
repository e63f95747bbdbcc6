"""Sets: the set builder and set analytics."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from graphsvc.api.deps import ConnDep, RankerDep, SettingsDep, StateDep, StoreDep, run_graph
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


ExportFormat = Literal["rekordbox", "traktor", "m3u8"]
_EXPORTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "With `format`: the playlist file (rekordbox XML, Traktor NML or M3U8); the "
                         "header X-Tracks-Without-File lists tracks no library has a file for",
          "content": {"application/xml": {}, "audio/x-mpegurl": {}}}}


def _exported(conn: Any, track_ids: list[int], fmt: str, name: str, library: str | None) -> Response:
    from etl.exporters import export

    result = export(conn, track_ids, fmt, name, library=library)
    headers = {"Content-Disposition": f'attachment; filename="{result.filename}"'}
    if result.missing:
        headers["X-Tracks-Without-File"] = "; ".join(result.missing)[:4000].encode("ascii", "replace").decode()
    return Response(result.text, media_type=result.media_type, headers=headers)


@router.post("", summary="Build a DJ set: a harmonic sequence under the given constraints",
             response_model=SetResultOut,
             responses={**NOT_FOUND, **_EXPORTED,
                        501: {"model": ErrorOut, "description": "Set builder not installed"}})
async def build_set(request: SetRequest, store: StoreDep, ranker: RankerDep, settings: SettingsDep,
                    state: StateDep,
                    format: Annotated[ExportFormat | None, Query(  # the public parameter name
                        description="Return the best set as a playlist file instead of JSON")] = None,
                    library: Annotated[str | None, Query(max_length=100, description="With `format`: prefer this DJ "
                                                         "library's files and ids")] = None) -> Any:
    module = _set_builder()
    if module is None or not hasattr(module, "build_set"):
        raise HTTPException(501, "the set builder (graphsvc.setbuilder.build_set) is not available in this "
                                 "version of graphsvc")
    data = request.model_dump()
    req_type = getattr(module, "SetRequest", None)
    req = req_type(**data) if req_type is not None else request
    result = await run_graph(settings, module.build_set, store, req, ranker)
    out = _plain(result)
    if format is None:
        return out
    if not out.get("sets"):
        raise HTTPException(422, out.get("diagnosis") or "no set could be built under these constraints")
    ids = [int(t["id"]) for t in out["sets"][0]["tracks"]]

    def export_built() -> Response:
        with state.pool.connection() as conn:
            return _exported(conn, ids, format, f"graphsvc set from {ids[0]}", library)

    return await run_in_threadpool(export_built)


@router.get("/{set_id}/export", responses={**NOT_FOUND, **_EXPORTED}, response_class=Response,
            summary="A stored set (a mix, a tracklist, a library playlist) as a rekordbox, Traktor or M3U8 playlist")
def export_set(set_id: Annotated[Id, Path(description="Set id (gold.set.id)",
                                         openapi_examples=demo_example(EXAMPLES.set_id))], conn: ConnDep,
               format: Annotated[ExportFormat, Query(description="Playlist format")] = "rekordbox",
               library: Annotated[str | None, Query(max_length=100, description="Prefer this DJ library's files "
                                                    "and ids")] = None) -> Response:
    from etl.exporters import stored_set

    title, ids = stored_set(conn, set_id)
    return _exported(conn, ids, format, title, library)


@router.get("/{set_id}/analytics", response_model=SetAnalyticsOut, responses=NOT_FOUND,
            summary="Harmonic flow, compatible transitions, energy and BPM curves, genres of a set")
async def set_analytics(set_id: Annotated[Id, Path(description="Set id (gold.set.id)",
                                                    openapi_examples=demo_example(EXAMPLES.set_id))],
                        store: StoreDep, settings: SettingsDep) -> dict:
    out = await run_graph(settings, store.set_analytics, set_id)
    if out is None:
        raise NotFound(f"set {set_id} does not exist")
    return out
