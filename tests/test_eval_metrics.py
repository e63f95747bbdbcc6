"""Ranking metrics of etl eval, on small hand-computed cases."""

from __future__ import annotations

import math

import pytest

from etl.evaluation import metrics as m


def test_hit_rate_mrr_ndcg_by_hand():
    ranks = [1.0, 3.0, 12.0]
    s = m.summarize(ranks, (1, 10, 50), 10)
    assert s["n"] == 3
    assert s["HR@1"] == pytest.approx(1 / 3)
    assert s["HR@10"] == pytest.approx(2 / 3)
    assert s["HR@50"] == pytest.approx(1.0)
    assert s["MRR"] == pytest.approx((1 + 1 / 3 + 1 / 12) / 3)
    # NDCG@10: 1/log2(2) = 1, 1/log2(4) = 0.5, rank 12 is outside the cut-off
    assert s["NDCG@10"] == pytest.approx((1 + 0.5 + 0) / 3)


def test_empty_summary_and_bad_ranks():
    assert m.summarize([], (10,), 10) == {"n": 0, "HR@10": 0.0, "MRR": 0.0, "NDCG@10": 0.0}
    with pytest.raises(ValueError):
        m.reciprocal_rank(0)
    with pytest.raises(ValueError):
        m.rank_with_ties(1, 0, "lucky")


def test_tie_policies():
    # 2 candidates strictly ahead, 3 others tied with the target
    assert m.rank_with_ties(2, 3, "pessimistic") == 6
    assert m.rank_with_ties(2, 3, "mean") == 4.5
    assert m.rank_with_ties(2, 3, "optimistic") == 3
    assert m.ndcg_at(m.rank_with_ties(0, 1, "mean"), 10) == pytest.approx(1 / math.log2(2.5))


POP = {1: 5, 2: 3, 3: 3, 4: 1, 5: 1, 6: 1, 9: 2}  # track -> plays
SORTED = sorted(POP.values())


def test_rank_of_scored_target_ties_broken_by_popularity_then_pessimistic():
    # source 9 excluded; 2 and 3 share score and popularity: a real tie
    scores = {1: 0.5, 2: 0.9, 3: 0.9, 4: 0.9}
    assert m.rank_target(2, scores, POP, SORTED, exclude=(9,)) == 2.0  # tied with 3: pessimistic
    assert m.rank_target(3, scores, POP, SORTED, exclude=(9,)) == 2.0
    assert m.rank_target(2, scores, POP, SORTED, exclude=(9,), policy="mean") == 1.5
    assert m.rank_target(4, scores, POP, SORTED, exclude=(9,)) == 3.0  # same score, less popular
    assert m.rank_target(1, scores, POP, SORTED, exclude=(9,)) == 4.0


def test_rank_of_unscored_target_uses_popularity_fallback_after_scored():
    scores = {2: 0.4}
    # unscored: 1 (5 plays), 3 (3), 4, 5, 6 (1 play each); the source 9 is not a candidate
    assert m.rank_target(1, scores, POP, SORTED, exclude=(9,)) == 2.0
    assert m.rank_target(3, scores, POP, SORTED, exclude=(9,)) == 3.0
    assert m.rank_target(4, scores, POP, SORTED, exclude=(9,)) == 6.0  # pessimistic among 4, 5, 6
    assert m.rank_target(4, scores, POP, SORTED, exclude=(9,), policy="mean") == 5.0
    # a zero score is no score
    assert m.rank_target(3, {2: 0.4, 3: 0.0}, POP, SORTED, exclude=(9,)) == 3.0


def test_popularity_only_ranking_counts_every_candidate():
    # pure popularity (no scores): the ranks of all candidates form the pessimistic tie ranks
    ranks = sorted(m.rank_target(t, {}, POP, SORTED, exclude=(9,)) for t in POP if t != 9)
    assert ranks == [1.0, 3.0, 3.0, 6.0, 6.0, 6.0]
