"""What the pipeline holds: counts per layer, the last runs and their processing status."""

from __future__ import annotations

from typing import Any

import psycopg

from graphsvc.pg import fetch_one

_COUNTS = {
    "bronze": {
        "files": "SELECT count(*) FROM bronze.ingest_file",
        "records": "SELECT count(*) FROM bronze.raw_record",
        "mixes": "SELECT count(*) FROM bronze.raw_record WHERE source = 'mixesdb' AND record_type = 'mix'",
        "entries": """SELECT coalesce(sum(jsonb_array_length(payload->'tracklist')), 0)::bigint
                      FROM bronze.raw_record
                      WHERE source = 'mixesdb' AND jsonb_typeof(payload->'tracklist') = 'array'""",
        "rejects": "SELECT count(*) FROM bronze.reject",
        "provider_responses": "SELECT count(*) FROM bronze.provider_response",
    },
    "silver": {
        "processed_records": "SELECT count(*) FROM silver.processed_record",
        "unprocessed_records": """SELECT count(*) FROM bronze.raw_record r WHERE NOT EXISTS
                                  (SELECT 1 FROM silver.processed_record p WHERE p.record_id = r.record_id)""",
        # 1001Tracklists files whose tracklists the next run rebuilds, new rows or not (an older export again)
        "unprocessed_files": """SELECT count(*) FROM bronze.ingest_file f WHERE f.source = '1001tracklists'
                                AND EXISTS (SELECT 1 FROM bronze.file_record fr WHERE fr.file_id = f.file_id)
                                AND NOT EXISTS (SELECT 1 FROM silver.processed_file p WHERE p.file_id = f.file_id)""",
        "sets": "SELECT count(*) FROM silver.dj_set",
        "mixes": "SELECT count(*) FROM silver.dj_set WHERE source = 'mixesdb'",
        "entries": "SELECT count(*) FROM silver.set_entry",
        "gaps": "SELECT count(*) FROM silver.set_gap",
        "mashup_components": "SELECT count(*) FROM silver.mashup_component",
        "tracks": "SELECT count(*) FROM silver.track",
        "artists": "SELECT count(*) FROM silver.artist",
        "artist_aliases": "SELECT count(*) FROM silver.artist_alias",
        "fuzzy_merges": "SELECT count(*) FROM silver.artist_alias WHERE strategy LIKE 'fuzzy:%'",
        "observations": "SELECT count(*) FROM silver.observation",
        "rejects": "SELECT count(*) FROM silver.reject",
        # of those, items of an older version of a set (a corrected mix, a re-exported tracklist or playlist)
        "rejects_superseded": "SELECT count(*) FROM silver.reject WHERE reason LIKE 'superseded by %'",
        "invalid_values": "SELECT count(*) FROM silver.invalid_value",
        "tracks_needing_enrichment": "SELECT count(*) FROM silver.track WHERE needs_enrichment",
        "tracks_with_bpm": "SELECT count(*) FROM silver.track WHERE bpm IS NOT NULL",
        "tracks_with_key": "SELECT count(*) FROM silver.track WHERE key_pitch_class IS NOT NULL",
    },
    "enrichment": {
        "attempts": "SELECT coalesce(sum(json_array_length(attempts)), 0) FROM enrichment.attempt_log",
        "history": "SELECT count(*) FROM enrichment.field_history",
        "replays_queued": "SELECT count(*) FROM enrichment.replay_queue WHERE status = 'queued'",
    },
}


# per source of observations: the tracks it observed, how many with a key / a BPM, and on how many
# silver tracks its provider's key / BPM won the waterfall
_PER_SOURCE = """
WITH obs AS (
    SELECT source, track_id,
           bool_or(key_pitch_class IS NOT NULL) AS has_key, bool_or(bpm IS NOT NULL) AS has_bpm
    FROM silver.observation WHERE track_id IS NOT NULL GROUP BY 1, 2
)
SELECT o.source, count(*), count(*) FILTER (WHERE has_key), count(*) FILTER (WHERE has_bpm),
       count(*) FILTER (WHERE has_key AND has_bpm)
FROM obs o GROUP BY 1 ORDER BY 1
"""
_WINS = """
SELECT provider, sum(key_wins)::bigint, sum(bpm_wins)::bigint FROM (
    SELECT provenance->'key'->>'provider' AS provider, count(*) AS key_wins, 0 AS bpm_wins
    FROM silver.track WHERE key_pitch_class IS NOT NULL GROUP BY 1
    UNION ALL
    SELECT provenance->'bpm'->>'provider', 0, count(*) FROM silver.track WHERE bpm IS NOT NULL GROUP BY 1
) w WHERE provider IS NOT NULL GROUP BY 1 ORDER BY 1
"""


def per_source(conn: psycopg.Connection) -> dict[str, dict[str, int]]:
    """Tracks observed per source with a key / a BPM, and per provider the silver tracks whose key / BPM it
    gave (the waterfall winner)."""
    out: dict[str, dict[str, int]] = {}
    for source, tracks, with_key, with_bpm, both in conn.execute(_PER_SOURCE):
        out[source] = {"tracks": tracks, "with_key": with_key, "with_bpm": with_bpm, "with_key_and_bpm": both}
    for provider, key_wins, bpm_wins in conn.execute(_WINS):
        row = out.setdefault(f"provider:{provider}", {})
        row.update(key_won=key_wins, bpm_won=bpm_wins)
    return out


def _table_exists(conn: psycopg.Connection, name: str) -> bool:
    return fetch_one(conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)))[0]


def status(conn: psycopg.Connection, runs: int = 5) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer, queries in _COUNTS.items():
        out[layer] = {name: fetch_one(conn.execute(q))[0] for name, q in queries.items()}
    if _table_exists(conn, "gold.track"):
        out["gold"] = {
            t: fetch_one(conn.execute(f"SELECT count(*) FROM gold.{t}"))[0]  # fixed table names
            for t in ("track", "artist", "set", "label", "transitions_to", "collaborated_with", "supports")
            if _table_exists(conn, f"gold.{t}")
        }
    out["sources"] = per_source(conn)
    out["silver"]["validation"] = dict(conn.execute(
        "SELECT validation_status, count(*) FROM silver.track GROUP BY 1 ORDER BY 1").fetchall())
    recent = conn.execute(
        """SELECT run_id, kind, mode, status, started_at, completed_at, error FROM ops.run
           ORDER BY run_id DESC LIMIT %s""", (runs,)).fetchall()
    out["runs"] = []
    for run_id, kind, mode, st, started, completed, error in recent:
        steps = conn.execute(
            """SELECT layer, table_name, status, records, started_at, completed_at, error
               FROM ops.processing_status WHERE run_id = %s ORDER BY status_id""", (run_id,)).fetchall()
        out["runs"].append({
            "run_id": run_id, "kind": kind, "mode": mode, "status": st,
            "started_at": started.isoformat() if started else None,
            "completed_at": completed.isoformat() if completed else None,
            "error": error.splitlines()[0] if error else None,
            "steps": [{"layer": s[0], "table": s[1], "status": s[2], "records": s[3],
                       "started_at": s[4].isoformat() if s[4] else None,
                       "completed_at": s[5].isoformat() if s[5] else None, "error": s[6]} for s in steps],
        })
    conn.commit()
    return out
