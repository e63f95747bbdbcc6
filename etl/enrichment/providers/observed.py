"""Base of the offline providers: values read from the track's ``silver.observation`` rows.

The confidence of an observed value is the confidence of its KIND of source for the field
(``enrichment.source_confidence`` as in the run's config snapshot: a Spotify table's key, a GiantSteps
expert key, a Traktor analysis...) times how sure its match to the track is (kind ``match``: a library
track named only by its file name, a feature row matched through another edit of the recording). Tempo,
key and energy observed on another edit of the same recording (``Observation.via``) count too, times the
confidence of ``match``/``recording_mate``. Several observations of one provider (a track in two
libraries, in two feature tables, played in many 1001Tracklists sets) are resolved per field: the most
confident value wins; among equals the track's own observation, then the newest bronze record (the
latest export/import). The observations arrive ordered that way
(:func:`etl.enrichment.providers.load_observations`). Runs whose snapshot predates configurable
confidences use the built-in table (:data:`etl.enrichment.providers.confidence.CONFIDENCE`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import lru_cache
from typing import Any, ClassVar

import orjson

from etl.enrichment.providers import LookupContext, Observation, ProviderValue, TrackInput
from etl.enrichment.providers.confidence import CONFIDENCE


def _bpm(o: Observation) -> Any:
    return o.bpm


def _key(o: Observation) -> Any:
    if o.key_pitch_class is None or o.key_mode is None:
        return None
    return {"pitch_class": o.key_pitch_class, "mode": o.key_mode}


def _energy(o: Observation) -> Any:
    return o.energy


def _genres(o: Observation) -> Any:
    return list(o.genres) if o.genres else None


def _label(o: Observation) -> Any:
    return o.label.strip() or None if o.label else None


def _year(o: Observation) -> Any:
    raw = o.year
    if not raw:
        return None
    try:
        return int(raw.strip()[:4])
    except ValueError:
        return None


EXTRACTORS: dict[str, Callable[[Observation], Any]] = {
    "bpm": _bpm, "key": _key, "energy": _energy, "genres": _genres, "label": _label, "release_year": _year,
}


@lru_cache(maxsize=256)
def no_data(observations: int) -> ProviderValue:
    """The shared, read-only "no data" answer of a provider that consulted ``observations`` rows."""
    detail = {"observations": observations}
    return ProviderValue(None, 0.0, None, detail, orjson.dumps(detail).decode())


AUDIO_FIELDS = frozenset({"bpm", "key", "energy"})  # the same for every edit of a recording


class ObservationProvider:
    name: ClassVar[str]
    fields: ClassVar[frozenset[str]]
    source: ClassVar[str]          # observation source; a trailing ':' matches every 'source:<stem>'
    default_kind: ClassVar[str | None] = None  # kind of observations that have none; None: the provider name
    online: ClassVar[bool] = False
    enabled: ClassVar[bool] = True

    def __init__(self) -> None:
        self._conf = {f: CONFIDENCE.get((self.name, f), 0.5) for f in self.fields}
        prefix = self.source
        self._match: Callable[[str], bool] = (
            (lambda s: s.startswith(prefix)) if prefix.endswith(":") else (lambda s: s == prefix)
        )

    def confidence(self, table: dict[tuple[str, str], float] | None, o: Observation, f: str) -> float:
        """The confidence of observation ``o``'s value of field ``f`` (see the module docstring)."""
        if table is None:  # a snapshot from before migration 016: one figure per provider and field
            return self._conf[f]
        base = table.get((o.kind or self.default_kind or self.name, f))
        if base is None:
            base = self._conf[f]
        if o.match_strategy is not None:
            base *= table.get(("match", o.match_strategy), 1.0)
        if o.via is not None:
            base *= table.get(("match", "recording_mate"), 1.0)
        return round(base, 4)

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]:
        every = ctx.observations.get(track.track_id)
        if not every:  # most tracks have no observation of most sources: one shared answer
            nothing = no_data(0)
            return dict.fromkeys(fields, nothing)
        match = self._match
        obs = [o for o in every if match(o.source)]
        table = ctx.confidence
        out: dict[str, ProviderValue] = {}
        for f in fields:
            extract = EXTRACTORS[f]
            best: tuple[float, Any, Observation] | None = None
            for o in obs:
                if o.via is not None and f not in AUDIO_FIELDS:
                    continue
                v = extract(o)
                if v is None:
                    continue
                c = self.confidence(table, o, f)
                if best is None or c > best[0] + 1e-9:
                    best = (c, v, o)
            if best is None:
                out[f] = no_data(len(obs))
                continue
            c, v, o = best
            detail: dict[str, Any] = {"observation_id": o.observation_id, "source": o.source, "record_id": o.record_id}
            if o.kind is not None:
                detail["kind"] = o.kind
            if o.match_strategy is not None:
                detail["match"] = o.match_strategy
            if o.via is not None:
                detail["via_track"] = o.via
            if f == "label" and o.catalog_number:
                detail["catalog_number"] = o.catalog_number
            out[f] = ProviderValue(v, c, None, detail)
        return out
