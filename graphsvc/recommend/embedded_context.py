"""The recommender's :class:`~graphsvc.recommend.context.Context` gathered from the embedded store's
in-memory indexes (the Neo4j backend gathers the same with ``cypher/rec_*.cypher``).

Sorted per-artist, per-label, per-DJ and per-genre lists are computed on first use and cached on the
store (they depend only on the loaded graph, which is replaced as a whole on refresh).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from graphsvc.recommend.context import CAPS, Caps, Context

if TYPE_CHECKING:
    from graphsvc.graph.embedded import EmbeddedStore

_CACHE_ATTR = "_rec_cache"


def _cache(store: EmbeddedStore) -> dict[tuple, list]:
    got = store.__dict__.get(_CACHE_ATTR)
    if got is None:
        got = store.__dict__[_CACHE_ATTR] = {}
    return got


def _by_plays(store: EmbeddedStore, ids) -> list[int]:
    tracks = store.tracks
    return sorted(set(ids), key=lambda t: (-tracks[t].plays, t))


def artist_tracks(store: EmbeddedStore, artist: int, n: int, primary_only: bool = False) -> list[int]:
    """The artist's ``n`` most played tracks (any role, or primary only), (plays desc, id asc)."""
    cache = _cache(store)
    key = ("artist", artist, primary_only)
    got = cache.get(key)
    if got is None:
        got = cache[key] = _by_plays(store, (t for t, role, _ in store.by_artist.get(artist, ())
                                             if not primary_only or role == "primary"))
    return got[:n]


def label_tracks(store: EmbeddedStore, label: int, n: int) -> list[int]:
    cache = _cache(store)
    key = ("label", label)
    got = cache.get(key)
    if got is None:
        got = cache[key] = _by_plays(store, store.label_tracks.get(label, ()))
    return got[:n]


def genre_tracks(store: EmbeddedStore, genre: str, n: int) -> list[int]:
    """The ``n`` tracks of a scene genre most played recently: (plays_recent desc, plays desc, id asc)."""
    cache = _cache(store)
    idx = cache.get(("genres",))
    if idx is None:
        per: dict[str, list[int]] = defaultdict(list)
        for t in store.tracks.values():
            for g in t.scene_genres or ():
                per[g].append(t.id)
        tracks = store.tracks
        idx = cache[("genres",)] = [{g: sorted(ids, key=lambda i: (-tracks[i].plays_recent, -tracks[i].plays, i))[:500]
                                     for g, ids in per.items()}]
    return idx[0].get(genre, [])[:n]


def dj_supported(store: EmbeddedStore, dj: int, n: int) -> list[tuple[int, int]]:
    """The DJ's ``n`` most supported artists as (artist, count), (count desc, id asc)."""
    cache = _cache(store)
    key = ("dj", dj)
    got = cache.get(key)
    if got is None:
        got = cache[key] = sorted(store.sup_out.get(dj, {}).items(), key=lambda p: (-p[1], p[0]))
    return got[:n]


def dj_repertoire(store: EmbeddedStore, dj: int, n: int) -> list[tuple[int, int]]:
    """The ``n`` tracks the DJ played most as (track, set entries), (entries desc, id asc)."""
    cache = _cache(store)
    key = ("repertoire", dj)
    got = cache.get(key)
    if got is None:
        counts: dict[int, int] = defaultdict(int)
        for s in store.played_artist.get(dj, ()):
            for _, t in store.set_entries.get(s, ()):
                counts[t] += 1
        got = cache[key] = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
    return got[:n]


def facts(store: EmbeddedStore, ids) -> dict[int, dict[str, Any]]:
    """The recommender's facts (``context.FACT_KEYS``) of the given tracks that exist."""
    out = {}
    tracks, by_track = store.tracks, store.by_track
    for i in ids:
        t = tracks.get(i)
        if t is None:
            continue
        credits = by_track.get(i, ())
        out[i] = {
            "id": t.id, "title": t.title, "version": t.version, "artists": t.artists, "bpm": t.bpm,
            "camelot": t.camelot, "energy": t.energy, "genres": list(t.genres or ()),
            "scene_genres": list(t.scene_genres or ()), "plays": t.plays, "sets": t.sets, "djs": t.djs,
            "plays_recent": t.plays_recent, "trend": t.trend, "label": t.label, "label_id": t.label_id,
            "year": t.year,
            "artist_ids": sorted({a for a, _, _ in credits}),
            "primary_ids": sorted({a for a, role, _ in credits if role == "primary"}),
        }
    return out


def _date_key(d) -> int:
    return d.toordinal() if d is not None else 0


def gather(store: EmbeddedStore, track_id: int, window: list[int], caps: Caps = CAPS) -> Context:
    """The context of ``track_id`` (which must exist); ``window`` = the harmonic window candidates the
    store's rule-3 search found for the request (already cut to ``caps.window``)."""
    a = track_id
    src = facts(store, (a,))[a]
    ctx = Context(source=src)

    def best(d: dict[int, tuple], n: int) -> dict[int, tuple]:
        return dict(sorted(d.items(), key=lambda p: (-p[1][0], p[0]))[:n])

    trans_out = store.trans_out.get(a, {})
    ctx.out = best(trans_out, caps.transitions)
    ctx.inn = {c: v for c, v in best(store.trans_in.get(a, {}), caps.transitions).items() if c != a}
    two: dict[int, int] = defaultdict(int)
    for x, (n1, _, _) in sorted(trans_out.items(), key=lambda p: (-p[1][0], p[0]))[:caps.via]:
        for c, (n2, _, _) in sorted(store.trans_out.get(x, {}).items(), key=lambda p: (-p[1][0], p[0]))[:caps.per_via]:
            if c != a:
                two[c] += n1 * n2
    ctx.two_hop = dict(two)

    set_ids = {s for s, _ in store.track_sets.get(a, ())}
    sets = store.sets
    scanned = sorted(set_ids, key=lambda s: (sets[s]["date"] is None, -_date_key(sets[s]["date"]), -s))[:caps.sets]
    ctx.sets_scanned = len(scanned)
    offsets: dict[int, list[int]] = defaultdict(list)
    shared: dict[int, int] = defaultdict(int)
    dj_sets: dict[int, int] = defaultdict(int)
    near = caps.near
    for s in scanned:
        entries = store.set_entries.get(s, ())
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
        for dj in store.played_set.get(s, ()):
            dj_sets[dj] += 1
    ctx.offsets = {c: sorted(v) for c, v in offsets.items()}
    ctx.shared_sets = dict(shared)

    src_artists = src["artist_ids"]
    collab: dict[int, int] = {}
    for x in src_artists:
        adj = store.collab.adj.get(x, {}) if x in store.collab else {}
        for y, attrs in sorted(adj.items(), key=lambda p: (-p[1]["weight"], p[0]))[:caps.collaborators]:
            w = attrs["weight"]
            if w > collab.get(y, 0):
                collab[y] = w
    ctx.collaborators = collab

    djs = sorted(dj_sets.items(), key=lambda p: (-p[1], p[0]))[:caps.djs]
    support: dict[int, float] = defaultdict(float)
    if djs:
        for dj, _ in djs:
            for y, cnt in dj_supported(store, dj, caps.support_artists):
                support[y] += math.log1p(cnt)
        n_djs = len(djs)
        support = {y: v / n_djs for y, v in support.items()}
    ctx.support = dict(sorted(support.items(), key=lambda p: (-p[1], p[0]))[:caps.support_artists])
    rep: dict[int, float] = defaultdict(float)
    for dj, _ in djs:
        for t, cnt in dj_repertoire(store, dj, caps.repertoire):
            if t != a:
                rep[t] += math.log1p(cnt)
    if djs:
        rep = {t: v / len(djs) for t, v in rep.items()}
    ctx.repertoire = dict(sorted(rep.items(), key=lambda p: (-p[1], p[0]))[:caps.repertoire])
    ctx.repertoire_top = sorted({t for dj, _ in djs[:caps.repertoire_djs]
                                 for t, _ in dj_repertoire(store, dj, caps.repertoire_tracks + 1) if t != a})

    ctx.artist_top = [t for x in src_artists for t in artist_tracks(store, x, caps.artist_tracks)]
    if src["label_id"] is not None:
        ctx.label_top = label_tracks(store, src["label_id"], caps.label_tracks)
    ctx.collaborator_top = [t for y, _ in sorted(collab.items(), key=lambda p: (-p[1], p[0]))
                            for t in artist_tracks(store, y, caps.collaborator_tracks)]
    ctx.support_top = [t for y in list(ctx.support)[:caps.support_candidates]
                       for t in artist_tracks(store, y, caps.support_tracks, primary_only=True)]
    ctx.window = list(window)
    if len(ctx.candidate_ids()) < caps.popular and src["scene_genres"]:
        ctx.popular = genre_tracks(store, src["scene_genres"][0], caps.popular)
    return ctx
