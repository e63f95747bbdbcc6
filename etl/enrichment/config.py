"""Waterfall configuration: which providers fill which field, in which order, above which confidence.

The live configuration is ``enrichment.metadata_enrichment_config`` plus the confidences of the kinds
of sources (``enrichment.source_confidence``, migration 016). Every run works on an immutable *snapshot*
of both (``enrichment.config_snapshot``, keyed by the sha256 of the canonical JSON), so a run can be
replayed later under exactly the configuration and confidences it used (``config_of_run``,
``confidences_of_snapshot``). Snapshots taken before confidences were configurable hold the config rows
only; their runs used the built-in table (``etl.enrichment.providers.confidence.LEGACY``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from graphsvc.errors import InvalidValue, NotFound
from graphsvc.pg import fetch_one

FIELDS: tuple[str, ...] = ("bpm", "key", "energy", "genres", "label", "release_year", "isrc")


@dataclass(frozen=True)
class ConfigRow:
    field: str
    provider: str
    priority: int
    min_confidence: float
    enabled: bool


def _rows(conn: psycopg.Connection) -> list[ConfigRow]:
    cur = conn.execute(
        "SELECT field, provider, priority, min_confidence, enabled"
        " FROM enrichment.metadata_enrichment_config ORDER BY field, priority"
    )
    # real -> float rounding: 0.6 is stored as 0.6000000238; round so the snapshot JSON is stable
    return [ConfigRow(f, p, int(pr), round(float(mc), 6), bool(en)) for f, p, pr, mc, en in cur]


def load_config(conn: psycopg.Connection) -> list[ConfigRow]:
    """The live configuration, ordered by field and priority (disabled rows included)."""
    return _rows(conn)


@dataclass(frozen=True)
class SourceConfidence:
    kind: str
    field: str
    confidence: float
    basis: str


def load_confidences(conn: psycopg.Connection) -> list[SourceConfidence]:
    """The live confidences per (kind of source, field); see migration 016."""
    if fetch_one(conn.execute("SELECT to_regclass('enrichment.source_confidence') IS NULL"))[0]:
        return []
    cur = conn.execute("SELECT kind, field, confidence, basis FROM enrichment.source_confidence ORDER BY kind, field")
    return [SourceConfidence(k, f, round(float(c), 6), b) for k, f, c, b in cur]


def canonical_json(rows: list[ConfigRow], confidences: list[SourceConfidence] | None = None) -> str:
    ordered = sorted(rows, key=lambda r: (r.field, r.priority, r.provider))
    config = [asdict(r) for r in ordered]
    if confidences is None:  # the format of snapshots taken before migration 016
        return json.dumps(config, sort_keys=True, separators=(",", ":"))
    conf = [asdict(c) for c in sorted(confidences, key=lambda c: (c.kind, c.field))]
    return json.dumps({"config": config, "confidence": conf}, sort_keys=True, separators=(",", ":"))


def take_snapshot(conn: psycopg.Connection) -> int:
    """Snapshot the live configuration; an unchanged configuration returns the existing snapshot id."""
    text = canonical_json(_rows(conn), load_confidences(conn))
    sha = hashlib.sha256(text.encode()).hexdigest()
    row = conn.execute(
        "INSERT INTO enrichment.config_snapshot (config_sha256, config) VALUES (%s, %s)"
        " ON CONFLICT (config_sha256) DO NOTHING RETURNING snapshot_id",
        (sha, Jsonb(json.loads(text))),
    ).fetchone()
    if row is None:
        row = fetch_one(conn.execute(
            "SELECT snapshot_id FROM enrichment.config_snapshot WHERE config_sha256 = %s", (sha,)))
    return int(row[0])


def _snapshot(conn: psycopg.Connection, snapshot_id: int) -> Any:
    row = conn.execute(
        "SELECT config FROM enrichment.config_snapshot WHERE snapshot_id = %s", (snapshot_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"config snapshot {snapshot_id} does not exist")
    return row[0]


def config_of_snapshot(conn: psycopg.Connection, snapshot_id: int) -> list[ConfigRow]:
    data = _snapshot(conn, snapshot_id)
    return [ConfigRow(**r) for r in (data["config"] if isinstance(data, dict) else data)]


def confidences_of_snapshot(conn: psycopg.Connection, snapshot_id: int) -> dict[tuple[str, str], float] | None:
    """(kind, field) -> confidence of a snapshot; None for a snapshot from before migration 016."""
    data = _snapshot(conn, snapshot_id)
    if not isinstance(data, dict):
        return None
    return {(c["kind"], c["field"]): float(c["confidence"]) for c in data.get("confidence", [])}


def snapshot_of_run(conn: psycopg.Connection, run_id: int) -> int | None:
    row = conn.execute("SELECT snapshot_id FROM ops.run WHERE run_id = %s", (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"run {run_id} does not exist")
    return row[0]


def config_of_run(conn: psycopg.Connection, run_id: int) -> list[ConfigRow]:
    """The configuration run ``run_id`` used (through ``ops.run.snapshot_id``)."""
    snapshot_id = snapshot_of_run(conn, run_id)
    if snapshot_id is None:
        raise NotFound(f"run {run_id} has no config snapshot (it ran no enrichment)")
    return config_of_snapshot(conn, snapshot_id)


def start_run(conn: psycopg.Connection, kind: str = "pipeline", mode: str | None = None) -> int:
    """Create an ``ops.run`` row bound to a snapshot of the current configuration; returns run_id."""
    snapshot_id = take_snapshot(conn)
    (run_id,) = fetch_one(conn.execute(
        "INSERT INTO ops.run (kind, mode, snapshot_id) VALUES (%s, %s, %s) RETURNING run_id",
        (kind, mode, snapshot_id),
    ))
    return int(run_id)


def set_config(
    conn: psycopg.Connection,
    field: str,
    provider: str,
    *,
    priority: int | None = None,
    min_confidence: float | None = None,
    enabled: bool | None = None,
) -> ConfigRow:
    """Insert or change one (field, provider) row.

    Priorities are unique per field: giving a provider the priority another one holds *swaps* the two
    (the other provider takes this one's old priority, or the next free one for a new row).
    """
    from etl.enrichment.providers import provider_fields  # late: providers import this module

    if field not in FIELDS:
        raise InvalidValue(f"unknown field {field!r}; fields are {', '.join(FIELDS)}")
    known = provider_fields()
    if provider not in known:
        raise InvalidValue(f"unknown provider {provider!r}; providers are {', '.join(sorted(known))}")
    if field not in known[provider]:
        raise InvalidValue(
            f"provider {provider!r} cannot fill {field!r} (it fills {', '.join(sorted(known[provider]))})")
    if min_confidence is not None and not 0 <= min_confidence <= 1:
        raise InvalidValue(f"min_confidence must be between 0 and 1, got {min_confidence}")
    if priority is not None and priority < 1:
        raise InvalidValue(f"priority must be >= 1, got {priority}")

    with conn.transaction():
        conn.execute("LOCK TABLE enrichment.metadata_enrichment_config IN SHARE ROW EXCLUSIVE MODE")
        current = conn.execute(
            "SELECT priority FROM enrichment.metadata_enrichment_config WHERE field = %s AND provider = %s",
            (field, provider),
        ).fetchone()
        if current is None:
            (free,) = fetch_one(conn.execute(
                "SELECT coalesce(max(priority), 0) + 1 FROM enrichment.metadata_enrichment_config WHERE field = %s",
                (field,),
            ))
            conn.execute(
                "INSERT INTO enrichment.metadata_enrichment_config (field, provider, priority, min_confidence, enabled)"
                " VALUES (%s, %s, %s, %s, %s)",
                (field, provider, free, 0.5 if min_confidence is None else min_confidence,
                 True if enabled is None else enabled),
            )
            old_priority = free
        else:
            old_priority = current[0]
        if priority is not None and priority != old_priority:
            # move the holder of the wanted priority out of the way, then swap
            conn.execute(
                "UPDATE enrichment.metadata_enrichment_config SET priority = -1, updated_at = now()"
                " WHERE field = %s AND priority = %s",
                (field, priority),
            )
            conn.execute(
                "UPDATE enrichment.metadata_enrichment_config SET priority = %s, updated_at = now()"
                " WHERE field = %s AND provider = %s",
                (priority, field, provider),
            )
            conn.execute(
                "UPDATE enrichment.metadata_enrichment_config SET priority = %s, updated_at = now()"
                " WHERE field = %s AND priority = -1",
                (old_priority, field),
            )
        if min_confidence is not None or enabled is not None:
            conn.execute(
                "UPDATE enrichment.metadata_enrichment_config SET min_confidence = coalesce(%s, min_confidence),"
                " enabled = coalesce(%s, enabled), updated_at = now() WHERE field = %s AND provider = %s",
                (min_confidence, enabled, field, provider),
            )
    row = fetch_one(conn.execute(
        "SELECT field, provider, priority, min_confidence, enabled FROM enrichment.metadata_enrichment_config"
        " WHERE field = %s AND provider = %s",
        (field, provider),
    ))
    return ConfigRow(row[0], row[1], int(row[2]), round(float(row[3]), 6), bool(row[4]))
