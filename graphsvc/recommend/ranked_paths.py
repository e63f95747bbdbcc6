"""Harmonic paths ordered by the served recommender: ``GET /v1/tracks/{a}/harmonic-path/{b}``.

1. The graph's path search (``GraphStore.harmonic_paths``, graph rule 4) finds the candidate paths: the
   fewest hops first, every hop mixing under the strictness and BPM step; up to ``POOL_FACTOR`` x k of
   them (at most ``POOL_CAP``), the best by the rule-3 hop score of the search.
2. Each hop x -> y is scored by the probability the recommender gives y after x under the same
   constraints (the ``score`` ``/recommendations`` would give it; a track the recommender did not reach
   from x is ranked from the same evidence). The paths are ordered by (hops, log-likelihood desc, track
   ids), the log-likelihood being the sum of the hops' log-probabilities: the path the recommender finds
   most likely as a whole. Each hop of the returned paths carries the recommender's sentence, evidence
   and contributions.

The recommender ranks the tracks after each distinct track of the candidate paths once (a path of h hops
from a shares its first track with every other), so a request costs at most ``POOL_CAP`` x (max_len - 2)
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
from graphsvc.recommend.service import Explained, Ranked, rank

POOL_FACTOR = 3
POOL_CAP = 12


@dataclass
class RankedHop:
    hop: Candidate  # score: the recommender's probability of the hop; breakdown: utility, top_utility, ...
    log_p: float
    row: tuple[Ranked, int]  # where the recommender ranked it
    why: Explained | None = None  # its sentence, evidence and contributions: filled for the returned paths

    def _why(self) -> Explained:
        assert self.why is not None, "explained only on the paths ranked_paths returns"
        return self.why

    @property
    def explanation(self) -> str:
        return self._why().explanation

    @property
    def evidence(self) -> dict[str, Any]:
        return self._why().evidence

    @property
    def contributions(self) -> dict[str, float]:
        return self._why().contributions

    @property
    def reached_by(self) -> list[str]:
        return self._why().reached_by

    def breakdown(self) -> dict[str, Any]:
        """The hop's breakdown with the recommender's evidence, as the API answers it."""
        return hops.explained_breakdown(self.hop, self._why())


@dataclass
class RankedPath:
    start: Candidate
    hops: list[RankedHop]

    @property
    def total_score(self) -> float:
        return sum(h.hop.score for h in self.hops)

    @property
    def log_likelihood(self) -> float:
        return sum(h.log_p for h in self.hops)

    @property
    def track_ids(self) -> list[int]:
        return [self.start.track_id, *(h.hop.track_id for h in self.hops)]


def ranked_paths(store: Any, ranker: Ranker, a: int, b: int, *, k: int = 3, max_len: int = 6,
                 strictness: Strictness = "normal", bpm_window_pct: float = 6.0) -> tuple[list[RankedPath], PathList]:
    """(the best ``k`` paths from ``a`` to ``b`` by the recommender, the path search's own answer: its
    budget and bounds, for ``graph.paths.diagnose``)."""
    bounded("k", k)
    found = store.harmonic_paths(a, b, k=k, max_len=max_len, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                 pool=min(POOL_CAP, max(int(k), POOL_FACTOR * int(k))))
    con = Constraints(strictness=strictness, bpm_window_pct=bpm_window_pct, half_double=True, max_pitch_shift=0)
    ranked: dict[int, tuple[Ranked, float]] = {}  # source -> its ranking and log normalizer
    made: dict[tuple[int, int], RankedHop] = {}

    def hop(x: int, y: int, rule3: Candidate) -> RankedHop:
        got = made.get((x, y))
        if got is not None:
            return got
        if x not in ranked:
            r = rank(store, ranker, x, con)
            ranked[x] = (r, hops.log_normalizer(r))
        r, lse = ranked[x]
        where = hops.locate(store, ranker, r, y)
        if where is None:  # cannot happen for a hop the search found under the same constraints
            raise RuntimeError(f"hop {x} -> {y} of a harmonic path did not pass the recommender's constraints")
        one, i = where
        u = float(one.u[i])
        log_p = u - (lse if one is r else float(np.logaddexp(lse, u)))  # not reached: y joins the softmax
        c = hops.candidate(one, i, one.cands.fit_at(i), ranker.source, top=hops.top_utility(r),
                           score=float(np.exp(log_p)))
        c.breakdown.update(score=round(c.score, 6), log_p=round(log_p, 6), rule3_score=round(rule3.score, 4))
        got = made[x, y] = RankedHop(c, log_p, (one, i))
        return got

    paths = [RankedPath(p[0], [hop(x.track_id, y.track_id, y) for x, y in pairwise(p)]) for p in found]
    paths.sort(key=lambda p: (len(p.hops), -p.log_likelihood, p.track_ids))
    best = paths[:int(k)]
    for p in best:  # explained only where returned: the pool's other paths are scored, not shown
        for h in p.hops:
            if h.why is None:
                r, i = h.row
                h.why = r.explained(ranker, np.array([i]))[0]
    return best, found
