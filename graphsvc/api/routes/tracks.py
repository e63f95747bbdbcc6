"""Tracks: search, get, neighbourhood, next-track recommendations, harmonic paths, lineage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from graphsvc.api import lineage as lineage_q
from graphsvc.api.answers import JSONBytes, cached_answer, json_bytes
from graphsvc.api.deps import AnswersDep, DbDep, RankerDep, SettingsDep, StoreDep, run_graph, run_graph_cheap
from graphsvc.api.examples import EXAMPLES, demo_example
from graphsvc.api.formats import render
from graphsvc.api.ids import Id
from graphsvc.api.routes import COMMON, NOT_FOUND
from graphsvc.api.schemas import (
    AnyGraph,
    GraphFormat,
    HarmonicPathsOut,
    LineageOut,
    RecommendationsOut,
    Strictness,
    TrackOut,
    TrackSearchOut,
)
from graphsvc.errors import NotFound
from graphsvc.graph.base import BOUNDS
from graphsvc.graph.paths import diagnose as harmonic_diagnose
from graphsvc.recommend.features import Constraints
from graphsvc.recommend.ranked_paths import ranked_paths
from graphsvc.recommend.service import DEFAULT_LIMIT, DEFAULTS, recommend
from graphsvc.recommend.service import payload as rec_payload

router = APIRouter(prefix="/tracks", tags=["tracks"], responses=COMMON)

TrackId = Annotated[Id, Path(description="Track id (gold.track.id), a decimal string",
                                openapi_examples=demo_example(EXAMPLES.track_id))]
OtherTrackId = Annotated[Id, Path(description="Track id (gold.track.id) of the other end",
                                  openapi_examples=demo_example(EXAMPLES.other_track_id))]


def _b(name: str) -> dict[str, float]:
    lo, hi = BOUNDS[name]
    return {"ge": lo, "le": hi}


def _bi(name: str) -> dict[str, int]:
    lo, hi = BOUNDS[name]
    return {"ge": int(lo), "le": int(hi)}


Limit = Annotated[int, Query(description="Most results", **_bi("limit"))]
StrictnessQ = Annotated[Strictness, Query(description="Which Camelot moves are allowed: strict (same, adjacent, "
                                                      "relative), normal (+ diagonal), relaxed (+ two-step, "
                                                      "semitone), any")]
BpmWindow = Annotated[float, Query(description="Largest BPM difference in percent", **_b("bpm_window_pct"))]


def _track(store: Any, track_id: int) -> dict[str, Any]:
    t = store.get_track(track_id)
    if t is None:
        raise NotFound(f"track {track_id} does not exist")
    return t


def _cand(c: Any) -> dict[str, Any]:
    return c.__dict__


#: Recommendations with at most this many candidates and no pitch shift (the vectorized path) run inline
#: on the embedded store: ~1-2 ms on the demo data, ~5 ms worst case.
INLINE_MAX_LIMIT = 50

_TRACK_DEFAULTS = {name: f.get_default(call_default_factory=True) for name, f in TrackOut.model_fields.items()
                   if not f.is_required()}


def _track_out(t: dict[str, Any]) -> dict[str, Any]:
    """A track as ``TrackOut`` writes it (absent optional fields as their defaults), for answers encoded
    without the response model."""
    out = {k: v for k, v in t.items() if k in TrackOut.model_fields}
    for name, default in _TRACK_DEFAULTS.items():
        out.setdefault(name, default)
    return out


@router.get("", response_model=TrackSearchOut, summary="Search tracks by artist and title")
async def search_tracks(
    store: StoreDep, settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words of the artists or title",
                            openapi_examples=demo_example(EXAMPLES.track_query))],
    limit: Limit = 20,
) -> dict:
    results = await run_graph(settings, store.search_tracks, q, limit)
    return {"query": q, "results": results}


@router.get("/{track_id}", response_model=TrackOut, responses=NOT_FOUND, summary="A track")
async def get_track(track_id: TrackId, store: StoreDep, settings: SettingsDep) -> dict:
    return await run_graph(settings, _track, store, track_id)


@router.get("/{track_id}/neighbourhood", response_model=AnyGraph, responses=NOT_FOUND,
            summary="The track and what is around it (artists, sets, transitions, key, label)")
async def track_neighbourhood(
    track_id: TrackId, store: StoreDep, settings: SettingsDep, answers: AnswersDep,
    depth: Annotated[int, Query(ge=1, le=2, description="Hops from the track (1-2)")] = 1,
    limit: Annotated[int, Query(description="Most nodes", **_bi("limit"))] = 100,
    format: Annotated[GraphFormat, Query(description="Payload format")] = GraphFormat.json,
) -> JSONBytes:
    key = answers.key(store, "track_neighbourhood", track_id, depth, limit, format)
    return await cached_answer(answers, key, lambda: run_graph(settings, lambda: json_bytes(render(
        store.neighbourhood("track", track_id, depth, limit), format))))


@router.get("/{track_id}/recommendations", response_model=RecommendationsOut, responses=NOT_FOUND,
            summary="Next tracks after this one, best first, each with its evidence and why")
async def recommendations(
    track_id: TrackId, store: StoreDep, ranker: RankerDep, settings: SettingsDep, answers: AnswersDep,
    strictness: StrictnessQ = DEFAULTS.strictness,
    bpm_window_pct: BpmWindow = DEFAULTS.bpm_window_pct,
    half_double: Annotated[bool, Query(description="Allow half/double-time matches (87 BPM after 174)")] = True,
    max_pitch_shift: Annotated[int, Query(description="Semitones a candidate may be pitched to fit",
                                          **_bi("max_pitch_shift"))] = DEFAULTS.max_pitch_shift,
    limit: Limit = DEFAULT_LIMIT,
) -> JSONBytes:
    """The recommender of ``graphsvc.recommend`` (the one ``etl eval transitions`` measures): candidates from
    every signal of the graph (real transitions both ways, two-hop, same sets, artists, label,
    collaborators, DJs, key/BPM windows, popular in the scene), ranked by weights fitted on the graph's own
    history. ``strictness`` and ``bpm_window_pct`` are hard filters where both tracks carry a key / tempo;
    candidates without one are kept and flagged, never rewarded for it."""
    key = answers.key(store, "recommendations", id(ranker), track_id, strictness, bpm_window_pct, half_double,
                      max_pitch_shift, limit)
    con = Constraints(strictness=strictness, bpm_window_pct=bpm_window_pct, half_double=half_double,
                      max_pitch_shift=max_pitch_shift)

    def work() -> bytes:
        return json_bytes(rec_payload(recommend(store, ranker, track_id, constraints=con, limit=limit), limit,
                                      ids_as_strings=True), ids_are_strings=True)

    cheap = limit <= INLINE_MAX_LIMIT and max_pitch_shift == 0
    return await cached_answer(answers, key, lambda: run_graph_cheap(settings, store, "recommendations", cheap, work))


@router.get("/{a}/harmonic-path/{b}", response_model=HarmonicPathsOut, responses=NOT_FOUND,
            summary="Harmonic-mixing paths from track a to track b (every hop mixes), ordered by the recommender")
async def harmonic_path(
    a: TrackId, b: OtherTrackId, store: StoreDep, ranker: RankerDep, settings: SettingsDep,
    k: Annotated[int, Query(description="Most paths", **_bi("k"))] = 3,
    max_len: Annotated[int, Query(description="Most tracks per path, ends included", **_bi("max_len"))] = 6,
    strictness: StrictnessQ = "normal",
    bpm_window_pct: BpmWindow = 6.0,
) -> dict:
    """The fewest hops first; among paths of as many hops, the one the recommender of ``/recommendations``
    finds most likely first (each hop scored with the probability it gives the next track after the one
    before; ``graphsvc.recommend.ranked_paths``). Each hop carries the recommender's sentence."""
    def work() -> tuple[Any, Any, str | None, list[str]]:
        paths, found = ranked_paths(store, ranker, a, b, k=k, max_len=max_len, strictness=strictness,
                                    bpm_window_pct=bpm_window_pct)
        diagnosis, warnings = harmonic_diagnose(found, _track(store, a), _track(store, b), k=k, max_len=max_len,
                                                strictness=strictness, bpm_window_pct=bpm_window_pct)
        return paths, found, diagnosis, warnings

    paths, found, diagnosis, warnings = await run_graph(settings, work)
    return {
        "from_id": a, "to_id": b,
        "parameters": {"k": k, "max_len": max_len, "strictness": strictness, "bpm_window_pct": bpm_window_pct},
        "paths": [{"hops": len(p.hops), "log_likelihood": round(p.log_likelihood, 6),
                   "total_score": round(p.total_score, 6),
                   "tracks": [{**_cand(p.start), "explanation": None}] + [
                       {**_cand(h.hop), "explanation": h.explanation, "breakdown": h.breakdown()}
                       for h in p.hops]}
                  for p in paths],
        "budget_exhausted": bool(getattr(found, "budget_exhausted", False)),
        "diagnosis": diagnosis, "warnings": warnings,
    }


@router.get("/{track_id}/lineage", response_model=LineageOut, responses=NOT_FOUND,
            summary="Where the track comes from: bronze records, enrichment attempts, history, silver, graph")
async def lineage(
    track_id: TrackId, db: DbDep, store: StoreDep, settings: SettingsDep,
    limit: Annotated[int, Query(description="Most rows per list", **_bi("limit"))] = 100,
) -> dict:
    out = await db.run(lambda conn: lineage_q.track_lineage(conn, track_id, limit))
    out["graph_node"] = await run_graph(settings, store.get_track, track_id)
    return out
