"""Providers of the enrichment waterfall: one protocol, offline ones reading ``silver.observation``
and online ones calling an HTTP API (through :mod:`etl.enrichment.http`).

A provider answers ``lookup(ctx, track, fields)`` with a ``ProviderValue`` per field. A missing field,
or a ``ProviderValue`` whose ``value`` is None, means "no data" (its ``detail`` says what was consulted).
Failures the waterfall should record (HTTP errors, ...) are raised as :class:`ProviderError`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    import psycopg

    from etl.enrichment.providers.observed import ObservationProvider
    from etl.enrichment.providers.online import OnlineProvider
    from graphsvc.settings import Settings


@dataclass(frozen=True, slots=True)
class ProviderValue:
    value: Any
    confidence: float
    fetched_at: datetime | None
    detail: dict  # -> enrichment.attempt.input (what was consulted); the value goes to attempt.output
    # ``detail`` already as JSON text, for values that are shared constants (an offline provider's
    # "no data"): the waterfall then logs the attempt without serializing the same dict again
    detail_json: str | None = None


@dataclass(frozen=True, slots=True)
class TrackInput:
    track_id: int
    title: str
    artists_display: str
    version: str | None = None
    duration_s: float | None = None


class Observation(NamedTuple):
    """One ``silver.observation`` row, as offline providers read it."""

    observation_id: int
    source: str
    record_id: int
    bpm: float | None
    key_pitch_class: int | None
    key_mode: int | None
    energy: float | None
    genres: list[str]
    label: str | None
    catalog_number: str | None
    year: str | None  # extra.release_year or extra.year, as text (the only part of extra providers read)
    kind: str | None = None            # the kind of source (its confidence); None: the provider's own kind
    match_strategy: str | None = None  # how it was matched to its track (the confidence of that match)
    via: int | None = None             # another edit of the same recording it was observed on, else None


@dataclass
class LookupContext:
    conn: psycopg.Connection
    run_id: int
    # observations of the tracks of the current chunk, newest bronze record first (see load_observations)
    observations: dict[int, list[Observation]] = field(default_factory=dict)
    refetch: bool = False  # online providers: ignore stored responses and call the API again
    # (kind, field) -> confidence of the run's config snapshot; None: the built-in table (old snapshots)
    confidence: dict[tuple[str, str], float] | None = None
    mates: dict[int, list[int]] | None = None  # track -> its other edits (load_mates), once per run


class ProviderError(Exception):
    """A provider could not answer (HTTP error after retries, malformed response). Logged as the attempt's error."""


@runtime_checkable
class Provider(Protocol):
    name: ClassVar[str]
    fields: ClassVar[frozenset[str]]
    online: ClassVar[bool]

    @property
    def enabled(self) -> bool:
        """False for an online provider that is not configured (no API key, not switched on)."""
        ...

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]: ...


_OBSERVATIONS_SQL = (
    "SELECT track_id, observation_id, source, record_id, bpm::float8, key_pitch_class, key_mode, energy,"
    " genres, label, catalog_number, coalesce(extra->>'release_year', extra->>'year'), kind, match_strategy"
    " FROM silver.observation WHERE track_id = ANY(%s::bigint[])"
    " ORDER BY track_id, record_id DESC, item_index DESC"
)
# tracks that share their recording with others (migration 016), and those others
_MATES_SQL = """
SELECT recording_key, track_id FROM (
    SELECT recording_key, track_id, count(*) OVER (PARTITION BY recording_key) AS n
    FROM silver.track WHERE recording_key IS NOT NULL) x
WHERE n > 1
"""
_MATES_OF_SQL = """
SELECT t.track_id, m.track_id FROM silver.track t
JOIN silver.track m ON m.recording_key = t.recording_key AND m.track_id <> t.track_id
WHERE t.track_id = ANY(%s::bigint[])
"""


def load_mates(conn: psycopg.Connection, track_ids: Collection[int] | None = None) -> dict[int, list[int]]:
    """track -> the other tracks of its recording (its other edits); every track when ``track_ids`` is None."""
    out: dict[int, list[int]] = {}
    if track_ids is not None:
        for t, m in conn.execute(_MATES_OF_SQL, (bigint_array(track_ids),)):
            out.setdefault(t, []).append(m)
        return out
    recordings: dict[str, list[int]] = {}
    for key, t in conn.execute(_MATES_SQL):
        recordings.setdefault(key, []).append(t)
    for tracks in recordings.values():
        for t in tracks:
            out[t] = [m for m in tracks if m != t]
    return out


def load_observations(conn: psycopg.Connection, track_ids: Collection[int],
                      mates: dict[int, list[int]] | None = None) -> dict[int, list[Observation]]:
    """All observations of ``track_ids`` in one query, per track: its own, newest bronze record first,
    then the tempo, key and energy observations of its other edits (``Observation.via``; ``mates`` from
    :func:`load_mates`, looked up here when not given)."""
    out: dict[int, list[Observation]] = {}
    if not track_ids:
        return out
    if mates is None:
        mates = load_mates(conn, track_ids)
    wanted = set(track_ids)
    extra = {m for t in track_ids for m in mates.get(t, ())} - wanted
    by_track: dict[int, list[Observation]] = {}
    for row in conn.execute(_OBSERVATIONS_SQL, (bigint_array(wanted | extra),)):
        tid = row[0]
        lst = by_track.get(tid)
        if lst is None:
            lst = by_track[tid] = []
        lst.append(Observation(*row[1:]))
    for tid in track_ids:
        own = by_track.get(tid)
        others = [o._replace(genres=[], label=None, catalog_number=None, year=None, via=m)
                  for m in mates.get(tid, ()) for o in by_track.get(m, ())
                  if o.bpm is not None or o.key_pitch_class is not None or o.energy is not None]
        if own or others:
            out[tid] = [*(own or ()), *others]
    return out


def bigint_array(ids: Collection[int]) -> str:
    """A ``bigint[]`` literal: psycopg dumps a Python list element by element (~3 us each), this is ~20x
    cheaper and the ids are ints, so nothing needs quoting."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def provider_fields() -> dict[str, frozenset[str]]:
    """What each known provider can fill (independent of settings)."""
    return {cls.name: cls.fields for cls in _provider_classes()}


def _provider_classes() -> list[type[ObservationProvider] | type[OnlineProvider]]:
    from etl.enrichment.providers.discogs import DiscogsProvider
    from etl.enrichment.providers.features import FeaturesProvider
    from etl.enrichment.providers.getsongbpm import GetSongBpmProvider
    from etl.enrichment.providers.libraries import MixxxProvider, TraktorProvider, VirtualdjProvider
    from etl.enrichment.providers.mixesdb import MixesdbProvider
    from etl.enrichment.providers.musicbrainz import MusicBrainzProvider
    from etl.enrichment.providers.rekordbox import RekordboxProvider
    from etl.enrichment.providers.tracklists1001 import TracklistsProvider

    return [RekordboxProvider, TraktorProvider, MixxxProvider, VirtualdjProvider, FeaturesProvider,
            TracklistsProvider, MixesdbProvider, MusicBrainzProvider, DiscogsProvider, GetSongBpmProvider]


def build_providers(settings: Settings | None = None) -> dict[str, Provider]:
    """One instance of every provider, online ones configured from the settings."""
    from etl.enrichment.providers.online import OnlineProvider
    from graphsvc.settings import get_settings

    settings = settings or get_settings()
    out: dict[str, Provider] = {}
    for cls in _provider_classes():
        inst: Provider = cls.from_settings(settings) if issubclass(cls, OnlineProvider) else cls()
        out[inst.name] = inst
    return out
