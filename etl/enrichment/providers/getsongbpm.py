"""GetSongBPM API: tempo and key of a song (the slot for a key/BPM API now that Spotify's audio
features are closed to new apps and AcousticBrainz is gone).

``GET /search/?api_key=..&type=both&lookup=song:TITLE artist:ARTIST`` answers
``{"search": [{id, title, tempo, key_of, artist: {name, ...}}, ...]}`` or ``{"search": {"error": "no result"}}``.
The confidence is the table value scaled by the title/artist match of the best hit.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from etl.enrichment.http import HttpClient
from etl.enrichment.providers import LookupContext, ProviderValue, TrackInput
from etl.enrichment.providers.confidence import CONFIDENCE
from etl.enrichment.providers.online import OnlineProvider, no_data, similarity
from graphsvc.settings import Settings

MIN_MATCH = 0.7
_NOTE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_KEY = re.compile(r"^\s*([A-Ga-g])\s*([#♯b♭]?)\s*(m|min|minor|maj|major)?\s*$")


def parse_key(text: str | None) -> dict | None:
    """``'Am'`` -> {pitch_class: 9, mode: 0}; ``'F♯'`` -> {6, 1}; unknown -> None."""
    if not text:
        return None
    m = _KEY.match(text)
    if not m:
        return None
    pc = _NOTE[m.group(1).upper()]
    pc += {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(m.group(2), 0)
    minor = (m.group(3) or "").startswith("m") and m.group(3) not in ("maj", "major")
    return {"pitch_class": pc % 12, "mode": 0 if minor else 1}


class GetSongBpmProvider(OnlineProvider):
    name = "getsongbpm"
    fields = frozenset({"bpm", "key"})

    @classmethod
    def from_settings(cls, s: Settings) -> GetSongBpmProvider:
        if not s.getsongbpm_api_key:
            return cls(None)
        return cls(HttpClient(cls.name, s.getsongbpm_base_url, user_agent=s.musicbrainz_user_agent,
                              timeout_s=s.http_timeout_s, min_interval_s=1.0,
                              secret_params={"api_key": s.getsongbpm_api_key}))

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]:
        lookup = f"song:{track.title} artist:{track.artists_display}"
        res = self._get(ctx, "/search/", {"type": "both", "lookup": lookup})
        hits = res.json.get("search") if res else None
        hits = hits if isinstance(hits, list) else []
        fetched_at = res.fetched_at if res else None
        scored = []
        for h in hits:
            artist = (h.get("artist") or {}).get("name") or ""
            match = min(similarity(str(h.get("title", "")), track.title, names=False),
                        similarity(artist, track.artists_display))
            scored.append((match, h))
        scored.sort(key=lambda t: t[0], reverse=True)
        detail: dict[str, Any] = {"lookup": lookup, "hits": len(hits)}
        if not scored or scored[0][0] < MIN_MATCH:
            return {f: no_data(detail) for f in fields}
        match, best = scored[0]
        detail.update({"song_id": best.get("id"), "match": round(match, 3)})
        out: dict[str, ProviderValue] = {}
        for f in fields:
            value: Any = None
            if f == "bpm":
                try:
                    value = float(best.get("tempo")) or None
                except (TypeError, ValueError):
                    value = None
            elif f == "key":
                value = parse_key(best.get("key_of"))
            d = {**detail, "raw": best.get("tempo") if f == "bpm" else best.get("key_of")}
            out[f] = self._value(value, CONFIDENCE[(self.name, f)] * match, fetched_at, d) if value else no_data(d)
        return out
