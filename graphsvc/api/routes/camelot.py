"""The Camelot wheel: 24 keys with Open Key and names, and the moves that mix from each."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Path

from graphsvc import harmonic
from graphsvc.api.routes import INVALID
from graphsvc.api.schemas import KeyOut
from graphsvc.errors import InvalidValue

router = APIRouter(prefix="/camelot", tags=["camelot"], responses=INVALID)


def _level(move: harmonic.Move) -> str:
    return next(level for level, moves in harmonic.STRICTNESS.items() if move in moves)


@lru_cache(maxsize=24)
def _key_out(key: harmonic.Key) -> dict[str, Any]:
    moves = []
    for other, move, score in harmonic.compatible_keys(key, "any"):
        if move is harmonic.Move.CLASH:
            continue
        moves.append({"camelot": other.camelot, "open_key": other.open_key, "name": other.name,
                      "move": move.value, "score": score, "strictness": _level(move)})
    return {"camelot": key.camelot, "open_key": key.open_key, "name": key.name, "short_name": key.short_name,
            "pitch_class": key.pitch_class, "mode": key.mode, "compatible": moves}


@router.get("", response_model=list[KeyOut], summary="All 24 keys with their compatible moves and scores")
async def all_keys() -> list[dict[str, Any]]:
    return [_key_out(k) for k in harmonic.ALL_KEYS]


@router.get("/{code}", response_model=KeyOut, summary="One key (Camelot 8A or Open Key 1m)")
async def one_key(code: Annotated[str, Path(
        max_length=16, description="Camelot (8A) or Open Key (1m) code",
        openapi_examples={"camelot": {"value": "8A"}, "open_key": {"value": "1m"}})]) -> dict[str, Any]:
    try:
        key = harmonic.Key.from_camelot(code)
    except InvalidValue as camelot_error:
        try:
            key = harmonic.Key.from_open_key(code)
        except InvalidValue:
            raise camelot_error from None
    return _key_out(key)
