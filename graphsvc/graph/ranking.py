"""Scoring and final ordering of next-track candidates, shared by every graph backend.

A backend generates *raw* candidates (graph rule 3: which tracks may follow, at most CANDIDATE_CAP,
ordered by (transitions desc, move score desc, bpm_pct asc nulls last, id asc)); this module scores them
with ``graphsvc.harmonic.transition_score`` and orders them (score desc, transitions desc, id asc), so
both backends rank identically. A backend may pass precomputed score upper bounds (``column_bounds``
over numpy columns) and a lazy sequence of raw candidates, so only the candidates that can reach the
top ``limit`` are ever materialized and scored.

A raw candidate is a mapping (or object) with: track_id, title, artists, bpm, camelot, energy, genres,
move, bpm_pct, pitch_shift, pitched (True when the track is pitched to the source tempo; then its
effective key is ``shift_key(camelot, pitch_shift)`` and its effective BPM distance is 0), transitions.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from graphsvc import harmonic
from graphsvc.graph.base import Candidate, bounded

CANDIDATE_CAP = 1000


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if type(obj) is dict or isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _side(source: Any) -> dict[str, Any]:
    return {"key": _get(source, "camelot"), "bpm": _get(source, "bpm"), "energy": _get(source, "energy"),
            "genres": _get(source, "genres")}


def score_candidate(source: Any, raw: Any) -> Candidate:
    """Score one raw candidate against ``source`` (a track mapping with camelot, bpm, energy, genres)."""
    src = _side(source)
    return _candidate(raw, *_score(harmonic.TransitionScorer(src), src, raw))


class SourceScorer:
    """``score_candidate(source, raw).score`` for many candidates after one source, without building the
    Candidate (its explanation is the costly part): what a search needs before it picks its answer."""

    def __init__(self, source: Any) -> None:
        self._src = _side(source)
        self._scorer = harmonic.TransitionScorer(self._src)

    def score(self, raw: Any) -> float:
        return _score(self._scorer, self._src, raw)[0].score


def _getter(obj: Any):
    if type(obj) is dict:
        return obj.get
    return lambda name, default=None: _get(obj, name, default)


def _score(scorer: harmonic.TransitionScorer, src: dict[str, Any],
           raw: Any) -> tuple[harmonic.TransitionScore, bool, int, Any]:
    """The transition score of one raw candidate; ``scorer`` is ``TransitionScorer(src)``."""
    g = _getter(raw)
    camelot = g("camelot")
    pitched = bool(g("pitched", False))
    shift = int(g("pitch_shift", 0) or 0)
    eff_key = camelot
    if camelot is not None and pitched and shift:
        eff_key = harmonic.shift_key(harmonic.parse_key(camelot), shift)
    bpm = g("bpm")
    src_bpm = src["bpm"]
    eff_bpm = src_bpm if (pitched and src_bpm is not None and bpm is not None) else bpm
    ts = scorer.score_fields(eff_key, eff_bpm, g("energy"), g("genres"), int(g("transitions", 0) or 0))
    return ts, pitched, shift, eff_key


def _candidate(raw: Any, ts: harmonic.TransitionScore, pitched: bool, shift: int, eff_key: Any) -> Candidate:
    g = _getter(raw)
    transitions = ts.evidence_count
    breakdown = ts.explain()
    breakdown["pitched"] = pitched
    if pitched:
        breakdown["effective_camelot"] = None if eff_key is None else str(eff_key)
    return Candidate(
        track_id=int(g("track_id")),
        title=g("title"),
        artists=g("artists"),
        bpm=g("bpm"),
        camelot=g("camelot"),
        energy=g("energy"),
        move=None if ts.move is None else ts.move.value,
        bpm_pct=None if ts.bpm_pct is None else ts.bpm_pct,
        pitch_shift=shift if pitched else 0,
        transitions=transitions,
        score=ts.score,
        breakdown=breakdown,
    )


_MOVE_SCORE = {m.value: s for m, s in harmonic.MOVES.items()}
_W = harmonic.DEFAULT_WEIGHTS
# the estimate below repeats transition_score's arithmetic in the same order (tempi rounded as parse_bpm
# does), so it equals the exact score; the margin only guards against a future change of that formula
# being missed by tests/test_graph_store.py (which compares with the exact ranking)
_BOUND_MARGIN = 1e-6


_GENRE_SETS: dict[tuple, frozenset] = {}


def _genre_set(value: Any) -> frozenset:
    if not value or isinstance(value, str):
        return frozenset()
    key = tuple(value)
    got = _GENRE_SETS.get(key)
    if got is None:
        got = frozenset(g.strip().casefold() for g in value if isinstance(g, str) and g.strip())
        if len(_GENRE_SETS) < 100_000:
            _GENRE_SETS[key] = got
    return got


def _bounds(src: dict[str, Any], raw: Sequence[Any]) -> list[tuple[float, int]]:
    """(upper bound of the score, index) per raw candidate: transition_score's weighted mean recomputed
    from the raw fields (move, bpm_pct, energy, genres, transitions) without parsing or building
    objects, plus a margin for rounding."""
    se, sg = src["energy"], _genre_set(src["genres"])
    hk, hb = src["key"] is not None, src["bpm"] is not None
    sb = round(src["bpm"], 2) if hb else None
    wk, wb, we, wg, wv = (_W[a] for a in ("key", "bpm", "energy", "genre", "evidence"))
    cap_b, cap_e, scale = harmonic.BPM_CAP_PCT, harmonic.ENERGY_CAP, harmonic.EVIDENCE_SCALE
    moves, exp, gset = _MOVE_SCORE, math.exp, _genre_set
    out = []
    for i, r in enumerate(raw):
        g = r.get if type(r) is dict else (lambda name, default=None, r=r: _get(r, name, default))
        num = den = 0.0
        move = g("move")
        if move is not None and hk:
            num += wk * moves[move]
            den += wk
        tb = g("bpm")
        if hb and tb is not None:
            if g("pitched"):
                pct = 0.0  # pitched to the source tempo
            else:  # bpm_distance_pct(parse_bpm(a), parse_bpm(b)) as transition_score computes it
                tb = round(tb, 2)
                pct = min(abs(tb - sb), abs(2 * tb - sb), abs(tb / 2 - sb)) / sb * 100.0
            if pct < cap_b:
                num += wb * (1.0 - pct / cap_b)
            den += wb
        energy = g("energy")
        if se is not None and energy is not None:
            d = abs(energy - se)
            if d < cap_e:
                num += we * (1.0 - d / cap_e)
            den += we
        if sg:
            genres = gset(g("genres"))
            if genres:
                num += wg * len(sg & genres) / len(sg | genres)
                den += wg
        n = g("transitions", 0)
        if n:
            w = wv * (1.0 - exp(-n / scale))
            num += w
            den += w
        out.append(((num / den if den > 0 else 0.0) + _BOUND_MARGIN, i))
    return out


def dict_bounds(source: Any, raw: Sequence[Any]) -> list[float]:
    """Upper bounds of the scores of ``raw`` candidates (mappings/objects) against ``source``."""
    return [b for b, _ in _bounds(_side(source), raw)]


def column_bounds(source: Any, move_score: np.ndarray, bpm: np.ndarray, energy: np.ndarray, genre: np.ndarray,
                  genre_table: Sequence[tuple]) -> np.ndarray:
    """Upper bounds of the scores of window candidates (no real transitions, not pitched, move known)
    given as columns: move score, bpm, energy (NaN: unknown) and genre code into ``genre_table`` (-1:
    none). The same weighted mean as ``_bounds``, vectorized; numpy rounds tempi slightly differently
    from ``round``, far below ``_BOUND_MARGIN``."""
    src = _side(source)
    n = len(move_score)
    wk, wb, we, wg = (_W[a] for a in ("key", "bpm", "energy", "genre"))
    num = np.zeros(n)
    den = np.zeros(n)
    if src["key"] is not None:
        num += wk * move_score
        den += wk
    if src["bpm"] is not None:
        sb = round(src["bpm"], 2)
        tb = np.round(bpm, 2)
        pct = np.minimum(np.minimum(np.abs(tb - sb), np.abs(2 * tb - sb)), np.abs(tb / 2 - sb)) / sb * 100.0
        num += wb * np.maximum(0.0, 1.0 - pct / harmonic.BPM_CAP_PCT)
        den += wb
    if src["energy"] is not None:
        d = np.abs(energy - src["energy"])
        has = ~np.isnan(d)
        num += np.where(has, we * np.maximum(0.0, 1.0 - np.where(has, d, 0.0) / harmonic.ENERGY_CAP), 0.0)
        den += np.where(has, we, 0.0)
    sg = _genre_set(src["genres"])
    if sg and n:
        codes, inverse = np.unique(genre, return_inverse=True)
        jac = np.full(len(codes), np.nan)
        for k, code in enumerate(codes.tolist()):
            if code >= 0:
                g = _genre_set(genre_table[code])
                if g:
                    jac[k] = len(sg & g) / len(sg | g)
        j = jac[inverse.reshape(-1)]
        has = ~np.isnan(j)
        num += np.where(has, wg * np.where(has, j, 0.0), 0.0)
        den += np.where(has, wg, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0) + _BOUND_MARGIN


def rank_candidates(source: Any, raw: Iterable[Any], limit: int, *,
                    bounds: Sequence[float] | np.ndarray | None = None) -> list[Candidate]:
    """Score ``raw`` candidates for ``source`` and return the best ``limit``:
    ordered by (score desc, transitions desc, track id asc).

    Exact and cheap: every candidate gets an upper bound of its score (``_bounds``, or ``bounds`` given
    by the caller aligned with ``raw``, e.g. ``column_bounds``); they are fully scored with
    ``harmonic.transition_score`` in bound order until the next bound is below the ``limit``-th best
    exact score, so only candidates that can enter the top ``limit`` are scored. ``raw`` may be a lazy
    sequence: only the items scored are read."""
    bounded("limit", limit)
    limit = int(limit)
    src = _side(source)
    scorer = harmonic.TransitionScorer(src)
    if not isinstance(raw, Sequence):
        raw = list(raw)
    if len(raw) <= limit:
        scored = [(_score(scorer, src, r), r) for r in raw]
    else:
        pairs: Iterable[tuple[float, int]]
        if bounds is None:
            pairs = sorted(_bounds(src, raw), key=lambda b: -b[0])
        else:
            b = np.asarray(bounds, dtype=np.float64)
            order = np.argsort(-b, kind="stable")
            pairs = zip(b[order].tolist(), order.tolist(), strict=True)
        top: list[float] = []  # min-heap of the best `limit` exact scores so far
        scored = []
        for bound, i in pairs:
            if len(top) >= limit and bound < top[0]:
                break
            r = raw[i]
            full = _score(scorer, src, r)
            scored.append((full, r))
            sc = full[0].score
            if len(top) < limit:
                heapq.heappush(top, sc)
            elif sc > top[0]:
                heapq.heapreplace(top, sc)
    # the breakdown (explain) and the Candidate are built for the returned ones only
    scored.sort(key=lambda p: (-p[0][0].score, -p[0][0].evidence_count, int(_get(p[1], "track_id"))))
    return [_candidate(r, *s) for s, r in scored[:limit]]
