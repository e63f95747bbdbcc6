"""Charts: the most played and the trending tracks (optionally of one genre) and artists, from gold's
popularity columns (``etl/gold.py``: plays, DJs, plays in the recent window, trend).

Windows: ``all`` ranks by (plays, DJs) over every set; ``recent`` by (plays, DJs) in the recent window
(the year before the latest set in the data). Trending: by trend score, among items played at least
``MIN_RECENT_PLAYS`` times in the recent window (one lucky play is not a trend). Ties: id ascending.
A genre matches a track's scene genres (of the sets that played it) or its own genre tags, ignoring case.
"""

from __future__ import annotations

from typing import Any

from graphsvc.errors import InvalidValue
from graphsvc.graph.base import bounded

WINDOWS = ("all", "recent")
MIN_RECENT_PLAYS = 2  # tracks
MIN_RECENT_PLAYS_ARTIST = 3


def check(genre: str | None, window: str, limit: int) -> tuple[str | None, bool, int]:
    if window not in WINDOWS:
        raise InvalidValue(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
    bounded("limit", limit)
    if genre is not None:
        genre = genre.strip()
        if not genre or len(genre) > 100:
            raise InvalidValue("genre must be 1-100 characters")
    return genre, window == "recent", int(limit)


def embedded_charts(store: Any, genre: str | None, window: str, limit: int) -> dict[str, Any]:
    """``{top_tracks, trending_tracks, top_artists, trending_artists, as_of}`` as ids with their figures."""
    genre, recent, limit = check(genre, window, limit)
    cache = store.__dict__.setdefault("_charts_cache", {})
    key = (genre.casefold() if genre else None, recent, limit)
    got = cache.get(key)
    if got is not None:
        return got
    g = key[0]
    tracks = [t for t in store.tracks.values()
              if g is None or any(x.casefold() == g for x in (t.scene_genres or ())) or
              any(x.casefold() == g for x in (t.genres or ()))]
    if recent:
        top = sorted((t for t in tracks if t.plays_recent > 0), key=lambda t: (-t.plays_recent, -t.djs_recent, t.id))
    else:
        top = sorted((t for t in tracks if t.plays > 0), key=lambda t: (-t.plays, -t.djs, t.id))
    trending = sorted((t for t in tracks if t.plays_recent >= MIN_RECENT_PLAYS),
                      key=lambda t: (-t.trend, -t.plays_recent, t.id))
    arts = list(store.artists.values())
    pk = "plays_recent" if recent else "plays"
    top_a = sorted((a for a in arts if (a.get(pk) or 0) > 0),
                   key=lambda a: (-(a.get(pk) or 0), -(a.get("djs") or 0), a["id"]))
    trend_a = sorted((a for a in arts if (a.get("plays_recent") or 0) >= MIN_RECENT_PLAYS_ARTIST),
                     key=lambda a: (-(a.get("trend") or 0.0), -(a.get("plays_recent") or 0), a["id"]))
    dates = [s["date"] for s in store.sets.values() if s["date"] is not None]
    got = cache[key] = {
        "top_tracks": [t.id for t in top[:limit]], "trending_tracks": [t.id for t in trending[:limit]],
        "top_artists": [a["id"] for a in top_a[:limit]], "trending_artists": [a["id"] for a in trend_a[:limit]],
        "as_of": max(dates) if dates else None,
    }
    return got
