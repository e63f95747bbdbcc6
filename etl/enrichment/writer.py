"""Writing one enrichment chunk, and a background writer that does it on its own connection.

The waterfall (Python, this process) and the loading of its rows (COPY and one UPDATE, the Postgres
server process) then run at the same time on two cores, like :class:`etl.silver.ChunkWriter`. Every
chunk is ONE transaction (labels, track UPDATE, attempts, history, replay diffs): a kill loses at most
the chunks not yet committed, whose tracks keep ``needs_enrichment`` and are redone by the next run.

Rows arrive as ready COPY *text* lines (built by the waterfall without per-row dicts): handing psycopg
~20 k small rows per chunk through ``write_row`` cost more Python time than the whole waterfall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from etl.chunkwriter import ChunkWriter
from graphsvc.ids import stable_id

# staged track values of one chunk; the UPDATE joins it (one statement instead of one per track)
_STAGE_SQL = """
CREATE TEMP TABLE IF NOT EXISTS enrich_track_update (
    track_id bigint PRIMARY KEY, bpm numeric(6,2), key_pitch_class smallint, key_mode smallint, camelot text,
    energy real, genres text[], label text, release_year smallint, isrc text, provenance jsonb,
    field_confidence jsonb, quality_score real, validation_status text, clear_flag boolean, row_xmin xid
) ON COMMIT DELETE ROWS
"""

# The id range (the chunk's first and last track) lets the planner read only that part of the track
# table: a fresh temp table has no statistics and the join would otherwise scan all tracks per chunk.
# ``row_xmin``: the row version the waterfall read. The flag is cleared only when the row is still that
# version, so a track that was flagged (or otherwise changed) meanwhile stays flagged and is redone;
# this replaces a ``SELECT ... FOR NO KEY UPDATE`` per chunk (and lets reading and writing overlap).
_UPDATE_SQL = """
UPDATE silver.track t SET
    bpm = u.bpm, key_pitch_class = u.key_pitch_class, key_mode = u.key_mode, camelot = u.camelot,
    energy = u.energy, genres = u.genres,
    label_id = CASE WHEN u.label IS NULL THEN t.label_id ELSE l.label_id END,
    release_year = u.release_year, isrc = u.isrc, provenance = u.provenance, field_confidence = u.field_confidence,
    quality_score = u.quality_score, validation_status = u.validation_status,
    needs_enrichment = CASE WHEN u.clear_flag AND t.xmin = u.row_xmin THEN false ELSE t.needs_enrichment END,
    updated_at = now()
FROM enrich_track_update u LEFT JOIN silver.label l ON l.name_key = u.label
WHERE t.track_id = u.track_id AND t.track_id BETWEEN %s AND %s
"""

_STAGE_COPY = (
    "COPY enrich_track_update (track_id, bpm, key_pitch_class, key_mode, camelot, energy, genres, label,"
    " release_year, isrc, provenance, field_confidence, quality_score, validation_status, clear_flag, row_xmin)"
    " FROM STDIN"
)
# the varying columns first: a line is "<entity_id>\t<the entity's attempts as a JSON array>\t<per-run tail>"
ATTEMPT_COPY = "COPY enrichment.attempt_log (entity_id, attempts, plan_id, run_id, replay_id, entity_type) FROM STDIN"
HISTORY_COPY = (
    "COPY enrichment.field_history (entity_id, field, value, provider, confidence, fetched_at,"
    " run_id, replay_id, entity_type) FROM STDIN"
)
_DIFF_COPY = (
    "COPY enrichment.replay_diff (replay_id, entity_type, entity_id, field, old_value, new_value, old_provider,"
    " new_provider, old_confidence, new_confidence, changed) FROM STDIN"
)


@dataclass
class ChunkRows:
    """Everything one chunk writes. ``updates``, ``attempts`` (one attempt-log line per track) and ``history``
    are COPY text lines."""

    labels: dict[str, str] = field(default_factory=dict)  # name_key -> name of labels not yet in silver.label
    first_track: int = 0
    last_track: int = 0
    updates: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    diffs: list[tuple] = field(default_factory=list)


def prepare(conn: psycopg.Connection) -> None:
    """Create the session's staging table (once per connection)."""
    conn.execute(_STAGE_SQL)
    conn.commit()


def write_chunk(conn: psycopg.Connection, rows: ChunkRows) -> None:
    """Write one chunk inside the caller's transaction (the staging table must exist: :func:`prepare`)."""
    if rows.labels:
        keys = list(rows.labels)
        conn.execute(
            "INSERT INTO silver.label (label_id, name, name_key)"
            " SELECT k_id, n, k FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS x(k_id, n, k)"
            " ON CONFLICT DO NOTHING",
            ([stable_id("label", k) for k in keys], [rows.labels[k] for k in keys], keys),
        )
    with conn.cursor() as cur:
        if rows.updates:
            with cur.copy(_STAGE_COPY) as cp:
                cp.write("".join(rows.updates))
            cur.execute(_UPDATE_SQL, (rows.first_track, rows.last_track))
        if rows.attempts:
            with cur.copy(ATTEMPT_COPY) as cp:
                cp.write("".join(rows.attempts))
        if rows.history:
            with cur.copy(HISTORY_COPY) as cp:
                cp.write("".join(rows.history))
        if rows.diffs:
            with cur.copy(_DIFF_COPY) as cp:
                for d in rows.diffs:
                    cp.write_row(d)


def background_writer(conninfo: str) -> ChunkWriter[ChunkRows]:
    """Chunks written on a second connection in a thread (see :mod:`etl.chunkwriter`)."""
    return ChunkWriter(conninfo, write_chunk, name="enrichment-writer", prepare=prepare)
