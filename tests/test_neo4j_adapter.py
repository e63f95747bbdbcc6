"""Neo4jStore without a server: batching, database_/routing on every call, parameters = declared ones.

``RecordingDriver`` is a test double of the neo4j DRIVER object only (it records execute_query and
session calls and returns canned empty results); it is not a stand-in for the database. The database
behaviour is tested by ``TestRealNeo4j`` against a real Neo4j 5.26 when NEO4J_TEST_URI is set.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import neo4j.time
import numpy as np
import psycopg
import pytest
from neo4j import RoutingControl

import cypher
from etl.gold import build_gold
from graphsvc.errors import GraphsvcError, InvalidValue, NotFound
from graphsvc.graph.base import GraphStore
from graphsvc.graph.model import INDEX_PROPERTIES, NODE_LABELS, RELATIONSHIPS
from graphsvc.graph.neo4j_store import (
    REL_SOURCES,
    Neo4jStore,
    property_value,
    tombstone_row,
)
from graphsvc.names import title_key
from tests.gold_fixture import fill_silver

QUERY_NAME = {cypher.load(n): n for n in cypher.names()}


class RecordingTx:
    def __init__(self, log: list) -> None:
        self.log = log

    def run(self, query: str, params: dict[str, Any]) -> Any:
        self.log.append(("tx.run", QUERY_NAME.get(query, query), params))
        return SimpleNamespace(consume=lambda: None)


class RecordingSession:
    def __init__(self, log: list, database: str) -> None:
        self.log, self.database = log, database

    def __enter__(self) -> RecordingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute_write(self, work: Any, *args: Any) -> Any:
        self.log.append(("execute_write", self.database))
        return work(RecordingTx(self.log), *args)

    def run(self, query: str, params: dict | None = None) -> Any:
        self.log.append(("session.run", QUERY_NAME.get(query, query), params or {}))
        return SimpleNamespace(consume=lambda: None)


class RecordingDriver:
    """``records``: canned records for every query, or a function (query name, params) -> records."""

    def __init__(self, records: Any = None) -> None:
        self.log: list = []
        self.records = records or []

    def execute_query(self, query: str, params: dict | None = None, **kw: Any) -> Any:
        name = QUERY_NAME.get(query, query)
        self.log.append(("execute_query", name, params or {}, kw))
        records = self.records(name, params or {}) if callable(self.records) else self.records
        return SimpleNamespace(records=records)

    def session(self, database: str | None = None) -> RecordingSession:
        self.log.append(("session", database))
        return RecordingSession(self.log, database)

    def close(self) -> None:
        pass


def store(records: list | None = None) -> tuple[Neo4jStore, RecordingDriver]:
    d = RecordingDriver(records)
    return Neo4jStore("neo4j://db.example:7687", database="music", driver=d), d


def test_is_a_graph_store() -> None:
    s, _ = store()
    assert isinstance(s, GraphStore) and s.backend == "neo4j"
    assert s.target == "neo4j:neo4j://db.example:7687/music#v2"


def test_constructor_takes_uri_auth_database_positionally() -> None:
    """tests/test_graph_store.py builds the store as Neo4jStore(uri, (user, password), database)."""
    d = RecordingDriver()
    s = Neo4jStore("neo4j://db.example:7687", ("neo4j", "secret"), "music", driver=d)
    assert s.database == "music" and s.target == "neo4j:neo4j://db.example:7687/music#v2"
    assert s.ping()
    assert d.log == [("execute_query", "ping", {}, {"database_": "music", "routing_": RoutingControl.READ})]


def test_write_batches_split_rows_and_send_declared_params() -> None:
    s, d = store()
    rows = [{"track_id": i, "artist_id": i + 1, "role": "primary", "position": 0} for i in range(12)]
    assert s._write_batches("write_by", rows, 5) == 12
    runs = [e for e in d.log if e[0] == "tx.run"]
    assert [len(e[2]["rows"]) for e in runs] == [5, 5, 2]
    assert [r for e in runs for r in e[2]["rows"]] == rows
    assert all(e[1] == "write_by" and sorted(e[2]) == sorted(cypher.params("write_by")) for e in runs)
    assert ("session", "music") in d.log
    assert [e for e in d.log if e[0] == "execute_write"] == [("execute_write", "music")] * 3


def test_tombstones_become_declared_delete_params() -> None:
    s, d = store()
    s._apply_tombstones([("CONTAINS", "7:3"), ("Track", "42"), ("BY", "1:2:remixer")], 100)
    runs = [e for e in d.log if e[0] == "tx.run"]
    assert runs[0][1] == "delete_relationships"
    assert runs[0][2] == {"rows": [{"start": 1, "end": 2, "role": "remixer"}], "type": "BY"}
    assert runs[1][2] == {"rows": [{"start": 7, "position": 3}], "type": "CONTAINS"}
    assert runs[2][1] == "delete_nodes" and runs[2][2] == {"label": "Track", "ids": [42]}
    for _, name, params in runs:
        assert sorted(params) == sorted(cypher.params(name))
    assert tombstone_row("COLLABORATED_WITH", "3:9") == {"start": 3, "end": 9}


@pytest.mark.parametrize(("call", "name"), [
    (lambda s: s.search_tracks("Daft Punk", 5), "search_tracks"),
    (lambda s: s.search_artists("daft", 5), "search_artists"),
    (lambda s: s.get_track(1), "get_track"),
    (lambda s: s.get_artist(1), "get_artist"),
    (lambda s: s.collaboration_paths(1, 2, k=2, max_hops=4), "collaboration_paths"),
    (lambda s: s.collaboration_network(1, depth=2), "collaboration_network"),
    (lambda s: s.neighbourhood("track", 1, depth=2), "neighbourhood_track"),
    (lambda s: s.neighbourhood("artist", 1), "neighbourhood_artist"),
    (lambda s: s._raw_candidates(1, strictness="normal", bpm_window_pct=6, half_double=True, max_pitch_shift=1),
     "next_track_candidates"),
    (lambda s: s.harmonic_paths(1, 2), "get_track"),
    (lambda s: s.artist_analytics(1), "artist_analytics"),
    (lambda s: s.set_analytics(1), "set_analytics"),
    (lambda s: s.counts(), "counts_nodes"),
    (lambda s: s.ids("Track"), "ids_nodes"),
    (lambda s: s.ids("BY"), "ids_relationships"),
])
def test_reads_route_to_readers_with_declared_params(call: Any, name: str) -> None:
    s, d = store()
    with contextlib.suppress(NotFound):  # the double returns no records: unknown ids are NotFound
        call(s)
    sent = [e for e in d.log if e[0] == "execute_query"]
    assert sent and sent[0][1] == name
    for _, q, params, kw in sent:
        assert kw == {"database_": "music", "routing_": RoutingControl.READ}
        assert sorted(params) == sorted(cypher.params(q))


def test_search_normalizes_like_the_embedded_store() -> None:
    s, d = store()
    s.search_tracks('AC/DC "Back" (live)', 3)
    assert d.log[-1][2] == {"q": "ac dc back live", "limit": 3}
    s.search_artists("Âme & Friends", 3)
    assert d.log[-1][2] == {"q": "ame and friends", "limit": 3}
    with pytest.raises(InvalidValue, match="letter or digit"):
        s.search_tracks("?!", 3)


def test_bounds_checked_before_any_query() -> None:
    s, d = store()
    with pytest.raises(ValueError, match="depth must be between 1 and 3"):
        s.collaboration_network(1, depth=4)
    with pytest.raises(ValueError, match="between 1 and 2"):
        s.neighbourhood("track", 1, depth=3)
    assert d.log == []


def test_schema_statements_sent_one_by_one_to_the_database() -> None:
    s, d = store()
    s.ensure_schema()
    sent = [e for e in d.log if e[0] == "execute_query"]
    assert len(sent) == 13 and all(e[3] == {"database_": "music"} for e in sent)
    assert all(";" not in e[1] for e in sent)
    # Community Edition: no node key / property existence constraints (Enterprise only)
    assert not any("IS NODE KEY" in e[1] or "IS NOT NULL" in e[1] or "IS :: " in e[1] for e in sent)
    assert sent[-1][1] == "await_indexes"  # after the 12 schema statements: indexes ONLINE before use


# --- runtime rules of Neo4j enforced before anything is sent -------------------------------------
_PRIMITIVES = (bool, int, float, str, dt.date)


def _storable(value: Any) -> bool:
    """Neo4j's property rule (Cypher manual, Values and types): a primitive or a homogeneous list of
    primitives without null; never a map, a nested list, a Decimal or a numpy value (the driver refuses
    those outright)."""
    if value is None:
        return True
    if isinstance(value, list):
        return all(type(v) in _PRIMITIVES for v in value) and len({type(v) for v in value}) <= 1
    return type(value) in _PRIMITIVES


def _written(d: RecordingDriver) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in d.log:
        if e[0] == "tx.run" and e[1].startswith("write_"):
            out.setdefault(e[1], []).extend(e[2]["rows"])
    return out


@pytest.fixture
def gold_conn(pg_url):
    with psycopg.connect(pg_url) as conn:
        fill_silver(conn)
        build_gold(conn)
        conn.commit()
        yield conn


def test_projection_of_the_gold_fixture_sends_only_storable_property_values(gold_conn) -> None:
    # make gold as awkward as Postgres allows: a NULL inside a text[], numeric columns (psycopg gives
    # Decimal), a NaN float; all must reach Neo4j as storable values
    gold_conn.execute("UPDATE gold.track SET genres = ARRAY['house', NULL, 'deep house'] WHERE 'house' = ANY(genres)")
    gold_conn.execute("ALTER TABLE gold.track ALTER COLUMN bpm TYPE numeric, ALTER COLUMN energy TYPE numeric")
    gold_conn.execute("ALTER TABLE gold.collaborated_with ALTER COLUMN weight TYPE numeric")
    gold_conn.execute("UPDATE gold.track SET quality = 'NaN'::float8 WHERE year = 2017")
    gold_conn.commit()
    s, d = store()
    stats = s.project(gold_conn, full=True, batch_size=7)
    assert stats.nodes == {"Key": 24, "Label": 4, "Artist": 15, "Track": 40, "Set": 6}
    written = _written(d)
    for query, key, label in (("write_tracks", "id", "Track"), ("write_artists", "id", "Artist"),
                              ("write_sets", "id", "Set"), ("write_labels", "id", "Label"),
                              ("write_keys", "camelot", "Key")):
        rows = written[query]
        assert rows and all(set(r) == {key, "props"} for r in rows)
        for r in rows:
            # every model property and the index-only ones (Track search keys), no other
            assert set(r["props"]) == (set(NODE_LABELS[label]) | set(INDEX_PROPERTIES.get(label, {}))) - {key}
            bad = {k: v for k, v in r["props"].items() if not _storable(v)}
            assert not bad, (label, r[key], bad)
    tracks = written["write_tracks"]
    assert all(type(t["props"]["bpm"]) is float for t in tracks if t["props"]["bpm"] is not None)
    assert next(t["props"]["genres"] for t in tracks if "house" in t["props"]["genres"]) == ["house", "deep house"]
    assert any(t["props"]["quality"] is None for t in tracks)  # NaN: no property rather than NaN
    assert {type(x["props"]["date"]) for x in written["write_sets"]} == {dt.date, type(None)}
    for rel, (query, _, _) in REL_SOURCES.items():
        for row in written.get(query, []):
            assert all(_storable(v) for v in row.values()), (rel, row)
    assert {type(r["weight"]) for r in written["write_collaborated_with"]} == {int}
    assert {type(r["last_seen"]) for r in written["write_transitions_to"]} <= {dt.date, type(None)}


def test_property_value_rules() -> None:
    assert property_value(Decimal("1.5")) == 1.5 and type(property_value(Decimal(3))) is int
    assert type(property_value(np.float64(2.5))) is float and type(property_value(np.int64(7))) is int
    assert type(property_value(np.bool_(True))) is bool
    assert property_value(["a", None, "b"]) == ["a", "b"]
    assert property_value(np.array([1, 2])) == [1, 2] and property_value((1, 2.5)) == [1.0, 2.5]
    assert property_value(float("nan")) is None and property_value(None) is None
    assert property_value(dt.date(2020, 1, 2)) == dt.date(2020, 1, 2)
    # the model type decides between INTEGER and FLOAT (a numeric 124 is still a FLOAT bpm)
    assert type(property_value(Decimal(124), "Track.bpm", "FLOAT")) is float
    assert type(property_value(np.float64(3.0), "Track.year", "INTEGER")) is int
    with pytest.raises(GraphsvcError, match="not an INTEGER"):
        property_value(2.5, "Track.year", "INTEGER")
    for bad in ({"a": 1}, [{"a": 1}], [[1], [2]], ["a", 1], object()):
        with pytest.raises(GraphsvcError, match="Neo4j"):
            property_value(bad, "Track.genres")


def test_batch_queries_in_transactions_run_only_in_auto_commit_transactions() -> None:
    """CALL { } IN TRANSACTIONS is refused inside an explicit or managed transaction: the store must
    send such a query with session.run, never through execute_write or execute_query."""
    batched = {n for n in cypher.names() if "IN TRANSACTIONS" in cypher.load(n)}
    assert batched == {"wipe", "clear_graph", "sweep_unkeyed_nodes", "sweep_stray_relationships"}
    s, d = store()
    s.wipe()
    s.clear()
    s.sweep({label: [] for label in NODE_LABELS}, {rel: [] for rel in REL_SOURCES})
    sent = [e[:2] for e in d.log if e[0] not in ("session", "execute_query")]
    assert sent == [("session.run", "wipe"), ("session.run", "clear_graph"), ("session.run", "sweep_unkeyed_nodes"),
                    ("session.run", "sweep_stray_relationships")]
    assert ("session", "music") in d.log


# --- reads give the embedded store's answers (same shapes, types, order) ------------------------------
def _neo4j_props(props: dict) -> dict:
    """What properties(n) returns for a node written from these props: no nulls (SET n += {x: null}
    removes x), dates as neo4j.time.Date."""
    return {k: (neo4j.time.Date.from_native(v) if isinstance(v, dt.date) else v)
            for k, v in props.items() if v is not None}


@pytest.fixture
def embedded(gold_conn):
    from graphsvc.graph.embedded import EmbeddedStore

    return EmbeddedStore.from_gold(gold_conn)


def test_get_track_and_get_artist_fill_absent_properties_like_the_embedded_store(embedded) -> None:
    for tid in embedded.tracks:
        want = embedded.get_track(tid)
        s, _ = store([{"track": _neo4j_props(want)}])
        assert s.get_track(tid) == want
    for aid in embedded.artists:
        want = embedded.get_artist(aid)
        s, _ = store([{"artist": _neo4j_props(want)}])
        assert s.get_artist(aid) == want


def _search_tracks_cypher(nodes: list[dict]) -> Any:
    """What cypher/search_tracks.cypher does, over the properties the projection writes (node_payload):
    CONTAINS on search_key, rank by the exact/prefix rule, order by rank, plays desc, id; LIMIT."""
    def run(name: str, params: dict) -> list:
        assert name == "search_tracks"
        q = params["q"]
        hits = []
        for n in nodes:
            if q not in n["search_key"]:
                continue
            rank = 0 if q in (n["search_key"], n["title_key"]) else \
                1 if (n["title_key"].startswith(q) or n["search_key"].startswith(q)) else 2
            hits.append((rank, -(n.get("plays") or 0), n["id"], n))
        hits.sort(key=lambda h: h[:3])
        return [{"track": _neo4j_props(h[3]), "rank": h[0]} for h in hits[: params["limit"]]]
    return run


def test_search_matches_the_embedded_store(embedded, gold_conn) -> None:
    from graphsvc.graph.neo4j_store import NODE_SOURCES, node_payload

    _, key, sql, _ = NODE_SOURCES["Track"]
    rows = Neo4jStore._gold_rows(gold_conn, sql, False, None)
    nodes = [{key: p[key], **p["props"]} for p in (node_payload("Track", key, r) for r in rows)]
    s, _ = store(_search_tracks_cypher(nodes))
    for q in ("bicep", "atlas", "Opal", "ame", "deep", "techno", "Kerri Chandler", "o", "ichand", "é", "&"):
        if not title_key(q):
            continue
        for limit in (1, 3, 20):
            assert s.search_tracks(q, limit) == embedded.search_tracks(q, limit), (q, limit)

    def artist_rows(name: str, params: dict) -> list:
        hits = embedded.search_artists(params["q"], params["limit"])  # what the Cypher ranks the same way
        return [{"artist": _neo4j_props({k: v for k, v in h.items() if k != "match"}),
                 "rank": ("exact", "prefix", "contains").index(h["match"])} for h in hits]

    s, _ = store(artist_rows)
    assert [a["name"] for a in s.search_artists("AME")] == ["Âme"]
    assert s.search_artists("Frankey & Sandrino") == embedded.search_artists("Frankey & Sandrino")


def test_set_analytics_match_the_embedded_store(embedded) -> None:
    for sid, props in embedded.sets.items():
        entries = [{"position": pos, "id": t,
                    **{k: embedded.get_track(t)[k] for k in ("camelot", "bpm", "energy", "genres")}}
                   for pos, t in embedded.set_entries.get(sid, [])]
        s, _ = store([{"id": sid, "title": props["title"], "entries": entries}])
        assert s.set_analytics(sid) == embedded.set_analytics(sid), props["title"]


def test_unknown_ids_are_not_found_and_bounds_refused_as_in_the_embedded_store() -> None:
    s, d = store([{"nodes": [], "edges": [], "truncated": False}])  # what an aggregation over nothing gives
    with pytest.raises(NotFound):
        s.collaboration_network(1)
    with pytest.raises(NotFound):
        s.neighbourhood("artist", 1)
    s, d = store()
    with pytest.raises(NotFound, match="artist 1 does not exist"):
        s.collaboration_paths(1, 2)
    with pytest.raises(NotFound, match="track 1 does not exist"):
        s.harmonic_paths(1, 2)
    with pytest.raises(InvalidValue, match="two different artists"):
        s.collaboration_paths(3, 3)
    d.log.clear()
    for call in (lambda: s.harmonic_paths(1, 2, max_len=13), lambda: s.harmonic_paths(1, 2, strictness="loose"),
                 lambda: s.next_tracks(1, max_pitch_shift=3), lambda: s.neighbourhood("set", 1)):
        with pytest.raises(InvalidValue):
            call()
    assert d.log == []


def test_neighbourhood_converts_dates_and_fills_properties() -> None:
    day = neo4j.time.Date(2019, 3, 1)
    record = {"truncated": False, "nodes": [
        {"label": "Track", "key": 1, "properties": {"id": 1, "title": "Opal", "artists": "Bicep"},
         "hops": 0, "degree": 2},
        {"label": "Set", "key": 9,
         "properties": {"id": 9, "title": "Mix", "source": "mixesdb", "tracks": 1, "date": day},
         "hops": 1, "degree": 1},
        {"label": "Track", "key": 2, "properties": {"id": 2, "title": "Glue", "artists": "Bicep"},
         "hops": 1, "degree": 1},
    ], "edges": [
        {"source_label": "Track", "source_key": 1, "target_label": "Track", "target_key": 2, "type": "TRANSITIONS_TO",
         "properties": {"count": 3, "djs": 1, "last_seen": day}},
        {"source_label": "Set", "source_key": 9, "target_label": "Track", "target_key": 1, "type": "CONTAINS",
         "properties": {"position": 1}},
    ]}
    s, _ = store([record])
    g = s.neighbourhood("track", 1)
    assert g.nodes[1].properties == {**dict.fromkeys(NODE_LABELS["Set"]), "id": 9, "title": "Mix", "source": "mixesdb",
                                     "tracks": 1, "date": dt.date(2019, 3, 1), "genres": [], "hops": 1}
    assert g.nodes[0].properties["genres"] == [] and "degree" not in g.nodes[0].properties
    assert [e.type for e in g.edges] == ["TRANSITIONS_TO", "CONTAINS"]  # owner rank order
    assert g.edges[0].properties == {"count": 3, "djs": 1, "last_seen": dt.date(2019, 3, 1)}
    assert set(g.edges[1].properties) == set(RELATIONSHIPS["CONTAINS"][2])


NEO4J_URI = os.environ.get("NEO4J_TEST_URI")


@pytest.mark.neo4j
@pytest.mark.skipif(not NEO4J_URI,
                    reason="NEO4J_TEST_URI not set: the Neo4j leg runs against a real Neo4j 5.26 outside CI")
class TestRealNeo4j:
    """Projects a small gold fixture into a real Neo4j 5.26 and checks the graph.

    Written against graph_spec.md's gold tables (migration 004_gold.sql was not in the repo yet when
    this was written): adjust the INSERTs if 004 names a column differently."""

    def test_project_small_gold_fixture(self, real_neo4j: Neo4jStore, pg_url: str) -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("""
                INSERT INTO gold.key (camelot, pitch_class, mode, name, open_key, number, letter) VALUES
                  ('8A', 9, 0, 'A minor', '1m', 8, 'A'), ('8B', 0, 1, 'C major', '1d', 8, 'B');
                INSERT INTO gold.compatible (from_camelot, to_camelot, move, score) VALUES
                  ('8A', '8A', 'same_key', 1.0), ('8A', '8B', 'relative', 0.9), ('8B', '8A', 'relative', 0.9),
                  ('8B', '8B', 'same_key', 1.0);
                INSERT INTO gold.label (id, name, tracks, change_seq) VALUES
                  (100, 'Warp', 2, nextval('gold.change_seq_seq'));
                INSERT INTO gold.artist (id, name, name_key, tracks, sets, change_seq) VALUES
                  (1, 'Aphex Twin', 'aphex twin', 2, 0, nextval('gold.change_seq_seq')),
                  (2, 'Squarepusher', 'squarepusher', 1, 0, nextval('gold.change_seq_seq')),
                  (3, 'DJ X', 'dj x', 0, 1, nextval('gold.change_seq_seq'));
                INSERT INTO gold.track (id, title, artists, bpm, key_pc, key_mode, camelot, energy, genres, plays,
                                        sets, label, label_id, change_seq) VALUES
                  (10, 'Xtal', 'Aphex Twin', 128.0, 9, 0, '8A', 0.5, ARRAY['ambient'], 1, 1, 'Warp', 100,
                   nextval('gold.change_seq_seq')),
                  (11, 'Vent', 'Aphex Twin & Squarepusher', 126.0, 0, 1, '8B', 0.6, ARRAY['idm'], 1, 1, 'Warp', 100,
                   nextval('gold.change_seq_seq'));
                INSERT INTO gold.set (id, title, dj, date, source, tracks, change_seq) VALUES
                  (1000, 'Mix', 'DJ X', DATE '2018-01-01', 'mixesdb', 2, nextval('gold.change_seq_seq'));
                INSERT INTO gold.by (track_id, artist_id, role, position, change_seq) VALUES
                  (10, 1, 'primary', 0, nextval('gold.change_seq_seq')),
                  (11, 1, 'primary', 0, nextval('gold.change_seq_seq')),
                  (11, 2, 'primary', 1, nextval('gold.change_seq_seq'));
                INSERT INTO gold.collaborated_with (a_id, b_id, weight, first_year, last_year, change_seq)
                  VALUES (1, 2, 1, 2001, 2001, nextval('gold.change_seq_seq'));
                INSERT INTO gold.transitions_to (from_id, to_id, count, djs, last_seen, change_seq)
                  VALUES (10, 11, 1, 1, DATE '2018-01-01', nextval('gold.change_seq_seq'));
                INSERT INTO gold.contains (set_id, track_id, position, change_seq) VALUES
                  (1000, 10, 1, nextval('gold.change_seq_seq')), (1000, 11, 2, nextval('gold.change_seq_seq'));
                INSERT INTO gold.played (artist_id, set_id, change_seq) VALUES
                  (3, 1000, nextval('gold.change_seq_seq'));
                INSERT INTO gold.supports (dj_id, artist_id, count, change_seq) VALUES
                  (3, 1, 2, nextval('gold.change_seq_seq'));
            """)
            stats = real_neo4j.project(conn, batch_size=2)
            assert stats.nodes == {"Key": 2, "Label": 1, "Artist": 3, "Track": 2, "Set": 1}
            assert real_neo4j.counts() == {"Track": 2, "Artist": 3, "Key": 2, "Set": 1, "Label": 1, "BY": 3,
                                    "COLLABORATED_WITH": 1, "TRANSITIONS_TO": 1, "IN_KEY": 2, "COMPATIBLE": 4,
                                    "CONTAINS": 2, "PLAYED": 1, "SUPPORTS": 1, "ON_LABEL": 2}
            assert real_neo4j.ids("CONTAINS") == {(1000, 10, 1), (1000, 11, 2)}
            wm = conn.execute("SELECT watermark FROM gold.projection_state WHERE target = %s",
                              (real_neo4j.target,)).fetchone()
            assert wm is not None and wm[0] > 0
            # incremental: a tombstoned relationship disappears, nothing else is rewritten
            conn.execute("DELETE FROM gold.supports")
            conn.execute("INSERT INTO gold.tombstone (kind, key, change_seq)"
                         " VALUES ('SUPPORTS', '3:1', nextval('gold.change_seq_seq'))")
            again = real_neo4j.project(conn)
            assert sum(again.nodes.values()) == 2  # only the keys, which have no change_seq
            assert real_neo4j.counts()["SUPPORTS"] == 0
        net = real_neo4j.collaboration_network(1, depth=1)
        assert [n.id for n in net.nodes] == ["Artist:1", "Artist:2"] and len(net.edges) == 1
        assert [c.track_id for c in real_neo4j.next_tracks(10)] == [11]


def _neo_date(v: Any) -> Any:
    return neo4j.time.Date(v.year, v.month, v.day) if isinstance(v, dt.date) else v


def test_recommendation_evidence_reads_what_the_rec_queries_answer(pg_url) -> None:
    """The Neo4j side of graphsvc.recommend: each rec_* query gets exactly its declared parameters on a
    READ route, and records shaped as Neo4j returns them (nulls dropped from properties, neo4j.time dates,
    lists of lists) become the same Context the embedded store gathers. The answers are taken from the
    embedded store's own primitives; the Cypher semantics are checked by the Neo4j leg of the shared suite."""
    from graphsvc.graph.embedded import EmbeddedStore
    from graphsvc.recommend.context import CAPS
    from graphsvc.recommend.embedded_context import EmbeddedEvidence
    from graphsvc.recommend.features import Constraints
    from graphsvc.recommend.model import Ranker
    from graphsvc.recommend.service import DEFAULTS, rank_ids

    with psycopg.connect(pg_url) as conn:
        fx = fill_silver(conn)
        build_gold(conn)
        conn.commit()
        ref = EmbeddedStore.from_gold(conn)
    ev = EmbeddedEvidence(ref)

    def answer(name: str, p: dict[str, Any]) -> list[dict[str, Any]]:
        assert sorted(p) == sorted(cypher.params(name)), name
        if name == "rec_facts":
            out = []
            for f in ev.facts(p["ids"]).values():
                props = {k: v for k, v in f.items() if k not in ("label_id", "artist_ids", "primary_ids")
                         and v is not None and v != []}
                out.append({"id": f["id"], "props": props, "label_id": f["label_id"],
                            "artist_ids": list(reversed(f["artist_ids"])), "primary_ids": f["primary_ids"]})
            return out
        if name == "rec_tempo_keys":
            return [{"id": i, "camelot": ref.tracks[i].camelot, "bpm": ref.tracks[i].bpm}
                    for i in p["ids"] if i in ref.tracks]
        if name == "rec_transitions":
            if p["id"] not in ref.tracks:
                return []
            o, i = ev.transitions(p["id"], p["n"])
            return [{"out": [[c, n, d, _neo_date(x)] for c, n, d, x in o],
                     "inn": [[c, n, d, _neo_date(x)] for c, n, d, x in i]}]
        if name == "rec_two_hop":
            return [{"two_hop": [[c, w] for c, w in ev.two_hop(p["id"], p["via"], p["per_via"]).items()]}]
        if name == "rec_sets":
            return [{"set_id": s, "entries": [[q, t] for q, t in e], "djs": d}
                    for s, e, d in ev.sets(p["id"], p["n"]).rows()]
        if name == "rec_collaborators":
            return [{"artist": a, "collaborators": [[y, w] for y, w in lst]}
                    for a, lst in ev.collaborators(p["artists"], p["n"]).items()]
        if name == "rec_dj_lists":
            sup, rep = ev.dj_lists(p["djs"], p["n_support"], p["n_repertoire"])
            return [{"dj": d, "supported": [list(x) for x in zip(*(a.tolist() for a in sup[d]), strict=True)],
                     "repertoire": [list(x) for x in zip(*(a.tolist() for a in rep[d]), strict=True)]}
                    for d in p["djs"]]
        if name == "rec_artist_tracks":
            return [{"artist": a, "tracks": ts}
                    for a, ts in ev.artist_tracks(p["artists"], p["n"], p["primary_only"]).items()]
        if name == "rec_label_tracks":
            return [{"tracks": ev.label_tracks(p["label_id"], p["n"])}]
        if name == "rec_genre_tracks":
            return [{"tracks": ev.genre_tracks(p["genre"], p["n"])}]
        if name == "next_track_candidates":
            raw = ref.raw_candidates(p["track_id"], strictness="any" if "clash" in p["moves"] else (
                "relaxed" if "semitone" in p["moves"] else "normal" if "diagonal" in p["moves"] else "strict"),
                bpm_window_pct=p["bpm_window_pct"], half_double=p["half_double"],
                max_pitch_shift=p["max_pitch_shift"], cap=p["cap"])
            return [{"id": r["track_id"], **{k: r[k] for k in ("title", "artists", "bpm", "camelot", "energy",
                                                                   "genres", "move", "bpm_pct", "pitch_shift",
                                                                   "pitched", "transitions")},
                     "move_score": None} for r in raw]
        raise AssertionError(f"unexpected query {name}")

    s, d = store(answer)
    for tid in sorted(fx.track.values()):
        for con in (DEFAULTS, Constraints(strictness="strict", bpm_window_pct=3.0)):
            assert s.recommendation_context(tid, con, CAPS) == ref.recommendation_context(tid, con, CAPS), tid
            got = rank_ids(s, Ranker.prior(), tid, constraints=con, limit=50)
            assert got == rank_ids(ref, Ranker.prior(), tid, constraints=con, limit=50)
            assert all(type(i) is int for i in got)  # (Python ints, as JSON encoders expect: no NumPy scalars)
    reads = [e for e in d.log if e[0] == "execute_query"]
    assert {e[1] for e in reads} >= {"rec_facts", "rec_tempo_keys", "rec_transitions", "rec_two_hop", "rec_sets",
                                     "rec_collaborators", "rec_dj_lists", "rec_artist_tracks", "rec_label_tracks",
                                     "next_track_candidates"}
    assert all(e[3] == {"database_": "music", "routing_": RoutingControl.READ} for e in reads)
    assert s.recommendation_context(987654321, DEFAULTS, CAPS) is None
