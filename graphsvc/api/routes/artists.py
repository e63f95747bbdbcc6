"""Artists: search, get, collaboration network and paths, neighbourhood, analytics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from graphsvc.api import lineage as lineage_q
from graphsvc.api.answers import JSONBytes, cached_answer, json_bytes
from graphsvc.api.deps import AnswersDep, DbDep, SettingsDep, StoreDep, run_graph
from graphsvc.api.examples import EXAMPLES, demo_example
from graphsvc.api.formats import render
from graphsvc.api.ids import Id
from graphsvc.api.routes import COMMON, NOT_FOUND
from graphsvc.api.routes.tracks import _bi
from graphsvc.api.schemas import (
    AnyGraph,
    ArtistAliasesOut,
    ArtistAnalyticsOut,
    ArtistOut,
    ArtistSearchOut,
    CollabPathsOut,
    GraphFormat,
)
from graphsvc.errors import NotFound

router = APIRouter(prefix="/artists", tags=["artists"], responses=COMMON)

ArtistId = Annotated[Id, Path(description="Artist id (gold.artist.id), a decimal string",
                               openapi_examples=demo_example(EXAMPLES.artist_id))]
OtherArtistId = Annotated[Id, Path(description="Artist id (gold.artist.id) of the other end",
                                   openapi_examples=demo_example(EXAMPLES.other_artist_id))]
Format = Annotated[GraphFormat, Query(description="Payload format")]


def _artist(store: Any, artist_id: int) -> dict[str, Any]:
    a = store.get_artist(artist_id)
    if a is None:
        raise NotFound(f"artist {artist_id} does not exist")
    return a


@router.get("", response_model=ArtistSearchOut, summary="Search artists by name")
async def search_artists(
    store: StoreDep, settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Part of the name",
                            openapi_examples=demo_example(EXAMPLES.artist_query))],
    limit: Annotated[int, Query(description="Most results", **_bi("limit"))] = 20,
) -> dict:
    return {"query": q, "results": await run_graph(settings, store.search_artists, q, limit)}


@router.get("/{artist_id}", response_model=ArtistOut, responses=NOT_FOUND, summary="An artist")
async def get_artist(artist_id: ArtistId, store: StoreDep, settings: SettingsDep) -> dict:
    return await run_graph(settings, _artist, store, artist_id)


@router.get("/{artist_id}/aliases", response_model=ArtistAliasesOut, responses=NOT_FOUND,
            summary="Every spelling of this artist met in the sources: how often, and how it was matched")
async def artist_aliases(
    artist_id: ArtistId, db: DbDep,
    limit: Annotated[int, Query(description="Most spellings", **_bi("limit"))] = 100,
) -> dict:
    return await db.run(lambda conn: lineage_q.artist_aliases(conn, artist_id, limit))


@router.get("/{artist_id}/collaborations", response_model=AnyGraph, responses=NOT_FOUND,
            summary="Ego network: artists credited together on tracks, within depth hops")
async def collaborations(
    artist_id: ArtistId, store: StoreDep, settings: SettingsDep, answers: AnswersDep,
    depth: Annotated[int, Query(description="Hops from the artist", **_bi("depth"))] = 1,
    min_weight: Annotated[int, Query(description="Fewest shared tracks per edge", **_bi("min_weight"))] = 1,
    limit: Annotated[int, Query(description="Most nodes (the artist included)", **_bi("limit"))] = 100,
    format: Format = GraphFormat.json,
) -> JSONBytes:
    key = answers.key(store, "collaborations", artist_id, depth, min_weight, limit, format)
    return await cached_answer(answers, key, lambda: run_graph(settings, lambda: json_bytes(render(
        store.collaboration_network(artist_id, depth, min_weight, limit), format))))


@router.get("/{a}/collaborations/path/{b}", response_model=CollabPathsOut, responses=NOT_FOUND,
            summary="Shortest collaboration chains from artist a to artist b")
async def collaboration_path(
    a: ArtistId, b: OtherArtistId, store: StoreDep, settings: SettingsDep,
    k: Annotated[int, Query(description="Most paths", **_bi("k"))] = 3,
    max_hops: Annotated[int, Query(description="Longest chain in hops", **_bi("max_hops"))] = 6,
) -> dict:
    paths = await run_graph(settings, store.collaboration_paths, a, b, k, max_hops)
    return {"from_id": a, "to_id": b, "paths": [
        {"hops": len(p) - 1, "total_weight": sum(s["weight_to_next"] or 0 for s in p), "steps": p} for p in paths]}


@router.get("/{artist_id}/neighbourhood", response_model=AnyGraph, responses=NOT_FOUND,
            summary="The artist and what is around it (tracks, collaborators, sets, supporters)")
async def artist_neighbourhood(
    artist_id: ArtistId, store: StoreDep, settings: SettingsDep, answers: AnswersDep,
    depth: Annotated[int, Query(ge=1, le=2, description="Hops from the artist (1-2)")] = 1,
    limit: Annotated[int, Query(description="Most nodes", **_bi("limit"))] = 100,
    format: Format = GraphFormat.json,
) -> JSONBytes:
    key = answers.key(store, "artist_neighbourhood", artist_id, depth, limit, format)
    return await cached_answer(answers, key, lambda: run_graph(settings, lambda: json_bytes(render(
        store.neighbourhood("artist", artist_id, depth, limit), format))))


@router.get("/{artist_id}/analytics", response_model=ArtistAnalyticsOut, responses=NOT_FOUND,
            summary="Tracks, sets played, average BPM, top key and genres, collaborators, supporters")
async def artist_analytics(artist_id: ArtistId, store: StoreDep, settings: SettingsDep) -> dict:
    out = await run_graph(settings, store.artist_analytics, artist_id)
    if out is None:
        raise NotFound(f"artist {artist_id} does not exist")
    return out
