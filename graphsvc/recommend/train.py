"""Fitting the ranker on the graph's own history (training data only, never the evaluation's test mixes).

A cut splits the sets by date: the graph *as of* the earlier sets (``history.as_of``) gives the features, and each
consecutive pair a -> b of the next slice of sets whose tracks are both known then is a query with one right answer, b.
Several rolling cuts (the latest ``CUTS`` slices of ``SLICE`` of the dated sets each) are pooled, as most tracks of a
new slice are new and each cut gives few queries. The weights maximise the conditional log-likelihood of b among a's
candidates (softmax over the served candidate generation, so training sees exactly what serving ranks) with an L2
penalty towards the prior weights (``model.PRIOR_WEIGHTS``), every weight >= 0 (bounded L-BFGS from SciPy). Queries
whose answer is not among the candidates cannot teach the ranking and are counted as the candidate generation's misses.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from graphsvc.recommend.context import CAPS, Caps
from graphsvc.recommend.features import FEATURES, Constraints
from graphsvc.recommend.model import Ranker
from graphsvc.recommend.service import candidates

# what training sees: every candidate, whatever its key or tempo (the user's constraints are applied at
# serving time, on top of the learned order)
TRAINING_CONSTRAINTS = Constraints(strictness="any", bpm_window_pct=20.0, half_double=True, max_pitch_shift=0)
CUTS = 2  # rolling cuts pooled ...
SLICE = 0.15  # ... each holding out the next 15 % of the dated sets
MAX_QUERIES = 3000  # per cut (seeded sample)
MIN_QUERIES = 50  # fewer usable queries than this: keep the prior (too little to fit 18 weights)
L2 = 1.0

Log = Callable[[str], None]


@dataclass
class Query:
    source: int
    target: int
    X: np.ndarray  # candidates x features
    ids: list[int]
    positive: int  # row of the target in X, -1 when the target is not a candidate


def _dated(store: Any) -> list[int]:
    """The dated sets in (date, id) order."""
    return sorted((s for s, v in store.sets.items() if v["date"] is not None), key=lambda s: (store.sets[s]["date"], s))


def rolling_cuts(store: Any, cuts: int = CUTS, slice_: float = SLICE) -> list[tuple[list[int], list[int]]]:
    """(earlier sets, held-out slice) per cut, latest slice first: cut k holds out the dated sets from
    1 - k * slice_ to 1 - (k - 1) * slice_ of the (date, id) order; undated sets count as earlier."""
    dated = _dated(store)
    undated = sorted(s for s, v in store.sets.items() if v["date"] is None)
    n = len(dated)
    out = []
    for k in range(1, cuts + 1):
        lo, hi = round(n * (1 - k * slice_)), round(n * (1 - (k - 1) * slice_))
        if lo < 1 or hi <= lo:
            break
        out.append((undated + dated[:lo], dated[lo:hi]))
    return out


def split_by_date_fraction(store: Any, fraction: float) -> tuple[list[int], list[int]]:
    """(earlier sets and undated ones, the latest ``fraction`` of the dated sets by (date, id))."""
    dated = _dated(store)
    undated = sorted(s for s, v in store.sets.items() if v["date"] is None)
    n_held = round(len(dated) * fraction)
    if n_held == 0:
        return undated + dated, []
    return undated + dated[:-n_held], dated[-n_held:]


def split_at_year(store: Any, last_year: int, test_years: int = 1) -> tuple[list[int], list[int]]:
    """(sets dated up to ``last_year`` and undated ones, sets of the following ``test_years`` years)."""
    fit, held = [], []
    for s, v in sorted(store.sets.items()):
        d = v["date"]
        if d is None or d.year <= last_year:
            fit.append(s)
        elif d.year <= last_year + test_years:
            held.append(s)
    return fit, held


def pairs_of(store: Any, set_ids: Iterable[int], known: Any) -> list[tuple[int, int]]:
    """Consecutive pairs (a, b), a != b, of the given mixes (sets whose order was played) with both tracks
    in ``known``."""
    out = []
    for s in sorted(set_ids):
        if store.sets[s].get("kind", "mix") != "mix":
            continue
        e = store.set_entries.get(s, [])
        for (p1, t1), (p2, t2) in pairwise(e):
            if p2 == p1 + 1 and t1 != t2 and t1 in known and t2 in known:
                out.append((t1, t2))
    return out


def build_queries(view: Any, pairs: Sequence[tuple[int, int]], caps: Caps = CAPS,
                  con: Constraints = TRAINING_CONSTRAINTS) -> list[Query]:
    """Featurized candidates per pair on ``view`` (sources featurized once)."""
    cache: dict[int, Any] = {}
    out = []
    for a, b in pairs:
        got = cache.get(a)
        if got is None:
            _, cands = candidates(view, a, con, caps)
            got = cache[a] = (cands.X, cands.ids, {c: i for i, c in enumerate(cands.ids)})
        X, ids, pos = got
        out.append(Query(a, b, X, ids, pos.get(b, -1)))
    return out


def fit_weights(queries: Sequence[Query], l2: float = L2, center: np.ndarray | None = None) -> np.ndarray:
    """Weights (>= 0) maximising sum over queries of log softmax(X w)[positive] - l2/2 |w - center|^2
    (``center`` defaults to 0; ``fit_ranker`` pulls towards the prior, so a short history moves the
    weights only as far as its evidence carries)."""
    from scipy.optimize import minimize  # SciPy's bounded L-BFGS: the weights must stay >= 0

    usable = [q for q in queries if q.positive >= 0 and len(q.ids) > 1]
    d = len(FEATURES)
    c = np.zeros(d) if center is None else np.asarray(center, dtype=np.float64)
    if not usable:
        return c.copy()
    X = np.vstack([q.X for q in usable])
    sizes = np.array([len(q.ids) for q in usable])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    seg = np.repeat(np.arange(len(usable)), sizes)
    pos_rows = starts + np.array([q.positive for q in usable])
    Xp = X[pos_rows]

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        u = X @ w
        m = np.maximum.reduceat(u, starts)
        e = np.exp(u - m[seg])
        z = np.add.reduceat(e, starts)
        lse = m + np.log(z)
        ll = float((Xp @ w - lse).sum())
        p = e / z[seg]
        expected = np.add.reduceat(p[:, None] * X, starts)  # per query E_p[x]
        grad = (Xp - expected).sum(axis=0)
        dw = w - c
        return -ll + 0.5 * l2 * float(dw @ dw), -grad + l2 * dw

    w0 = Ranker.prior().vector.copy()
    res = minimize(f, w0, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * d, options={"maxiter": 500})
    return np.round(res.x, 6)


def fit_ranker(store: Any, *, cuts: int = CUTS, slice_: float = SLICE, max_queries: int = MAX_QUERIES,
               l2: float = L2, seed: int = 0, caps: Caps = CAPS, log: Log = lambda _m: None) -> Ranker:
    """A ranker fitted on ``store``'s history (see the module docstring); the prior when there is too
    little to fit. Deterministic for the same graph and arguments."""
    from graphsvc.recommend.history import as_of

    t0 = time.perf_counter()
    info: dict[str, Any] = {"cuts": [], "l2": l2, "max_queries_per_cut": max_queries, "seed": seed}
    queries: list[Query] = []
    for fit_sets, held_sets in rolling_cuts(store, cuts, slice_):
        view = as_of(store, fit_sets)
        pairs = pairs_of(store, held_sets, view.tracks)
        sampled = sorted(random.Random(seed).sample(pairs, max_queries)) if len(pairs) > max_queries else pairs
        got = build_queries(view, sampled, caps)
        queries += got
        info["cuts"].append({"fit_sets": len(fit_sets), "held_out_sets": len(held_sets), "pairs": len(pairs),
                             "queries": len(got), "answer_among_candidates": sum(q.positive >= 0 for q in got)})
        log(f"ranker cut {len(info['cuts'])}: {len(pairs)} held-out pairs, "
            f"{info['cuts'][-1]['answer_among_candidates']} with the answer among the candidates")
    usable = sum(q.positive >= 0 for q in queries)
    info.update(queries=len(queries), queries_with_answer_among_candidates=usable)
    if usable < MIN_QUERIES:
        info["note"] = f"only {usable} usable queries (< {MIN_QUERIES}): prior weights"
        return Ranker(Ranker.prior().weights, "prior", info)
    w = fit_weights(queries, l2, center=Ranker.prior().vector)
    log(f"ranker fitted on {usable} of {len(queries)} queries in {time.perf_counter() - t0:.1f} s")
    return Ranker({n: float(w[i]) for i, n in enumerate(FEATURES)}, "fitted", info)
