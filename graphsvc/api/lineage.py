"""Lineage queries on Postgres: a track from the graph node back to silver, enrichment and the raw bronze
records; an artist's spellings (aliases, how they were matched, how often they are used).

Files are named without their directory: the API is public and server paths are not its business.

For a MixesDB entry the bronze excerpt is the tracklist item itself (``payload->'tracklist'->item_index``)
instead of the whole mix; other records (a 1001Tracklists row, a rekordbox TRACK) are small and shown whole.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from graphsvc.errors import NotFound

_EXCERPT = """CASE WHEN {i} >= 0 AND jsonb_typeof(r.payload->'tracklist') = 'array'
                   THEN r.payload->'tracklist'->{i} ELSE r.payload END"""

_QUERIES: dict[str, str] = {
    "credits": """SELECT ta.artist_id, a.canonical_name AS name, ta.role, ta.position
                  FROM silver.track_artist ta JOIN silver.artist a USING (artist_id)
                  WHERE ta.track_id = %(id)s ORDER BY ta.position, ta.role LIMIT %(n)s""",
    "identifiers": """SELECT scheme, value FROM silver.track_identifier WHERE track_id = %(id)s
                      ORDER BY scheme, value LIMIT %(n)s""",
    "set_entries": f"""
        SELECT e.set_id, s.title AS set_title, s.source AS set_source, e.position, e.cue, e.raw_title,
               e.record_id, e.item_index, r.source, r.record_type, r.source_key AS source_record_id,
               r.source_url, regexp_replace(f.path, '^.*/', '') AS file, r.position AS record_position,
               r.importer_version, r.ingested_at,
               {_EXCERPT.format(i="e.item_index")} AS raw
        FROM silver.set_entry e
        JOIN silver.dj_set s ON s.set_id = e.set_id
        JOIN bronze.raw_record r ON r.record_id = e.record_id
        JOIN bronze.ingest_file f ON f.file_id = r.file_id
        WHERE e.track_id = %(id)s ORDER BY e.record_id, e.item_index LIMIT %(n)s""",
    "observations": f"""
        SELECT o.observation_id, o.source, o.match_strategy, o.artist_raw, o.title_raw, o.bpm::float8 AS bpm,
               o.key_pitch_class, o.key_mode, o.energy::float8 AS energy, o.genres, o.label, o.catalog_number,
               o.duration_s::float8 AS duration_s, o.rating, o.extra, o.record_id, o.item_index,
               r.record_type, r.source_key AS source_record_id, regexp_replace(f.path, '^.*/', '') AS file,
               r.position AS record_position, r.ingested_at, {_EXCERPT.format(i="o.item_index")} AS raw
        FROM silver.observation o
        JOIN bronze.raw_record r ON r.record_id = o.record_id
        JOIN bronze.ingest_file f ON f.file_id = r.file_id
        WHERE o.track_id = %(id)s ORDER BY o.record_id, o.item_index LIMIT %(n)s""",
    "attempts": """SELECT attempt_id, run_id, replay_id, field, provider, priority, input, output,
                          confidence::float8 AS confidence, success, error, attempted_at
                   FROM enrichment.attempt WHERE entity_type = 'track' AND entity_id = %(id)s
                   ORDER BY field, attempt_id LIMIT %(n)s""",
    "field_history": """SELECT history_id, run_id, replay_id, field, value, provider,
                               confidence::float8 AS confidence, fetched_at, recorded_at
                        FROM enrichment.field_history WHERE entity_type = 'track' AND entity_id = %(id)s
                        ORDER BY field, history_id LIMIT %(n)s""",
}


def track_lineage(conn: psycopg.Connection, track_id: int, limit: int = 100) -> dict[str, Any]:
    """Everything behind one track; each list holds at most ``limit`` rows (``truncated`` says which were cut)."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT to_jsonb(t) AS row FROM silver.track t WHERE t.track_id = %s",
                          (track_id,)).fetchone()
        if row is None:
            conn.rollback()
            raise NotFound(f"track {track_id} does not exist")
        out: dict[str, Any] = {"track_id": track_id, "silver": row["row"], "truncated": {}}
        for name, query in _QUERIES.items():
            rows = cur.execute(query, {"id": track_id, "n": limit + 1}).fetchall()
            out["truncated"][name] = len(rows) > limit
            out[name] = rows[:limit]
    conn.commit()
    return out


def artist_aliases(conn: psycopg.Connection, artist_id: int, limit: int) -> dict[str, Any]:
    """Every spelling met for an artist (silver.artist_alias), merged by display form, with how often it
    is used (silver.artist_spelling_use) and how it was matched; most used first."""
    from graphsvc.names import display_name

    row = conn.execute("SELECT canonical_name, name_key FROM silver.artist WHERE artist_id = %s",
                       (artist_id,)).fetchone()
    if row is None:
        raise NotFound(f"artist {artist_id} does not exist")
    uses: dict[str, int] = dict(conn.execute(
        "SELECT spelling, sum(uses)::bigint FROM silver.artist_spelling_use WHERE artist_id = %s GROUP BY spelling",
        (artist_id,)).fetchall())
    merged: dict[str, dict[str, Any]] = {}
    for alias, strategy, score in conn.execute(
            "SELECT alias, strategy, score FROM silver.artist_alias WHERE artist_id = %s ORDER BY alias", (artist_id,)):
        spelling = display_name(alias)
        m = merged.setdefault(spelling, {"spelling": spelling, "uses": int(uses.get(spelling, 0)), "strategies": [],
                                         "score": float(score)})
        if strategy not in m["strategies"]:
            m["strategies"].append(strategy)
        m["score"] = max(m["score"], float(score))
    conn.commit()
    aliases = sorted(merged.values(), key=lambda a: (-a["uses"], a["spelling"]))
    return {"artist_id": artist_id, "name": row[0], "name_key": row[1], "aliases": aliases[:limit]}
