"""Base of the offline providers: values read from the track's ``silver.observation`` rows.

Several observations of one source (a track in two rekordbox exports, in two feature files, played in
many 1001Tracklists sets) are resolved per field: the newest bronze record (highest ``record_id``, i.e.
the latest export/import) that *has* a value for the field wins. The observations arrive already
ordered that way (:func:`etl.enrichment.providers.load_observations`).
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


class ObservationProvider:
    name: ClassVar[str]
    fields: ClassVar[frozenset[str]]
    source: ClassVar[str]          # observation source; a trailing ':' matches every 'source:<stem>'
    online: ClassVar[bool] = False
    enabled: ClassVar[bool] = True

    def __init__(self) -> None:
        self._conf = {f: CONFIDENCE[(self.name, f)] for f in self.fields}
        prefix = self.source
        self._match: Callable[[str], bool] = (
            (lambda s: s.startswith(prefix)) if prefix.endswith(":") else (lambda s: s == prefix)
        )

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]:
        every = ctx.observations.get(track.track_id)
        if not every:  # most tracks have no observation of most sources: one shared answer
            nothing = no_data(0)
            return dict.fromkeys(fields, nothing)
        match = self._match
        obs = [o for o in every if match(o.source)]
        out: dict[str, ProviderValue] = {}
        for f in fields:
            extract = EXTRACTORS[f]
            for o in obs:
                v = extract(o)
                if v is not None:
                    detail = {"observation_id": o.observation_id, "source": o.source, "record_id": o.record_id}
                    if f == "label" and o.catalog_number:
                        detail["catalog_number"] = o.catalog_number
                    out[f] = ProviderValue(v, self._conf[f], None, detail)
                    break
            else:
                out[f] = no_data(len(obs))
        return out
