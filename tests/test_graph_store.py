"""THE shared graph-store suite: every backend must give these answers on the fixture's gold data
(tests/gold_fixture.py). The Neo4j leg runs only when NEO4J_TEST_URI points at a real Neo4j 5.26."""

from __future__ import annotations

import math
import os
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsvc import harmonic
from graphsvc.errors import InvalidValue, NotFound
from graphsvc.graph.base import GraphStore
from tests.gold_fixture import TRACKS

UNKNOWN = 12345


@pytest.fixture(params=["embedded", "neo4j"])
def store(request, gold):
    conn, fx = gold
    if request.param == "embedded":
        from graphsvc.graph.embedded import EmbeddedStore

        s = EmbeddedStore.from_gold(conn)
    else:
        uri = os.environ.get("NEO4J_TEST_URI")
        if not uri:
            pytest.skip("NEO4J_TEST_URI not set: the Neo4j leg runs against a real Neo4j 5.26 outside CI")
        from graphsvc.graph.neo4j_store import Neo4jStore

        auth = (os.environ.get("NEO4J_TEST_USER", "neo4j"), os.environ.get("NEO4J_TEST_PASSWORD", "neo4j"))
        s = Neo4jStore(uri, auth, os.environ.get("NEO4J_TEST_DATABASE", "neo4j"))
        s.wipe()
        s.ensure_schema()
        s.project(conn, full=True)
    s.fx = fx
    yield s
    s.close()


def _codes(store, candidates) -> list[str]:
    inv = {v: k for k, v in store.fx.track.items()}
    return [inv[c.track_id] for c in candidates]


def test_protocol_and_counts(store):
    assert isinstance(store, GraphStore)
    assert store.ping()
    assert store.counts() == {
        "Track": 40, "Artist": 15, "Key": 24, "Set": 6, "Label": 4, "BY": 55, "COLLABORATED_WITH": 12,
        "TRANSITIONS_TO": 21, "IN_KEY": 38, "COMPATIBLE": 216, "CONTAINS": 30, "PLAYED": 7, "SUPPORTS": 18,
        "ON_LABEL": 24,
    }
    fx = store.fx
    assert store.ids("Track") == set(fx.track.values())
    assert (fx.track["src"], fx.track["ev"], None) in store.ids("TRANSITIONS_TO")
    assert (fx.track["c2"], fx.artist["Dixon"], "remixer") in store.ids("BY")


# --- collaboration network ------------------------------------------------------------------
def test_ego_network_depth_1(store):
    a = store.fx.artist
    g = store.collaboration_network(a["Dixon"], depth=1)
    assert [n.properties["name"] for n in g.nodes] == ["Dixon", "Âme", "Solomun"]
    assert [n.properties["hops"] for n in g.nodes] == [0, 1, 1]
    assert g.nodes[0].id == f"Artist:{a['Dixon']}"
    weights = {frozenset((e.source, e.target)): e.properties["weight"] for e in g.edges}
    assert weights == {
        frozenset((f"Artist:{a['Dixon']}", f"Artist:{a['Âme']}")): 2,
        frozenset((f"Artist:{a['Dixon']}", f"Artist:{a['Solomun']}")): 1,
    }
    assert not g.truncated


def test_ego_network_depth_2_truncation_and_min_weight(store):
    a = store.fx.artist
    g = store.collaboration_network(a["Dixon"], depth=2)
    # hops asc, tracks desc (Kerri 3 and Tale Of Us 3 tie -> id asc), id asc
    assert [n.properties["name"] for n in g.nodes] == [
        "Dixon", "Âme", "Solomun", "Kerri Chandler", "Tale Of Us", "Henrik Schwarz"]
    assert a["Kerri Chandler"] < a["Tale Of Us"]
    assert len(g.edges) == 5
    cut = store.collaboration_network(a["Dixon"], depth=2, limit=4)
    assert cut.truncated and [n.properties["name"] for n in cut.nodes] == ["Dixon", "Âme", "Solomun", "Kerri Chandler"]
    assert len(cut.edges) == 3  # Dixon-Ame, Dixon-Solomun, Ame-Kerri
    heavy = store.collaboration_network(a["Dixon"], depth=2, min_weight=2)
    assert [n.properties["name"] for n in heavy.nodes] == ["Dixon", "Âme", "Kerri Chandler"]
    assert {e.properties["weight"] for e in heavy.edges} == {2}


# --- collaboration paths ----------------------------------------------------------------------
def _names(path):
    return [step["artist"]["name"] for step in path]


def test_collaboration_path_four_hops(store):
    a = store.fx.artist
    paths = store.collaboration_paths(a["Dixon"], a["Marc Romboy"], k=1)
    assert [_names(p) for p in paths] == [["Dixon", "Âme", "Kerri Chandler", "Stephan Bodzin", "Marc Romboy"]]
    assert [s["weight_to_next"] for s in paths[0]] == [2, 2, 1, 2, None]


def test_k_collaboration_paths_ordering(store):
    a = store.fx.artist
    paths = store.collaboration_paths(a["Dixon"], a["Stephan Bodzin"], k=3, max_hops=6)
    assert [_names(p) for p in paths] == [
        ["Dixon", "Âme", "Kerri Chandler", "Stephan Bodzin"],  # 3 hops, weight 5
        ["Dixon", "Âme", "Henrik Schwarz", "Stephan Bodzin"],  # 3 hops, weight 4
        ["Dixon", "Solomun", "Tale Of Us", "Mind Against", "Adriatique", "Recondite", "Stephan Bodzin"],
    ]
    assert len(store.collaboration_paths(a["Dixon"], a["Stephan Bodzin"], k=3, max_hops=5)) == 2
    assert store.collaboration_paths(a["Dixon"], a["Bicep"], k=3) == []


# --- next tracks ----------------------------------------------------------------------------
NORMAL = {"same", "rel", "ev", "adj", "half", "c5", "c6", "s9", "diag"}


def test_next_tracks_strictness(store):
    src = store.fx.track["src"]
    assert set(_codes(store, store.next_tracks(src, limit=100))) == NORMAL
    assert set(_codes(store, store.next_tracks(src, strictness="strict", limit=100))) == NORMAL - {"diag"}
    relaxed = set(_codes(store, store.next_tracks(src, strictness="relaxed", limit=100)))
    # relaxed adds two-step (10A, 6A) and semitone moves (3A, and 1A: 8 - 7)
    assert relaxed == NORMAL | {"twostep", "semi", "c4", "c3", "clash", "s7"}
    for c in store.next_tracks(src, strictness="relaxed", limit=100):
        assert harmonic.Move(c.move) in harmonic.STRICTNESS["relaxed"]
        assert c.bpm_pct <= 6.0


def test_next_tracks_bpm_window_and_half_double(store):
    src = store.fx.track["src"]
    assert "half" not in _codes(store, store.next_tracks(src, half_double=False, limit=100))
    tight = store.next_tracks(src, bpm_window_pct=1.0, limit=100)
    assert set(_codes(store, tight)) == {"same", "ev", "rel", "half", "c5", "c6"}
    half = next(c for c in tight if c.track_id == store.fx.track["half"])
    assert half.bpm_pct == 0.0 and half.move == "same_key"


def test_real_transition_evidence_ranks_first(store):
    t = store.fx.track
    ranked = store.next_tracks(t["src"], limit=100)
    codes = _codes(store, ranked)
    ev = ranked[codes.index("ev")]
    assert ev.transitions == 3 and ev.breakdown["evidence_count"] == 3
    # same move (adjacent) and similar tempo: the one DJs actually played ranks above the others
    assert codes.index("ev") < codes.index("adj") < codes.index("s9")
    # evidence never excuses a key clash; unknown key + evidence is a candidate
    assert "evclash" not in _codes(store, store.next_tracks(t["src"], strictness="relaxed", limit=100))
    after_ev = store.next_tracks(t["ev"], limit=100)
    nokey = next(c for c in after_ev if c.track_id == t["nokey"])
    assert nokey.move is None and nokey.transitions == 1
    scores = [c.score for c in ranked]
    assert scores == sorted(scores, reverse=True)


def test_pitch_shift(store):
    t = store.fx.track
    assert "pitch" not in _codes(store, store.next_tracks(t["src"], limit=100))
    shifted = store.next_tracks(t["src"], max_pitch_shift=1, limit=100)
    pitch = next(c for c in shifted if c.track_id == t["pitch"])
    # 3A at 131.5 played at 124 BPM without key lock drops a semitone: 3A -> 8A
    assert pitch.pitch_shift == -1 and pitch.bpm_pct == 0.0 and pitch.move == "same_key"
    assert pitch.camelot == "3A"


def test_harmonic_paths_obey_constraints(store):
    t = store.fx.track
    paths = store.harmonic_paths(t["src"], t["dest"], k=3, max_len=6)
    assert len(paths) == 3
    assert all(len(p) == 4 for p in paths)  # 8A -> 11A needs 3 hops at "normal"
    assert all(p[0].track_id == t["src"] and p[-1].track_id == t["dest"] for p in paths)
    sums = [sum(c.score for c in p[1:]) for p in paths]
    assert sums == sorted(sums, reverse=True)
    for p in paths:
        _assert_hops(store, p, "normal", 6.0)
    assert store.harmonic_paths(t["src"], t["dest"], k=3, max_len=3) == []
    # pool: more candidate paths for a caller that orders them (the recommender), the same search
    ids = [[c.track_id for c in p] for p in paths]
    assert [[c.track_id for c in p] for p in store.harmonic_paths(t["src"], t["dest"], k=1, max_len=6, pool=3)] == ids
    with pytest.raises(InvalidValue, match="pool"):
        store.harmonic_paths(t["src"], t["dest"], k=3, max_len=6, pool=2)


def _assert_hops(store, path, strictness, window):
    ids = [c.track_id for c in path]
    assert len(set(ids)) == len(ids)
    for x, y in pairwise(ids):
        a, b = store.get_track(x), store.get_track(y)
        assert None not in (a["camelot"], b["camelot"], a["bpm"], b["bpm"])
        move = harmonic.classify_move(harmonic.parse_key(a["camelot"]), harmonic.parse_key(b["camelot"]))
        assert move in harmonic.STRICTNESS[strictness]
        assert harmonic.bpm_distance_pct(a["bpm"], b["bpm"]) <= window


KNOWN = sorted(code for code, row in TRACKS.items() if row[3] is not None and row[4] is not None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    a=st.sampled_from(KNOWN), b=st.sampled_from(KNOWN), k=st.integers(1, 4), max_len=st.integers(2, 6),
    strictness=st.sampled_from(["strict", "normal", "relaxed"]), window=st.sampled_from([1.0, 3.0, 6.0, 10.0]),
)
def test_harmonic_paths_property(store, a, b, k, max_len, strictness, window):
    if a == b:
        return
    t = store.fx.track
    paths = store.harmonic_paths(t[a], t[b], k=k, max_len=max_len, strictness=strictness, bpm_window_pct=window)
    assert len(paths) <= k
    lengths = [len(p) for p in paths]
    assert lengths == sorted(lengths) and all(2 <= n <= max_len for n in lengths)
    for p in paths:
        assert p[0].track_id == t[a] and p[-1].track_id == t[b]
        _assert_hops(store, p, strictness, window)


# --- bounds and unknown ids -------------------------------------------------------------------
def test_bounds_rejected(store):
    a, t = store.fx.artist, store.fx.track
    with pytest.raises(InvalidValue, match="depth"):
        store.collaboration_network(a["Dixon"], depth=4)
    with pytest.raises(InvalidValue, match="limit"):
        store.next_tracks(t["src"], limit=0)
    with pytest.raises(InvalidValue, match="k must"):
        store.collaboration_paths(a["Dixon"], a["Âme"], k=11)
    with pytest.raises(InvalidValue, match="max_len"):
        store.harmonic_paths(t["src"], t["dest"], max_len=13)
    with pytest.raises(InvalidValue, match="strictness"):
        store.next_tracks(t["src"], strictness="loose")
    with pytest.raises(InvalidValue, match="depth"):
        store.neighbourhood("track", t["src"], depth=3)
    with pytest.raises(InvalidValue, match="max_pitch_shift"):
        store.next_tracks(t["src"], max_pitch_shift=3)


def test_unknown_ids(store):
    a, t = store.fx.artist, store.fx.track
    for call in (
        lambda: store.collaboration_network(UNKNOWN),
        lambda: store.collaboration_paths(a["Dixon"], UNKNOWN),
        lambda: store.next_tracks(UNKNOWN),
        lambda: store.harmonic_paths(t["src"], UNKNOWN),
        lambda: store.neighbourhood("artist", UNKNOWN),
    ):
        with pytest.raises(NotFound):
            call()
    assert store.get_track(UNKNOWN) is None and store.get_artist(UNKNOWN) is None
    assert store.artist_analytics(UNKNOWN) is None and store.set_analytics(UNKNOWN) is None


# --- search, neighbourhood, analytics -------------------------------------------------------
def test_search(store):
    assert [r["name"] for r in store.search_artists("AME")] == ["Âme"]
    # all prefix matches: ranked by plays desc (Opal 4, Apricots 3, Glue 1, Atlas 0)
    assert [r["title"] for r in store.search_tracks("bicep")] == ["Opal", "Apricots", "Glue", "Atlas"]
    # exact title beats a prefix of a longer title
    assert [r["title"] for r in store.search_tracks("atlas")][:2] == ["Atlas", "Atlas Mind"]
    assert [r["title"] for r in store.search_tracks("bicep", limit=2)] == ["Opal", "Apricots"]
    assert store.search_artists("nobody at all") == []


def test_neighbourhood(store):
    fx = store.fx
    g = store.neighbourhood("track", fx.track["src"], depth=1, limit=100)
    ids = {n.id for n in g.nodes}
    t, s = fx.track, fx.set
    assert ids == {
        f"Track:{t['src']}", f"Track:{t['ev']}", f"Track:{t['evclash']}", f"Track:{t['nokey']}", f"Track:{t['c10']}",
        f"Artist:{fx.artist['Bicep']}", "Key:8A", f"Label:{fx.label['Feel My Bicep']}",
        f"Set:{s['set1']}", f"Set:{s['set2']}", f"Set:{s['set5']}",
    }
    assert g.nodes[0].id == f"Track:{t['src']}" and not g.truncated
    assert all(e.source in ids and e.target in ids for e in g.edges)
    types = {e.type for e in g.edges}
    assert "COMPATIBLE" not in types and {"IN_KEY", "ON_LABEL", "BY", "CONTAINS"} <= types
    # set5 contains src twice (positions 1 and 4): two CONTAINS edges
    assert sum(e.type == "CONTAINS" and e.source == f"Set:{s['set5']}" and e.target == f"Track:{t['src']}"
               for e in g.edges) == 2
    cut = store.neighbourhood("track", fx.track["src"], depth=2, limit=5)
    assert cut.truncated and len(cut.nodes) == 5 and cut.nodes[0].id == f"Track:{t['src']}"
    assert all(n.properties["hops"] <= 1 for n in cut.nodes)


def test_artist_analytics(store):
    a = store.artist_analytics(store.fx.artist["Bicep"])
    assert a["tracks"] == 4 and a["sets_played"] == 0
    assert a["avg_bpm"] == pytest.approx((124 + 125 + 122 + 123) / 4)
    assert a["top_key"] == "8A"  # 8A and 9A both twice: wheel order decides
    assert a["top_genres"] == [{"genre": "house", "tracks": 4}]
    assert [(s["name"], s["count"]) for s in a["supported_by"]] == [("Dixon", 8), ("Kerri Chandler", 3)]
    d = store.artist_analytics(store.fx.artist["Dixon"])
    assert d["sets_played"] == 3
    assert [(c["name"], c["weight"]) for c in d["collaborators"]] == [("Âme", 2), ("Solomun", 1)]


def test_set_analytics(store):
    s = store.set_analytics(store.fx.set["set3"])
    # c7 4A -> c8 4A (same key, 1.0); gap; c9 4B -> c3 6A (clash, 0.0)
    assert s["tracks"] == 4
    assert s["harmonic_flow"] == pytest.approx(0.5)
    assert s["compatible_share"] == pytest.approx(0.5)
    assert s["energy_curve"] == pytest.approx([0.6, 0.6, 0.6, 0.5])
    assert s["bpm_curve"] == [122.0, 121.0, 123.0, 120.0]
    assert s["genres"] == {"deep house": 1.0}
    s5 = store.set_analytics(store.fx.set["set5"])
    assert s5["energy_curve"][2] is None and s5["tracks"] == 6


# --- the served recommender (graphsvc.recommend) ---------------------------------------------------
def test_recommendations_on_every_backend(store):
    from datetime import date

    from graphsvc.recommend.features import Constraints
    from graphsvc.recommend.model import Ranker
    from graphsvc.recommend.service import recommend

    t = store.fx.track
    got = recommend(store, Ranker.prior(), t["src"], limit=10)
    first = got.items[0]
    assert first.track["id"] == t["ev"]
    assert first.evidence["followed"] == {"times": 3, "djs": 2, "last_seen": date(2020, 6, 6)}
    assert first.evidence["same_artist"] and first.evidence["same_label"] == "Feel My Bicep"
    strict = recommend(store, Ranker.prior(), t["src"], constraints=Constraints(strictness="strict"), limit=50)
    ids = {r.track["id"] for r in strict.items}
    assert t["evclash"] not in ids and t["diag"] not in ids  # known keys outside 'strict': filtered
    assert t["nokey"] in ids  # unknown key: kept, flagged
    assert next(r for r in strict.items if r.track["id"] == t["nokey"]).flags == ["key unknown"]
    cold = recommend(store, Ranker.prior(), t["s8"], limit=20)  # in no set, no key, no BPM
    assert {t["c12"], t["c13"]} <= {r.track["id"] for r in cold.items}
    with pytest.raises(NotFound):
        recommend(store, Ranker.prior(), UNKNOWN)


def test_recommendation_evidence_equals_the_embedded_store(store, gold):
    """Parity: for every track of the fixture and several constraint sets, the backend gathers the same
    context and so serves the same ranking as the embedded store (meaningful on the Neo4j leg)."""
    if store.backend == "embedded":
        pytest.skip("compares another backend with the embedded store")
    from graphsvc.graph.embedded import EmbeddedStore
    from graphsvc.recommend.context import CAPS
    from graphsvc.recommend.features import Constraints
    from graphsvc.recommend.model import Ranker
    from graphsvc.recommend.service import DEFAULTS, rank_ids

    conn, fx = gold
    ref = EmbeddedStore.from_gold(conn)
    for tid in sorted(fx.track.values()):
        for con in (DEFAULTS, Constraints(strictness="strict", bpm_window_pct=3.0), Constraints(max_pitch_shift=1)):
            assert store.recommendation_context(tid, con, CAPS) == ref.recommendation_context(tid, con, CAPS), tid
            assert rank_ids(store, Ranker.prior(), tid, constraints=con, limit=50) == \
                rank_ids(ref, Ranker.prior(), tid, constraints=con, limit=50), tid


def test_rank_candidates_bound_pruning_is_exact(store):
    """rank_candidates scores only candidates whose upper bound can enter the top `limit`; its answer
    must equal scoring every raw candidate with transition_score and sorting them."""
    from graphsvc.graph.ranking import rank_candidates, score_candidate

    if store.backend != "embedded":
        pytest.skip("raw candidates are reached through the embedded store")
    for tid in store.fx.track.values():
        src = store.get_track(tid)
        for kw in ({}, {"strictness": "any", "bpm_window_pct": 20.0}, {"max_pitch_shift": 2, "half_double": False}):
            raw = store.raw_candidates(tid, **kw)
            full = sorted((score_candidate(src, r) for r in raw), key=lambda c: (-c.score, -c.transitions, c.track_id))
            for limit in (1, 3, 500):
                assert rank_candidates(src, raw, limit) == full[:limit]


# --- the vectorized embedded store against straightforward reference implementations ---------------
@pytest.fixture(scope="module")
def synthetic_store(synthetic_store_factory):
    """A seeded synthetic gold graph (3,000 tracks) in its own database, loaded into the embedded store."""
    return synthetic_store_factory("test_vectorized_store", 3000, 11)


def _reference_raw(store, tid: int, strictness: str, window: float, half_double: bool) -> list[tuple]:
    """Graph rule 3 without pitch shift, the plain way: every track checked, one sort per part.
    Returns (track_id, move, bpm_pct, transitions) in CANDIDATE_CAP order."""
    from graphsvc.graph.ranking import CANDIDATE_CAP

    allowed = harmonic.STRICTNESS[strictness]
    s = store.tracks[tid]

    def fit(t):
        move = pct = None
        if s.bpm is not None and t.bpm is not None:
            pct = harmonic.bpm_distance_pct(s.bpm, t.bpm, half_double)
            if pct > window:
                return None
        if s.key is not None and t.key is not None:
            move = harmonic.classify_move(s.key, t.key)
            if move not in allowed:
                return None
        return move, pct

    evidence = []
    for x, (n, _, _) in store.trans_out.get(tid, {}).items():
        f = fit(store.tracks[x])
        if f is not None:
            score = -1.0 if f[0] is None else harmonic.MOVES[f[0]]
            evidence.append(((-n, -score, math.inf if f[1] is None else f[1], x), (x, f[0], f[1], n)))
    out = [row for _, row in sorted(evidence)][:CANDIDATE_CAP]
    if s.key is None or s.bpm is None:
        return out
    taken = {row[0] for row in out} | {tid}
    window_rows = []
    for t in store.tracks.values():
        if t.id in taken or t.key is None or t.bpm is None:
            continue
        f = fit(t)
        if f is not None:
            window_rows.append(((-harmonic.MOVES[f[0]], f[1], t.id), (t.id, f[0], f[1], 0)))
    out += [row for _, row in sorted(window_rows)]
    return out[:CANDIDATE_CAP]


def test_vectorized_candidates_equal_reference_on_random_data(synthetic_store):
    """The numpy window scan (searchsorted slices, vectorized bpm_pct, lexsort per move group, lazy
    dicts) gives the same raw candidates, in the same order, as checking every track and sorting; and
    next_tracks (column bounds) the same ranking as rank_candidates over the Python reference path."""
    import random

    from graphsvc.graph.ranking import rank_candidates

    store = synthetic_store
    rng = random.Random(2024)
    tids = sorted(store.tracks)
    with_evidence = sorted(store.trans_out)
    for _ in range(60):
        tid = rng.choice(with_evidence if rng.random() < 0.5 else tids)
        kw = {"strictness": rng.choice(["strict", "normal", "relaxed", "any"]),
              "bpm_window_pct": rng.choice([0.0, 0.5, 3.0, 6.0, 12.5, 20.0]), "half_double": rng.random() < 0.7}
        got = store.raw_candidates(tid, **kw)
        assert [(r["track_id"], None if r["move"] is None else harmonic.Move(r["move"]), r["bpm_pct"],
                 r["transitions"]) for r in got] == \
            _reference_raw(store, tid, kw["strictness"], kw["bpm_window_pct"], kw["half_double"])
        ref = list(store._raw_sequence(tid, reference=True, **kw))
        assert got == ref
        limit = rng.choice([1, 5, 20, 200])
        assert store.next_tracks(tid, limit=limit, **kw) == rank_candidates(store.get_track(tid), ref, limit)


def _reference_ego(store, artist_id: int, depth: int, min_weight: int, limit: int):
    """Graph rule 1 the plain way: full BFS, one sort, edges from networkx."""
    hops = {artist_id: 0}
    frontier = [artist_id]
    for d in range(1, depth + 1):
        nxt = []
        for u in frontier:
            for v, attrs in store.collab.adj[u].items():
                if v not in hops and attrs["weight"] >= min_weight:
                    hops[v] = d
                    nxt.append(v)
        frontier = nxt
    kept = sorted(hops, key=lambda n: (hops[n], -store.artists[n]["tracks"], n))[:limit]
    keep = set(kept)
    edges = sorted((min(u, v), max(u, v), a["weight"]) for u, v, a in store.collab.edges(data=True)
                   if u in keep and v in keep and a["weight"] >= min_weight)
    return [(n, hops[n]) for n in kept], edges, len(hops) > len(kept)


def test_vectorized_ego_network_equals_reference(synthetic_store):
    import random

    store = synthetic_store
    rng = random.Random(7)
    artists = sorted(store.artists)
    hubs = sorted(artists, key=lambda a: -store.collab.degree(a))[:5]
    for _ in range(60):
        a = rng.choice(hubs if rng.random() < 0.3 else artists)
        depth, min_weight, limit = rng.choice([1, 2, 3]), rng.choice([1, 1, 2, 3]), rng.choice([1, 3, 20, 100, 500])
        g = store.collaboration_network(a, depth=depth, min_weight=min_weight, limit=limit)
        nodes, edges, truncated = _reference_ego(store, a, depth, min_weight, limit)
        assert [(n.properties["id"], n.properties["hops"]) for n in g.nodes] == nodes
        assert [(int(e.source[7:]), int(e.target[7:]), e.properties["weight"]) for e in g.edges] == edges
        assert g.truncated is truncated
