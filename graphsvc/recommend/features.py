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
from collections.abc import Iterator, Mapping, Sequence
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

    strictness: harmonic.Strictness = "any"
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


def _key(camelot: str) -> harmonic.Key:
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


# keys as indexes into harmonic.ALL_KEYS; moves as indexes into _MOVES; tables for the vectorized fit
_KEYS = list(harmonic.ALL_KEYS)
_KIDX = {k.camelot: i for i, k in enumerate(_KEYS)}
_KEY_NAMES = [k.camelot for k in _KEYS]
_MOVES = list(harmonic.Move)
_MOVE_TABLE = np.array([[_MOVES.index(harmonic.classify_move(a, b)) for b in _KEYS] for a in _KEYS], dtype=np.int64)
_MOVE_SCORE = np.array([harmonic.MOVES[m] for m in _MOVES])
_SHIFT = np.array([[_KIDX[harmonic.shift_key(k, s).camelot] for s in range(-12, 13)] for k in _KEYS], dtype=np.int64)
_ALLOWED = {name: np.array([m in allowed for m in _MOVES]) for name, allowed in harmonic.STRICTNESS.items()}


@dataclass
class Candidates:
    """The candidates that pass the constraints: ids (ascending when featurized at once; a kept source's
    static candidates first, then its window's, when featurized with a kept block), their feature matrix
    (rows aligned with ids), the facts of each by id (a mapping that may resolve other tracks too and
    may make a dict only when read: ``positions`` says which passed), and per candidate its move code
    (-1 unknown), BPM distance (NaN unknown), pitch shift, key as played (-1 unknown) and energy delta
    (NaN unknown); ``dropped`` counts those the constraints removed."""

    ids: list[int]
    X: np.ndarray
    facts: Mapping[int, dict[str, Any]]
    move: np.ndarray
    pct: np.ndarray
    semis: np.ndarray
    eff_key: np.ndarray
    energy_delta: np.ndarray
    dropped: dict[str, int]
    considered: int

    @property
    def positions(self) -> dict[int, int]:
        """Row of each passing candidate."""
        got = self.__dict__.get("_pos")
        if got is None:
            got = self.__dict__["_pos"] = {c: i for i, c in enumerate(self.ids)}
        return got

    def fit(self, cid: int) -> Fit:
        """The Fit of one passing candidate (built on demand: only returned items need one)."""
        return self.fit_at(self.positions[cid])

    def fit_at(self, i: int) -> Fit:
        """The Fit of the candidate in row ``i``."""
        return self.fits_at(np.array([i]))[0]

    def fits_at(self, rows: np.ndarray) -> list[Fit]:
        """The Fits of the candidates in ``rows`` (one conversion of the columns for all of them)."""
        out = []
        for m, pct, semis, e, d in zip(self.move[rows].tolist(), self.pct[rows].tolist(), self.semis[rows].tolist(),
                                       self.eff_key[rows].tolist(), self.energy_delta[rows].tolist(), strict=True):
            out.append(Fit(None if m < 0 else _MOVES[m], None if math.isnan(pct) else pct, semis,
                           None if e < 0 else _KEY_NAMES[e], None if math.isnan(d) else d, None))
        return out

    @property
    def fits(self) -> dict[int, Fit]:
        return {c: self.fit(c) for c in self.ids}


def _col(values: list, dtype=np.float64) -> np.ndarray:
    return np.array(values, dtype=dtype) if values else np.zeros(0, dtype=dtype)


@dataclass
class StaticBlock:
    """The request-independent part of :func:`featurize` for some candidates (ids ascending): their facts
    (by id, as ``Candidates.facts``), the evidence features (columns before ``key``) and the raw tempo, key
    and energy columns. It depends only on the source's evidence and the loaded graph, so the service keeps
    the block of a source's static candidates in ``Context.memo`` and a request featurizes only its
    harmonic-window additions."""

    ids: Sequence[int]
    facts: Mapping[int, dict[str, Any]]
    X: np.ndarray  # (n, F["key"])
    bpm: np.ndarray
    key: np.ndarray  # index into _KEYS, -1 unknown
    energy: np.ndarray


_N_STATIC = F["key"]


@dataclass(frozen=True)
class Csr:
    """Per row a list of ids, as one flat array and row offsets (row i: ``flat[indptr[i]:indptr[i + 1]]``)."""

    indptr: np.ndarray  # int64, one more than the rows
    flat: np.ndarray  # int64

    @staticmethod
    def of(lists: list[tuple[int, ...]]) -> Csr:
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        indptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        flat = np.fromiter((x for lst in lists for x in lst), np.int64, int(indptr[-1]))
        return Csr(indptr, flat)

    def take(self, rows: np.ndarray) -> Csr:
        """The lists of ``rows``, in that order."""
        indptr, idx = self.take_index(rows)
        return Csr(indptr, self.flat[idx])

    def take_index(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, the places in ``flat``) of the lists of ``rows``, in that order (for columns aligned
        with ``flat``)."""
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return indptr, np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])

    def row_of_each(self) -> np.ndarray:
        """The row of each element of ``flat``."""
        return np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))

    def row_max(self, values: np.ndarray) -> np.ndarray:
        """Per row the largest of ``values`` (one per element of ``flat``; all >= 0), 0 for an empty row."""
        out = np.zeros(len(self.indptr) - 1)
        np.maximum.at(out, self.row_of_each(), values)
        return out


@dataclass(frozen=True)
class FactColumns:
    """The facts :func:`static_block` reads, as columns (row i: the i-th id asked for): the embedded store
    keeps them for every track from the load (``EmbeddedStore.fact_columns``), so a hub's block is a few
    NumPy gathers; :func:`fact_columns` makes the same columns from facts dicts (Neo4j)."""

    plays: np.ndarray  # float64, 0 where unknown
    djs: np.ndarray  # float64, 0 where unknown
    trend: np.ndarray  # float64, 0 where unknown
    sets: np.ndarray  # int64, 0 where unknown
    label: np.ndarray  # int64 label id, -1 none
    energy: np.ndarray  # float64, NaN unknown
    bpm: np.ndarray  # float64, NaN unknown
    key: np.ndarray  # int64 index into harmonic.ALL_KEYS, -1 unknown
    scene: np.ndarray  # int64 index into ``scenes``, -1 none
    scenes: tuple[tuple[str, ...], ...]  # distinct scene-genre tuples
    artists: Csr  # every credited artist id
    primary: Csr  # primary artist ids

    def take(self, rows: np.ndarray) -> FactColumns:
        """The rows ``rows``, in that order."""
        return FactColumns(self.plays[rows], self.djs[rows], self.trend[rows], self.sets[rows], self.label[rows],
                           self.energy[rows], self.bpm[rows], self.key[rows], self.scene[rows], self.scenes,
                           self.artists.take(rows), self.primary.take(rows))


def fact_columns(facts: Mapping[int, dict[str, Any]], ids: Sequence[int]) -> FactColumns:
    """The :class:`FactColumns` of ``ids`` (each in ``facts``) from their facts dicts."""
    fl = [facts[c] for c in ids]
    codes: dict[tuple[str, ...], int] = {}
    scene = [codes.setdefault(tuple(f["scene_genres"]), len(codes)) if f["scene_genres"] else -1 for f in fl]
    bpm, key = tempo_key_columns([(f["camelot"], f["bpm"]) for f in fl])
    return FactColumns(
        _col([f["plays"] or 0 for f in fl]), _col([f["djs"] or 0 for f in fl]),
        _col([f["trend"] or 0.0 for f in fl]), _col([f["sets"] or 0 for f in fl], np.int64),
        _col([-1 if f["label_id"] is None else f["label_id"] for f in fl], np.int64),
        _col([math.nan if f["energy"] is None else f["energy"] for f in fl]), bpm, key,
        _col(scene, np.int64), tuple(codes), Csr.of([f["artist_ids"] for f in fl]),
        Csr.of([f["primary_ids"] for f in fl]))


def static_block(ctx: Context, facts: Mapping[int, dict[str, Any]], ids: Sequence[int],
                 cols: FactColumns | None = None) -> StaticBlock:
    """Evidence features of ``ids`` (each in ``facts``; rows in that order) after ``ctx.source``; ``cols``:
    their facts as columns when the backend keeps them (else made from ``facts``; the same values), so
    ``facts`` is read only when an answer shows a candidate."""
    src = ctx.source
    if cols is None:
        cols = fact_columns(facts, ids)
    n = len(ids)
    pos = {c: i for i, c in enumerate(ids)}
    X = np.zeros((n, _N_STATIC))
    for c, (k, djs, _) in ctx.out.items():
        i = pos.get(c)
        if i is not None:
            X[i, 0], X[i, 1] = k, djs
    X[:, 0] = np.log1p(X[:, 0])
    X[:, 1] = np.log1p(X[:, 1])
    for i, (v, _, _) in _common(ctx.inn, pos):
        X[i, 2] = math.log1p(v)
    for i, v in _common(ctx.two_hop, pos):
        X[i, 3] = math.log1p(v)
    for i, offs in _common(ctx.offsets, pos):
        X[i, 4] = sum(1.0 / o for o in offs if o >= 2)
        X[i, 5] = sum(1.0 / -o for o in offs if o <= -2)
    scanned = ctx.sets_scanned
    if scanned:
        got = _common(ctx.shared_sets, pos)
        if got:
            rows = np.fromiter((i for i, _ in got), np.int64, len(got))
            shared = np.fromiter((sh for _, sh in got), np.int64, len(got))
            their = cols.sets[rows]
            has = their > 0
            X[rows[has], 6] = shared[has] / np.sqrt(scanned * their[has])
    if src["artist_ids"]:
        hit = np.isin(cols.artists.flat, np.array(src["artist_ids"], dtype=np.int64))
        X[np.unique(cols.artists.row_of_each()[hit]), 7] = 1.0
    if src["label_id"] is not None:
        X[:, 8] = cols.label == src["label_id"]
    collab, support = ctx.collaborators, ctx.support
    if collab:  # the strongest collaboration of any of its artists
        X[:, 9] = np.log1p(cols.artists.row_max(_lookup(collab, cols.artists.flat)))
    if support:
        X[:, 10] = cols.primary.row_max(_lookup(support, cols.primary.flat))
    for i, repertoire in _common(ctx.repertoire, pos):
        X[i, 11] = repertoire
    X[:, 12] = np.log1p(cols.plays)
    X[:, 13] = np.log1p(cols.djs)
    X[:, 14] = np.maximum(cols.trend, 0.0)
    src_scene = set(src["scene_genres"])
    if src_scene and n:
        table = np.zeros(len(cols.scenes) + 1)  # (the last place: no scene genres)
        for j, sc in enumerate(cols.scenes):
            cs = set(sc)
            table[j] = len(src_scene & cs) / len(src_scene | cs) - 0.5
        X[:, 15] = table[cols.scene]
    return StaticBlock(ids, facts, X, cols.bpm, cols.key, cols.energy)


def find_sorted(ordered: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the place of each of ``q`` in the ascending ``ordered``, clipped to its last; whether it is there)."""
    if not len(ordered):
        return np.zeros(len(q), dtype=np.int64), np.zeros(len(q), dtype=bool)
    at = np.minimum(np.searchsorted(ordered, q), len(ordered) - 1)
    return at, ordered[at] == q


def _lookup(values: dict[int, Any], keys: np.ndarray) -> np.ndarray:
    """``values[k]`` for each of ``keys`` (float64), 0 for a key not in ``values``."""
    ks = np.fromiter(values.keys(), np.int64, len(values))
    vs = np.fromiter(values.values(), np.float64, len(values))
    order = np.argsort(ks)
    at, found = find_sorted(ks[order], keys)
    return np.where(found, vs[order][at], 0.0)


def _common(d: dict[int, Any], pos: dict[int, int]) -> list[tuple[int, Any]]:
    """(row, value) of every candidate of ``d`` that has a row in ``pos``, walking the smaller of the two
    (a key filter keeps a few hundred of a hub's thousands of co-occurring tracks)."""
    if len(d) <= len(pos):
        return [(i, v) for c, v in d.items() if (i := pos.get(c)) is not None]
    return [(i, v) for c, i in pos.items() if (v := d.get(c)) is not None]


class _Both(Mapping[int, dict[str, Any]]):
    """The facts of two blocks (their ids are disjoint)."""

    def __init__(self, a: Mapping[int, dict[str, Any]], b: Mapping[int, dict[str, Any]]) -> None:
        self.a, self.b = a, b

    def __getitem__(self, cid: int) -> dict[str, Any]:
        return self.a[cid] if cid in self.a else self.b[cid]

    def __contains__(self, cid: object) -> bool:
        return cid in self.a or cid in self.b

    def __iter__(self) -> Iterator[int]:
        yield from self.a
        yield from (c for c in self.b if c not in self.a)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _merge(a: StaticBlock, b: StaticBlock) -> StaticBlock:
    """One block of both (their ids are disjoint): ``a``'s rows, then ``b``'s. Row order never decides a
    ranking (``service.order`` breaks ties by id), so the rows are not sorted again."""
    return StaticBlock([*a.ids, *b.ids], a.facts if a.facts is b.facts else _Both(a.facts, b.facts),
                       np.concatenate((a.X, b.X)),
                       np.concatenate((a.bpm, b.bpm)), np.concatenate((a.key, b.key)),
                       np.concatenate((a.energy, b.energy)))


def featurize(ctx: Context, facts: dict[int, dict[str, Any]], con: Constraints) -> Candidates:
    """Features of every reached candidate that passes the constraints (row order: see Candidates),
    vectorized: the evidence dictionaries are scattered into columns and the key/tempo fit is table lookups
    and array arithmetic (the same float operations as ``fit``, which stays the one-candidate reference)."""
    all_ids = ctx.candidate_ids()
    return _constrained(ctx, static_block(ctx, facts, [c for c in all_ids if c in facts]), con, len(all_ids))


def featurize_blocks(ctx: Context, static: StaticBlock, extra: StaticBlock | None, con: Constraints,
                     dropped_before: dict[str, int] | None = None, considered: int | None = None) -> Candidates:
    """:func:`featurize` of a context whose candidates are exactly ``static``'s and ``extra``'s: ``static``
    kept from an earlier request on the same source, ``extra`` (its harmonic window's others) after it.
    ``dropped_before``: the candidates :func:`prefilter` already left out of ``static`` (counted as dropped);
    ``considered``: how many candidates the context reached, when the caller counted them."""
    block = static if extra is None else _merge(static, extra)
    n = considered if considered is not None else len(ctx.candidate_ids())
    return _constrained(ctx, block, con, n, dropped_before)


def prefilter(src: dict[str, Any], ids: list[int], bpm: np.ndarray, key: np.ndarray,
              con: Constraints) -> tuple[list[int], dict[str, int]]:
    """The ``ids`` that pass the constraints after ``src`` from their tempos ``bpm`` (NaN unknown) and key
    indexes ``key`` (-1 unknown; ``tempo_key_columns``) alone (the same test as :func:`featurize`), and how
    many were dropped per reason: a request that filters by key need not read the facts of, nor featurize,
    the candidates it drops (most of them, at strictness normal)."""
    *_, reject_bpm, reject_key = _fit_columns(src, bpm, key, con)
    keep = np.flatnonzero(~(reject_bpm | reject_key)).tolist()
    return [ids[i] for i in keep], {"key": int(reject_key.sum()), "bpm": int(reject_bpm.sum())}


def tempo_key_columns(pairs: list[tuple[str | None, float | None]]) -> tuple[np.ndarray, np.ndarray]:
    """(BPM column, NaN unknown; key index column, an index into ``harmonic.ALL_KEYS``, -1 unknown) of
    (Camelot key, BPM) pairs: what :func:`_fit_columns` tests, built the same way for a featurized block
    and for :func:`prefilter`."""
    nan = math.nan
    return (_col([nan if b is None else b for _, b in pairs]),
            _col([-1 if k is None else _KIDX.get(k, -1) for k, _ in pairs], np.int64))


def _fit_columns(src: dict[str, Any], cb: np.ndarray, ck: np.ndarray,
                 con: Constraints) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(BPM %, pitch shift, key as played, move, rejected by BPM, rejected by key) of candidates with tempos
    ``cb`` (NaN unknown) and key indexes ``ck`` (-1 unknown) after ``src`` under ``con``."""
    n = len(cb)
    nan = math.nan
    sb = src["bpm"]
    sk = _KIDX.get(src["camelot"], -1) if src["camelot"] is not None else -1
    pct = np.full(n, nan)
    semis = np.zeros(n, dtype=np.int64)
    eff = ck.copy()
    reject_bpm = np.zeros(n, dtype=bool)
    if sb is not None and sb > 0 and n:
        known = cb > 0  # NaN (unknown) compares False
        pitched = np.zeros(n, dtype=bool)
        if con.max_pitch_shift > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                s_raw = np.round(12 * np.log2(sb / np.where(known, cb, 1.0)))
            s_int = np.where(known, s_raw, 0).astype(np.int64)
            pitched = known & (s_int != 0) & (np.abs(s_int) <= con.max_pitch_shift)
            semis = np.where(pitched, s_int, 0)
            has_key = pitched & (ck >= 0)
            eff = np.where(has_key, _SHIFT[np.maximum(ck, 0), np.clip(semis + 12, 0, 24)], ck)
        plain = known & ~pitched
        if con.half_double:
            d = np.minimum(np.minimum(np.abs(cb - sb), np.abs(2 * cb - sb)), np.abs(cb / 2 - sb)) / sb * 100.0
        else:
            d = np.abs(cb - sb) / sb * 100.0
        pct = np.where(plain, d, np.where(pitched, 0.0, nan))
        reject_bpm = plain & (pct > con.bpm_window_pct + 1e-9)
    move = np.full(n, -1, dtype=np.int64)
    if sk >= 0 and n:
        has = eff >= 0
        move = np.where(has, _MOVE_TABLE[sk, np.maximum(eff, 0)], -1)
    reject_key = ~reject_bpm & (move >= 0) & ~_ALLOWED[con.strictness][np.maximum(move, 0)]
    return pct, semis, eff, move, reject_bpm, reject_key


def _constrained(ctx: Context, block: StaticBlock, con: Constraints, considered: int,
                 dropped_before: dict[str, int] | None = None) -> Candidates:
    """The constraint-dependent columns (key, bpm, energy) and the filter, on a block of candidates."""
    src = ctx.source
    cand_ids = block.ids
    n = len(cand_ids)
    nan = math.nan
    ce = block.energy
    pct, semis, eff, move, reject_bpm, reject_key = _fit_columns(src, block.bpm, block.key, con)
    se = src["energy"]
    delta = ce - se if se is not None else np.full(n, nan)
    X = np.zeros((n, len(FEATURES)))
    X[:, :_N_STATIC] = block.X
    X[:, 16] = np.where(move >= 0, _MOVE_SCORE[np.maximum(move, 0)] - 0.5, 0.0)
    X[:, 17] = np.where(np.isnan(pct), 0.0, np.maximum(0.0, 1.0 - pct / harmonic.BPM_CAP_PCT) - 0.5)
    X[:, 18] = np.where(np.isnan(delta), 0.0,
                        np.maximum(0.0, 1.0 - np.abs(delta) / harmonic.ENERGY_CAP) - 0.5)
    keep = ~(reject_bpm | reject_key)
    idx = np.flatnonzero(keep)
    kept = idx.tolist()
    before = dropped_before or {"key": 0, "bpm": 0}
    return Candidates([cand_ids[i] for i in kept], X[idx], block.facts, move[idx], pct[idx], semis[idx], eff[idx],
                      delta[idx], {"key": before["key"] + int(reject_key.sum()),
                                   "bpm": before["bpm"] + int(reject_bpm.sum())}, considered)
