"""The Neo4j 5.26 backend of ``GraphStore``: queries from the ``cypher`` library, the official driver.

Every call names its database (``database_``); reads go through ``driver.execute_query`` with
``routing_=READ`` (cluster read replicas), multi-statement writes through managed transactions
(``session.execute_write``), so the driver retries transient failures. Driver errors are re-raised as
``GraphUnavailable`` (server unreachable / session expired) or ``GraphsvcError``.

Projection copies the gold tables (Postgres schema ``gold``) into the graph: rows with
``change_seq`` above the target's watermark (all rows when ``full``), nodes first, then relationships,
in batches; tombstones are applied before the upserts; the new watermark goes to
``gold.projection_state`` for target ``neo4j:<uri>/<db>``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl

import cypher
from graphsvc import harmonic
from graphsvc.errors import GraphsvcError, GraphUnavailable, InvalidValue, NotFound
from graphsvc.graph.base import Candidate, Edge, LoadStats, Node, Subgraph, bounded
from graphsvc.graph.model import NODE_LABELS, RELATIONSHIPS

# label -> (write query, key column, SELECT of (key, props...) from gold, incremental)
NODE_SOURCES: dict[str, tuple[str, str, str, bool]] = {
    "Key": ("write_keys", "camelot",
            "SELECT camelot, pitch_class, mode, name, open_key, number, letter FROM gold.key", False),
    "Label": ("write_labels", "id", "SELECT id, name, tracks FROM gold.label", True),
    "Artist": ("write_artists", "id", "SELECT id, name, name_key, tracks, sets FROM gold.artist", True),
    "Track": ("write_tracks", "id",
              "SELECT id, title, version, artists, bpm, key_pc, key_mode, camelot, energy, genres, plays, sets,"
              " quality, label, year, duration_s FROM gold.track", True),
    "Set": ("write_sets", "id",
            "SELECT id, title, dj, date, venue, event, show, source, tracks FROM gold.set", True),
}
# type -> (write query, SELECT of the row fields the write query reads, incremental)
REL_SOURCES: dict[str, tuple[str, str, bool]] = {
    "BY": ("write_by", "SELECT track_id, artist_id, role, position FROM gold.by", True),
    "COLLABORATED_WITH": ("write_collaborated_with",
                          "SELECT a_id, b_id, weight, first_year, last_year FROM gold.collaborated_with", True),
    "TRANSITIONS_TO": ("write_transitions_to",
                       "SELECT from_id, to_id, count, djs, last_seen FROM gold.transitions_to", True),
    "IN_KEY": ("write_in_key", "SELECT id AS track_id, camelot FROM gold.track", True),
    "COMPATIBLE": ("write_compatible", "SELECT from_camelot, to_camelot, move, score FROM gold.compatible", False),
    "CONTAINS": ("write_contains", "SELECT set_id, track_id, position FROM gold.contains", True),
    "PLAYED": ("write_played", "SELECT artist_id, set_id FROM gold.played", True),
    "SUPPORTS": ("write_supports", "SELECT dj_id, artist_id, count FROM gold.supports", True),
    "ON_LABEL": ("write_on_label", "SELECT id AS track_id, label_id FROM gold.track", True),
}
DELETABLE_LABELS = ("Track", "Artist", "Set", "Label")
MAX_BATCH = 50_000


def tombstone_row(kind: str, key: str) -> dict[str, Any]:
    """The ``delete_relationships`` row of a tombstone key: "a:b", "track:artist:role" (BY), "set:pos" (CONTAINS)."""
    parts = key.split(":")
    try:
        if kind == "BY":
            return {"start": int(parts[0]), "end": int(parts[1]), "role": ":".join(parts[2:])}
        if kind == "CONTAINS":
            return {"start": int(parts[0]), "position": int(parts[1])}
        return {"start": int(parts[0]), "end": int(parts[1])}
    except (IndexError, ValueError) as e:
        raise GraphsvcError(f"gold.tombstone key {key!r} of kind {kind} is not in the expected form") from e


def batches(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


class Neo4jStore:
    """``GraphStore`` over a Neo4j 5.26 database. ``driver`` may be injected (tests pass a recording double)."""

    backend = "neo4j"

    def __init__(self, uri: str, *, user: str | None = None, password: str | None = None,
                 database: str = "neo4j", driver: Any = None) -> None:
        self.uri = uri
        self.database = database
        auth = (user, password) if user else None
        try:
            self._driver = driver if driver is not None else GraphDatabase.driver(uri, auth=auth)
        except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, ValueError) as e:
            raise GraphUnavailable(f"cannot create a Neo4j driver for {uri}: {e}") from e

    @property
    def target(self) -> str:
        return f"neo4j:{self.uri}/{self.database}"

    # --- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired) as e:
            raise GraphUnavailable(f"Neo4j at {self.uri} is unavailable ({what}): {e}") from e
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as e:
            raise GraphsvcError(f"Neo4j query {what} failed: {e}") from e

    def _read(self, name: str, **params: Any) -> list[Any]:
        with self._errors(name):
            result = self._driver.execute_query(
                cypher.load(name), params, database_=self.database, routing_=RoutingControl.READ)
        return list(result.records)

    def _write_batches(self, name: str, rows: Sequence[dict[str, Any]], batch_size: int, **extra: Any) -> int:
        """Each batch in its own managed write transaction (retried by the driver on transient errors)."""
        if not rows:
            return 0
        query = cypher.load(name)

        def work(tx: Any, batch: Sequence[dict[str, Any]]) -> None:
            tx.run(query, {"rows": list(batch), **extra}).consume()

        with self._errors(name), self._driver.session(database=self.database) as session:
            for batch in batches(rows, batch_size):
                session.execute_write(work, batch)
        return len(rows)

    def close(self) -> None:
        self._driver.close()

    def ping(self) -> bool:
        try:
            self._driver.verify_connectivity(database=self.database)
            return True
        except Exception:  # noqa: BLE001 - a health probe answers, it does not raise
            return False

    # --- schema, projection, maintenance ----------------------------------------------------
    def ensure_schema(self) -> None:
        for statement in cypher.statements("schema_constraints"):
            with self._errors("schema_constraints"):
                self._driver.execute_query(statement, database_=self.database)

    def wipe(self) -> None:
        """Delete everything (tests, full rebuilds). Runs in batched implicit transactions."""
        with self._errors("wipe"), self._driver.session(database=self.database) as session:
            session.run(cypher.load("wipe")).consume()

    def project(self, conn: Any, *, full: bool = False, batch_size: int = 5000) -> LoadStats:
        """Copy gold rows changed since this target's watermark (all when ``full``) into the graph."""
        batch_size = int(batch_size)
        if not 1 <= batch_size <= MAX_BATCH:
            raise InvalidValue(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        started = time.perf_counter()
        self.ensure_schema()
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            row = conn.execute("SELECT watermark FROM gold.projection_state WHERE target = %s",
                               (self.target,)).fetchone()
            watermark = None if full or row is None else int(row[0])
            seq = conn.execute("SELECT last_value, is_called FROM gold.change_seq_seq").fetchone()
            new_watermark = int(seq[0]) if seq[1] else 0
            tombstones = [] if watermark is None else conn.execute(
                "SELECT kind, key FROM gold.tombstone WHERE change_seq > %s ORDER BY change_seq",
                (watermark,)).fetchall()
            node_rows = {label: self._gold_rows(conn, sql, incremental, watermark)
                         for label, (_, _, sql, incremental) in NODE_SOURCES.items()}
            rel_rows = {rel: self._gold_rows(conn, sql, incremental, watermark)
                        for rel, (_, sql, incremental) in REL_SOURCES.items()}

        self._apply_tombstones(tombstones, batch_size)
        nodes: dict[str, int] = {}
        for label, (query, key, _, _) in NODE_SOURCES.items():
            payload = [{key: r[key], "props": {k: v for k, v in r.items() if k != key}} for r in node_rows[label]]
            nodes[label] = self._write_batches(query, payload, batch_size)
        relationships = {rel: self._write_batches(REL_SOURCES[rel][0], rel_rows[rel], batch_size)
                         for rel in REL_SOURCES}

        with conn.transaction():
            conn.execute(
                "INSERT INTO gold.projection_state (target, watermark, projected_at) VALUES (%s, %s, now())"
                " ON CONFLICT (target) DO UPDATE SET watermark = EXCLUDED.watermark, projected_at = now()",
                (self.target, new_watermark))
        return LoadStats(nodes=nodes, relationships=relationships, seconds=time.perf_counter() - started)

    @staticmethod
    def _gold_rows(conn: Any, sql: str, incremental: bool, watermark: int | None) -> list[dict[str, Any]]:
        params: tuple[Any, ...] = ()
        if incremental and watermark is not None:
            sql, params = f"{sql} WHERE change_seq > %s", (watermark,)
        cur = conn.execute(sql, params)
        names = [d.name for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def _apply_tombstones(self, tombstones: Sequence[tuple[str, str]], batch_size: int) -> None:
        by_kind: dict[str, list[str]] = {}
        for kind, key in tombstones:
            by_kind.setdefault(kind, []).append(key)
        for rel in RELATIONSHIPS:  # relationships first, then nodes (DETACH would take them anyway)
            if rel in by_kind:
                rows = [tombstone_row(rel, k) for k in by_kind.pop(rel)]
                self._write_batches("delete_relationships", rows, batch_size, type=rel)
        for label in DELETABLE_LABELS:
            if label in by_kind:
                ids = [int(k) for k in by_kind.pop(label)]
                query = cypher.load("delete_nodes")
                with self._errors("delete_nodes"), self._driver.session(database=self.database) as session:
                    for batch in batches(ids, batch_size):
                        session.execute_write(lambda tx, b=batch: tx.run(query, {"label": label, "ids": list(b)}).consume())
        if by_kind:
            raise GraphsvcError(f"gold.tombstone has kinds the graph does not know: {sorted(by_kind)}")

    # --- reconcile --------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        out = {r["kind"]: int(r["count"]) for r in self._read("counts_nodes")}
        out.update({r["kind"]: int(r["count"]) for r in self._read("counts_relationships")})
        return out

    def ids(self, kind: str) -> set:
        if kind in NODE_LABELS:
            return {r["id"] for r in self._read("ids_nodes", label=kind)}
        if kind in RELATIONSHIPS:
            return {(r["start"], r["end"], r["extra"]) for r in self._read("ids_relationships", type=kind)}
        raise InvalidValue(f"unknown node label or relationship type {kind!r}")

    # --- reads ------------------------------------------------------------------------------
    @staticmethod
    def _needle(q: str) -> tuple[str, str]:
        """(lower-cased needle, escaped Lucene query: every term as a prefix, all required)."""
        needle = " ".join(str(q).lower().split())
        if not needle:
            raise InvalidValue("search text must not be empty")
        special = set('+-&|!(){}[]^"~*?:\\/')
        terms = ["".join("\\" + c if c in special else c for c in t) for t in needle.split()]
        return needle, " AND ".join(f"{t}*" for t in terms)

    def search_tracks(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        needle, lucene = self._needle(q)
        return [dict(r) for r in self._read("search_tracks", q=needle, lucene=lucene, limit=int(bounded("limit", limit)))]

    def search_artists(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        needle, lucene = self._needle(q)
        return [dict(r) for r in self._read("search_artists", q=needle, lucene=lucene, limit=int(bounded("limit", limit)))]

    def get_track(self, track_id: int) -> dict[str, Any] | None:
        records = self._read("get_track", track_id=int(track_id))
        if not records:
            return None
        return {**records[0]["track"], "credits": records[0]["credits"]}

    def get_artist(self, artist_id: int) -> dict[str, Any] | None:
        records = self._read("get_artist", artist_id=int(artist_id))
        return dict(records[0]["artist"]) if records else None

    def collaboration_network(self, artist_id: int, depth: int = 1, min_weight: int = 1, limit: int = 100) -> Subgraph:
        records = self._read("collaboration_network", artist_id=int(artist_id), depth=int(bounded("depth", depth)),
                             min_weight=int(bounded("min_weight", min_weight)), limit=int(bounded("limit", limit)))
        if not records:
            raise NotFound(f"artist {artist_id} is not in the graph")
        r = records[0]
        nodes = [Node(f"Artist:{n['id']}", "Artist", dict(n)) for n in r["nodes"]]
        edges = [Edge(f"Artist:{e['source']}", f"Artist:{e['target']}", "COLLABORATED_WITH",
                      {"weight": e["weight"], "first_year": e["first_year"], "last_year": e["last_year"]})
                 for e in r["edges"]]
        return Subgraph(nodes=nodes, edges=edges, truncated=bool(r["truncated"]))

    def collaboration_paths(self, a: int, b: int, k: int = 3, max_hops: int = 6) -> list[list[dict[str, Any]]]:
        records = self._read("collaboration_paths", a=int(a), b=int(b), k=int(bounded("k", k)),
                             max_hops=int(bounded("max_hops", max_hops)))
        paths = []
        for r in records:
            weights = list(r["weights"]) + [None]
            paths.append([{"artist": dict(artist), "weight_to_next": w} for artist, w in zip(r["artists"], weights)])
        return paths

    def _raw_candidates(self, track_id: int, *, strictness: str, bpm_window_pct: float, half_double: bool,
                        max_pitch_shift: int) -> list[dict[str, Any]]:
        from graphsvc.graph.ranking import CANDIDATE_CAP

        if strictness not in harmonic.STRICTNESS:
            raise InvalidValue(f"strictness must be one of {sorted(harmonic.STRICTNESS)}, got {strictness!r}")
        moves = sorted(m.value for m in harmonic.STRICTNESS[strictness])
        records = self._read(
            "next_track_candidates", track_id=int(track_id), moves=moves,
            clash_score=float(harmonic.MOVES[harmonic.Move("clash")]),
            bpm_window_pct=float(bounded("bpm_window_pct", bpm_window_pct)), half_double=bool(half_double),
            max_pitch_shift=int(bounded("max_pitch_shift", max_pitch_shift)), cap=CANDIDATE_CAP)
        return [{**dict(r), "track_id": r["id"]} for r in records]

    def next_tracks(self, track_id: int, *, strictness: str = "normal", bpm_window_pct: float = 6.0,
                    half_double: bool = True, max_pitch_shift: int = 0, limit: int = 20) -> list[Candidate]:
        from graphsvc.graph.ranking import rank_candidates

        bounded("limit", limit)
        source = self.get_track(track_id)
        if source is None:
            raise NotFound(f"track {track_id} is not in the graph")
        raw = self._raw_candidates(track_id, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                   half_double=half_double, max_pitch_shift=max_pitch_shift)
        return rank_candidates(source, raw, limit)

    def harmonic_paths(self, a: int, b: int, *, k: int = 3, max_len: int = 6, strictness: str = "normal",
                       bpm_window_pct: float = 6.0) -> list[list[Candidate]]:
        """Shared search (graphsvc.graph.paths) over this backend's strict rule-3(b) neighbours, so both
        backends agree; ``harmonic_path_ids`` runs the same constraints as one Cypher QPP."""
        from graphsvc.graph import paths

        cache: dict[int, dict[str, Any]] = {}

        def source(x: int) -> dict[str, Any]:
            if x not in cache:
                track = self.get_track(x)
                if track is None:
                    raise NotFound(f"track {x} is not in the graph")
                cache[x] = track
            return cache[x]

        def neighbours(x: int) -> list[dict[str, Any]]:
            raw = self._raw_candidates(x, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                       half_double=True, max_pitch_shift=0)
            return [c for c in raw if c["move"] is not None and c["bpm_pct"] is not None]

        result = paths.harmonic_paths(a, b, k=k, max_len=max_len, neighbours=neighbours, source=source)
        return list(result)

    def harmonic_path_ids(self, a: int, b: int, *, k: int = 3, max_len: int = 6, strictness: str = "normal",
                          bpm_window_pct: float = 6.0, half_double: bool = True) -> list[list[int]]:
        """Track id sequences of the first k shortest-length groups (unordered within a length)."""
        moves = sorted(m.value for m in harmonic.STRICTNESS[strictness])
        records = self._read("harmonic_path", a=int(a), b=int(b), k=int(bounded("k", k)),
                             max_len=int(bounded("max_len", max_len)), moves=moves,
                             bpm_window_pct=float(bounded("bpm_window_pct", bpm_window_pct)),
                             half_double=bool(half_double))
        return sorted((list(r["ids"]) for r in records), key=lambda ids: (len(ids), ids))

    def neighbourhood(self, kind: str, node_id: int, depth: int = 1, limit: int = 100) -> Subgraph:
        if kind not in ("track", "artist"):
            raise InvalidValue(f"kind must be 'track' or 'artist', got {kind!r}")
        bounded("depth", depth)
        if depth > 2:
            raise InvalidValue(f"depth must be between 1 and 2 for a neighbourhood, got {depth!r}")
        records = self._read(f"neighbourhood_{kind}", id=int(node_id), depth=int(depth), limit=int(bounded("limit", limit)))
        if not records:
            raise NotFound(f"{kind} {node_id} is not in the graph")
        r = records[0]
        nodes = [Node(f"{n['label']}:{n['key']}", n["label"],
                      {**dict(n["properties"]), "hops": n["hops"], "degree": n["degree"]}) for n in r["nodes"]]
        edges = sorted((Edge(f"{e['source_label']}:{e['source_key']}", f"{e['target_label']}:{e['target_key']}",
                             e["type"], dict(e["properties"])) for e in r["edges"]),
                       key=lambda e: (e.source, e.target, e.type, sorted(e.properties.items(), key=str)))
        return Subgraph(nodes=nodes, edges=edges, truncated=bool(r["truncated"]))

    def artist_analytics(self, artist_id: int) -> dict[str, Any] | None:
        records = self._read("artist_analytics", artist_id=int(artist_id), top=10)
        return dict(records[0]) if records else None

    def set_analytics(self, set_id: int) -> dict[str, Any] | None:
        records = self._read("set_analytics", set_id=int(set_id))
        if not records:
            return None
        return set_analytics_from_entries([dict(e) for e in records[0]["entries"]])


def set_analytics_from_entries(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Set analytics from its entries in position order (graph_spec rule 7), key math from graphsvc.harmonic."""
    scores, compatible = [], 0
    for x, y in zip(entries, entries[1:]):
        if x["camelot"] and y["camelot"]:
            move = harmonic.classify_move(harmonic.parse_key(x["camelot"]), harmonic.parse_key(y["camelot"]))
            scores.append(harmonic.MOVES[move])
            compatible += move != harmonic.Move("clash")
    genre_counts: dict[str, int] = {}
    for e in entries:
        for g in e.get("genres") or []:
            genre_counts[g] = genre_counts.get(g, 0) + 1
    n = len(entries)
    return {
        "tracks": n,
        "harmonic_flow": sum(scores) / len(scores) if scores else None,
        "compatible_share": compatible / len(scores) if scores else None,
        "energy_curve": [e["energy"] for e in entries],
        "bpm_curve": [e["bpm"] for e in entries],
        "genres": {g: c / n for g, c in sorted(genre_counts.items())} if n else {},
    }

