"""Gathering a :class:`~graphsvc.recommend.context.Context` from a backend's evidence primitives.

Each graph backend implements :class:`Evidence` -- small reads of its graph, every list already cut by
the caps in the documented order (``context`` module docstring) -- and :func:`gather` does the rest in
Python, the same for every backend: which DJs count, the DJ support and repertoire scores, the same-set
offsets and co-occurrence, which candidate lists are asked for. So two backends that answer the
primitives alike give equal contexts, and so equal recommendations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain
from typing import Any, Protocol

import numpy as np

from graphsvc.deadline import check
from graphsvc.recommend.context import Caps, Context
from graphsvc.recommend.features import Csr

WINDOW_STRICTNESS = "normal"  # the keys harmonic-window candidates come from when the user filters none


Counted = tuple[np.ndarray, np.ndarray]  # (ids, counts), both int64, in a documented order


def counted(pairs: Iterable[tuple[int, int]]) -> Counted:
    """(ids, counts) arrays of (id, count) pairs."""
    flat = [x for pair in pairs for x in pair]
    got = np.array(flat, dtype=np.int64).reshape(-1, 2)
    return got[:, 0].copy(), got[:, 1].copy()


@dataclass(frozen=True)
class SetScan:
    """Sets as flat columns: set k (``ids[k]``) holds the tracks of row k of ``tracks``, at the same places
    of ``positions``, by position (one entry per position); ``djs[k]``: its DJs' artist ids, ascending."""

    ids: list[int]
    tracks: Csr
    positions: np.ndarray  # int64, aligned with tracks.flat
    djs: list[list[int]]

    @staticmethod
    def of(rows: list[tuple[int, list[tuple[int, int]], list[int]]]) -> SetScan:
        """From (set id, [(position, track)] by position, [DJ ids] ascending) per set."""
        positions, _ = counted(x for _, e, _ in rows for x in e)
        return SetScan([s for s, _, _ in rows], Csr.of([tuple(t for _, t in e) for _, e, _ in rows]), positions,
                       [d for _, _, d in rows])

    def rows(self) -> list[tuple[int, list[tuple[int, int]], list[int]]]:
        """The sets as (set id, [(position, track)], [DJ ids]) (the inverse of :meth:`of`)."""
        bounds = self.tracks.indptr.tolist()
        pos, tracks = self.positions.tolist(), self.tracks.flat.tolist()
        return [(s, list(zip(pos[b:e], tracks[b:e], strict=True)), d)
                for s, b, e, d in zip(self.ids, bounds[:-1], bounds[1:], self.djs, strict=True)]


def same_sets(a: int, scan: SetScan, near: int) -> tuple[dict[int, int], dict[int, tuple[int, ...]]]:
    """(co-occurrence, offsets) of ``a`` over the scanned sets: per other track c the number of sets
    holding both; and the sorted position differences pos(c) - pos(a) over every pair of their entries at
    most ``near`` apart in a set (entries come one per position, so those within +-near places of an
    entry of ``a``). Array operations over all sets at once instead of a Python loop per set and entry."""
    tr, po = scan.tracks.flat, scan.positions
    n = len(tr)
    if not n:
        return {}, {}
    in_set = scan.tracks.row_of_each()
    other = tr != a
    order = np.lexsort((tr[other], in_set[other]))
    t_sorted, k_sorted = tr[other][order], in_set[other][order]
    first = np.ones(len(t_sorted), dtype=bool)  # the first entry of each (set, track): a set counts once
    first[1:] = (t_sorted[1:] != t_sorted[:-1]) | (k_sorted[1:] != k_sorted[:-1])
    tracks, counts = np.unique(t_sorted[first], return_counts=True)
    shared = dict(zip(tracks.tolist(), counts.tolist(), strict=True))
    at = np.flatnonzero(~other)  # entries of a
    offsets: dict[int, tuple[int, ...]] = {}
    if len(at):
        around = at[:, None] + np.arange(-near, near + 1)
        inside = (around >= 0) & (around < n)
        around = np.clip(around, 0, n - 1)
        d = po[around] - po[at][:, None]
        ok = inside & (in_set[around] == in_set[at][:, None]) & other[around] & (np.abs(d) <= near)
        c, off = tr[around][ok], d[ok]
        if len(c):
            order = np.lexsort((off, c))
            c, off = c[order], off[order]
            cuts = (np.flatnonzero(c[1:] != c[:-1]) + 1).tolist()
            cl, ol = c.tolist(), off.tolist()
            # tuples: see EmbeddedEvidence.facts
            offsets = {cl[b]: tuple(ol[b:e]) for b, e in zip([0, *cuts], [*cuts, len(cl)], strict=True)}
    return shared, offsets


class Evidence(Protocol):
    """Reads of one graph backend for the recommender (ids are track / artist / set ids)."""

    def facts(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """``context.FACT_KEYS`` of each existing track."""

    def transitions(self, a: int, n: int) -> tuple[list[tuple[int, int, int, date | None]], list[tuple]]:
        """(out, in): the top ``n`` TRANSITIONS_TO out of / into ``a`` as (track, count, djs, last_seen),
        (count desc, id asc)."""

    def two_hop(self, a: int, via: int, per_via: int) -> dict[int, int]:
        """c -> sum of n(a->x) * n(x->c) over a's top ``via`` successors x and each x's top ``per_via``
        successors (both by count desc, id asc), c != a."""

    def sets(self, a: int, n: int) -> SetScan:
        """The ``n`` most recent sets holding ``a`` (date desc, undated last, id desc)."""

    def collaborators(self, artists: list[int], n: int) -> dict[int, list[tuple[int, int]]]:
        """Per artist its top ``n`` collaborators as (artist, weight), (weight desc, id asc)."""

    def dj_lists(self, djs: list[int], n_support: int, n_repertoire: int
                 ) -> tuple[dict[int, Counted], dict[int, Counted]]:
        """Per DJ: its top ``n_support`` SUPPORTS (artists, counts) and its ``n_repertoire`` most played
        tracks (tracks, set entries), both (count desc, id asc)."""

    def artist_tracks(self, artists: list[int], n: int, primary_only: bool) -> dict[int, list[int]]:
        """Per artist its ``n`` most played tracks (any role, or primary only), (plays desc, id asc)."""

    def label_tracks(self, label: int, n: int) -> list[int]:
        """The label's ``n`` most played tracks, (plays desc, id asc)."""

    def genre_tracks(self, genre: str, n: int) -> list[int]:
        """The ``n`` tracks of a scene genre most played recently: (plays_recent desc, plays desc, id asc)."""

    def window(self, a: int, constraints: Any, n: int) -> list[int]:
        """Graph rule 3's harmonic window candidates of ``a`` under the constraints (tracks DJs did not
        play right after it), at most ``n``, in rule-3 order."""


_LOG1P = np.array([math.log1p(c) for c in range(4096)])


def _merged_top(lists: list[Counted], n_lists: int, exclude: int | None, n: int) -> dict[int, float]:
    """The ``n`` ids with the largest sum of log1p(count) over ``lists`` divided by ``n_lists`` (a list
    without the id adds 0), ties by the smaller id, in that order; ``exclude`` left out. The DJs' support
    and repertoire: 20 lists of up to 300, merged by one NumPy sort instead of a Python loop over every
    pair (the sums add in list order, as that loop did, so the values are the same floats)."""
    if not lists:
        return {}
    idx = np.concatenate([ids for ids, _ in lists])
    if not len(idx):
        return {}
    counts = np.concatenate([c for _, c in lists])
    vals = _LOG1P[np.minimum(counts, len(_LOG1P) - 1)]  # (math.log1p's values: NumPy's differ in the last bit)
    big = np.flatnonzero(counts >= len(_LOG1P))
    if len(big):
        vals[big] = [math.log1p(c) for c in counts[big].tolist()]
    if exclude is not None:
        keep = idx != exclude
        idx, vals = idx[keep], vals[keep]
    uniq, inv = np.unique(idx, return_inverse=True)
    sums = np.bincount(inv, weights=vals, minlength=len(uniq)) / n_lists
    if 0 < n < len(uniq):  # only the values from the n-th largest on can place: sort those alone
        nth = -np.partition(-sums, n - 1)[n - 1]
        top = np.flatnonzero(sums >= nth)
        order = top[np.lexsort((uniq[top], -sums[top]))][:n]
    else:
        order = np.lexsort((uniq, -sums))[:n]
    return dict(zip(uniq[order].tolist(), sums[order].tolist(), strict=True))


def _date_key(d: date | None) -> int:
    return d.toordinal() if d is not None else 0


def gather(ev: Evidence, track_id: int, constraints: Any, caps: Caps, static: Context | None = None
           ) -> Context | None:
    """The context of ``track_id`` (None when the track does not exist): the evidence that does not depend
    on the request (``gather_static``, or ``static`` when the caller kept it) plus the harmonic window of
    the request's constraints."""
    base = static if static is not None else gather_static(ev, track_id, caps)
    if base is None:
        return None
    ctx = replace(base)  # a shallow copy: the window is the request's own
    ctx.memo = base.memo  # ... and everything else is base's, so is what was derived from it
    src = ctx.source
    if src["bpm"] is not None and src["camelot"]:
        # harmonic candidates come from the compatible keys: strictness 'any' filters nothing, but the
        # candidates it adds are still drawn from the keys a DJ would mix into ('normal')
        gen = constraints if constraints.strictness != "any" else replace(constraints, strictness=WINDOW_STRICTNESS)
        ctx.window = ev.window(track_id, gen, caps.window)
    return ctx


def gather_static(ev: Evidence, track_id: int, caps: Caps) -> Context | None:
    """Everything of the context but the harmonic window (it depends on the request's constraints)."""
    a = track_id
    src = ev.facts((a,)).get(a)
    if src is None:
        return None
    ctx = Context(source=src)
    out, inn = ev.transitions(a, caps.transitions)
    ctx.out = {c: (n, djs, last) for c, n, djs, last in out}
    ctx.inn = {c: (n, djs, last) for c, n, djs, last in inn if c != a}
    ctx.two_hop = ev.two_hop(a, caps.via, caps.per_via) if out else {}

    check()  # an API call past its deadline stops here (graphsvc.deadline)
    scan = ev.sets(a, caps.sets)
    ctx.sets_scanned = len(scan.ids)
    dj_sets = Counter(chain.from_iterable(scan.djs))
    ctx.shared_sets, ctx.offsets = same_sets(a, scan, caps.near)

    src_artists = list(src["artist_ids"])
    collab: dict[int, int] = {}
    if src_artists:
        for lst in ev.collaborators(src_artists, caps.collaborators).values():
            for y, w in lst:
                if w > collab.get(y, 0):
                    collab[y] = w
    ctx.collaborators = collab

    check()
    djs_top = sorted(dj_sets.items(), key=lambda p: (-p[1], p[0]))[:caps.djs]
    dj_ids = [dj for dj, _ in djs_top]
    supported, repertoire = ev.dj_lists(dj_ids, caps.support_artists, caps.repertoire) if dj_ids else ({}, {})
    n_djs = len(dj_ids)
    ctx.support = _merged_top([supported[dj] for dj in dj_ids if dj in supported], n_djs, None, caps.support_artists)
    ctx.repertoire = _merged_top([repertoire[dj] for dj in dj_ids if dj in repertoire], n_djs, a, caps.repertoire)
    ctx.repertoire_top = sorted({t for dj in dj_ids[:caps.repertoire_djs] if dj in repertoire
                                 for t in repertoire[dj][0][:caps.repertoire_tracks + 1].tolist() if t != a})

    collab_order = [y for y, _ in sorted(collab.items(), key=lambda p: (-p[1], p[0]))]
    support_order = list(ctx.support)[:caps.support_candidates]
    if src_artists:
        got = ev.artist_tracks(src_artists, caps.artist_tracks, False)
        ctx.artist_top = [t for x in src_artists for t in got.get(x, ())]
    if collab_order:
        got = ev.artist_tracks(collab_order, caps.collaborator_tracks, False)
        ctx.collaborator_top = [t for y in collab_order for t in got.get(y, ())]
    if support_order:
        got = ev.artist_tracks(support_order, caps.support_tracks, True)
        ctx.support_top = [t for y in support_order for t in got.get(y, ())]
    if src["label_id"] is not None:
        ctx.label_top = ev.label_tracks(src["label_id"], caps.label_tracks)
    if src["scene_genres"] and ctx.reaches_fewer_than(caps.popular):
        ctx.popular = ev.genre_tracks(src["scene_genres"][0], caps.popular)
    return ctx
