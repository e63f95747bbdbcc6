"""Projection of gold into the configured graph backend.

With ``NEO4J_URI`` set, gold is written to Neo4j (incremental by watermark). Without it, the embedded
networkx store is the graph: it is built from gold in memory by whoever serves it, so the projection
step builds it once here to prove it loads and to report its size.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from graphsvc.settings import Settings, get_settings


@dataclass
class ProjectionStats:
    backend: str
    nodes: dict[str, int]
    relationships: dict[str, int]
    seconds: float


def open_store(conn: psycopg.Connection, settings: Settings | None = None):
    """The graph store of the settings: Neo4j when ``NEO4J_URI`` is set, else the embedded store from gold."""
    settings = settings or get_settings()
    if settings.neo4j_uri:
        from graphsvc.graph.neo4j_store import Neo4jStore

        return Neo4jStore(settings.neo4j_uri, user=settings.neo4j_user, password=settings.neo4j_password,
                          database=settings.neo4j_database)
    from graphsvc.graph.embedded import EmbeddedStore

    return EmbeddedStore.from_gold(conn)


def project_graph(conn: psycopg.Connection, settings: Settings | None = None, *, full: bool = False,
                  progress: Callable[[str, int | None], Callable[[int], None]] | None = None) -> ProjectionStats:
    """``progress(description, total)`` gets one bar: node labels and relationship types written (Neo4j), or
    the one load of the embedded store."""
    settings = settings or get_settings()
    t0 = time.perf_counter()
    if settings.neo4j_uri:
        from graphsvc.graph.neo4j_store import NODE_SOURCES, REL_SOURCES

        advance = progress(f"graph neo4j {settings.neo4j_database}", len(NODE_SOURCES) + len(REL_SOURCES)) \
            if progress else None
    else:
        advance = progress("graph embedded (load from gold)", 1) if progress else None
    store = open_store(conn, settings)
    try:
        if settings.neo4j_uri:
            store.ensure_schema()
            store.project(conn, full=full, progress=advance)
        elif advance is not None:
            advance(1)
        counts = store.counts()
    finally:
        store.close()
    from graphsvc.graph.model import NODE_LABELS

    nodes = {k: v for k, v in counts.items() if k in NODE_LABELS}
    rels = {k: v for k, v in counts.items() if k not in NODE_LABELS}
    return ProjectionStats("neo4j" if settings.neo4j_uri else "embedded", nodes, rels, time.perf_counter() - t0)
