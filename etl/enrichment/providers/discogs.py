"""Discogs database search: genres + styles, label and year of the releases that carry the track.

``GET /database/search?artist=..&track=..&type=release``. The personal access token is sent in the
``Authorization: Discogs token=...`` header (Discogs accepts it there as well as in the query), so it
never appears in a URL. Discogs gives no match score: the confidence is the table value scaled by how
well the hit's artist ("Artist - Release" title) matches the track's artists.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from etl.enrichment.http import HttpClient
from etl.enrichment.providers import LookupContext, ProviderValue, TrackInput
from etl.enrichment.providers.confidence import CONFIDENCE
from etl.enrichment.providers.online import OnlineProvider, no_data, similarity, year_of
from graphsvc.settings import Settings

MIN_MATCH = 0.6


class DiscogsProvider(OnlineProvider):
    name = "discogs"
    fields = frozenset({"genres", "label", "release_year"})

    @classmethod
    def from_settings(cls, s: Settings) -> DiscogsProvider:
        if not s.discogs_token:
            return cls(None)
        return cls(HttpClient(cls.name, s.discogs_base_url, user_agent=s.musicbrainz_user_agent,
                              timeout_s=s.http_timeout_s, min_interval_s=1.0,  # 60 requests/min authenticated
                              headers={"Authorization": f"Discogs token={s.discogs_token}"}))

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]:
        params = {"artist": track.artists_display, "track": track.title, "type": "release", "per_page": 5}
        res = self._get(ctx, "/database/search", params)
        hits = (res.json.get("results") or []) if res else []
        fetched_at = res.fetched_at if res else None
        scored = []
        for h in hits:
            artist = str(h.get("title", "")).split(" - ", 1)[0]
            scored.append((similarity(artist, track.artists_display), -int(h.get("year") or 9999), h))
        scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
        detail: dict[str, Any] = {"artist": track.artists_display, "track": track.title, "hits": len(hits)}
        if not scored or scored[0][0] < MIN_MATCH:
            return {f: no_data(detail) for f in fields}
        match, _, best = scored[0]
        detail.update({"release_id": best.get("id"), "match": round(match, 3)})
        out: dict[str, ProviderValue] = {}
        for f in fields:
            value: Any = None
            if f == "genres":
                value = list(dict.fromkeys([*(best.get("style") or []), *(best.get("genre") or [])])) or None
            elif f == "label":
                labels = best.get("label") or []
                value = labels[0] if labels else None
            elif f == "release_year":
                value = year_of(best.get("year"))
            d = dict(detail)
            if f == "label" and best.get("catno"):
                d["catalog_number"] = best["catno"]
            out[f] = self._value(value, CONFIDENCE[(self.name, f)] * match, fetched_at, d) if value else no_data(d)
        return out
