"""The Neo4j 5.26 backend of ``GraphStore``: queries from the ``cypher`` library, the official driver.

Every call names its database (``database_``); reads go through ``driver.execute_query`` with
``routing_=READ`` (cluster read replicas), multi-statement writes through managed transactions
(``session.execute_write``), so the driver retries transient failures. Driver errors are re-raised as
``GraphUnavailable`` (server unreachable / session expired) or ``GraphsvcError``.

Projection copies the gold tables (Postgres schema ``gold``) into the graph: rows with
``change_seq`` above the target's watermark (all rows when ``full``), nodes first, then relationships,
in batches; tombstones are applied before the upserts; the new watermark goes to
``gold.projection_state`` for target ``neo4j:<uri>/<db>``. Every value sent as a property is made
storable first (``property_value``: primitives or homogeneous null-free lists, typed by the model; no
map, Decimal or numpy value ever reaches the driver).

Reads answer exactly as the embedded store: absent properties come back as None (Neo4j drops null
properties), neo4j.time values as datetime types, the same tie-breaks and the same NotFound/InvalidValue.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import pairwise
from typing import Any

import neo4j
import neo4j.time
import numpy as np
from neo4j import GraphDatabase, RoutingControl

import cypher
from graphsvc import deadline, harmonic
from graphsvc.errors import GraphsvcError, GraphUnavailable, InvalidValue, NotFound
from graphsvc.graph.base import Candidate, Edge, LoadStats, Node, Subgraph, bounded, sort_neighbourhood_edges
from graphsvc.graph.model import NODE_LABELS, RELATIONSHIPS
from graphsvc.names import name_key, title_key, track_search_keys

# label -> (write query, key column, SELECT of (key, props...) from gold, incremental)
NODE_SOURCES: dict[str, tuple[str, str, str, bool]] = {
    "Key": ("write_keys", "camelot", f"SELECT {', '.join(NODE_LABELS['Key'])} FROM gold.key", False),
    "Label": ("write_labels", "id", f"SELECT {', '.join(NODE_LABELS['Label'])} FROM gold.label", True),
    "Artist": ("write_artists", "id", f"SELECT {', '.join(NODE_LABELS['Artist'])} FROM gold.artist", True),
    "Track": ("write_tracks", "id", f"SELECT {', '.join(NODE_LABELS['Track'])} FROM gold.track", True),
    "Set": ("write_sets", "id", f"SELECT {', '.join(NODE_LABELS['Set'])} FROM gold.set", True),
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
#: Part of the projection target: a version that writes different properties (2: Track search keys) gets no
#: watermark of the old one, so its first projection is a full one (with the sweep) instead of an increment.
PROJECTION_VERSION = 2
_KEYS = {k.camelot: k for k in harmonic.ALL_KEYS}
_SCALARS = (bool, int, float, str, dt.date, dt.datetime, dt.time)


def _run_write(tx: neo4j.ManagedTransaction, query: str, params: dict[str, Any]) -> None:
    """One write statement in a managed transaction (``session.execute_write`` retries it on transient errors)."""
    tx.run(query, params).consume()


def _key_of(camelot: str | None) -> harmonic.Key | None:
    return None if camelot is None else _KEYS.get(camelot)


# --- property values: what Neo4j can store, and back -------------------------------------------
def _scalar(value: Any, where: str) -> Any:
    """One property value as a type the driver sends and Neo4j stores; numpy scalars and Decimal are
    converted (the driver refuses them), NaN becomes None (no property), anything else must already be a
    primitive (str, int, float, bool, date, datetime, time)."""
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, _SCALARS):
        return value
    raise GraphsvcError(f"{where}: a {type(value).__name__} cannot be stored as a Neo4j property "
                        f"(only primitives and homogeneous lists of primitives): {value!r}")


def property_value(value: Any, where: str = "property", cypher_type: str | None = None) -> Any:
    """``value`` made storable as a Neo4j property (Cypher manual, Values and types: property types are
    primitives and homogeneous lists of primitives; lists stored as properties cannot contain null).
    Lists lose their None elements, ints in a list with floats become floats, and a list must then hold
    one type; maps, nested lists and lists of maps are refused with the property named. With the model's
    ``cypher_type`` a number gets that type (a numeric column read as Decimal 124 stays a FLOAT)."""
    if cypher_type is not None:
        value = property_value(value, where)
        if cypher_type == "FLOAT" and type(value) is int:
            return float(value)
        if cypher_type == "INTEGER" and type(value) is float:
            if not value.is_integer():
                raise GraphsvcError(f"{where}: {value!r} is not an INTEGER")
            return int(value)
        return value
    if isinstance(value, Mapping):
        raise GraphsvcError(f"{where}: a map cannot be stored as a Neo4j property: {value!r}")
    if type(value).__module__ == "numpy" and hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return _scalar(value, where)
    if any(isinstance(v, (list, tuple, Mapping)) for v in value):
        raise GraphsvcError(f"{where}: nested lists and lists of maps cannot be Neo4j properties: {value!r}")
    items = [v for v in (_scalar(v, where) for v in value) if v is not None]
    kinds = {type(v) for v in items}
    if kinds == {int, float}:
        items, kinds = [float(v) for v in items], {float}
    if len(kinds) > 1:
        raise GraphsvcError(f"{where}: a Neo4j list property must hold one type, "
                            f"got {sorted(k.__name__ for k in kinds)}: {value!r}")
    return items


def node_payload(label: str, key: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``write_<label>`` row of a gold row: {key: ..., "props": {every other column}} with every value
    storable (None stays: ``SET n += props`` removes that property)."""
    types = NODE_LABELS[label]
    props = {k: property_value(v, f"{label}.{k}", types.get(k)) for k, v in row.items() if k != key}
    if label == "Track":  # what search_tracks matches (model.INDEX_PROPERTIES)
        props["title_key"], props["search_key"] = track_search_keys(row.get("artists"), row.get("title"))
    return {key: property_value(row[key], f"{label}.{key}", types.get(key)), "props": props}


def relationship_payload(rel: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A gold relationship row with every value storable (ids, role, position and properties)."""
    types = RELATIONSHIPS[rel][2]
    return {k: property_value(v, f"{rel}.{k}", types.get(k)) for k, v in row.items()}


def from_neo4j(value: Any) -> Any:
    """Driver values back to what the embedded store returns: neo4j.time types as datetime types,
    lists and maps converted element by element."""
    if isinstance(value, (neo4j.time.Date, neo4j.time.DateTime, neo4j.time.Time)):
        return value.to_native()
    if isinstance(value, list):
        return [from_neo4j(v) for v in value]
    if isinstance(value, Mapping):
        return {k: from_neo4j(v) for k, v in value.items()}
    return value


def full_properties(label: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Every model property of ``label`` (absent ones as None, Track.genres as a list), as the embedded
    store gives them: Neo4j drops a property set to null, so ``properties(n)`` lacks those keys."""
    out = {name: from_neo4j(props.get(name)) for name in NODE_LABELS[label]}
    for name, typ in NODE_LABELS[label].items():
        if typ.startswith("LIST"):  # gold never stores a null list; Neo4j drops empty ones on some paths
            out[name] = list(out[name] or [])
    return out


def relationship_properties(rel: str, props: Mapping[str, Any]) -> dict[str, Any]:
    return {name: from_neo4j(props.get(name)) for name in RELATIONSHIPS[rel][2]}


#: type -> the ``ids()`` form (start, end, extra) of a REL_SOURCES row; None: the row makes no relationship
REL_IDS: dict[str, Any] = {
    "BY": lambda r: (r["track_id"], r["artist_id"], r["role"]),
    "COLLABORATED_WITH": lambda r: (r["a_id"], r["b_id"], None),
    "TRANSITIONS_TO": lambda r: (r["from_id"], r["to_id"], None),
    "IN_KEY": lambda r: None if r["camelot"] is None else (r["track_id"], r["camelot"], None),
    "COMPATIBLE": lambda r: (r["from_camelot"], r["to_camelot"], None),
    "CONTAINS": lambda r: (r["set_id"], r["track_id"], r["position"]),
    "PLAYED": lambda r: (r["artist_id"], r["set_id"], None),
    "SUPPORTS": lambda r: (r["dj_id"], r["artist_id"], None),
    "ON_LABEL": lambda r: None if r["label_id"] is None else (r["track_id"], r["label_id"], None),
}


def _delete_row(rel: str, ident: tuple[Any, Any, Any]) -> dict[str, Any]:
    """The ``delete_relationships`` row of an ``ids()`` tuple (exact: CONTAINS names its track too)."""
    start, end, extra = ident
    if rel == "BY":
        return {"start": start, "end": end, "role": extra}
    if rel == "CONTAINS":
        return {"start": start, "end": end, "position": extra}
    return {"start": start, "end": end}


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

    def __init__(self, uri: str, auth: tuple[str, str] | None = None, database: str = "neo4j", *,
                 user: str | None = None, password: str | None = None, driver: Any = None) -> None:
        """``auth`` is a (user, password) pair; ``user``/``password`` are the same given separately."""
        self.uri = uri
        self.database = database
        if auth is None and user:
            auth = (user, password or "")
        try:
            self._driver = driver if driver is not None else GraphDatabase.driver(uri, auth=auth)
        except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, ValueError) as e:
            raise GraphUnavailable(f"cannot create a Neo4j driver for {uri}: {e}") from e

    @property
    def target(self) -> str:
        return f"neo4j:{self.uri}/{self.database}#v{PROJECTION_VERSION}"

    # --- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired) as e:
            raise GraphUnavailable(f"Neo4j at {self.uri} is unavailable ({what}): {e}") from e
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as e:
            if deadline.remaining() == 0:  # the server stopped a query whose request gave up
                raise deadline.DeadlineExceeded(f"the Neo4j query {what} ran out of time") from e
            raise GraphsvcError(f"Neo4j query {what} failed: {e}") from e

    def _read(self, name: str, **params: Any) -> list[Any]:
        """One read query. Under an active request deadline (graphsvc.deadline) the transaction gets the
        time left as its server-side timeout, so Neo4j stops the work when the request gave up."""
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise deadline.DeadlineExceeded(f"no time left for the Neo4j query {name}")
        query: Any = cypher.load(name) if left is None else neo4j.Query(cypher.load(name), timeout=left)
        with self._errors(name):
            result = self._driver.execute_query(query, params, database_=self.database, routing_=RoutingControl.READ)
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
        """True when this store's database answers a read (verify_connectivity(database=...) would be a
        driver preview feature and checks no particular database)."""
        try:
            self._driver.execute_query(cypher.load("ping"), database_=self.database, routing_=RoutingControl.READ)
            return True
        except Exception:  # noqa: BLE001 - a health probe answers, it does not raise
            return False

    # --- schema, projection, maintenance ----------------------------------------------------
    def ensure_schema(self) -> None:
        for statement in cypher.statements("schema_constraints"):
            with self._errors("schema_constraints"):
                self._driver.execute_query(statement, database_=self.database)
        with self._errors("await_indexes"):  # so the first search after a fresh schema finds its index ONLINE
            self._driver.execute_query(cypher.load("await_indexes"), database_=self.database)

    def wipe(self) -> None:
        """Delete everything (tests, full rebuilds). Runs in batched implicit transactions."""
        with self._errors("wipe"), self._driver.session(database=self.database) as session:
            session.run(cypher.load("wipe")).consume()

    def clear(self) -> None:
        """Delete graphsvc's nodes and their relationships (``etl reset``); nodes of other labels stay.
        Batched implicit transactions, as ``wipe``."""
        with self._errors("clear_graph"), self._driver.session(database=self.database) as session:
            session.run(cypher.load("clear_graph")).consume()

    def project(self, conn: Any, *, full: bool = False, batch_size: int = 5000,
                progress: Any = None) -> LoadStats:
        """Copy gold rows changed since this target's watermark (all when ``full``) into the graph.

        A full projection (``full``, or the first one into this database) then sweeps the graph so it holds
        exactly gold: nodes and relationships of the model's labels and types that gold does not have
        (another dataset projected before, other tools' writes) are deleted, and reconcile finds no drift.
        ``progress(1)`` is called after each label and relationship type."""
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
            payload = [node_payload(label, key, r) for r in node_rows[label]]
            nodes[label] = self._write_batches(query, payload, batch_size)
            if progress is not None:
                progress(1)
        relationships: dict[str, int] = {}
        for rel in REL_SOURCES:
            relationships[rel] = self._write_batches(REL_SOURCES[rel][0],
                                                     [relationship_payload(rel, r) for r in rel_rows[rel]], batch_size)
            if progress is not None:
                progress(1)
        if watermark is None:
            self.sweep(node_rows, rel_rows, batch_size)

        with conn.transaction():
            conn.execute(
                "INSERT INTO gold.projection_state (target, watermark, projected_at) VALUES (%s, %s, now())"
                " ON CONFLICT (target) DO UPDATE SET watermark = EXCLUDED.watermark, projected_at = now()",
                (self.target, new_watermark))
        return LoadStats(nodes=nodes, relationships=relationships, seconds=time.perf_counter() - started)

    def sweep(self, node_rows: Mapping[str, Sequence[Mapping[str, Any]]],
              rel_rows: Mapping[str, Sequence[Mapping[str, Any]]], batch_size: int = 5000) -> dict[str, int]:
        """Delete what the graph holds of the model's labels and types beyond the full gold rows given:
        nodes without a key, relationships between the wrong labels and second copies of one
        (``sweep_*`` queries), then nodes and relationships whose ids gold does not have. Returns the
        numbers of nodes / relationships deleted by id, per label and type."""
        deleted: dict[str, int] = {}
        for name in ("sweep_unkeyed_nodes", "sweep_stray_relationships"):
            with self._errors(name), self._driver.session(database=self.database) as session:
                session.run(cypher.load(name)).consume()
        query = cypher.load("delete_nodes")
        for label, (_, key, _, _) in NODE_SOURCES.items():
            gold = {r[key] for r in node_rows[label]}
            extra = sorted((k for k in self.ids(label) if k is not None and k not in gold), key=repr)
            deleted[label] = len(extra)
            if extra:
                with self._errors("delete_nodes"), self._driver.session(database=self.database) as session:
                    for batch in batches(extra, batch_size):
                        session.execute_write(_run_write, query, {"label": label, "ids": list(batch)})
        for rel in REL_SOURCES:
            gold_ids = {i for i in (REL_IDS[rel](r) for r in rel_rows[rel]) if i is not None}
            extra = sorted(self.ids(rel) - gold_ids, key=repr)
            deleted[rel] = len(extra)
            if extra:
                self._write_batches("delete_relationships", [_delete_row(rel, i) for i in extra], batch_size, type=rel)
        return deleted

    @staticmethod
    def _gold_rows(conn: Any, sql: str, incremental: bool, watermark: int | None) -> list[dict[str, Any]]:
        params: tuple[Any, ...] = ()
        if incremental and watermark is not None:
            sql, params = f"{sql} WHERE change_seq > %s", (watermark,)
        cur = conn.execute(sql, params)
        names = [d.name for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

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
                        session.execute_write(_run_write, query, {"label": label, "ids": list(batch)})
        if by_kind:
            raise GraphsvcError(f"gold.tombstone has kinds the graph does not know: {sorted(by_kind)}")

    # --- reconcile --------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Every label and relationship type of the model, 0 when the graph has none."""
        out = dict.fromkeys([*NODE_LABELS, *RELATIONSHIPS], 0)
        out.update({r["kind"]: int(r["count"]) for r in self._read("counts_nodes")})
        out.update({r["kind"]: int(r["count"]) for r in self._read("counts_relationships")})
        return out

    def ids(self, kind: str) -> set:
        if kind in NODE_LABELS:
            return {r["id"] for r in self._read("ids_nodes", label=kind)}
        if kind in RELATIONSHIPS:
            return {(r["start"], r["end"], r["extra"]) for r in self._read("ids_relationships", type=kind)}
        raise InvalidValue(f"unknown node label or relationship type {kind!r}")

    # --- reads ------------------------------------------------------------------------------
    def search_tracks(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        """As the embedded store: tracks whose title_key("artists title") contains title_key(q), exact >
        prefix > contains (on the title or "artists title"), plays desc, id asc; every track property plus
        ``match``. The keys are stored on the nodes by the projection (a fulltext index tokenizes and folds
        differently: accents, apostrophes, '&' and word-inner matches gave other hits)."""
        bounded("limit", limit)
        needle = title_key(str(q))
        if not needle:
            raise InvalidValue("search query must contain at least one letter or digit")
        records = self._read("search_tracks", q=needle, limit=int(limit))
        return [{**full_properties("Track", r["track"]), "match": ("exact", "prefix", "contains")[r["rank"]]}
                for r in records]

    def search_artists(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        """As the embedded store: artists whose name_key contains name_key(q), exact > prefix > contains,
        tracks desc, id asc; every artist property plus ``match``."""
        bounded("limit", limit)
        needle = name_key(str(q))
        if not needle:
            raise InvalidValue("search query must contain at least one letter or digit")
        records = self._read("search_artists", q=needle, limit=int(limit))
        return [{**full_properties("Artist", r["artist"]), "match": ("exact", "prefix", "contains")[r["rank"]]}
                for r in records]

    def get_track(self, track_id: int) -> dict[str, Any] | None:
        records = self._read("get_track", track_id=int(track_id))
        return full_properties("Track", records[0]["track"]) if records else None

    def get_artist(self, artist_id: int) -> dict[str, Any] | None:
        records = self._read("get_artist", artist_id=int(artist_id))
        return full_properties("Artist", records[0]["artist"]) if records else None

    def collaboration_network(self, artist_id: int, depth: int = 1, min_weight: int = 1, limit: int = 100) -> Subgraph:
        records = self._read("collaboration_network", artist_id=int(artist_id), depth=int(bounded("depth", depth)),
                             min_weight=int(bounded("min_weight", min_weight)), limit=int(bounded("limit", limit)))
        if not records or not records[0]["nodes"]:
            raise NotFound(f"artist {artist_id} does not exist")
        r = records[0]
        nodes = [Node(f"Artist:{n['id']}", "Artist", dict(n)) for n in r["nodes"]]
        edges = [Edge(f"Artist:{e['source']}", f"Artist:{e['target']}", "COLLABORATED_WITH",
                      {"weight": e["weight"], "first_year": e["first_year"], "last_year": e["last_year"]})
                 for e in r["edges"]]
        return Subgraph(nodes=nodes, edges=edges, truncated=bool(r["truncated"]))

    def collaboration_paths(self, a: int, b: int, k: int = 3, max_hops: int = 6) -> list[list[dict[str, Any]]]:
        k, max_hops = int(bounded("k", k)), int(bounded("max_hops", max_hops))
        if int(a) == int(b):
            raise InvalidValue("a collaboration path needs two different artists")
        records = self._read("collaboration_paths", a=int(a), b=int(b), k=k, max_hops=max_hops)
        if not records:  # no path, or an unknown artist (the embedded store says which)
            for x in (a, b):
                if self.get_artist(x) is None:
                    raise NotFound(f"artist {x} does not exist")
        paths = []
        for r in records:
            weights = [*r["weights"], None]
            paths.append([{"artist": {"id": artist["id"], "name": artist["name"]}, "weight_to_next": w}
                          for artist, w in zip(r["artists"], weights, strict=True)])
        return paths

    def _raw_candidates(self, track_id: int, *, strictness: str, bpm_window_pct: float, half_double: bool,
                        max_pitch_shift: int, cap: int | None = None) -> list[dict[str, Any]]:
        """Graph rule 3 raw candidates with the embedded store's fields (see ranking.py), at most ``cap``
        (default CANDIDATE_CAP)."""
        from graphsvc.graph.ranking import CANDIDATE_CAP

        if strictness not in harmonic.STRICTNESS:
            raise InvalidValue(f"strictness {strictness!r} is not one of {', '.join(harmonic.STRICTNESS)}")
        moves = sorted(m.value for m in harmonic.STRICTNESS[strictness])
        records = self._read(
            "next_track_candidates", track_id=int(track_id), moves=moves,
            clash_score=float(harmonic.MOVES[harmonic.Move("clash")]),
            bpm_window_pct=float(bounded("bpm_window_pct", bpm_window_pct)), half_double=bool(half_double),
            max_pitch_shift=int(bounded("max_pitch_shift", max_pitch_shift)),
            cap=CANDIDATE_CAP if cap is None else int(cap))
        return [{"track_id": r["id"], "title": r["title"], "artists": r["artists"], "bpm": r["bpm"],
                 "camelot": r["camelot"], "energy": r["energy"], "genres": list(r["genres"] or []),
                 "move": r["move"], "bpm_pct": r["bpm_pct"], "pitch_shift": int(r["pitch_shift"]),
                 "pitched": bool(r["pitched"]), "transitions": int(r["transitions"])} for r in records]

    def next_tracks(self, track_id: int, *, strictness: str = "normal", bpm_window_pct: float = 6.0,
                    half_double: bool = True, max_pitch_shift: int = 0, limit: int = 20) -> list[Candidate]:
        from graphsvc.graph.ranking import rank_candidates

        bounded("limit", limit)
        if strictness not in harmonic.STRICTNESS:
            raise InvalidValue(f"strictness {strictness!r} is not one of {', '.join(harmonic.STRICTNESS)}")
        bounded("bpm_window_pct", bpm_window_pct)
        bounded("max_pitch_shift", max_pitch_shift)
        source = self.get_track(track_id)
        if source is None:
            raise NotFound(f"track {track_id} does not exist")
        raw = self._raw_candidates(track_id, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                   half_double=half_double, max_pitch_shift=max_pitch_shift)
        return rank_candidates(source, raw, limit)

    # --- recommender evidence (graphsvc.recommend) -----------------------------------------
    def recommendation_context(self, track_id: int, constraints: Any, caps: Any) -> Any:
        """The evidence around ``track_id`` for ``graphsvc.recommend`` (None when it does not exist)."""
        from graphsvc.graph.neo4j_evidence import Neo4jEvidence
        from graphsvc.recommend.gather import gather

        return gather(Neo4jEvidence(self), int(track_id), constraints, caps)

    def track_facts(self, ids: Any) -> dict[int, dict[str, Any]]:
        from graphsvc.graph.neo4j_evidence import Neo4jEvidence

        return Neo4jEvidence(self).facts(ids)

    def fact_columns(self, ids: list[int]) -> tuple[list[int], Any, dict[int, dict[str, Any]]]:
        """The existing tracks of ``ids``, their facts as columns and their facts (one ``rec_facts`` read)."""
        from graphsvc.recommend.features import fact_columns

        facts = self.track_facts(ids)
        have = [int(i) for i in ids if int(i) in facts]  # (Python ints: the ids may come as a NumPy array)
        return have, fact_columns(facts, have), facts

    def tempo_key_columns(self, ids: list[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Keys and BPMs of the existing tracks of ``ids`` (``rec_tempo_keys``: two properties of each, not
        their facts), in the order of ``ids``."""
        from graphsvc.recommend.features import tempo_key_columns

        got = {int(r["id"]): (r["camelot"], None if r["bpm"] is None else float(r["bpm"]))
               for r in self._read("rec_tempo_keys", ids=sorted({int(i) for i in ids}))}
        have = [int(i) for i in ids if int(i) in got]
        return (have, *tempo_key_columns([got[i] for i in have]))

    def charts(self, genre: str | None = None, window: str = "all", limit: int = 20) -> dict[str, Any]:
        """Top and trending track and artist ids (graphsvc.charts)."""
        from graphsvc.charts import MIN_RECENT_PLAYS, MIN_RECENT_PLAYS_ARTIST, check

        genre, recent, limit = check(genre, window, limit)
        t = self._read("charts_tracks", genre=genre, recent=recent, min_recent=MIN_RECENT_PLAYS, limit=limit)
        a = self._read("charts_artists", recent=recent, min_recent=MIN_RECENT_PLAYS_ARTIST, limit=limit)
        return {"top_tracks": [int(x) for x in t[0]["top"]], "trending_tracks": [int(x) for x in t[0]["trending"]],
                "top_artists": [int(x) for x in a[0]["top"]], "trending_artists": [int(x) for x in a[0]["trending"]],
                "as_of": from_neo4j(a[0]["as_of"])}

    def harmonic_paths(self, a: int, b: int, *, k: int = 3, max_len: int = 6, strictness: str = "normal",
                       bpm_window_pct: float = 6.0, pool: int | None = None) -> list[list[Candidate]]:
        """Shared search (graphsvc.graph.paths) over this backend's strict rule-3(b) neighbours, so both
        backends agree. (One Cypher QPP cannot express it: each hop x -IN_KEY-> key -COMPATIBLE-> key
        <-IN_KEY- y reuses the IN_KEY of the track in the middle, and Cypher 5 never traverses a
        relationship twice in one MATCH.)"""
        from graphsvc.graph import paths

        bounded("k", k)
        bounded("max_len", max_len)
        bounded("bpm_window_pct", bpm_window_pct)
        if strictness not in harmonic.STRICTNESS:
            raise InvalidValue(f"strictness {strictness!r} is not one of {', '.join(harmonic.STRICTNESS)}")
        cache: dict[int, dict[str, Any]] = {}

        def source(x: int) -> dict[str, Any]:
            if x not in cache:
                track = self.get_track(x)
                if track is None:
                    raise NotFound(f"track {x} does not exist")
                cache[x] = track
            return cache[x]

        source(a)  # unknown ends are NotFound, as in the embedded store, before any search
        source(b)

        def neighbours(x: int) -> list[dict[str, Any]]:
            raw = self._raw_candidates(x, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                       half_double=True, max_pitch_shift=0)
            return [c for c in raw if c["move"] is not None and c["bpm_pct"] is not None]

        return paths.harmonic_paths(a, b, k=k, max_len=max_len, neighbours=neighbours, source=source,
                                    strictness=strictness, bpm_window_pct=bpm_window_pct, pool=pool)

    def harmonic_path_ids(self, a: int, b: int, *, k: int = 3, max_len: int = 6, strictness: str = "normal",
                          bpm_window_pct: float = 6.0) -> list[list[int]]:
        """Track id sequences of ``harmonic_paths`` (kept for callers that only need the ids)."""
        return [[c.track_id for c in p] for p in self.harmonic_paths(
            a, b, k=k, max_len=max_len, strictness=strictness, bpm_window_pct=bpm_window_pct)]

    def neighbourhood(self, kind: str, node_id: int, depth: int = 1, limit: int = 100) -> Subgraph:
        bounded("depth", depth)
        bounded("limit", limit)
        if depth > 2:
            raise InvalidValue(f"depth must be between 1 and 2 for a neighbourhood, got {depth!r}")
        if kind not in ("track", "artist"):
            raise InvalidValue(f"kind must be 'track' or 'artist', got {kind!r}")
        records = self._read(f"neighbourhood_{kind}", id=int(node_id), depth=int(depth), limit=int(limit))
        if not records or not records[0]["nodes"]:
            raise NotFound(f"{kind} {node_id} does not exist")
        r = records[0]
        nodes = [Node(f"{n['label']}:{n['key']}", n["label"],
                      {**full_properties(n["label"], n["properties"]), "hops": n["hops"]}) for n in r["nodes"]]
        edges = [Edge(f"{e['source_label']}:{e['source_key']}", f"{e['target_label']}:{e['target_key']}",
                      e["type"], relationship_properties(e["type"], e["properties"])) for e in r["edges"]]
        # the order both backends give (graphsvc.graph.base.sort_neighbourhood_edges)
        return Subgraph(nodes=nodes, edges=sort_neighbourhood_edges(nodes, edges), truncated=bool(r["truncated"]))

    def artist_analytics(self, artist_id: int) -> dict[str, Any] | None:
        records = self._read("artist_analytics", artist_id=int(artist_id), top=10, top_genres=5)
        return from_neo4j(dict(records[0])) if records else None

    def set_analytics(self, set_id: int) -> dict[str, Any] | None:
        records = self._read("set_analytics", set_id=int(set_id))
        if not records:
            return None
        r = records[0]
        return {"id": r["id"], "title": r["title"],
                **set_analytics_from_entries([dict(e) for e in r["entries"]])}


def set_analytics_from_entries(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Set analytics from its entries in position order, exactly as the embedded store computes them:
    the flow pairs only adjacent positions (p, p + 1) with both keys known (a gap breaks a pair); genre
    shares are over the entries that have genres, each genre counted once per entry."""
    moves = []
    for x, y in pairwise(entries):
        kx, ky = _key_of(x.get("camelot")), _key_of(y.get("camelot"))
        if y["position"] == x["position"] + 1 and kx is not None and ky is not None:
            moves.append(harmonic.classify_move(kx, ky))
    with_genres = [e for e in entries if e.get("genres")]
    genre_counts: dict[str, int] = {}
    for e in with_genres:
        for g in set(e["genres"]):
            genre_counts[g] = genre_counts.get(g, 0) + 1
    return {
        "tracks": len(entries),
        "harmonic_flow": sum(harmonic.MOVES[m] for m in moves) / len(moves) if moves else None,
        "compatible_share": sum(m is not harmonic.Move.CLASH for m in moves) / len(moves) if moves else None,
        "energy_curve": [e.get("energy") for e in entries],
        "bpm_curve": [e.get("bpm") for e in entries],
        "genres": {g: c / len(with_genres) for g, c in sorted(genre_counts.items())},
    }
