"""The served next-track recommender (graphsvc.recommend): what it promises a DJ, tested through its
public functions on real Postgres, the hand-made gold fixture, the demo data set and real MixesDB mixes.

Both-backend parity lives in the shared suite (tests/test_graph_store.py)."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.gold import RECENT_DAYS, SCENE_GENRES, build_gold
from etl.ranker import refresh_ranker
from graphsvc.graph.embedded import EmbeddedStore
from graphsvc.recommend import history
from graphsvc.recommend.context import CAPS, Context
from graphsvc.recommend.features import FEATURES, Constraints, featurize
from graphsvc.recommend.model import PRIOR_WEIGHTS, Ranker, load_ranker
from graphsvc.recommend.service import DEFAULTS, rank_ids, recommend
from graphsvc.recommend.train import fit_ranker, fit_weights, rolling_cuts
from tests.gold_fixture import fill_silver


def _rec(store, track, **kw):
    return recommend(store, kw.pop("ranker", Ranker.prior()), track, **kw)


# --- the graph as it was ------------------------------------------------------------------------
def test_history_of_all_sets_reproduces_gold(real_gold):
    """history.as_of recomputes every set-derived value with gold's definitions: given every set it must
    give back the store loaded from gold (popularity, trend, scene genres, transitions, support...)."""
    _, store = real_gold
    assert RECENT_DAYS == history.RECENT_DAYS and SCENE_GENRES == history.SCENE_GENRES
    again = history.as_of(store, list(store.sets))
    assert set(again.tracks) == set(store.tracks)
    fields = ("plays", "sets", "djs", "plays_recent", "djs_recent", "scene_genres", "label_id", "camelot")
    for tid, t in store.tracks.items():
        u = again.tracks[tid]
        assert {f: getattr(u, f) for f in fields} == {f: getattr(t, f) for f in fields}, tid
        assert math.isclose(u.trend, t.trend, abs_tol=2e-6), (tid, u.trend, t.trend)
    assert sum(1 for t in store.tracks.values() if t.scene_genres) > len(store.tracks) / 2
    assert sum(1 for t in store.tracks.values() if t.trend > 0) > 0
    assert again.trans_out == store.trans_out
    assert again.sup_out == store.sup_out
    assert again.played_set == store.played_set and again.set_entries == store.set_entries
    assert {a: {k: v for k, v in d.items() if k in ("plays", "djs", "plays_recent", "tracks", "sets")}
            for a, d in again.artists.items()} == \
           {a: {k: v for k, v in d.items() if k in ("plays", "djs", "plays_recent", "tracks", "sets")}
            for a, d in store.artists.items()}
    assert sorted(again.collab.edges(data="weight")) == sorted(store.collab.edges(data="weight"))


def test_history_keeps_only_what_was_known_then(real_gold):
    _, store = real_gold
    fit, held = rolling_cuts(store, 1, 0.5)[0]
    past = history.as_of(store, fit)
    assert set(past.sets) == set(fit)
    held_only = {t for s in held for _, t in store.set_entries[s]} - {t for s in fit for _, t in store.set_entries[s]}
    assert held_only and not held_only & set(past.tracks)
    latest = max(store.sets[s]["date"] for s in fit if store.sets[s]["date"])
    assert all(store.sets[s]["date"] is None or store.sets[s]["date"] <= latest for s in past.sets)


# --- scores that mean something -------------------------------------------------------------------
def _ctx(**kw) -> tuple[Context, dict]:
    """A context with a source (8A, 124 BPM) and candidate facts 1..n built from keyword overrides."""
    src = {"id": 0, "title": "S", "version": None, "artists": "A", "bpm": 124.0, "camelot": "8A", "energy": 0.6,
           "genres": [], "scene_genres": ["House"], "plays": 3, "sets": 3, "djs": 2, "plays_recent": 1,
           "trend": 0.0, "label": None, "label_id": None, "year": None, "artist_ids": [1], "primary_ids": [1]}
    facts = {}
    for cid, over in kw["cands"].items():
        f = dict(src, id=cid, artist_ids=[100 + cid], primary_ids=[100 + cid])
        f.update(over)
        facts[cid] = f
    ctx = Context(source=src, **{k: v for k, v in kw.items() if k != "cands"})
    ctx.window = sorted(facts)
    return ctx, facts


def test_unknown_key_neither_helps_nor_hurts():
    """Same candidate three times but for its key: compatible > unknown > clash, and the unknown one
    scores exactly as if its key term were zero (no 'key' contribution at all)."""
    ctx, facts = _ctx(cands={1: {"camelot": "9A"}, 2: {"camelot": None}, 3: {"camelot": "2A"}})
    cands = featurize(ctx, facts, DEFAULTS)
    ranker = Ranker.prior()
    u = dict(zip(cands.ids, ranker.utilities(cands.X), strict=True))
    assert u[1] > u[2] > u[3]
    row = cands.X[cands.ids.index(2)]
    assert row[FEATURES.index("key")] == 0.0 and "key" not in ranker.contributions(row)
    without_key = ranker.vector.copy()
    without_key[FEATURES.index("key")] = 0.0
    assert u[2] == pytest.approx(float(row @ without_key))
    assert cands.fits[2].move is None and cands.fits[1].move is not None


def test_more_evidence_ranks_higher():
    """Two otherwise identical candidates: the one DJs played after the source more often ranks first,
    and adding evidence to a candidate never lowers it."""
    ctx, facts = _ctx(cands={1: {}, 2: {}}, out={1: (1, 1, None), 2: (4, 3, None)},
                      shared_sets={1: 1, 2: 1}, sets_scanned=3)
    cands = featurize(ctx, facts, DEFAULTS)
    for weights in (PRIOR_WEIGHTS, dict.fromkeys(FEATURES, 1.0)):
        r = Ranker(weights)
        u = dict(zip(cands.ids, r.utilities(cands.X), strict=True))
        assert u[2] > u[1]
    # the same candidate with one more shared set, one more same-set neighbour, one more transition
    base = featurize(ctx, facts, DEFAULTS).X[0]
    for change in ({"shared_sets": {1: 2, 2: 1}}, {"offsets": {1: [2]}}, {"out": {1: (2, 1, None), 2: (4, 3, None)}},
                   {"inn": {1: (1, 1, None)}}, {"two_hop": {1: 3}}):
        richer, _ = _ctx(cands={1: {}, 2: {}}, out={1: (1, 1, None), 2: (4, 3, None)},
                         shared_sets={1: 1, 2: 1}, sets_scanned=3)
        for k, v in change.items():
            setattr(richer, k, v)
        x = featurize(richer, facts, DEFAULTS).X[0]
        assert (x >= base).all() and (x > base).any(), change
        assert Ranker.prior().utilities(x[None, :])[0] >= Ranker.prior().utilities(base[None, :])[0]


def test_a_refitted_ranker_keeps_every_weight_non_negative():
    rng = np.random.default_rng(0)
    from graphsvc.recommend.train import Query

    queries = []
    for q in range(40):
        X = rng.normal(size=(12, len(FEATURES)))
        queries.append(Query(q, q, X, list(range(12)), int(rng.integers(0, 12))))
    w = fit_weights(queries, l2=0.1)
    assert (w >= 0).all() and w.shape == (len(FEATURES),)


def test_constraints_are_hard_filters_only_on_known_data():
    ctx, facts = _ctx(cands={1: {"camelot": "9A", "bpm": 125.0}, 2: {"camelot": "2A", "bpm": 124.0},
                             3: {"camelot": None, "bpm": 124.0}, 4: {"camelot": "8A", "bpm": 150.0},
                             5: {"camelot": "8A", "bpm": None}})
    cands = featurize(ctx, facts, Constraints(strictness="strict", bpm_window_pct=6.0))
    assert sorted(cands.ids) == [1, 3, 5]
    assert cands.dropped == {"key": 1, "bpm": 1}
    assert cands.fits[3].move is None and cands.fits[5].bpm_pct is None


# --- the served answers -------------------------------------------------------------------------------
def test_recommendations_carry_evidence_and_a_sentence(gold):
    conn, fx = gold
    store = EmbeddedStore.from_gold(conn)
    got = _rec(store, fx.track["src"], limit=10)
    first = got.items[0]
    assert first.track["id"] == fx.track["ev"]  # played right after src in 3 sets by 2 DJs
    assert first.evidence["followed"] == {"times": 3, "djs": 2, "last_seen": date(2020, 6, 6)}
    assert first.explanation.startswith("DJs played it right after this one 3 times (2 DJs)")
    assert "8A -> 9A (adjacent key)" in first.explanation and "-0.8 % BPM" in first.explanation
    assert first.flags == [] and first.rank == 1
    nokey = next(r for r in got.items if r.track["id"] == fx.track["nokey"])
    assert nokey.flags == ["key unknown"] and "key unknown" in nokey.explanation
    assert sum(r.score for r in got.items) <= 1 + 1e-9
    assert [r.utility for r in got.items] == sorted((r.utility for r in got.items), reverse=True)


def test_cold_start_tracks_still_get_recommendations(gold):
    """'far' was never played in a set, 's8' has no key, BPM or set either: artists, label, collaborators
    and key/BPM still give ranked recommendations, and the answer says why it is thin."""
    conn, fx = gold
    store = EmbeddedStore.from_gold(conn)
    # at 140 BPM nothing of Maceo Plex's (124 BPM) is within the default 6 %: empty, and it says why
    far = _rec(store, fx.track["far"], limit=20)
    assert not far.items and far.dropped["bpm"] == 3 and "widen bpm_window_pct" in far.warnings[0]
    wide = _rec(store, fx.track["far"], constraints=Constraints(bpm_window_pct=20.0), limit=20)
    mine = {fx.track[c] for c in ("twostep", "semi", "pitch")}  # Maceo Plex's other tracks
    by_id = {r.track["id"]: r for r in wide.items}
    assert mine <= set(by_id) and all(by_id[t].evidence["same_artist"] and "artist" in by_id[t].reached_by
                                      for t in mine)
    others = [r for r in wide.items if r.track["id"] not in mine]
    assert all(r.reached_by == ["harmonic_window"] for r in others)  # 8A-compatible tracks within 20 %
    assert any("no DJ has played a track right after this one" in w for w in wide.warnings)
    s8 = _rec(store, fx.track["s8"], limit=20)
    assert s8.items
    assert {fx.track["c12"], fx.track["c13"]} <= {r.track["id"] for r in s8.items}  # Mind Against's tracks
    assert any("BPM is unknown" in w for w in s8.warnings)


def test_an_impossible_constraint_explains_the_empty_answer(gold):
    conn, fx = gold
    store = EmbeddedStore.from_gold(conn)
    got = _rec(store, fx.track["half"], constraints=Constraints(strictness="strict", bpm_window_pct=0.0,
                                                                 half_double=False), limit=10)
    assert all(r.flags for r in got.items)  # only tracks whose key or tempo is unknown can pass
    assert got.dropped["bpm"] > 0 and got.warnings


def test_more_sets_with_the_pair_raise_it(pg_url):
    """Behaviour, not arithmetic: add a real set where DJs play src -> c5 and c5 climbs."""
    with psycopg.connect(pg_url) as conn:
        fx = fill_silver(conn)
        build_gold(conn)
        conn.commit()
        before = _rec(EmbeddedStore.from_gold(conn), fx.track["src"], limit=40)
        pos = {r.track["id"]: r for r in before.items}
        c5 = fx.track["c5"]
        sid = 777
        conn.execute("""INSERT INTO silver.dj_set (set_id, source, source_key, title, set_date, entry_count)
                        VALUES (%s, 'mixesdb', 'extra', 'Extra', '2021-01-01', 2)""", (sid,))
        for p, t in ((1, fx.track["src"]), (2, c5)):
            conn.execute("INSERT INTO silver.set_entry VALUES (%s, %s, NULL, NULL, %s, 900, %s, 'x')", (sid, p, t, p))
        build_gold(conn)
        conn.commit()
        after = {r.track["id"]: r for r in _rec(EmbeddedStore.from_gold(conn), fx.track["src"], limit=40).items}
    assert after[c5].utility > (pos[c5].utility if c5 in pos else -math.inf)
    assert after[c5].evidence["followed"]["times"] == 1
    assert after[c5].rank < (pos[c5].rank if c5 in pos else 10**6)


# --- fitting, serving and evaluating the same thing ---------------------------------------------------
def test_pipeline_fits_the_ranker_once_and_the_fit_is_deterministic(real_gold):
    url, store = real_gold
    with psycopg.connect(url) as conn:
        ranker = load_ranker(conn)
        fitted_on = conn.execute("SELECT fitted_on FROM gold.ranker").fetchone()[0]
        assert ranker.source == "fitted", fitted_on
        assert all(w >= 0 for w in ranker.weights.values())
        assert fitted_on["queries_with_answer_among_candidates"] >= 50
        again = refresh_ranker(conn)
        assert again.status == "unchanged"  # gold did not change: nothing refitted, nothing written
    refit = fit_ranker(store)
    assert refit.weights == pytest.approx(ranker.weights, abs=1e-6)
    assert json.loads(json.dumps(refit.fitted_on)) == fitted_on


def test_too_little_history_keeps_the_prior(gold):
    conn, _ = gold
    got = fit_ranker(EmbeddedStore.from_gold(conn))
    assert got.source == "prior" and got.weights == PRIOR_WEIGHTS and "note" in got.fitted_on


def test_api_and_eval_rank_identically(real_gold, tmp_path):
    """etl eval measures exactly what the API serves: the route's ids equal rank_ids (the evaluation's
    ranking call) for the same graph, ranker and defaults."""
    from fastapi.testclient import TestClient

    from etl.evaluation.transitions import SERVED_LIMIT, evaluate_served
    from graphsvc.api import create_app
    from graphsvc.settings import Settings

    url, store = real_gold
    with psycopg.connect(url) as conn:
        ranker = load_ranker(conn)
    app = create_app(Settings(database_url=url, graph_refresh_s=0, data_dir=tmp_path))
    sources = sorted(store.tracks, key=lambda t: (-store.tracks[t].plays, t))[:25]
    with TestClient(app) as client:
        for t in sources:
            body = client.get(f"/v1/tracks/{t}/recommendations", params={"limit": SERVED_LIMIT}).json()
            api_ids = [int(r["track"]["id"]) for r in body["recommendations"]]  # ids are strings in JSON
            assert api_ids == rank_ids(store, ranker, t, limit=SERVED_LIMIT), t
            assert body["ranker"] == "fitted"
            if api_ids:
                target = api_ids[min(3, len(api_ids) - 1)]
                assert evaluate_served(store, ranker, [(t, target)]) == [float(api_ids.index(target) + 1)]


def test_vectorized_fit_equals_the_one_candidate_reference():
    """featurize's array arithmetic against features.fit, on random tracks and constraints."""
    import random

    from graphsvc import harmonic
    from graphsvc.recommend.features import fit

    rng = random.Random(5)
    keys = [k.camelot for k in harmonic.ALL_KEYS] + [None, None]
    for _ in range(40):
        con = Constraints(strictness=rng.choice(list(harmonic.STRICTNESS)),
                          bpm_window_pct=rng.choice([0.0, 3.0, 6.0, 20.0]), half_double=rng.random() < 0.5,
                          max_pitch_shift=rng.choice([0, 1, 2]))
        cands = {i: {"camelot": rng.choice(keys), "bpm": rng.choice([None, rng.uniform(60, 180)]),
                     "energy": rng.choice([None, rng.random()])} for i in range(1, 60)}
        ctx, facts = _ctx(cands=cands)
        ctx.source.update(camelot=rng.choice(keys), bpm=rng.choice([None, rng.uniform(60, 180)]))
        got = featurize(ctx, facts, con)
        want = {c: fit(ctx.source, f, con) for c, f in facts.items()}
        assert got.ids == sorted(c for c, w in want.items() if w.rejected is None)
        assert got.dropped == {r: sum(w.rejected == r for w in want.values()) for r in ("key", "bpm")}
        for c in got.ids:
            a, b = got.fit(c), want[c]
            assert (a.move, a.pitch_shift, a.effective_camelot) == (b.move, b.pitch_shift, b.effective_camelot), c
            assert (a.bpm_pct is None) == (b.bpm_pct is None)
            assert a.bpm_pct is None or abs(a.bpm_pct - b.bpm_pct) < 1e-9


def test_narrow_window_shortcut_gives_the_full_windows_answer(synthetic_store_factory):
    """EmbeddedEvidence.window answers from the tempo-nearest tracks of the best key group when they alone
    fill it; on a graph big enough for the shortcut it must equal the full window's answer."""
    import random

    from graphsvc.recommend.embedded_context import EmbeddedEvidence

    store = synthetic_store_factory("rec_window", 30_000, 3)
    ev = EmbeddedEvidence(store)
    rng = random.Random(3)
    known = sorted(t.id for t in store.tracks.values() if t.camelot and t.bpm)
    shortcut = 0
    for _ in range(150):
        a = rng.choice(known)
        con = Constraints(strictness=rng.choice(["strict", "normal", "relaxed"]),
                          bpm_window_pct=rng.choice([0.5, 2.0, 6.0, 12.0]), half_double=rng.random() < 0.5)
        n = rng.choice([1, 20, 60, 400])
        trans = store.trans_out.get(a, {})
        assert ev.window(a, con, n) == ev._window_ids(a, con, n, trans), (a, con, n)
        shortcut += ev._best_group(a, con, n, trans) is not None
    assert shortcut > 30  # the shortcut was really exercised


def test_a_key_filter_read_first_gives_the_whole_blocks_answer(synthetic_store_factory):
    """A request with a key filter on a source whose candidates were never featurized reads their keys and
    tempos first and featurizes only those that pass; it must rank exactly as filtering the whole
    featurized block does (the path taken once a default request has kept that block)."""
    import random

    from graphsvc.recommend.service import rank

    store = synthetic_store_factory("rec_prefilter", 3000, 13)
    ranker = Ranker.prior()
    rng = random.Random(13)
    known = sorted(t.id for t in store.tracks.values() if t.camelot and t.bpm)
    dropped_by_key = 0
    for a in rng.sample(known, 60):
        con = Constraints(strictness=rng.choice(["strict", "normal", "relaxed"]),
                          bpm_window_pct=rng.choice([2.0, 6.0, 12.0]), half_double=rng.random() < 0.5,
                          max_pitch_shift=rng.choice([0, 0, 2]))
        first = rank(store, ranker, a, con)  # nothing kept for this source: the key filter is read first
        assert "block" not in first.ctx.memo
        rank(store, ranker, a, DEFAULTS)  # keeps the whole featurized block
        again = rank(store, ranker, a, con)
        assert "block" in again.ctx.memo
        assert first.cands.ids == again.cands.ids, (a, con)
        assert first.cands.dropped == again.cands.dropped and first.cands.considered == again.cands.considered
        assert np.array_equal(first.cands.X, again.cands.X) and np.array_equal(first.u, again.u)
        assert first.order.tolist() == again.order.tolist()
        dropped_by_key += first.cands.dropped["key"]
    assert dropped_by_key > 0  # the filter really dropped candidates
    # the columns read first are those a featurized block builds from the facts (unknowns and missing ids too)
    from graphsvc.recommend.features import tempo_key_columns

    ids = [-5, *sorted(rng.sample(sorted(store.tracks), 800)), 10**15]
    have, bpm, key = store.tempo_key_columns(ids)
    facts = store.track_facts(ids)
    assert have == [i for i in ids if i in facts] and len(have) == 800
    want_bpm, want_key = tempo_key_columns([(facts[i]["camelot"], facts[i]["bpm"]) for i in have])
    assert np.array_equal(bpm, want_bpm, equal_nan=True) and key.tolist() == want_key.tolist()
    assert (key == -1).any()  # (keys unknown among them; every synthetic track has a BPM)


def _same_columns(got, want) -> None:
    for name in ("plays", "djs", "trend", "sets", "label", "energy", "bpm", "key"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), name
    for name in ("artists", "primary"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.indptr.tolist() == b.indptr.tolist() and a.flat.tolist() == b.flat.tolist(), name
    assert ([got.scenes[c] if c >= 0 else None for c in got.scene.tolist()]
            == [want.scenes[c] if c >= 0 else None for c in want.scene.tolist()])


def test_fact_columns_kept_at_load_are_the_facts(synthetic_store_factory, real_gold):
    """The embedded store's fact columns (what a featurized block reads) hold exactly what the facts
    dicts hold, unknowns included, on a synthetic graph and on the real one (few keys, no energies); the
    facts it hands with them are the track_facts dicts, made when read."""
    import random

    from graphsvc.recommend.features import fact_columns

    synthetic = synthetic_store_factory("rec_prefilter", 3000, 13)
    _, real = real_gold
    rng = random.Random(5)
    scenes = 0
    for store in (synthetic, real):
        ids = rng.sample(sorted(store.tracks), 1500)  # (not sorted: rows follow the ids asked for)
        have, got, lazy = store.fact_columns([-5, *ids, 10**15])
        assert have == ids
        facts = store.track_facts(ids)
        _same_columns(got, fact_columns(facts, ids))
        assert all(lazy[c] == facts[c] for c in ids) and -5 not in lazy and ids[0] in lazy
        with pytest.raises(KeyError):
            lazy[10**15]
        assert (got.scene == -1).any() and (got.label == -1).any()
        scenes += int((got.scene >= 0).sum())
        assert np.diff(got.artists.indptr).max() > 1  # (tracks with several artists among them)
        none, empty, _ = store.fact_columns([])
        assert none == []
        _same_columns(empty, fact_columns({}, []))
    assert scenes > 0  # (the real graph's tracks carry scene genres)


def test_a_refreshed_store_forgets_what_it_derived_from_the_old_graph(pg_url):
    """refresh() reloads gold in place: the recommender's cached evidence and the charts must follow."""
    with psycopg.connect(pg_url) as conn:
        fx = fill_silver(conn)
        build_gold(conn)
        conn.commit()
        store = EmbeddedStore.from_gold(conn)
        src, c5 = fx.track["src"], fx.track["c5"]
        before = {r.track["id"]: r for r in _rec(store, src, limit=40).items}
        store.charts(None, "all", 5)
        conn.execute("""INSERT INTO silver.dj_set (set_id, source, source_key, title, set_date, entry_count)
                        VALUES (778, 'mixesdb', 'again', 'Again', '2021-02-01', 2)""")
        for p, t in ((1, src), (2, c5)):
            conn.execute("INSERT INTO silver.set_entry VALUES (778, %s, NULL, NULL, %s, 778, %s, 'x')", (p, t, p))
        build_gold(conn)
        conn.commit()
        assert store.refresh(conn)
        after = {r.track["id"]: r for r in _rec(store, src, limit=40).items}
    assert before.get(c5) is None or before[c5].evidence["followed"] is None
    assert after[c5].evidence["followed"]["times"] == 1
    assert store.charts(None, "all", 5)["as_of"] == date(2021, 2, 1)


def test_a_kept_source_answers_as_if_computed_afresh(database_factory):
    """The service keeps each recent source's featurized candidates and their evidence (Context.memo); a
    request with other constraints adds only its harmonic window. Every answer must equal the one a store
    that never saw the source gives, byte for byte as the API writes it (ids written by the payload
    builder itself, as the generic encoder would write them)."""
    import random

    from graphsvc import harmonic
    from graphsvc.api.answers import json_bytes
    from graphsvc.graph.synthetic import generate_gold
    from graphsvc.recommend.context import CAPS
    from graphsvc.recommend.embedded_context import EmbeddedEvidence
    from graphsvc.recommend.gather import gather
    from graphsvc.recommend.service import candidates, payload

    with psycopg.connect(database_factory("rec_kept")) as conn:
        generate_gold(conn, 6_000, 11)
        conn.commit()
        warm, fresh = EmbeddedStore.from_gold(conn), EmbeddedStore.from_gold(conn)
    ranker = Ranker.prior()
    rng = random.Random(11)
    sources = rng.sample(sorted(t.id for t in warm.tracks.values() if t.camelot and t.bpm), 40)
    windows_added = 0
    try:
        for a in sources:
            for _ in range(2):  # the warm store sees the source under other constraints first
                other = Constraints(strictness=rng.choice(list(harmonic.STRICTNESS)),
                                    bpm_window_pct=rng.choice([1.0, 4.0, 9.0]), half_double=rng.random() < 0.5)
                recommend(warm, ranker, a, constraints=other, limit=30)
            con = Constraints(strictness=rng.choice(list(harmonic.STRICTNESS)),
                              bpm_window_pct=rng.choice([2.0, 6.0, 12.0]), half_double=rng.random() < 0.5)
            # the candidates and features against featurize over everything the context reaches at once
            ctx = gather(EmbeddedEvidence(fresh), a, con, CAPS)
            ref = featurize(ctx, fresh.track_facts(ctx.candidate_ids()), con)
            _, kept = candidates(warm, a, con)
            rows = {c: i for i, c in enumerate(kept.ids)}
            assert sorted(kept.ids) == ref.ids, (a, con)
            assert np.array_equal(kept.X[[rows[c] for c in ref.ids]], ref.X), (a, con)
            assert (kept.dropped, kept.considered) == (ref.dropped, ref.considered)
            got = recommend(warm, ranker, a, constraints=con, limit=30)
            want = recommend(fresh, ranker, a, constraints=con, limit=30)
            assert got == want, (a, con)
            assert (json_bytes(payload(got, 30, ids_as_strings=True), ids_are_strings=True)
                    == json_bytes(payload(want, 30))), (a, con)
            windows_added += any("harmonic_window" in r.reached_by for r in got.items)
    finally:
        warm.close()
        fresh.close()
    assert windows_added > 10  # the per-request window path was really exercised


@given(st.lists(st.lists(st.tuples(st.integers(-(2**62), 2**62) | st.integers(0, 40),
                                   st.integers(0, 6) | st.integers(1, 10**6)), max_size=80), max_size=20),
       st.sampled_from([None, 0, 3]), st.integers(0, 400))
def test_the_merged_top_of_dj_lists_is_the_python_merge(lists, exclude, n):
    """gather's NumPy merge of the DJs' support and repertoire lists gives what summing log1p(count) per id
    in list order, dividing by the number of DJs and sorting (value desc, then id asc) gives: the same ids,
    order and float values (ties are the rule: log1p of small counts, ids in several lists)."""
    from collections import defaultdict

    from graphsvc.recommend.gather import _merged_top, counted

    sums: dict[int, float] = defaultdict(float)
    for lst in lists:
        for t, c in lst:
            if t != exclude:
                sums[t] += math.log1p(c)
    n_djs = len(lists) + 1  # (one DJ without a list: it counts in the mean)
    want = sorted(((t, v / n_djs) for t, v in sums.items()), key=lambda p: (-p[1], p[0]))[:n]
    assert list(_merged_top([counted(lst) for lst in lists], n_djs, exclude, n).items()) == want


@given(st.lists(st.tuples(st.integers(0, 3), st.lists(st.integers(1, 6), max_size=12),
                          st.lists(st.integers(1, 4), max_size=3)), max_size=8),
       st.integers(0, 4))
def test_same_set_offsets_and_co_occurrence_are_the_python_walk(sets, near):
    """gather's array scan of the source's sets (track 1 is the source; tracks repeat within a set, the
    source too; positions have gaps) gives what walking each set's entries in Python gives."""
    from collections import Counter

    from graphsvc.recommend.gather import SetScan, same_sets

    rows = []
    for k, (gap, tracks, djs) in enumerate(sets):
        rows.append((k, [(i * (gap + 1), t) for i, t in enumerate(tracks)], sorted(djs)))
    shared: Counter[int] = Counter()
    offsets: dict[int, list[int]] = {}
    for _, entries, _ in rows:
        shared.update({t for _, t in entries} - {1})
        for i, (p, t) in enumerate(entries):
            if t == 1:
                for q, c in entries[max(0, i - near):i + near + 1]:
                    if c != 1 and abs(q - p) <= near:
                        offsets.setdefault(c, []).append(q - p)
    scan = SetScan.of(rows)
    assert scan.rows() == rows
    got_shared, got_offsets = same_sets(1, scan, near)
    assert got_shared == dict(shared)
    assert got_offsets == {c: tuple(sorted(v)) for c, v in offsets.items()}


def test_kept_evidence_stays_out_of_the_garbage_collectors_scans(gold):
    """A served answer keeps the facts of every candidate it read (per loaded graph) and the source's
    context (per kept source). Built from atoms and interned tuples, those are not tracked by the cyclic
    garbage collector once it has run (or from birth), so its full collections do not rescan them: at
    1M tracks they were ~2M tracked objects and a full collection stalled a request for ~1 s."""
    import gc

    conn, fx = gold
    store = EmbeddedStore.from_gold(conn)
    got = _rec(store, fx.track["src"], limit=10)
    facts = store.track_facts([r.track["id"] for r in got.items] + [fx.track["src"]])
    assert len(facts) == len(got.items) + 1
    gc.collect()
    assert [i for i, f in facts.items() if gc.is_tracked(f)] == []
    ctx = store.recommendation_context(fx.track["src"], DEFAULTS, CAPS)
    assert ctx is not None and ctx.offsets  # the source shares sets with its candidates
    assert not any(gc.is_tracked(v) for v in ctx.offsets.values())
    # kept facts are handed out again as they are; a track read for the first time is born untracked
    # when its genre list was seen before (its credits are made at load)
    again = store.track_facts([fx.track["src"]])[fx.track["src"]]
    assert again is facts[fx.track["src"]] and not gc.is_tracked(again)
    seen_genres = {tuple(f["genres"]) for f in facts.values()}
    from graphsvc.recommend.embedded_context import EmbeddedEvidence

    memo = EmbeddedEvidence(store).cache.get(("facts",), {})
    fresh = [t.id for t in store.tracks.values() if t.id not in memo and tuple(t.genres or ()) in seen_genres]
    assert fresh
    got_fresh = store.track_facts(fresh)
    assert got_fresh and [i for i, f in got_fresh.items() if gc.is_tracked(f)] == []


def test_what_each_kept_source_holds_leaves_the_garbage_collectors_scans(synthetic_store_factory):
    """Each kept source keeps its candidate ids, the evidence of the candidates it showed and its harmonic
    windows' rows (Context.memo). Kept as tuples of atoms, they leave the cyclic garbage collector's
    scans once it has run: as dicts and lists, an API worker holding ~1,500 sources tracked ~330,000
    objects and every full collection stalled its requests for ~150 ms."""
    import gc
    import random

    store = synthetic_store_factory("rec_prefilter", 3000, 13)
    ranker = Ranker.prior()
    rng = random.Random(2)
    sources = rng.sample(sorted(t.id for t in store.tracks.values() if t.camelot and t.bpm), 150)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(3):  # (again: the kept evidence is read back)
        for a in sources:
            recommend(store, ranker, a, constraints=Constraints(bpm_window_pct=rng.choice([2.0, 5.0, 9.0])),
                      limit=20)
    for _ in range(8):  # (each collection untracks at least the innermost tuples still tracked: 8 > the depth)
        gc.collect()
    per_source = (len(gc.get_objects()) - before) / len(sources)
    memos = [store.recommendation_context(a, DEFAULTS, CAPS).memo for a in sources]  # (reads, adds nothing)
    assert all(m["evidence"] and m["window_rows"] for m in memos[:20])
    for m in memos:
        assert not gc.is_tracked(m["static_ids"])
        assert not any(gc.is_tracked(v) for v in m["evidence"].values())
        assert not any(gc.is_tracked(v) for v in m["window_rows"].values())
    assert per_source < 40, per_source  # (the context, its block and their small lists; ~220 before)


def test_embedded_evidence_lists_follow_the_documented_orders(database_factory):
    """The embedded store loads its transitions, supports, sets and per-artist/label track lists in the
    orders the recommender caps by (``recommend.context``), and answers the Evidence primitives with
    prefixes of them: checked against the same orders read from gold with SQL, on a graph full of ties
    (counts of 1, equal plays), with the lists cut where ties fall; so are the same-set offsets and
    co-occurrence ``gather`` derives from the sets."""
    import random

    from graphsvc.graph.synthetic import generate_gold
    from graphsvc.recommend.embedded_context import EmbeddedEvidence
    from graphsvc.recommend.gather import gather_static

    with psycopg.connect(database_factory("rec_orders")) as conn:
        generate_gold(conn, 4_000, 11)
        conn.commit()
        store = EmbeddedStore.from_gold(conn)
        ev = EmbeddedEvidence(store)
        rng = random.Random(11)

        def ids(sql: str, *args: object) -> list[int]:
            return [r[0] for r in conn.execute(sql, args).fetchall()]

        busy = ids("SELECT from_id FROM gold.transitions_to GROUP BY from_id ORDER BY count(*) DESC, from_id LIMIT 40")
        for a in busy + rng.sample(sorted(store.tracks), 40):
            for n in (1, 3, 200):
                out, inn = ev.transitions(a, n)
                assert [c for c, *_ in out] == ids("SELECT to_id FROM gold.transitions_to WHERE from_id = %s "
                                                   "ORDER BY count DESC, to_id LIMIT %s", a, n)
                assert [c for c, *_ in inn] == ids("SELECT from_id FROM gold.transitions_to WHERE to_id = %s "
                                                   "ORDER BY count DESC, from_id LIMIT %s", a, n)
            want: dict[int, int] = {}
            for x, n1 in conn.execute("SELECT to_id, count FROM gold.transitions_to WHERE from_id = %s "
                                      "ORDER BY count DESC, to_id LIMIT 5", (a,)).fetchall():
                for c, n2 in conn.execute("SELECT to_id, count FROM gold.transitions_to WHERE from_id = %s "
                                          "ORDER BY count DESC, to_id LIMIT 4", (x,)).fetchall():
                    if c != a:
                        want[c] = want.get(c, 0) + n1 * n2
            assert ev.two_hop(a, 5, 4) == want
        for a in busy[:15] + rng.sample(sorted(store.track_sets), 15):
            ctx = gather_static(ev, a, CAPS)
            assert ctx is not None
            recent = ("SELECT id FROM gold.set WHERE id IN (SELECT set_id FROM gold.contains WHERE track_id = %(a)s) "
                      "ORDER BY date IS NULL, date DESC, id DESC LIMIT %(n)s")
            shared = conn.execute(f"SELECT track_id, count(DISTINCT set_id) FROM gold.contains WHERE set_id IN "
                                  f"({recent}) AND track_id <> %(a)s GROUP BY track_id", {"a": a, "n": CAPS.sets})
            assert ctx.shared_sets == dict(shared.fetchall())
            offsets: dict[int, list[int]] = {}
            for c, off in conn.execute(
                    f"SELECT x.track_id, x.position - y.position FROM gold.contains x JOIN gold.contains y "
                    f"ON y.set_id = x.set_id AND y.track_id = %(a)s WHERE x.set_id IN ({recent}) "
                    f"AND x.track_id <> %(a)s AND abs(x.position - y.position) <= %(near)s",
                    {"a": a, "n": CAPS.sets, "near": CAPS.near}).fetchall():
                offsets.setdefault(c, []).append(off)
            assert ctx.offsets == {c: tuple(sorted(v)) for c, v in offsets.items()}
        artists = ids("SELECT artist_id FROM gold.by GROUP BY artist_id ORDER BY count(*) DESC, artist_id LIMIT 60")
        for primary in (False, True):
            got = ev.artist_tracks(artists, 7, primary)
            for x in artists:
                assert got[x] == ids(
                    "SELECT t.id FROM gold.track t WHERE EXISTS (SELECT 1 FROM gold.by b WHERE b.track_id = t.id "
                    "AND b.artist_id = %s AND (b.role = 'primary' OR NOT %s)) ORDER BY t.plays DESC, t.id LIMIT 7",
                    x, primary), (x, primary)
        for lab in ids("SELECT id FROM gold.label ORDER BY id LIMIT 30"):
            assert ev.label_tracks(lab, 9) == ids("SELECT id FROM gold.track WHERE label_id = %s "
                                                  "ORDER BY plays DESC, id LIMIT 9", lab)
        djs = ids("SELECT dj_id FROM gold.supports GROUP BY dj_id ORDER BY count(*) DESC, dj_id LIMIT 30")
        supported, _ = ev.dj_lists(djs, 6, 5)
        for dj in djs:
            assert list(zip(*(a.tolist() for a in supported[dj]), strict=True)) == [tuple(r) for r in conn.execute(
                "SELECT artist_id, count FROM gold.supports WHERE dj_id = %s ORDER BY count DESC, artist_id LIMIT 6",
                (dj,)).fetchall()]
    store.close()
