"""Row counts and content checksums per table, to prove that re-running a step changes nothing and that
a killed-then-resumed run ends with exactly the data of an uninterrupted one.

Content excludes what legitimately differs between two equal runs: run ids, surrogate ids of log rows,
timestamps, and values drawn from sequences (gold ``change_seq`` and the projection watermark taken from
it, attempt ``plan_id``): a killed run may have drawn numbers it never committed, so the resumed run's are
higher. Everything else (including the deterministic silver ids) is compared.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from graphsvc.pg import fetch_one

VOLATILE = frozenset({
    "run_id", "attempt_id", "log_id", "history_id", "status_id", "snapshot_id", "replay_id",
    "ingested_at", "rejected_at", "fetched_at", "processed_at", "created_at", "updated_at", "attempted_at",
    "recorded_at", "taken_at", "projected_at", "started_at", "completed_at", "requested_at",
    "logged_at", "change_seq", "watermark", "plan_id", "gold_seq",
})
LAYERS = ("bronze", "silver", "enrichment", "gold")


def table_checksums(conn: psycopg.Connection, schemas: tuple[str, ...] = LAYERS) -> dict[str, tuple[int, str]]:
    """``{"schema.table": (rows, md5 of the sorted row contents)}`` for every table of ``schemas``."""
    tables = conn.execute(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s) ORDER BY 1, 2", (list(schemas),)
    ).fetchall()
    out: dict[str, tuple[int, str]] = {}
    for schema, table in tables:
        cols = [
            c for (c,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
                " ORDER BY ordinal_position", (schema, table))
            if c not in VOLATILE
        ]
        # provenance json carries run ids and fetch times per field: compare it without them
        row = sql.SQL(", ").join(
            sql.SQL("(SELECT jsonb_object_agg(k, v - 'run_id' - 'fetched_at') FROM jsonb_each({c}) e(k, v))").format(
                c=sql.Identifier(c))
            if c == "provenance" else sql.Identifier(c)
            for c in cols
        )
        query = sql.SQL(
            "SELECT count(*), coalesce(md5(string_agg(r::text, E'\\n' ORDER BY r::text)), '') "
            "FROM (SELECT ROW({row}) AS r FROM {schema}.{table}) s"
        ).format(row=row, schema=sql.Identifier(schema), table=sql.Identifier(table))
        n, digest = fetch_one(conn.execute(query))
        out[f"{schema}.{table}"] = (n, digest)
    conn.commit()
    return out
