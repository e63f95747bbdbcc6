"""Charts: the most played and the trending tracks and artists, overall or in the recent window."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from graphsvc.api.answers import JSONBytes, cached_answer, json_bytes
from graphsvc.api.deps import AnswersDep, SettingsDep, StoreDep, run_graph
from graphsvc.api.examples import EXAMPLES, demo_example
from graphsvc.api.routes import COMMON
from graphsvc.api.schemas import ChartsOut
from graphsvc.charts import MIN_RECENT_PLAYS, MIN_RECENT_PLAYS_ARTIST
from graphsvc.graph.base import BOUNDS

router = APIRouter(prefix="/charts", tags=["charts"], responses=COMMON)

_TRACK = ("id", "title", "version", "artists", "bpm", "camelot", "energy", "genres", "scene_genres", "plays", "djs",
          "plays_recent", "djs_recent", "trend", "label", "year")
_ARTIST = ("id", "name", "plays", "djs", "plays_recent", "trend", "tracks", "sets")


def _chart(store: Any, genre: str | None, window: str, limit: int) -> dict[str, Any]:
    ids = store.charts(genre, window, limit)
    tracks = {t: store.get_track(t) for t in dict.fromkeys(ids["top_tracks"] + ids["trending_tracks"])}
    artists = {a: store.get_artist(a) for a in dict.fromkeys(ids["top_artists"] + ids["trending_artists"])}

    def track(i: int, rank: int) -> dict[str, Any]:
        t = tracks[i]
        return {"rank": rank, **{k: t.get(k) for k in _TRACK}}

    def artist(i: int, rank: int) -> dict[str, Any]:
        a = artists[i]
        return {"rank": rank, **{k: a.get(k) for k in _ARTIST}}

    return {
        "genre": genre, "window": window, "as_of": ids["as_of"], "window_days": 365,
        "trending_min_recent_plays": {"tracks": MIN_RECENT_PLAYS, "artists": MIN_RECENT_PLAYS_ARTIST},
        "top_tracks": [track(i, r) for r, i in enumerate(ids["top_tracks"], 1)],
        "trending_tracks": [track(i, r) for r, i in enumerate(ids["trending_tracks"], 1)],
        "top_artists": [artist(i, r) for r, i in enumerate(ids["top_artists"], 1)],
        "trending_artists": [artist(i, r) for r, i in enumerate(ids["trending_artists"], 1)],
    }


@router.get("", response_model=ChartsOut, summary="Most played and trending tracks and artists")
async def charts(
    store: StoreDep, settings: SettingsDep, answers: AnswersDep,
    genre: Annotated[str | None, Query(min_length=1, max_length=100, openapi_examples=demo_example(EXAMPLES.genre),
                                       description="Only tracks of this genre (the genres of the sets that "
                                                   "played them, or their own genre tags); artists: all")] = None,
    window: Annotated[Literal["all", "recent"], Query(description="all: every set; recent: the 365 days before "
                                                                  "the latest set in the data")] = "all",
    limit: Annotated[int, Query(ge=1, le=int(BOUNDS["limit"][1]), description="Most entries per list")] = 20,
) -> JSONBytes:
    """Top tracks by plays (then distinct DJs), trending tracks by trend score = ln((recent plays + 1) /
    (expected recent plays + 1)), where 'expected' is what the track's overall plays predict for the
    recent window; trending needs a few recent plays (one lucky play is not a trend)."""
    key = answers.key(store, "charts", genre, window, limit)
    return await cached_answer(answers, key, lambda: run_graph(
        settings, lambda: json_bytes(_chart(store, genre, window, limit))))
