"""Routers of the API, one module per resource."""

from typing import Any

from graphsvc.api.schemas import ErrorOut

# documented error answers shared by the routes
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "Unknown id"}}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid input; `detail` says which value and why"}}
GRAPH: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorOut, "description": "Graph backend unavailable (see Retry-After)"},
    504: {"model": ErrorOut, "description": "Graph query timed out"},
}
COMMON = {**INVALID, **GRAPH}
