"""Candidates, hard constraints and features of the next-track recommender, from a backend's Context.

Every feature is oriented so that *more* of it means *a better next track*, and the model's weights are
all >= 0 (``model.Ranker``), so more evidence can only raise a candidate. Features about data a track may
lack (key, BPM, energy, scene genres) are centred: 0 when either side lacks the data, positive for a
good match and negative for a poor one. So missing data neither helps nor hurts: an unknown key ranks
exactly as a key fit of 0 would.

Hard constraints are the user's: the key move must be allowed by ``strictness`` and the BPM distance
within ``bpm_window_pct`` -- checked where both tracks carry the data; a candidate whose key or BPM is
unknown is kept and marked ``key unknown`` / ``bpm unknown`` (never rewarded for it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphsvc import harmonic
from graphsvc.errors import InvalidValue
from graphsvc.graph.base import bounded
from graphsvc.recommend.context import Context

FEATURES: tuple[str, ...] = (
    "followed",      # log1p(times DJs played the candidate right after the source)
    "followed_djs",  # log1p(distinct DJs who did)
    "preceded",      # log1p(times the candidate was played right before the source)
    "two_hop",       # log1p(sum over x of n(source -> x) * n(x -> candidate))
    "near_after",    # sum of 1/gap over the source's sets where the candidate came 2..near positions after it
    "near_before",   # ... before it
    "co_sets",       # shared sets / sqrt(sets scanned * sets of the candidate): set co-occurrence (cosine)
    "same_artist",   # shares an artist (any role) with the source
    "same_label",    # on the source's label
    "collaborator",  # log1p(shared tracks) of the strongest collaboration of its artists with the source's
    "dj_support",    # how much the DJs who play the source play the candidate's artists
    "dj_repertoire", # how much the DJs who play the source play the candidate itself
    "popularity",    # log1p(plays)
    "dj_reach",      # log1p(distinct DJs who played it)
    "trend",         # max(trend, 0): played more in the recent window than its overall plays predict
    "scene",         # Jaccard of the scene genres - 0.5; 0 when either has none
    "key",           # move score - 0.5 where both keys are known; 0 otherwise
    "bpm",           # (1 - bpm % / 8, floored at 0) - 0.5 where both tempi are known; 0 otherwise
    "energy",        # (1 - |energy delta| / 0.5, floored at 0) - 0.5 where both are known; 0 otherwise
)
F = {name: i for i, name in enumerate(FEATURES)}


@dataclass(frozen=True)
class Constraints:
    """The user's hard constraints on a next track (checked only where both tracks have the data)."""

    strictness: str = "any"
    bpm_window_pct: float = 6.0
    half_double: bool = True
    max_pitch_shift: int = 0

    def validated(self) -> Constraints:
        if self.strictness not in harmonic.STRICTNESS:
            raise InvalidValue(f"strictness {self.strictness!r} is not one of {', '.join(harmonic.STRICTNESS)}")
        bounded("bpm_window_pct", self.bpm_window_pct)
        bounded("max_pitch_shift", self.max_pitch_shift)
        return self


@dataclass(frozen=True)
class Fit:
    """How a candidate fits after the source: the key move and tempo, as played."""

    move: harmonic.Move | None  # None: a key is unknown
    bpm_pct: float | None  # None: a tempo is unknown; 0 when pitched to the source tempo
    pitch_shift: int  # semitones the candidate moves when pitched (0: played at its own tempo)
    effective_camelot: str | None  # the candidate's key as played (after pitch shift)
    energy_delta: float | None
    rejected: str | None  # why the constraints drop it ("key", "bpm"), None when it passes


_KEY_OF = {k.camelot: k for k in harmonic.ALL_KEYS}
_MOVE_OF = {(a.camelot, b.camelot): harmonic.classify_move(a, b) for a in harmonic.ALL_KEYS for b in harmonic.ALL_KEYS}


def _key(camelot: Any) -> harmonic.Key | None:
    if camelot is None:
        return None
    got = _KEY_OF.get(camelot)
    return got if got is not None else harmonic.parse_key(camelot)


def fit(src: dict[str, Any], c: dict[str, Any], con: Constraints) -> Fit:
    """The key move, tempo distance and pitch shift of ``c`` after ``src`` under the constraints (the
    arithmetic of ``harmonic.bpm_distance_pct`` / ``semitone_shift_for_bpm``, inlined: it runs for every
    candidate)."""
    sb, cb = src["bpm"], c["bpm"]
    pct, semis = None, 0
    eff = c["camelot"]
    rejected = None
    if sb is not None and cb is not None and sb > 0 and cb > 0:
        pitched = False
        if con.max_pitch_shift > 0:
            semis = round(12 * math.log2(sb / cb))
            if semis and abs(semis) <= con.max_pitch_shift:
                pitched, pct = True, 0.0
                if eff is not None:
                    eff = harmonic.shift_key(_key(eff), semis).camelot
        if not pitched:
            semis = 0
            if con.half_double:
                pct = min(abs(cb - sb), abs(2 * cb - sb), abs(cb / 2 - sb)) / sb * 100.0
            else:
                pct = abs(cb - sb) / sb * 100.0
            if pct > con.bpm_window_pct + 1e-9:
                rejected = "bpm"
    move = None
    sk = src["camelot"]
    if sk is not None and eff is not None:
        move = _MOVE_OF.get((sk, eff))
        if move is None:
            move = harmonic.classify_move(_key(sk), _key(eff))
        if rejected is None and move not in harmonic.STRICTNESS[con.strictness]:
            rejected = "key"
    se, ce = src["energy"], c["energy"]
    delta = None if se is None or ce is None else ce - se
    return Fit(move, pct, semis, eff, delta, rejected)


@dataclass
class Candidates:
    """The candidates that pass the constraints: ids, their feature matrix (rows aligned with ids),
    facts and fits; ``dropped`` counts those the constraints removed, by reason."""

    ids: list[int]
    X: np.ndarray
    facts: dict[int, dict[str, Any]]
    fits: dict[int, Fit]
    dropped: dict[str, int]
    considered: int


def featurize(ctx: Context, facts: dict[int, dict[str, Any]], con: Constraints) -> Candidates:
    """Features of every reached candidate that passes the constraints (ids ascending). The hot loop of
    every recommendation: plain lookups, no per-candidate objects beyond the feature row and its Fit."""
    src = ctx.source
    src_artists = set(src["artist_ids"])
    src_label = src["label_id"]
    src_scene = src["scene_genres"]
    src_scene_set = set(src_scene)
    scanned = ctx.sets_scanned
    dropped = {"key": 0, "bpm": 0}
    ids: list[int] = []
    rows: list[list[float]] = []
    fits: dict[int, Fit] = {}
    n = len(FEATURES)
    log1p, sqrt = math.log1p, math.sqrt
    out, inn, two_hop, offsets, shared = ctx.out, ctx.inn, ctx.two_hop, ctx.offsets, ctx.shared_sets
    collab, support, repertoire = ctx.collaborators, ctx.support, ctx.repertoire
    moves = harmonic.MOVES
    bpm_cap, energy_cap = harmonic.BPM_CAP_PCT, harmonic.ENERGY_CAP
    jac_memo: dict[tuple, float] = {}
    cand_ids = ctx.candidate_ids()
    for c in cand_ids:
        fc = facts.get(c)
        if fc is None:
            continue
        ft = fit(src, fc, con)
        if ft.rejected is not None:
            dropped[ft.rejected] += 1
            continue
        f = [0.0] * n
        o = out.get(c)
        if o is not None:
            f[0] = log1p(o[0])
            f[1] = log1p(o[1])
        i = inn.get(c)
        if i is not None:
            f[2] = log1p(i[0])
        th = two_hop.get(c)
        if th:
            f[3] = log1p(th)
        offs = offsets.get(c)
        if offs:
            f[4] = sum(1.0 / d for d in offs if d >= 2)
            f[5] = sum(1.0 / -d for d in offs if d <= -2)
        sh = shared.get(c)
        if sh and scanned and fc["sets"]:
            f[6] = sh / sqrt(scanned * fc["sets"])
        c_artists = fc["artist_ids"]
        if src_artists and not src_artists.isdisjoint(c_artists):
            f[7] = 1.0
        if src_label is not None and fc["label_id"] == src_label:
            f[8] = 1.0
        if collab:
            w = max((collab.get(y, 0) for y in c_artists), default=0)
            if w:
                f[9] = log1p(w)
        if support:
            sup = max((support.get(y, 0.0) for y in fc["primary_ids"]), default=0.0)
            if sup:
                f[10] = sup
        rep = repertoire.get(c)
        if rep:
            f[11] = rep
        f[12] = log1p(fc["plays"] or 0)
        f[13] = log1p(fc["djs"] or 0)
        tr = fc["trend"]
        if tr and tr > 0:
            f[14] = tr
        scene = fc["scene_genres"]
        if src_scene and scene:
            key = tuple(scene)
            jac = jac_memo.get(key)
            if jac is None:
                cs = set(scene)
                jac = jac_memo[key] = len(src_scene_set & cs) / len(src_scene_set | cs)
            f[15] = jac - 0.5
        if ft.move is not None:
            f[16] = moves[ft.move] - 0.5
        if ft.bpm_pct is not None:
            f[17] = max(0.0, 1.0 - ft.bpm_pct / bpm_cap) - 0.5
        if ft.energy_delta is not None:
            f[18] = max(0.0, 1.0 - abs(ft.energy_delta) / energy_cap) - 0.5
        ids.append(c)
        rows.append(f)
        fits[c] = ft
    X = np.array(rows, dtype=np.float64) if rows else np.zeros((0, n))
    return Candidates(ids, X, facts, fits, dropped, len(cand_ids))
