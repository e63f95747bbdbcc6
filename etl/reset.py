"""``etl reset``: start over. Every layer (bronze, silver, enrichment, gold, ops) is dropped and migrated
again, and the graph of the settings is cleared.

Bronze is append-only by design; this is the one deliberate way to empty it, for a developer or operator who
wants a clean database (a demo loaded into the main database by an older version, a test import). It holds
the processing lock, so it never runs under a pipeline run, and the CLI asks for confirmation first.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from etl.locks import processing_lock
from etl.migrate import migrate
from graphsvc.pg import fetch_one
from graphsvc.settings import Settings, get_settings

SCHEMAS = ("bronze", "silver", "enrichment", "gold", "ops")


@dataclass
class ResetResult:
    records_dropped: int  # bronze records there were
    graph: str  # what happened to the graph


def reset(conn: psycopg.Connection, settings: Settings | None = None) -> ResetResult:
    settings = settings or get_settings()
    (records,) = fetch_one(conn.execute(
        "SELECT CASE WHEN to_regclass('bronze.raw_record') IS NULL THEN 0"
        " ELSE (SELECT count(*) FROM bronze.raw_record) END"))
    with processing_lock(conn, "a reset"), conn.transaction():
        conn.execute("DROP SCHEMA IF EXISTS bronze, silver, enrichment, gold, ops CASCADE")
    migrate(conn)
    graph = "embedded graph: rebuilt from the (now empty) gold by whoever serves it"
    if settings.neo4j_uri:
        from graphsvc.graph.neo4j_store import Neo4jStore

        store = Neo4jStore(settings.neo4j_uri, user=settings.neo4j_user, password=settings.neo4j_password,
                           database=settings.neo4j_database)
        try:
            store.clear()
        finally:
            store.close()
        graph = f"Neo4j {settings.neo4j_uri}/{settings.neo4j_database}: graphsvc's nodes and relationships deleted"
    return ResetResult(int(records), graph)
