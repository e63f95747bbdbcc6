"""Gathering a :class:`~graphsvc.recommend.context.Context` from a backend's evidence primitives.

Each graph backend implements :class:`Evidence` -- small reads of its graph, every list already cut by
the caps in the documented order (``context`` module docstring) -- and :func:`gather` does the rest in
Python, the same for every backend: which DJs count, the DJ support and repertoire scores, the same-set
offsets and co-occurrence, which candidate lists are asked for. So two backends that answer the
primitives alike give equal contexts, and so equal recommendations.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any, Protocol

import numpy as np

from graphsvc.deadline import check
from graphsvc.recommend.context import Caps, Context

WINDOW_STRICTNESS = "normal"  # the keys harmonic-window candidates come from when the user filters none


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

    def sets(self, a: int, n: int) -> list[tuple[int, list[tuple[int, int]], list[int]]]:
        """The ``n`` most recent sets holding ``a`` (date desc, undated last, id desc) as
        (set id, [(position, track)] by position, [DJ artist ids] ascending)."""

    def collaborators(self, artists: list[int], n: int) -> dict[int, list[tuple[int, int]]]:
        """Per artist its top ``n`` collaborators as (artist, weight), (weight desc, id asc)."""

    def dj_lists(self, djs: list[int], n_support: int, n_repertoire: int
                 ) -> tuple[dict[int, list[tuple[int, int]]], dict[int, list[tuple[int, int]]]]:
        """Per DJ: its top ``n_support`` SUPPORTS (artist, count) and its ``n_repertoire`` most played
        tracks (track, set entries), both (count desc, id asc)."""

    def artist_tracks(self, artists: list[int], n: int, primary_only: bool) -> dict[int, list[int]]:
        """Per artist its ``n`` most played tracks (any role, or primary only), (plays desc, id asc)."""

    def label_tracks(self, label: int, n: int) -> list[int]:
        """The label's ``n`` most played tracks, (plays desc, id asc)."""

    def genre_tracks(self, genre: str, n: int) -> list[int]:
        """The ``n`` tracks of a scene genre most played recently: (plays_recent desc, plays desc, id asc)."""

    def window(self, a: int, constraints: Any, n: int) -> list[int]:
        """Graph rule 3's harmonic window candidates of ``a`` under the constraints (tracks DJs did not
        play right after it), at most ``n``, in rule-3 order."""


def _top(d: dict[int, float], n: int) -> dict[int, float]:
    """The ``n`` items of ``d`` with the largest values, ties by the smaller key, in that order. A DJ
    repertoire merges thousands of tracks: there one NumPy lexsort replaces a Python sort with a key."""
    if len(d) <= 64:
        return dict(sorted(d.items(), key=lambda p: (-p[1], p[0]))[:n])
    keys, vals = list(d), list(d.values())
    idx = np.lexsort((np.array(keys, dtype=np.int64), -np.array(vals, dtype=np.float64)))[:n]
    return {keys[i]: vals[i] for i in idx.tolist()}


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
    scanned = ev.sets(a, caps.sets)
    ctx.sets_scanned = len(scanned)
    offsets: dict[int, list[int]] = defaultdict(list)
    shared: dict[int, int] = defaultdict(int)
    dj_sets: dict[int, int] = defaultdict(int)
    near = caps.near
    for _, entries, djs in scanned:
        mine = [pos for pos, t in entries if t == a]
        seen: set[int] = set()
        for pos, c in entries:
            if c == a:
                continue
            if c not in seen:
                seen.add(c)
                shared[c] += 1
            for p in mine:
                off = pos - p
                if -near <= off <= near:
                    offsets[c].append(off)
        for dj in djs:
            dj_sets[dj] += 1
    ctx.offsets = {c: tuple(sorted(v)) for c, v in offsets.items()}  # tuples: see EmbeddedEvidence.facts
    ctx.shared_sets = dict(shared)

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
    support: dict[int, float] = defaultdict(float)
    rep: dict[int, float] = defaultdict(float)
    for dj in dj_ids:
        for y, cnt in supported.get(dj, ()):
            support[y] += math.log1p(cnt)
        for t, cnt in repertoire.get(dj, ()):
            if t != a:
                rep[t] += math.log1p(cnt)
    if dj_ids:
        n_djs = len(dj_ids)
        support = {y: v / n_djs for y, v in support.items()}
        rep = {t: v / n_djs for t, v in rep.items()}
    ctx.support = _top(support, caps.support_artists)
    ctx.repertoire = _top(rep, caps.repertoire)
    ctx.repertoire_top = sorted({t for dj in dj_ids[:caps.repertoire_djs]
                                 for t, _ in repertoire.get(dj, ())[:caps.repertoire_tracks + 1] if t != a})

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
    if len(ctx.candidate_ids()) < caps.popular and src["scene_genres"]:
        ctx.popular = ev.genre_tracks(src["scene_genres"][0], caps.popular)
    return ctx
