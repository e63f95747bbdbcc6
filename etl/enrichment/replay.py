"""Replays: re-run the waterfall for chosen tracks and fields, under the current configuration or the
configuration of an earlier run, and record old vs new per (track, field) in ``enrichment.replay_diff``.

Which tracks: explicit ``track_ids``, or a ``filter`` resolved when the replay is *processed* (so a
replay queued before an import also covers the tracks that import added). Supported filter keys
(several keys are combined with AND):

- ``{"provider": P}`` - tracks with at least one field whose current value came from provider P;
  with ``"field": F`` only field F counts (``{"provider": "features", "field": "bpm"}``);
- ``{"source": S}`` - tracks with an observation of source S (``"features"`` matches every
  ``features:<file stem>``);
- ``{"field_is_null": F}`` - tracks whose field F has no value.

Responses of online providers come from ``bronze.provider_response``: a replay never refetches.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from etl.enrichment.config import FIELDS, snapshot_of_run, take_snapshot
from etl.enrichment.providers import Provider, provider_fields
from etl.enrichment.waterfall import EnrichStats, enrich
from graphsvc.errors import InvalidValue, NotFound
from graphsvc.pg import fetch_one

log = logging.getLogger(__name__)

FILTER_KEYS = frozenset({"provider", "field", "source", "field_is_null"})
MAX_TRACK_IDS = 1_000_000
# field -> SQL predicate "value is null" on silver.track t (constants, never user input)
_NULL_SQL = {
    "bpm": "t.bpm IS NULL", "key": "t.key_pitch_class IS NULL", "energy": "t.energy IS NULL",
    "genres": "cardinality(t.genres) = 0", "label": "t.label_id IS NULL",
    "release_year": "t.release_year IS NULL", "isrc": "t.isrc IS NULL",
}


@dataclass
class ReplayResult:
    replay_id: int
    status: str                   # done | failed
    tracks: int = 0
    changed: int = 0
    error: str | None = None
    stats: EnrichStats | None = field(default=None, repr=False)


def _check_fields(fields: Sequence[str]) -> list[str]:
    if isinstance(fields, str):
        fields = [fields]
    out = list(dict.fromkeys(fields))
    if not out:
        raise InvalidValue("a replay needs at least one field")
    bad = [f for f in out if f not in FIELDS]
    if bad:
        raise InvalidValue(f"unknown field(s) {', '.join(map(repr, bad))}; fields are {', '.join(FIELDS)}")
    return out


def validate_filter(flt: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(flt, dict) or not flt:
        raise InvalidValue(f"a replay filter must be a non-empty object with keys {sorted(FILTER_KEYS)}")
    unknown = set(flt) - FILTER_KEYS
    if unknown:
        raise InvalidValue(
            f"unknown replay filter key(s) {sorted(unknown)}; "
            "supported: provider (+ optional field), source, field_is_null"
        )
    for k, v in flt.items():
        if not isinstance(v, str) or not v:
            raise InvalidValue(f"replay filter {k!r} must be a non-empty string, got {v!r:.80}")
        if "\x00" in v:
            raise InvalidValue(f"replay filter {k!r} must not contain the NUL character (\\u0000)")
    if "field" in flt and "provider" not in flt:
        raise InvalidValue('replay filter "field" only narrows "provider": give {"provider": ..., "field": ...}')
    if "provider" in flt and flt["provider"] not in provider_fields():
        raise InvalidValue(
            f"unknown provider {flt['provider']!r}; providers are {', '.join(sorted(provider_fields()))}")
    for k in ("field", "field_is_null"):
        if k in flt and flt[k] not in FIELDS:
            raise InvalidValue(f"replay filter {k}: unknown field {flt[k]!r}; fields are {', '.join(FIELDS)}")
    return flt


def enqueue_replay(
    conn: psycopg.Connection,
    *,
    fields: Sequence[str],
    reason: str,
    track_ids: Sequence[int] | None = None,
    filter: dict[str, Any] | None = None,  # the column is called filter
    config_run_id: int | None = None,
) -> int:
    """Queue a replay; returns its replay_id. Exactly one of ``track_ids`` / ``filter`` is required."""
    fields = _check_fields(fields)
    if not reason or not reason.strip():
        raise InvalidValue("a replay needs a reason (it is kept with the queue entry)")
    if "\x00" in reason:
        raise InvalidValue("the replay reason must not contain the NUL character (\\u0000)")
    if (track_ids is None) == (filter is None):
        raise InvalidValue("give exactly one of track_ids or filter")
    if track_ids is not None:
        track_ids = sorted({int(t) for t in track_ids})
        if not track_ids:
            raise InvalidValue("track_ids is empty")
        bad = [t for t in (track_ids[0], track_ids[-1]) if not -(2**63) <= t <= 2**63 - 1]
        if bad:
            raise InvalidValue(f"track ids are 64-bit integers: {bad[0]} is out of range")
        if len(track_ids) > MAX_TRACK_IDS:
            raise InvalidValue(f"at most {MAX_TRACK_IDS} track ids per replay; use a filter")
    if filter is not None:
        filter = validate_filter(filter)
    if config_run_id is not None and snapshot_of_run(conn, config_run_id) is None:
        raise InvalidValue(f"run {config_run_id} has no config snapshot; it cannot serve as the replay's config")
    (replay_id,) = fetch_one(conn.execute(
        "INSERT INTO enrichment.replay_queue (entity_type, entity_ids, filter, fields, config_run_id, reason)"
        " VALUES ('track', %s, %s, %s, %s, %s) RETURNING replay_id",
        (track_ids, Jsonb(filter) if filter is not None else None, fields, config_run_id, reason.strip()),
    ))
    conn.commit()
    return int(replay_id)


def resolve_tracks(conn: psycopg.Connection, entity_ids: list[int] | None, flt: dict[str, Any] | None) -> list[int]:
    """Track ids of a replay (explicit ids that exist, or the filter evaluated now)."""
    if entity_ids is not None:
        return [r[0] for r in conn.execute(
            "SELECT track_id FROM silver.track WHERE track_id = ANY(%s) ORDER BY track_id", (list(entity_ids),))]
    flt = validate_filter(flt or {})
    where: list[str] = []
    params: list[Any] = []
    if "provider" in flt:
        if "field" in flt:
            where.append("t.provenance -> %s ->> 'provider' = %s")
            params += [flt["field"], flt["provider"]]
        else:
            where.append("EXISTS (SELECT 1 FROM jsonb_each(t.provenance) p WHERE p.value ->> 'provider' = %s)")
            params.append(flt["provider"])
    if "source" in flt:
        src = flt["source"]
        if src == "features":
            where.append("EXISTS (SELECT 1 FROM silver.observation o WHERE o.track_id = t.track_id"
                         " AND o.source LIKE 'features:%%')")
        else:
            where.append("EXISTS (SELECT 1 FROM silver.observation o WHERE o.track_id = t.track_id AND o.source = %s)")
            params.append(src)
    if "field_is_null" in flt:
        where.append(_NULL_SQL[flt["field_is_null"]])
    sql = "SELECT t.track_id FROM silver.track t WHERE " + " AND ".join(where) + " ORDER BY t.track_id"
    return [r[0] for r in conn.execute(sql, params)]


def process_replays(
    conn: psycopg.Connection,
    run_id: int,
    *,
    limit: int = 100,
    providers: dict[str, Provider] | None = None,
    chunk_size: int = 2000,
) -> list[ReplayResult]:
    """Carry out up to ``limit`` queued replays, oldest first, within run ``run_id``.

    A failing replay is marked 'failed' with the error (its queue entry and any diff rows of chunks that
    committed stay); the others go on.
    """
    results: list[ReplayResult] = []
    for _ in range(limit):
        row = conn.execute(
            "SELECT replay_id, entity_ids, filter, fields, config_run_id FROM enrichment.replay_queue"
            " WHERE status = 'queued' ORDER BY replay_id LIMIT 1 FOR UPDATE SKIP LOCKED"
        ).fetchone()
        if row is None:
            conn.commit()
            break
        replay_id, entity_ids, flt, fields, config_run_id = row
        conn.execute(
            "UPDATE enrichment.replay_queue SET status = 'running', run_id = %s WHERE replay_id = %s",
            (run_id, replay_id),
        )
        conn.commit()
        try:
            if config_run_id is not None:
                snapshot_id = snapshot_of_run(conn, config_run_id)
                if snapshot_id is None:
                    raise NotFound(f"run {config_run_id} has no config snapshot")
            else:
                snapshot_id = take_snapshot(conn)
            track_ids = resolve_tracks(conn, entity_ids, flt)
            conn.commit()
            stats = enrich(conn, run_id, track_ids=track_ids, fields=list(fields), snapshot_id=snapshot_id,
                           replay_id=replay_id, providers=providers, chunk_size=chunk_size)
            (changed,) = fetch_one(conn.execute(
                "SELECT count(*) FROM enrichment.replay_diff WHERE replay_id = %s AND changed", (replay_id,)
            ))
            conn.execute(
                "UPDATE enrichment.replay_queue SET status = 'done', completed_at = now(), error = NULL"
                " WHERE replay_id = %s", (replay_id,))
            conn.commit()
            results.append(ReplayResult(replay_id, "done", stats.tracks, int(changed), None, stats))
        except Exception as e:  # noqa: BLE001 - the failure is recorded on the queue entry; the worker goes on
            conn.rollback()
            msg = f"{type(e).__name__}: {e}"
            log.warning("replay %s failed: %s", replay_id, msg)
            conn.execute(
                "UPDATE enrichment.replay_queue SET status = 'failed', completed_at = now(), error = %s"
                " WHERE replay_id = %s", (msg[:2000], replay_id))
            conn.commit()
            results.append(ReplayResult(replay_id, "failed", error=msg))
    return results
