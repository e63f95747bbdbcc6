"""Ranking metrics for one relevant item per query (the true next track), as pure functions.

A query's outcome is the 1-based ``rank`` of its target among all candidates. With one relevant item:
HR@k = [rank <= k], MRR = mean(1 / rank), NDCG@k = 1 / log2(rank + 1) when rank <= k else 0 (the ideal
DCG is 1). Ranks may be fractional under the ``mean`` tie policy.

Ties: candidates are ordered by (score desc, popularity desc); candidates equal on both are a tie that only
the track id could break, which is luck, not skill. The target's rank among ties is therefore
``pessimistic`` (after every tied candidate: the default, used in every reported figure) or ``mean``
(the expected rank under a random order of the tied block). The id order is used only to list items.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["TIE_POLICIES", "rank_with_ties", "hit_at", "reciprocal_rank", "ndcg_at", "summarize", "rank_target"]

TIE_POLICIES = ("pessimistic", "mean", "optimistic")


def rank_with_ties(better: int, tied: int, policy: str = "pessimistic") -> float:
    """Rank of the target with ``better`` candidates strictly ahead and ``tied`` OTHER candidates equal to it."""
    if better < 0 or tied < 0:
        raise ValueError(f"better and tied must be >= 0, got {better} and {tied}")
    if policy == "pessimistic":
        return float(better + tied + 1)
    if policy == "mean":
        return better + 1 + tied / 2.0
    if policy == "optimistic":
        return float(better + 1)
    raise ValueError(f"tie policy {policy!r} is not one of {', '.join(TIE_POLICIES)}")


def hit_at(rank: float, k: int) -> float:
    return 1.0 if rank <= k else 0.0


def reciprocal_rank(rank: float) -> float:
    if rank < 1:
        raise ValueError(f"rank must be >= 1, got {rank}")
    return 1.0 / rank


def ndcg_at(rank: float, k: int) -> float:
    if rank < 1:
        raise ValueError(f"rank must be >= 1, got {rank}")
    return 1.0 / math.log2(rank + 1.0) if rank <= k else 0.0


def summarize(ranks: Iterable[float], hr_ks: Sequence[int] = (1, 10, 50), ndcg_k: int = 10) -> dict[str, float]:
    """Mean HR@k for each k, MRR and NDCG@ndcg_k over the ranks (all 0.0 when there are none) plus ``n``."""
    ranks = list(ranks)
    n = len(ranks)
    out: dict[str, float] = {"n": n}
    for k in hr_ks:
        out[f"HR@{k}"] = sum(hit_at(r, k) for r in ranks) / n if n else 0.0
    out["MRR"] = sum(reciprocal_rank(r) for r in ranks) / n if n else 0.0
    out[f"NDCG@{ndcg_k}"] = sum(ndcg_at(r, ndcg_k) for r in ranks) / n if n else 0.0
    return out


def rank_target(target: int, scores: Mapping[int, float], popularity: Mapping[int, float],
                sorted_pops: Sequence[float], exclude: Iterable[int] = (), policy: str = "pessimistic") -> float:
    """Rank of ``target`` among ALL candidates: the scored ones first by (score desc, popularity desc), then
    every unscored candidate by popularity desc (the fallback); ties resolved by ``policy``.

    ``sorted_pops`` is the ascending list of the popularity of every candidate in the universe, including
    the ``exclude`` ones (the query item itself), which are taken out here. ``scores`` must not contain
    excluded ids; a score <= 0 counts as unscored.
    """
    scored = {c: s for c, s in scores.items() if s > 0}
    p_t = popularity[target]
    if target in scored:
        key_t = (scored[target], p_t)
        better = tied = 0
        for c, s in scored.items():
            k = (s, popularity[c])
            if k > key_t:
                better += 1
            elif k == key_t:
                tied += 1
        return rank_with_ties(better, tied - 1, policy)
    greater = len(sorted_pops) - bisect_right(sorted_pops, p_t)
    equal = bisect_right(sorted_pops, p_t) - bisect_left(sorted_pops, p_t)
    for x in exclude:
        px = popularity[x]
        greater -= px > p_t
        equal -= px == p_t
    for c in scored:
        pc = popularity[c]
        greater -= pc > p_t
        equal -= pc == p_t
    return rank_with_ties(len(scored) + greater, equal - 1, policy)
