"""The next-track recommender as served: ``GET /v1/tracks/{id}/recommendations`` calls :func:`recommend`,
``etl eval`` :func:`rank_ids` and the set builder :func:`rank` with ``Ranked.explained``; ``recommend`` is
those two steps, so all three rank on one code path with one set of defaults.

1. The backend gathers the evidence around the source (``GraphStore.recommendation_context``) and the
   facts of the reached candidates (``GraphStore.track_facts``).
2. ``features.featurize`` drops candidates that break the user's constraints (where both tracks carry the
   data) and computes the features of the rest.
3. The ranker scores them: utility = weights . features, score = softmax probability among the candidates;
   order (utility desc, track id asc).
4. Each returned recommendation carries its evidence, the per-feature contributions and one sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphsvc.errors import NotFound
from graphsvc.graph.base import bounded
from graphsvc.recommend import explain
from graphsvc.recommend.context import CAPS, Caps, Context
from graphsvc.recommend.features import (
    Candidates,
    Constraints,
    StaticBlock,
    featurize_blocks,
    find_sorted,
    prefilter,
    static_block,
)
from graphsvc.recommend.model import Ranker

# The API's defaults (and so what ``etl eval`` measures). Strictness "any": the key move is a ranking
# feature, not a filter, unless the user asks for one -- keys from feature tables and tag readers are
# often wrong (docs/evaluation.md), and a filter on a wrong key drops the very tracks DJs play.
DEFAULTS = Constraints(strictness="any", bpm_window_pct=6.0, half_double=True, max_pitch_shift=0)
DEFAULT_LIMIT = 20
_EVIDENCE_KEPT = 128  # explained candidates kept per source (Context.memo; ~6 answers of 20)
_ROWS_KEPT = 256  # featurized harmonic-window candidates kept per source (Context.memo; ~4 windows)

_TRACK_FIELDS = ("id", "title", "version", "artists", "bpm", "camelot", "energy", "genres", "scene_genres", "plays",
                 "djs", "plays_recent", "trend", "label", "year")


@dataclass
class Recommendation:
    track: dict[str, Any]
    rank: int
    score: float  # softmax probability among the candidates that passed the constraints
    utility: float
    explanation: str
    evidence: dict[str, Any]
    contributions: dict[str, float]
    reached_by: list[str]
    flags: list[str]  # "key unknown", "bpm unknown"


@dataclass
class Recommendations:
    source: dict[str, Any]
    items: list[Recommendation]
    constraints: Constraints
    considered: int  # candidates reached by any signal
    passed: int  # ... that passed the constraints
    dropped: dict[str, int]  # ... removed by the constraints, per reason
    ranker: str  # "fitted" or "prior"
    warnings: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [r.track["id"] for r in self.items]


def candidates(store: Any, track_id: int, con: Constraints, caps: Caps = CAPS) -> tuple[Context, Candidates]:
    """The context and the featurized candidates of ``track_id`` (NotFound when it does not exist).

    The candidates reached by request-independent evidence are featurized once per kept context (the
    embedded store keeps the contexts of recent sources; ``Context.memo``); a request adds only its
    harmonic window's candidates and the constraint-dependent columns."""
    ctx = store.recommendation_context(track_id, con, caps)
    if ctx is None:
        raise NotFound(f"track {track_id} does not exist")
    static_sorted = ctx.memo.get("static_ids")  # (request-independent: kept with the context)
    if static_sorted is None:
        # an array, which the garbage collector visits as one object (a set or list of ints it scans whole)
        ordered = ctx.static_candidate_ids()
        static_sorted = ctx.memo["static_ids"] = np.fromiter(ordered, np.int64, len(ordered))
    block = ctx.memo.get("block")
    src = ctx.source["id"]
    extra_ids = _not_in(static_sorted, {c for c in ctx.window if c != src})
    considered = len(static_sorted) + len(extra_ids)
    if block is None and con.strictness != "any":
        # a key filter drops most candidates: read the keys and tempos first and featurize only the rest
        # with the window's others in one block (the same rows, in the same order, and counts as filtering
        # the whole block). The window depends on nothing but the source and the constraints, so the
        # answer is kept for them (a set builder or a path search reaches a hub again and again; the
        # API's default never comes here)
        got = ctx.memo.get("constrained")
        if got is None or got[0] != con:
            have, bpm, key = store.tempo_key_columns(static_sorted)
            kept, dropped = prefilter(ctx.source, have, bpm, key, con)
            both = _block(store, ctx, kept + extra_ids)
            got = ctx.memo["constrained"] = (con, featurize_blocks(ctx, both, None, con, dropped, considered))
        return ctx, got[1]
    if block is None:
        block = ctx.memo["block"] = _block(store, ctx, static_sorted)
    return ctx, featurize_blocks(ctx, block, _window_block(store, ctx, extra_ids), con, None, considered)


def _not_in(ordered: np.ndarray, ids: set[int]) -> list[int]:
    """The ``ids`` the ascending ``ordered`` does not hold, ascending."""
    if not ids:
        return []
    q = np.fromiter(sorted(ids), np.int64, len(ids))
    return q[~find_sorted(ordered, q)[1]].tolist()


def _block(store: Any, ctx: Context, ids: Sequence[int]) -> StaticBlock:
    """``static_block`` of the existing tracks of ``ids``, from the backend's fact columns (the embedded
    store makes a facts dict only when an answer shows the track)."""
    have, cols, facts = store.fact_columns(ids)
    return static_block(ctx, facts, tuple(have), cols)  # (a tuple: see candidates)


def _window_block(store: Any, ctx: Context, extra_ids: list[int]) -> StaticBlock | None:
    """The rows of the harmonic window's candidates the static block lacks (None when there are none):
    kept per source too, since other windows of the same source reach many of them again."""
    if not extra_ids:
        return None
    rows = ctx.memo.setdefault("window_rows", {})
    facts = ctx.memo.setdefault("window_facts", {})
    if len(rows) > _ROWS_KEPT:
        rows.clear()
        facts.clear()
    missing = [c for c in extra_ids if c not in rows]
    if missing:
        fresh = _block(store, ctx, missing)
        # each row a tuple of atoms (its features as bytes, Python numbers; its facts dict beside it), which
        # the cyclic garbage collector stops scanning (a tuple holding a dict or an array it scans for ever)
        for i, (c, b, k, e) in enumerate(zip(fresh.ids, fresh.bpm.tolist(), fresh.key.tolist(),
                                             fresh.energy.tolist(), strict=True)):
            rows[c] = (fresh.X[i].tobytes(), b, k, e)
            facts[c] = fresh.facts[c]
    got = [(c, rows[c]) for c in extra_ids if c in rows]
    if not got:
        return None
    X = np.frombuffer(b"".join(r[0] for _, r in got), dtype=np.float64).reshape(len(got), -1)
    return StaticBlock([c for c, _ in got], {c: facts[c] for c, _ in got}, X,
                       np.array([r[1] for _, r in got], dtype=np.float64),
                       np.array([r[2] for _, r in got], dtype=np.int64),
                       np.array([r[3] for _, r in got], dtype=np.float64))


def order(ranker: Ranker, cands: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """(indexes of the candidates in served order, utilities)."""
    u = ranker.utilities(cands.X)
    ids = np.asarray(cands.ids, dtype=np.int64)
    return np.lexsort((ids, -u)), u


def rank_ids(store: Any, ranker: Ranker, track_id: int, *, constraints: Constraints = DEFAULTS,
             limit: int = DEFAULT_LIMIT, caps: Caps = CAPS) -> list[int]:
    """Only the ids :func:`recommend` returns, in order (no explanations): what the evaluation ranks."""
    bounded("limit", limit)
    r = rank(store, ranker, track_id, constraints, caps)
    return [r.cands.ids[i] for i in r.order[:int(limit)]]


@dataclass
class Ranked:
    """The served ranking of one source's candidates under the user's constraints: what :func:`recommend`
    returns the head of, and what the set builder walks (``graphsvc.setbuilder``)."""

    ctx: Context
    cands: Candidates
    con: Constraints
    order: np.ndarray  # row indexes of ``cands`` in served order (utility desc, id asc)
    u: np.ndarray  # utility per row

    def explained(self, ranker: Ranker, rows: np.ndarray) -> list[Explained]:
        """The evidence, per-feature contributions, sentence, reach and flags of the candidates in ``rows``
        (the request-independent part kept per source in ``Context.memo``)."""
        ctx, cands, con = self.ctx, self.cands, self.con
        static = ctx.memo.setdefault("evidence", {})  # per candidate: its static evidence and sentence clauses
        if len(static) > _EVIDENCE_KEPT:  # windows of many different requests on one source: start again
            static.clear()
        window = set(ctx.window)
        out = []
        for i, contrib, ft in zip(rows.tolist(), ranker.contributions_of(cands.X[rows]), cands.fits_at(rows),
                                  strict=True):
            cid = cands.ids[i]
            c = cands.facts[cid]
            kept = static.get(cid)
            if kept is None:
                st = explain.static_evidence(ctx, c)
                # kept as tuples of atoms, which the garbage collector stops scanning (explain.frozen)
                static[cid] = (explain.frozen(st), tuple(explain.evidence_facts(st)),
                               tuple(ctx.reached_by(cid, with_window=False)))
                clauses, reached = static[cid][1:]
            else:
                st, clauses, reached = explain.thawed(kept[0]), kept[1], kept[2]
            ev = explain.evidence(ctx, c, ft, con.half_double, static=st)
            flags = [f for f, unknown in (("key unknown", ft.move is None), ("bpm unknown", ft.bpm_pct is None))
                     if unknown]
            out.append(Explained(i, explain.sentence(ev, clauses), ev, contrib,
                                 ctx.with_window(reached, cid in window), flags))
        return out


@dataclass
class Explained:
    row: int  # in ``Ranked.cands``
    explanation: str
    evidence: dict[str, Any]
    contributions: dict[str, float]
    reached_by: list[str]
    flags: list[str]


def rank(store: Any, ranker: Ranker, track_id: int, constraints: Constraints = DEFAULTS,
         caps: Caps = CAPS) -> Ranked:
    """Every candidate of ``track_id`` that passes the constraints, in served order (NotFound when the
    track does not exist)."""
    con = constraints.validated()
    ctx, cands = candidates(store, track_id, con, caps)
    idx, u = order(ranker, cands)
    return Ranked(ctx, cands, con, idx, u)


def rank_one(store: Any, ranker: Ranker, r: Ranked, cid: int) -> Ranked | None:
    """``cid`` ranked after ``r``'s source as if the source's evidence had reached it (its features from the
    same context): a candidate no signal reached, such as a set's end track. None when the constraints
    drop it or it does not exist."""
    facts = store.track_facts([cid])
    if cid not in facts:
        return None
    cands = featurize_blocks(r.ctx, static_block(r.ctx, facts, [cid]), None, r.con)
    if not cands.ids:
        return None
    return Ranked(r.ctx, cands, r.con, np.zeros(1, dtype=np.int64), ranker.utilities(cands.X))


def recommend(store: Any, ranker: Ranker, track_id: int, *, constraints: Constraints = DEFAULTS,
              limit: int = DEFAULT_LIMIT, caps: Caps = CAPS) -> Recommendations:
    """The next tracks after ``track_id``: best first, each with its evidence and explanation."""
    bounded("limit", limit)
    r = rank(store, ranker, track_id, constraints, caps)
    cands, u = r.cands, r.u
    probs = Ranker.probabilities(u)
    items = []
    for n, e in enumerate(r.explained(ranker, r.order[:int(limit)]), start=1):
        c = cands.facts[cands.ids[e.row]]
        items.append(Recommendation(
            track={k: c[k] for k in _TRACK_FIELDS}, rank=n, score=round(float(probs[e.row]), 6),
            utility=round(float(u[e.row]), 6), explanation=e.explanation, evidence=e.evidence,
            contributions=e.contributions, reached_by=e.reached_by, flags=e.flags))
    src = {k: r.ctx.source[k] for k in _TRACK_FIELDS}
    out = Recommendations(src, items, r.con, cands.considered, len(cands.ids), cands.dropped, ranker.source)
    out.warnings = diagnose(out, r.ctx)
    return out


def diagnose(rec: Recommendations, ctx: Context) -> list[str]:
    """Plain-language notes on what limited the answer (empty when nothing did)."""
    notes = []
    src = rec.source
    con = rec.constraints
    if rec.considered == 0:
        notes.append("nothing in the graph connects to this track yet: no DJ played it in a set with other "
                     "tracks, and its artists, label and key/BPM give no candidates")
    elif rec.passed == 0:
        notes.append(f"all {rec.considered} candidates broke the constraints "
                     f"({rec.dropped['key']} by key under strictness '{con.strictness}', "
                     f"{rec.dropped['bpm']} by more than {con.bpm_window_pct:g} % BPM); relax strictness or "
                     f"widen bpm_window_pct")
    elif rec.dropped["key"] or rec.dropped["bpm"]:
        notes.append(f"{rec.dropped['key'] + rec.dropped['bpm']} of {rec.considered} candidates were left out by "
                     f"the constraints ({rec.dropped['key']} key, {rec.dropped['bpm']} BPM)")
    if con.strictness != "any" and src["camelot"] is None:
        notes.append(f"the source's key is unknown, so strictness '{con.strictness}' cannot be checked")
    if src["bpm"] is None:
        notes.append("the source's BPM is unknown: no BPM window applied and no tempo-matched candidates")
    elif src["camelot"] is None:
        notes.append("the source's key is unknown: no harmonic candidates beyond what DJs played")
    if not ctx.out and rec.passed:
        notes.append("no DJ has played a track right after this one yet: recommendations come from sets, "
                     "artists, label and key/BPM")
    return notes


def payload(rec: Recommendations, limit: int, *, ids_as_strings: bool = False) -> dict[str, Any]:
    """The JSON answer of ``GET /v1/tracks/{id}/recommendations`` (``api.schemas.RecommendationsOut``).
    With ``ids_as_strings`` the track ids (the payload's only ids) are written as the API writes every id
    (``graphsvc.api.ids``), so the encoder need not walk the payload for them."""
    con = rec.constraints

    def track(t: dict[str, Any]) -> dict[str, Any]:
        return {**t, "id": str(t["id"])} if ids_as_strings else t

    return {
        "source": track(rec.source),
        "parameters": {"strictness": con.strictness, "bpm_window_pct": con.bpm_window_pct,
                       "half_double": con.half_double, "max_pitch_shift": con.max_pitch_shift, "limit": limit},
        "ranker": rec.ranker, "candidates_considered": rec.considered, "candidates_passed": rec.passed,
        "dropped": rec.dropped, "warnings": rec.warnings,
        "recommendations": [{
            "rank": r.rank, "track": track(r.track), "score": r.score, "utility": r.utility,
            "explanation": r.explanation, "evidence": r.evidence, "contributions": r.contributions,
            "reached_by": r.reached_by, "flags": r.flags,
        } for r in rec.items],
    }
