"""A hop x -> y as the served recommender ranks it: what the set builder chains and harmonic paths
order by (``graphsvc.setbuilder``, ``graphsvc.recommend.ranked_paths``).

The set builder's hop score says how close the recommender puts y to its first choice after x: 1 - (top
utility - utility) / ``LOG_ODDS_SPAN``, at least 0. Utilities are log-odds of a DJ's choice, so the score
is 1 for the first choice, 0.75 for a track one e (2.7) times less likely, and 0 from e^4 (55) times less
likely on. Harmonic paths use the probability itself (``log_normalizer``): a path's hops are forced by
the wheel, so most of them are far from the first choice, where the clipped score no longer tells them
apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphsvc.graph.base import Candidate
from graphsvc.recommend.features import Fit
from graphsvc.recommend.model import Ranker
from graphsvc.recommend.service import Explained, Ranked, rank_one

LOG_ODDS_SPAN = 4.0


def hop_score(top: float, u: float) -> float:
    return max(0.0, 1.0 - (top - u) / LOG_ODDS_SPAN)


def top_utility(r: Ranked) -> float | None:
    """The utility of the recommender's first choice in ``r`` (None when nothing passed)."""
    return float(r.u[r.order[0]]) if len(r.order) else None


def locate(store: Any, ranker: Ranker, r: Ranked, target: int) -> tuple[Ranked, int] | None:
    """Where the hop from ``r``'s source to ``target`` is ranked: its row in ``r`` when the recommender
    reached it, else a ranking of ``target`` alone from the same evidence (``rank_one``: a fixed end or
    waypoint no signal reached). None when the constraints drop it or it does not exist."""
    at = r.cands.positions.get(target)
    if at is not None:
        return r, at
    one = rank_one(store, ranker, r, target)
    return None if one is None else (one, 0)


def log_normalizer(r: Ranked) -> float:
    """log of the sum of exp(utility) over ``r``'s candidates: log P(y | source) = u_y - this (the
    softmax of ``Ranker.probabilities``, the ``score`` of ``/recommendations``)."""
    if not len(r.u):
        return float("-inf")
    m = float(r.u.max())
    return m + float(np.log(np.exp(r.u - m).sum()))


def candidate(r: Ranked, i: int, ft: Fit, ranker_source: str, top: float | None = None,
              score: float | None = None) -> Candidate:
    """Row ``i`` of ``r`` (its fit ``ft``) as a hop from ``r``'s source, scored against ``top``, the
    utility of the recommender's first choice after the same source (by default ``r``'s own); or with
    ``score`` when the caller scores hops its own way."""
    cands = r.cands
    cid = cands.ids[i]
    f = cands.facts[cid]
    u = float(r.u[i])
    first = top_utility(r) if top is None else top
    top = u if first is None else max(first, u)
    out = r.ctx.out.get(cid)
    score = hop_score(top, u) if score is None else score
    return Candidate(
        track_id=cid, title=f["title"], artists=f["artists"], bpm=f["bpm"], camelot=f["camelot"],
        energy=f["energy"], move=None if ft.move is None else ft.move.value, bpm_pct=ft.bpm_pct, pitch_shift=0,
        transitions=out[0] if out else 0, score=score,
        breakdown={"score": round(score, 4), "utility": round(u, 6), "top_utility": round(top, 6),
                   "energy_delta": None if ft.energy_delta is None else round(ft.energy_delta, 4),
                   "ranker": ranker_source})


def explained_breakdown(c: Candidate, why: Explained) -> dict[str, Any]:
    """A hop's breakdown with the recommender's evidence, contributions and reach (as sets and paths
    answer it)."""
    return {**c.breakdown, "evidence": why.evidence, "contributions": why.contributions, "reached_by": why.reached_by}
