"""Harmonic paths ordered by the served recommender (``graphsvc.recommend.ranked_paths``) on the hand-made
fixture: each hop scored and explained as ``GET /v1/tracks/{id}/recommendations`` ranks it."""

from __future__ import annotations

import math

import pytest

from graphsvc import harmonic
from graphsvc.recommend.features import Constraints
from graphsvc.recommend.model import Ranker
from graphsvc.recommend.ranked_paths import ranked_paths
from graphsvc.recommend.service import recommend


def test_each_hop_is_scored_and_explained_by_the_recommender(fixture_store):
    t = fixture_store.fx.track
    ranker = Ranker.prior()
    paths, found = ranked_paths(fixture_store, ranker, t["src"], t["dest"], k=3, max_len=6, strictness="normal",
                                bpm_window_pct=6.0)
    assert len(paths) == 3 and all(len(p.hops) == 3 for p in paths)  # 8A -> 11A needs 3 hops at "normal"
    con = Constraints(strictness="normal", bpm_window_pct=6.0)
    checked = 0
    for p in paths:
        assert p.track_ids[0] == t["src"] and p.track_ids[-1] == t["dest"]
        for x, h in zip(p.track_ids, p.hops, strict=False):
            recs = recommend(fixture_store, ranker, x, constraints=con, limit=50)
            item = next(r for r in recs.items if r.track["id"] == h.hop.track_id)
            assert h.explanation == item.explanation and h.contributions == item.contributions
            assert h.hop.score == pytest.approx(item.score, abs=1e-6)  # the probability /recommendations gives
            assert h.log_p == pytest.approx(math.log(h.hop.score))
            assert h.hop.move in {m.value for m in harmonic.STRICTNESS["normal"]} and h.hop.bpm_pct <= 6.0
            checked += 1
    assert checked == 9
    likelihoods = [p.log_likelihood for p in paths]
    assert likelihoods == sorted(likelihoods, reverse=True)
    # DJs played src -> ev three times: the recommender's first choice after src, so its path leads
    first = recommend(fixture_store, ranker, t["src"], constraints=con, limit=1).items[0]
    assert paths[0].track_ids[1] == t["ev"] == first.track["id"]
    assert "played it right after this one 3 times" in paths[0].hops[0].explanation
    assert {tuple(p.track_ids) for p in paths} <= {tuple(c.track_id for c in p) for p in found}


def test_only_the_fewest_hops_unless_fewer_than_k(fixture_store):
    t = fixture_store.fx.track
    ranker = Ranker.prior()
    one, _ = ranked_paths(fixture_store, ranker, t["src"], t["dest"], k=1, max_len=6)
    three, _ = ranked_paths(fixture_store, ranker, t["src"], t["dest"], k=3, max_len=6)
    assert [p.track_ids for p in one] == [three[0].track_ids]
    many, found = ranked_paths(fixture_store, ranker, t["src"], t["dest"], k=10, max_len=5)
    lengths = [len(p.hops) for p in many]
    assert lengths == sorted(lengths) and lengths[0] == 3 and len(many) == min(10, len(found))
    none, found = ranked_paths(fixture_store, ranker, t["src"], t["dest"], k=3, max_len=3)
    assert none == [] and found.min_hops == 3
