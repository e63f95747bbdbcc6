"""Base of the offline providers: values read from the track's ``silver.observation`` rows.

Several observations of one source (a track in two rekordbox exports, in two feature files, played in
many 1001Tracklists sets) are resolved per field: the newest bronze record (highest ``record_id``, i.e.
the latest export/import) that *has* a value for the field wins. The observations arrive already
ordered that way (:func:`etl.enrichment.providers.load_observations`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, ClassVar

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
        match = self._match
        obs = [o for o in ctx.observations.get(track.track_id, ()) if match(o.source)]
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
                out[f] = ProviderValue(None, 0.0, None, {"observations": len(obs)})
        return out
