"""MusicBrainz (``/ws/2``): ISRC, release year, label and genres/tags of a recording.

One search ``/recording?query=artist:"X" AND recording:"Y"``; the best hit's ``score`` (0..100) scales
the confidence. ISRCs, genres/tags and releases come from the lookup
``/recording/{mbid}?inc=isrcs+tags+genres+releases``; the label from ``/release/{id}?inc=labels`` of the
recording's earliest release (only when the label is asked for). MusicBrainz allows 1 request/s and
requires a meaningful User-Agent.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from etl.enrichment.http import HttpClient
from etl.enrichment.providers import LookupContext, ProviderValue, TrackInput
from etl.enrichment.providers.confidence import CONFIDENCE
from etl.enrichment.providers.online import OnlineProvider, no_data, year_of
from graphsvc.settings import Settings

MIN_SCORE = 50  # search hits below this are not the track


def _lucene(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


class MusicBrainzProvider(OnlineProvider):
    name = "musicbrainz"
    fields = frozenset({"isrc", "release_year", "label", "genres"})

    @classmethod
    def from_settings(cls, s: Settings) -> MusicBrainzProvider:
        if not s.musicbrainz_enabled:
            return cls(None)
        return cls(HttpClient(cls.name, s.musicbrainz_base_url, user_agent=s.musicbrainz_user_agent,
                              timeout_s=s.http_timeout_s, min_interval_s=1.0))

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]:
        query = f'artist:"{_lucene(track.artists_display)}" AND recording:"{_lucene(track.title)}"'
        res = self._get(ctx, "/recording", {"query": query, "fmt": "json", "limit": 5})
        hits = (res.json.get("recordings") or []) if res else []
        fetched_at = res.fetched_at if res else None
        best = max(hits, key=lambda h: int(h.get("score") or 0), default=None)
        detail: dict[str, Any]
        if best is None or int(best.get("score") or 0) < MIN_SCORE:
            detail = {"query": query, "hits": len(hits), "best_score": best.get("score") if best else None}
            return {f: no_data(detail) for f in fields}
        score = int(best["score"]) / 100.0
        mbid = best["id"]
        detail = {"query": query, "mbid": mbid, "score": best["score"]}
        rec = best
        if {"isrc", "genres", "label"} & set(fields):
            looked = self._get(ctx, f"/recording/{mbid}", {"inc": "isrcs tags genres releases", "fmt": "json"})
            if looked is not None:
                rec = {**best, **looked.json}
        out: dict[str, ProviderValue] = {}
        for f in fields:
            value: Any = None
            d = dict(detail)
            if f == "isrc":
                isrcs = rec.get("isrcs") or []
                value = isrcs[0] if isrcs else None
                d["isrcs"] = isrcs[:5]
            elif f == "release_year":
                value = year_of(rec.get("first-release-date"))
            elif f == "genres":
                names = [g["name"] for g in (rec.get("genres") or []) if g.get("name")]
                if not names:
                    names = [t["name"] for t in (rec.get("tags") or [])
                             if t.get("name") and int(t.get("count") or 0) > 0]
                value = names[:10] or None
            elif f == "label":
                value, release_id = self._label(ctx, rec)
                d["release_id"] = release_id
            out[f] = (self._value(value, CONFIDENCE[(self.name, f)] * score, fetched_at, d) if value is not None
                      else no_data(d))
        return out

    def _label(self, ctx: LookupContext, rec: dict) -> tuple[str | None, str | None]:
        releases = [r for r in (rec.get("releases") or []) if r.get("id")]
        if not releases:
            return None, None
        first = min(releases, key=lambda r: r.get("date") or "9999")
        infos = first.get("label-info")
        if infos is None:
            looked = self._get(ctx, f"/release/{first['id']}", {"inc": "labels", "fmt": "json"})
            infos = (looked.json.get("label-info") if looked else None) or []
        for info in infos:
            label = (info.get("label") or {}).get("name")
            if label and label.lower() not in {"[no label]", "not on label"}:
                return label, first["id"]
        return None, first["id"]
