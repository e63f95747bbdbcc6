"""Neo4jStore without a server: batching, database_/routing on every call, parameters = declared ones.

``RecordingDriver`` is a test double of the neo4j DRIVER object only (it records execute_query and
session calls and returns canned empty results); it is not a stand-in for the database. The database
behaviour is tested by ``TestRealNeo4j`` against a real Neo4j 5.26 when NEO4J_TEST_URI is set.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from neo4j import RoutingControl

import cypher
from graphsvc.graph.base import GraphStore
from graphsvc.graph.neo4j_store import Neo4jStore, tombstone_row

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
    def __init__(self, records: list | None = None) -> None:
        self.log: list = []
        self.records = records or []

    def execute_query(self, query: str, params: dict | None = None, **kw: Any) -> Any:
        self.log.append(("execute_query", QUERY_NAME.get(query, query), params or {}, kw))
        return SimpleNamespace(records=self.records)

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
    assert s.target == "neo4j:neo4j://db.example:7687/music"


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
    assert runs[0][1] == "delete_relationships" and runs[0][2] == {"rows": [{"start": 1, "end": 2, "role": "remixer"}], "type": "BY"}
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
    (lambda s: s._raw_candidates(1, strictness="normal", bpm_window_pct=6, half_double=True, max_pitch_shift=1),
     "next_track_candidates"),
    (lambda s: s.harmonic_path_ids(1, 2), "harmonic_path"),
    (lambda s: s.artist_analytics(1), "artist_analytics"),
    (lambda s: s.set_analytics(1), "set_analytics"),
    (lambda s: s.counts(), "counts_nodes"),
    (lambda s: s.ids("Track"), "ids_nodes"),
    (lambda s: s.ids("BY"), "ids_relationships"),
])
def test_reads_route_to_readers_with_declared_params(call: Any, name: str) -> None:
    s, d = store()
    call(s)
    sent = [e for e in d.log if e[0] == "execute_query"]
    assert sent and sent[0][1] == name
    for _, q, params, kw in sent:
        assert kw == {"database_": "music", "routing_": RoutingControl.READ}
        assert sorted(params) == sorted(cypher.params(q))


def test_search_escapes_lucene_syntax() -> None:
    s, d = store()
    s.search_tracks('AC/DC "Back" (live)', 3)
    params = d.log[-1][2]
    assert params["q"] == 'ac/dc "back" (live)'
    assert params["lucene"] == 'ac\\/dc* AND \\"back\\"* AND \\(live\\)*'


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
    assert len(sent) == 12 and all(e[3] == {"database_": "music"} for e in sent)
    assert all(";" not in e[1] for e in sent)


NEO4J_URI = os.environ.get("NEO4J_TEST_URI")


@pytest.mark.neo4j
@pytest.mark.skipif(not NEO4J_URI, reason="NEO4J_TEST_URI not set: the Neo4j leg runs against a real Neo4j 5.26 outside CI")
class TestRealNeo4j:
    """Projects a small gold fixture into a real Neo4j 5.26 and checks the graph.

    Written against graph_spec.md's gold tables (migration 004_gold.sql was not in the repo yet when
    this was written): adjust the INSERTs if 004 names a column differently."""

    @pytest.fixture
    def neo(self):
        s = Neo4jStore(NEO4J_URI, user=os.environ.get("NEO4J_TEST_USER"),
                       password=os.environ.get("NEO4J_TEST_PASSWORD"),
                       database=os.environ.get("NEO4J_TEST_DATABASE", "neo4j"))
        s.wipe()
        yield s
        s.close()

    def test_project_small_gold_fixture(self, neo: Neo4jStore, pg_url: str) -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("""
                INSERT INTO gold.key (camelot, pitch_class, mode, name, open_key, number, letter) VALUES
                  ('8A', 9, 0, 'A minor', '1m', 8, 'A'), ('8B', 0, 1, 'C major', '1d', 8, 'B');
                INSERT INTO gold.compatible (from_camelot, to_camelot, move, score) VALUES
                  ('8A', '8A', 'same_key', 1.0), ('8A', '8B', 'relative', 0.9), ('8B', '8A', 'relative', 0.9),
                  ('8B', '8B', 'same_key', 1.0);
                INSERT INTO gold.label (id, name, tracks, change_seq) VALUES (100, 'Warp', 2, nextval('gold.change_seq_seq'));
                INSERT INTO gold.artist (id, name, name_key, tracks, sets, change_seq) VALUES
                  (1, 'Aphex Twin', 'aphex twin', 2, 0, nextval('gold.change_seq_seq')),
                  (2, 'Squarepusher', 'squarepusher', 1, 0, nextval('gold.change_seq_seq')),
                  (3, 'DJ X', 'dj x', 0, 1, nextval('gold.change_seq_seq'));
                INSERT INTO gold.track (id, title, artists, bpm, key_pc, key_mode, camelot, energy, genres, plays,
                                        sets, label, label_id, change_seq) VALUES
                  (10, 'Xtal', 'Aphex Twin', 128.0, 9, 0, '8A', 0.5, ARRAY['ambient'], 1, 1, 'Warp', 100, nextval('gold.change_seq_seq')),
                  (11, 'Vent', 'Aphex Twin & Squarepusher', 126.0, 0, 1, '8B', 0.6, ARRAY['idm'], 1, 1, 'Warp', 100, nextval('gold.change_seq_seq'));
                INSERT INTO gold.set (id, title, dj, date, source, tracks, change_seq) VALUES
                  (1000, 'Mix', 'DJ X', DATE '2018-01-01', 'mixesdb', 2, nextval('gold.change_seq_seq'));
                INSERT INTO gold.by (track_id, artist_id, role, position, change_seq) VALUES
                  (10, 1, 'primary', 0, nextval('gold.change_seq_seq')), (11, 1, 'primary', 0, nextval('gold.change_seq_seq')),
                  (11, 2, 'primary', 1, nextval('gold.change_seq_seq'));
                INSERT INTO gold.collaborated_with (a_id, b_id, weight, first_year, last_year, change_seq)
                  VALUES (1, 2, 1, 2001, 2001, nextval('gold.change_seq_seq'));
                INSERT INTO gold.transitions_to (from_id, to_id, count, djs, last_seen, change_seq)
                  VALUES (10, 11, 1, 1, DATE '2018-01-01', nextval('gold.change_seq_seq'));
                INSERT INTO gold.contains (set_id, track_id, position, change_seq) VALUES
                  (1000, 10, 1, nextval('gold.change_seq_seq')), (1000, 11, 2, nextval('gold.change_seq_seq'));
                INSERT INTO gold.played (artist_id, set_id, change_seq) VALUES (3, 1000, nextval('gold.change_seq_seq'));
                INSERT INTO gold.supports (dj_id, artist_id, count, change_seq) VALUES (3, 1, 2, nextval('gold.change_seq_seq'));
            """)
            stats = neo.project(conn, batch_size=2)
            assert stats.nodes == {"Key": 2, "Label": 1, "Artist": 3, "Track": 2, "Set": 1}
            assert neo.counts() == {"Track": 2, "Artist": 3, "Key": 2, "Set": 1, "Label": 1, "BY": 3,
                                    "COLLABORATED_WITH": 1, "TRANSITIONS_TO": 1, "IN_KEY": 2, "COMPATIBLE": 4,
                                    "CONTAINS": 2, "PLAYED": 1, "SUPPORTS": 1, "ON_LABEL": 2}
            assert neo.ids("CONTAINS") == {(1000, 10, 1), (1000, 11, 2)}
            wm = conn.execute("SELECT watermark FROM gold.projection_state WHERE target = %s", (neo.target,)).fetchone()
            assert wm is not None and wm[0] > 0
            # incremental: a tombstoned relationship disappears, nothing else is rewritten
            conn.execute("DELETE FROM gold.supports")
            conn.execute("INSERT INTO gold.tombstone (kind, key, change_seq) VALUES ('SUPPORTS', '3:1', nextval('gold.change_seq_seq'))")
            again = neo.project(conn)
            assert sum(again.nodes.values()) == 2  # only the keys, which have no change_seq
            assert neo.counts()["SUPPORTS"] == 0
        net = neo.collaboration_network(1, depth=1)
        assert [n.id for n in net.nodes] == ["Artist:1", "Artist:2"] and len(net.edges) == 1
        assert [c.track_id for c in neo.next_tracks(10)] == [11]
