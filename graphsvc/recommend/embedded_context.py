"""The recommender's evidence primitives (``gather.Evidence``) on the embedded store's in-memory indexes;
the Neo4j backend answers the same with ``cypher/rec_*.cypher`` (``graphsvc.graph.neo4j_evidence``).

Sorted per-artist, per-label, per-DJ and per-genre lists are computed on first use and cached on the
store (they depend only on the loaded graph, which is replaced as a whole on refresh).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

import numpy as np

from graphsvc.graph.embedded import _NO_CREDITS, EmbeddedStore, tempo_ratios
from graphsvc.recommend.features import Csr
from graphsvc.recommend.gather import Counted, SetScan

_CACHE_ATTR = "_rec_cache"
_GENRE_LIST = 500  # tracks kept per scene genre (the popular-in-genre candidates are far fewer)
_FACTS_MEMO = 200_000  # facts dicts kept per loaded graph
# the narrow-window shortcut is tried only when the source's key holds this many tracks: on a smaller
# graph it rarely fills the places, and the full window it then falls back to is cheap anyway
_NARROW_MIN_BAND = 2_000


def _by_count(items: Iterable[tuple[int, Any]]) -> list[tuple[int, Any]]:
    return sorted(items, key=lambda p: (-p[1], p[0]))


class LazyFacts(Mapping[int, dict[str, Any]]):
    """The facts dicts of the store's tracks by id, each made when first read (``EmbeddedEvidence.facts``,
    kept in its memo): a featurized block reads columns, and only the candidates an answer shows need a dict."""

    __slots__ = ("ev",)

    def __init__(self, store: EmbeddedStore) -> None:
        self.ev = EmbeddedEvidence(store)

    def __getitem__(self, cid: int) -> dict[str, Any]:
        memo = self.ev.cache.get(("facts",))
        made = memo.get(cid) if memo is not None else None
        if made is not None:
            return made
        got = self.ev.facts((cid,))
        if not got:
            raise KeyError(cid)
        return got[cid]

    def __contains__(self, cid: object) -> bool:
        return cid in self.ev.store.tracks

    def __iter__(self) -> Iterator[int]:
        return iter(self.ev.store.tracks)

    def __len__(self) -> int:
        return len(self.ev.store.tracks)


class EmbeddedEvidence:
    """``gather.Evidence`` over an :class:`~graphsvc.graph.embedded.EmbeddedStore`."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        cache = store.__dict__.get(_CACHE_ATTR)
        if cache is None:
            cache = store.__dict__[_CACHE_ATTR] = {}
        self.cache: dict[tuple, Any] = cache

    def facts(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Facts dicts, built once per track and loaded graph (callers never mutate them); the memo is
        dropped whole past _FACTS_MEMO tracks, so a long-running API on a big graph stays bounded.
        Every value is atomic or a shared tuple of atoms made at load (the credits, ``store.credit_ids``,
        and the genres), so the cyclic garbage collector does not track the dicts: with lists
        inside, the memo and the kept contexts held ~2M tracked objects at 1M tracks, and each full
        collection stalled a request for ~1 s."""
        out = {}
        tracks, credits = self.store.tracks, self.store.credit_ids
        memo = self.cache.get(("facts",))
        if memo is None or len(memo) > _FACTS_MEMO:
            memo = self.cache[("facts",)] = {}
        for i in ids:
            got = memo.get(i)
            if got is not None:
                out[i] = got
                continue
            t = tracks.get(i)
            if t is None:
                continue
            artist_ids, primary_ids = credits.get(i, _NO_CREDITS)
            out[i] = memo[i] = {
                "id": t.id, "title": t.title, "version": t.version, "artists": t.artists, "bpm": t.bpm,
                "camelot": t.camelot, "energy": t.energy, "genres": t.genre_tuple,
                "scene_genres": t.scene_tuple, "plays": t.plays, "sets": t.sets,
                "djs": t.djs,
                "plays_recent": t.plays_recent, "trend": t.trend, "label": t.label, "label_id": t.label_id,
                "year": t.year, "artist_ids": artist_ids, "primary_ids": primary_ids,
            }
        return out

    def transitions(self, a: int, n: int):
        """The first ``n`` of the store's successor and predecessor dicts: the load inserts them in
        (count desc, id asc) order (``EmbeddedStore._load_rows``)."""
        s = self.store
        return ([(c, *v) for c, v in islice(s.trans_out.get(a, {}).items(), n)],
                [(c, *v) for c, v in islice(s.trans_in.get(a, {}).items(), n)])

    def two_hop(self, a: int, via: int, per_via: int) -> dict[int, int]:
        trans_out = self.store.trans_out
        two: dict[int, int] = defaultdict(int)
        for x, (n1, _, _) in islice(trans_out.get(a, {}).items(), via):
            for c, (n2, _, _) in islice(trans_out.get(x, {}).items(), per_via):
                if c != a:
                    two[c] += n1 * n2
        return dict(two)

    def sets(self, a: int, n: int) -> SetScan:
        """A prefix of the track's sets (loaded in set_rank order), their entries gathered from the flat
        columns made at load and their DJs (loaded by id; callers do not mutate them)."""
        s = self.store
        order: list[int] = []
        for sid, _ in s.track_sets.get(a, ()):
            if len(order) == n:
                break
            if not order or order[-1] != sid:  # (a set's entries of the track are adjacent)
                order.append(sid)
        tracks, positions = s._set_entries
        indptr, idx = tracks.take_index(np.array([s._set_row[x] for x in order], dtype=np.int64))
        djs = s.played_set
        return SetScan(order, Csr(indptr, tracks.flat[idx]), positions[idx], [djs.get(x, []) for x in order])

    def collaborators(self, artists: list[int], n: int) -> dict[int, list[tuple[int, int]]]:
        """Each artist's ``n`` strongest collaborators: kept per (artist, n) and loaded graph (a hub artist of
        a big graph has thousands to sort, and every track it is on asks again; ``n`` is a fixed cap, so
        the memo holds at most ``n`` per artist)."""
        g = self.store.collab
        out = {}
        for x in artists:
            if x in g:
                key = ("collaborators", x, n)
                got = self.cache.get(key)
                if got is None:
                    got = self.cache[key] = _by_count((y, attrs["weight"]) for y, attrs in g.adj[x].items())[:n]
                out[x] = got
        return out

    def dj_lists(self, djs: list[int], n_support: int, n_repertoire: int
                 ) -> tuple[dict[int, Counted], dict[int, Counted]]:
        """Kept per DJ and loaded graph: its supported artists (the load's order, count desc) and its
        repertoire (every entry of its sets counted), as arrays cut by views."""
        s = self.store
        supported, repertoire = {}, {}
        for dj in djs:
            key = ("support", dj)
            got = self.cache.get(key)
            if got is None:
                sup = s.sup_out.get(dj, {})
                got = self.cache[key] = (np.fromiter(sup.keys(), np.int64, len(sup)),
                                         np.fromiter(sup.values(), np.int64, len(sup)))
            supported[dj] = (got[0][:n_support], got[1][:n_support])
            key = ("repertoire", dj)
            got = self.cache.get(key)
            if got is None:
                entries = s.set_entries
                played = np.array([t for sid in s.played_artist.get(dj, ()) for _, t in entries.get(sid, ())],
                                  dtype=np.int64)
                ids, counts = np.unique(played, return_counts=True)
                order = np.lexsort((ids, -counts))
                got = self.cache[key] = (ids[order], counts[order].astype(np.int64))
            repertoire[dj] = (got[0][:n_repertoire], got[1][:n_repertoire])
        return supported, repertoire

    def artist_tracks(self, artists: list[int], n: int, primary_only: bool) -> dict[int, list[int]]:
        top = self.store.artist_top_primary if primary_only else self.store.artist_top  # (plays desc, id asc)
        return {x: top.get(x, [])[:n] for x in artists}

    def label_tracks(self, label: int, n: int) -> list[int]:
        return self.store.label_tracks.get(label, [])[:n]  # (loaded most played first)

    def genre_tracks(self, genre: str, n: int) -> list[int]:
        idx = self.cache.get(("genres",))
        if idx is None:
            per: dict[str, list[int]] = defaultdict(list)
            tracks = self.store.tracks
            for t in tracks.values():
                for g in t.scene_genres or ():
                    per[g].append(t.id)
            idx = self.cache[("genres",)] = {
                g: sorted(ids, key=lambda i: (-tracks[i].plays_recent, -tracks[i].plays, i))[:_GENRE_LIST]
                for g, ids in per.items()}
        return idx.get(genre, [])[:n]

    def window(self, a: int, constraints: Any, n: int) -> list[int]:
        """Rule 3's window candidates in rule-3 order (move-score group, then BPM distance, then id). Exact
        shortcut on a big graph (``_best_group``): when the best group's tracks nearest in tempo alone fill
        the ``n`` places, they are the answer; otherwise the full window is cut."""
        s = self.store
        trans = s.trans_out.get(a, {})
        c = constraints
        t = s.tracks.get(a)
        band = len(s.by_key.get(t.camelot, ((), ()))[0]) if t is not None and t.camelot is not None else 0
        if c.max_pitch_shift == 0 and c.bpm_window_pct > 0 and band >= _NARROW_MIN_BAND:
            got = self._best_group(a, c, n, trans)
            if got is not None:
                return got
        return self._window_ids(a, c, n, trans)

    def _best_group(self, a: int, c: Any, n: int, trans: dict) -> list[int] | None:
        """The ``n`` first window candidates when the best move-score group alone fills them, else None.

        Every track of a key within ``r`` % of the source's tempo (at any of the half/double factors) lies
        in that key's bisected tempo ranges of radius ``r``, and every track outside them is further than
        ``r``. So the smallest radius (``w`` / 64, doubled up to ``w``) whose ranges hold ``n`` tracks besides
        the source and its successors (which the window excludes) is counted with bisect alone, and when
        that radius does fill the ``n`` places, the nearest ``n`` within it are the nearest ``n`` within
        ``w``: the same answer as the full window's first ``n``, from a few hundred tracks instead of every
        track of the compatible keys."""
        from graphsvc import harmonic

        s = self.store
        t = s.tracks[a]
        if t.key is None or t.bpm is None or n <= 0:
            return None
        compat = harmonic.compatible_keys(t.key, c.strictness)
        best = [k for k in compat if k[2] == compat[0][2]]
        factors = (1.0, 2.0, 0.5) if c.half_double else (1.0,)
        need = n + len(trans) + 1
        w = float(c.bpm_window_pct)
        r = w / 64
        while True:
            held = 0
            lo, hi = tempo_ratios(r)
            for key, _, _ in best:
                bpms = s.by_key.get(key.camelot, ((), ()))[0]
                for f in factors:
                    centre = t.bpm / f
                    held += bisect_right(bpms, centre * hi) - bisect_left(bpms, centre * lo)
            if held >= need or r >= w:
                break
            r = min(2 * r, w)
        skip = {a, *trans}
        cols = s._window_columns(best, t.bpm, r, c.half_double, skip, n)
        if cols is None:
            return None
        ids = cols[0].tolist()
        return ids if len(ids) == n else None

    def _window_ids(self, a: int, c: Any, n: int, trans: dict) -> list[int]:
        """The full window's first ``n`` ids, the source's successors left out."""
        from graphsvc.graph.embedded import _RawColumns

        s = self.store
        raw = s._raw_sequence(a, strictness=c.strictness, bpm_window_pct=c.bpm_window_pct,
                              half_double=c.half_double, max_pitch_shift=c.max_pitch_shift, cap=len(trans) + n)
        if isinstance(raw, _RawColumns):
            order = [int(r["track_id"]) for r in raw.evidence] + raw.ids.tolist()
        else:
            order = [int(r["track_id"]) for r in raw]
        return [t for t in order if t not in trans][:n]
