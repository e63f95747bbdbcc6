"""Reconcile gold with the graph: ids and counts per node label and relationship type.

The graph side is the backend of the settings: Neo4j (the projected database) when ``NEO4J_URI`` is
set, else an embedded store freshly loaded from gold (the comparison then proves the load: a gold row
whose endpoints are missing cannot become a relationship, exactly as in Neo4j).
Ids are compared in the form ``GraphStore.ids`` returns them: node keys, and (start, end, extra) for
relationships with extra = role (BY), position (CONTAINS) or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from graphsvc.graph.model import NODE_LABELS, RELATIONSHIPS
from graphsvc.settings import Settings, get_settings

# kind -> SELECT of the ids in GraphStore.ids form (constant SQL, no input)
GOLD_IDS: dict[str, str] = {
    "Track": "SELECT id FROM gold.track",
    "Artist": "SELECT id FROM gold.artist",
    "Key": "SELECT camelot FROM gold.key",
    "Set": "SELECT id FROM gold.set",
    "Label": "SELECT id FROM gold.label",
    "BY": "SELECT track_id, artist_id, role FROM gold.by",
    "COLLABORATED_WITH": "SELECT a_id, b_id, NULL FROM gold.collaborated_with",
    "TRANSITIONS_TO": "SELECT from_id, to_id, NULL FROM gold.transitions_to",
    "IN_KEY": "SELECT id, camelot, NULL FROM gold.track WHERE camelot IS NOT NULL",
    "COMPATIBLE": "SELECT from_camelot, to_camelot, NULL FROM gold.compatible",
    "CONTAINS": "SELECT set_id, track_id, position FROM gold.contains",
    "PLAYED": "SELECT artist_id, set_id, NULL FROM gold.played",
    "SUPPORTS": "SELECT dj_id, artist_id, NULL FROM gold.supports",
    "ON_LABEL": "SELECT id, label_id, NULL FROM gold.track WHERE label_id IS NOT NULL",
}
SAMPLE = 5


@dataclass
class Drift:
    kind: str
    gold: int
    graph: int
    missing: int = 0  # in gold, not in the graph
    extra: int = 0  # in the graph, not in gold
    sample_missing: list[Any] = field(default_factory=list)
    sample_extra: list[Any] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.missing or self.extra or self.gold != self.graph)


def gold_ids(conn: psycopg.Connection, kind: str) -> set:
    with conn.cursor() as cur:
        cur.execute(GOLD_IDS[kind])
        if kind in NODE_LABELS:
            return {r[0] for r in cur}
        return {tuple(r) for r in cur}


def reconcile(conn: psycopg.Connection, store: Any) -> list[Drift]:
    """One Drift per label and relationship type of the model (in model order)."""
    graph_counts = store.counts()
    out = []
    for kind in list(NODE_LABELS) + list(RELATIONSHIPS):
        g = gold_ids(conn, kind)
        s = store.ids(kind)
        missing, extra = g - s, s - g
        out.append(Drift(kind, len(g), int(graph_counts.get(kind, len(s))), len(missing), len(extra),
                         sorted(missing, key=repr)[:SAMPLE], sorted(extra, key=repr)[:SAMPLE]))
    return out


def open_graph(conn: psycopg.Connection, settings: Settings | None = None) -> Any:
    """The graph of the settings: the Neo4j database when NEO4J_URI is set, else the embedded store
    loaded from gold now."""
    settings = settings or get_settings()
    if settings.neo4j_uri:
        from graphsvc.graph.neo4j_store import Neo4jStore

        return Neo4jStore(settings.neo4j_uri, user=settings.neo4j_user, password=settings.neo4j_password,
                          database=settings.neo4j_database)
    from graphsvc.graph.embedded import EmbeddedStore

    return EmbeddedStore.from_gold(conn)
