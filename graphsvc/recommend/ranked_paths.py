"""Harmonic paths ordered by the served recommender: ``GET /v1/tracks/{a}/harmonic-path/{b}``.

1. The graph's path search (``GraphStore.harmonic_paths``, graph rule 4) finds the candidate paths: the
   fewest hops first, every hop mixing under the strictness and BPM step; up to ``POOL_FACTOR`` x k of
   them (at most ``MAX_POOL``), the best by the rule-3 hop score of the search.
2. Each hop x -> y is scored as the set builder scores it (``graphsvc.recommend.hops``): how close the
   recommender, ranking the tracks after x under the same constraints, puts y to its first choice. The
   paths are ordered by (hops, sum of those scores desc, track ids) and the first k returned, each hop
   with the recommender's sentence, evidence and contributions.

The recommender ranks the tracks after each distinct track of the candidate paths once (a path of h hops
from a shares its first track with every other), so a request costs at most ``MAX_POOL`` x (max_len - 2)
+ 1 rankings and usually far fewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from graphsvc.graph.base import Candidate, bounded
from graphsvc.graph.paths import PathList
from graphsvc.harmonic import Strictness
from graphsvc.recommend import hops
from graphsvc.recommend.features import Constraints
from graphsvc.recommend.model import Ranker
from graphsvc.recommend.service import Ranked, rank

POOL_FACTOR = 3
MAX_POOL = 12


@dataclass
class RankedHop:
    hop: Candidate  # score: the recommender's hop score; breakdown: utility, top_utility, ...
    explanation: str
    evidence: dict[str, Any]
    contributions: dict[str, float]
    reached_by: list[str]


@dataclass
class RankedPath:
    start: Candidate
    hops: list[RankedHop]

    @property
    def total_score(self) -> float:
        return sum(h.hop.score for h in self.hops)

    @property
    def track_ids(self) -> list[int]:
        return [self.start.track_id, *(h.hop.track_id for h in self.hops)]


def ranked_paths(store: Any, ranker: Ranker, a: int, b: int, *, k: int = 3, max_len: int = 6,
                 strictness: Strictness = "normal", bpm_window_pct: float = 6.0) -> tuple[list[RankedPath], PathList]:
    """(the best ``k`` paths from ``a`` to ``b`` by the recommender, the path search's own answer: its
    budget and bounds, for ``graph.paths.diagnose``)."""
    bounded("k", k)
    found = store.harmonic_paths(a, b, k=k, max_len=max_len, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                 pool=min(MAX_POOL, max(int(k), POOL_FACTOR * int(k))))
    con = Constraints(strictness=strictness, bpm_window_pct=bpm_window_pct, half_double=True, max_pitch_shift=0)
    ranked: dict[int, Ranked] = {}
    made: dict[tuple[int, int], RankedHop] = {}

    def hop(x: int, y: int, rule3: Candidate) -> RankedHop:
        got = made.get((x, y))
        if got is not None:
            return got
        r = ranked.get(x)
        if r is None:
            r = ranked[x] = rank(store, ranker, x, con)
        where = hops.locate(store, ranker, r, y)
        if where is None:  # cannot happen for a hop the search found under the same constraints
            raise RuntimeError(f"hop {x} -> {y} of a harmonic path did not pass the recommender's constraints")
        one, i = where
        why = one.explained(ranker, np.array([i]))[0]
        c = hops.candidate(one, i, one.cands.fit_at(i), ranker.source, top=hops.top_utility(r))
        c.breakdown["rule3_score"] = round(rule3.score, 4)
        got = made[x, y] = RankedHop(c, why.explanation, why.evidence, why.contributions, why.reached_by)
        return got

    paths = [RankedPath(p[0], [hop(x.track_id, y.track_id, y) for x, y in pairwise(p)]) for p in found]
    paths.sort(key=lambda p: (len(p.hops), -p.total_score, p.track_ids))
    return paths[:int(k)], found
