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
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    import psycopg

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


class ProviderError(Exception):
    """A provider could not answer (HTTP error after retries, malformed response). Logged as the attempt's error."""


@runtime_checkable
class Provider(Protocol):
    name: str
    fields: frozenset[str]
    online: bool

    @property
    def enabled(self) -> bool:
        """False for an online provider that is not configured (no API key, not switched on)."""
        ...

    def lookup(self, ctx: LookupContext, track: TrackInput, fields: Collection[str]) -> dict[str, ProviderValue]: ...


# the observations of the tracks, then the tempo/key/energy observations of their other edits (tracks with
# the same recording_key, migration 016), each track's own first, newest bronze record first
_OBSERVATIONS_SQL = """
WITH ts AS (
    SELECT track_id, recording_key FROM silver.track WHERE track_id = ANY(%(ids)s::bigint[])
), mates AS (  -- an index probe per track (OFFSET 0 keeps the planner from hashing the whole table)
    SELECT ts.track_id, m.via FROM ts CROSS JOIN LATERAL (
        SELECT t2.track_id AS via FROM silver.track t2
        WHERE t2.recording_key = ts.recording_key AND t2.track_id <> ts.track_id OFFSET 0) m
    WHERE ts.recording_key IS NOT NULL
)
SELECT * FROM (
    SELECT o.track_id, o.observation_id, o.source, o.record_id, o.bpm::float8, o.key_pitch_class, o.key_mode,
           o.energy, o.genres, o.label, o.catalog_number, coalesce(o.extra->>'release_year', o.extra->>'year'),
           o.kind, o.match_strategy, NULL::bigint AS via, o.item_index
    FROM silver.observation o WHERE o.track_id = ANY(%(ids)s::bigint[])
    UNION ALL
    SELECT mates.track_id, o.observation_id, o.source, o.record_id, o.bpm::float8, o.key_pitch_class, o.key_mode,
           o.energy, '{}'::text[], NULL, NULL, NULL, o.kind, o.match_strategy, mates.via, o.item_index
    FROM mates CROSS JOIN LATERAL (
        SELECT * FROM silver.observation o1 WHERE o1.track_id = mates.via
          AND (o1.bpm IS NOT NULL OR o1.key_pitch_class IS NOT NULL OR o1.energy IS NOT NULL) OFFSET 0) o
) x ORDER BY track_id, via IS NOT NULL, record_id DESC, item_index DESC
"""


def load_observations(conn: psycopg.Connection, track_ids: Collection[int]) -> dict[int, list[Observation]]:
    """All observations of ``track_ids`` in one query, per track: its own, newest bronze record first,
    then the tempo, key and energy observations of its other edits (``Observation.via``)."""
    out: dict[int, list[Observation]] = {}
    if not track_ids:
        return out
    cur = conn.execute(_OBSERVATIONS_SQL, {"ids": bigint_array(track_ids)})
    for row in cur:
        tid = row[0]
        lst = out.get(tid)
        if lst is None:
            lst = out[tid] = []
        lst.append(Observation._make(row[1:15]))
    return out


def bigint_array(ids: Collection[int]) -> str:
    """A ``bigint[]`` literal: psycopg dumps a Python list element by element (~3 us each), this is ~20x
    cheaper and the ids are ints, so nothing needs quoting."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def provider_fields() -> dict[str, frozenset[str]]:
    """What each known provider can fill (independent of settings)."""
    return {cls.name: cls.fields for cls in _provider_classes()}


def _provider_classes() -> list[type]:
    from etl.enrichment.providers.discogs import DiscogsProvider
    from etl.enrichment.providers.features import FeaturesProvider
    from etl.enrichment.providers.getsongbpm import GetSongBpmProvider
    from etl.enrichment.providers.mixesdb import MixesdbProvider
    from etl.enrichment.providers.musicbrainz import MusicBrainzProvider
    from etl.enrichment.providers.libraries import MixxxProvider, TraktorProvider, VirtualdjProvider
    from etl.enrichment.providers.rekordbox import RekordboxProvider
    from etl.enrichment.providers.tracklists1001 import TracklistsProvider

    return [RekordboxProvider, TraktorProvider, MixxxProvider, VirtualdjProvider, FeaturesProvider,
            TracklistsProvider, MixesdbProvider, MusicBrainzProvider, DiscogsProvider, GetSongBpmProvider]


def build_providers(settings: Settings | None = None) -> dict[str, Provider]:
    """One instance of every provider, online ones configured from the settings."""
    from graphsvc.settings import get_settings

    settings = settings or get_settings()
    out: dict[str, Provider] = {}
    for cls in _provider_classes():
        inst = cls.from_settings(settings) if getattr(cls, "online", False) else cls()
        out[inst.name] = inst
    return out
