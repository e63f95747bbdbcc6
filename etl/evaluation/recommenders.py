"""The baselines of ``etl eval transitions`` (the recommender it measures is the served one,
``graphsvc.recommend``): random, popularity, co-occurrence, Markov, Markov + co-occurrence and same-artist
greatest hits.

All of them read a :class:`TrainView`: the structures of the embedded graph store
(:class:`graphsvc.graph.embedded.EmbeddedStore`) of the training data (a store of an earlier point in time
comes from ``graphsvc.recommend.history.as_of``).

A recommender maps a source track ``a`` to ``{candidate: score}`` over the candidates it can reach (score > 0,
``a`` itself excluded); every other known track gets the popularity fallback when ranked
(:func:`etl.evaluation.metrics.rank_target`). The random baseline draws the target's rank directly.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from graphsvc import harmonic
from graphsvc.graph.embedded import EmbeddedStore

__all__ = [
    "TrainView", "RandomRecommender", "PopularityRecommender", "CooccurrenceRecommender", "MarkovRecommender",
    "MarkovCooccurrenceRecommender", "SameArtistGreatestHitsRecommender",
]


@dataclass
class TrainView:
    """What the recommenders know: tracks (with plays), sets, transitions, credits, DJs and support."""

    plays: dict[int, int]  # known track -> set entries in the training sets
    track_sets: dict[int, list[tuple[int, int]]]  # track -> [(set, position)]
    set_sizes: dict[int, int]  # set -> identified entries
    trans_out: dict[int, dict[int, int]]  # a -> {b: times b followed a}
    track_artists: dict[int, tuple[int, ...]]  # track -> artists in any role
    track_primaries: dict[int, tuple[int, ...]]
    artist_tracks: dict[int, list[int]]  # artist -> known tracks (any role)
    collab: dict[int, dict[int, int]]  # artist -> {collaborator: shared tracks}
    set_djs: dict[int, list[int]]
    sup_out: dict[int, dict[int, int]]  # dj -> {primary artist: entries played}
    keys: dict[int, harmonic.Key] = field(default_factory=dict)  # track -> key, where known

    @property
    def known(self) -> int:
        return len(self.plays)

    @classmethod
    def from_store(cls, store: EmbeddedStore) -> TrainView:
        sets = store.set_entries
        plays = {t: tr.plays for t, tr in store.tracks.items() if tr.plays > 0}
        trans_out = {a: {b: v[0] for b, v in d.items()} for a, d in store.trans_out.items() if d}
        sup_out = {dj: dict(d) for dj, d in store.sup_out.items() if d}
        track_sets: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for s, entries in sets.items():
            for pos, t in entries:
                track_sets[t].append((s, pos))
        track_artists: dict[int, tuple[int, ...]] = {}
        track_primaries: dict[int, tuple[int, ...]] = {}
        artist_tracks: dict[int, list[int]] = defaultdict(list)
        for t in plays:
            credits = store.by_track.get(t, ())
            track_artists[t] = tuple(sorted({a for a, _, _ in credits}))
            track_primaries[t] = tuple(sorted({a for a, role, _ in credits if role == "primary"}))
            for a in track_artists[t]:
                artist_tracks[a].append(t)
        for lst in artist_tracks.values():
            lst.sort()
        collab = {a: {b: attrs["weight"] for b, attrs in store.collab.adj[a].items()}
                  for a in artist_tracks if a in store.collab and store.collab.adj[a]}
        keys = {t: key for t in plays if (key := store.tracks[t].key) is not None}
        return cls(plays=plays, track_sets=dict(track_sets), set_sizes={s: len(e) for s, e in sets.items()},
                   trans_out=trans_out, track_artists=track_artists, track_primaries=track_primaries,
                   artist_tracks=dict(artist_tracks), collab=collab,
                   set_djs={s: list(store.played_set.get(s, ())) for s in sets}, sup_out=sup_out, keys=keys)


class RandomRecommender:
    """Ranks the target uniformly at random among the candidates (seeded): expected HR@k = k / candidates."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)

    def draw_rank(self, n_candidates: int) -> float:
        return float(self.rng.randint(1, n_candidates))


class PopularityRecommender:
    """Most played tracks in train first: no scores, everything is the popularity fallback."""

    name = "popularity"

    def __init__(self, view: TrainView) -> None:
        self.view = view

    def scores(self, a: int) -> dict[int, float]:
        return {}


class CooccurrenceRecommender:
    """Item-kNN: tracks sharing sets with ``a``, cosine over set membership |S_a & S_c| / sqrt(|S_a| |S_c|)."""

    name = "cooccurrence"

    def __init__(self, view: TrainView) -> None:
        self.view = view
        self._nsets = {t: len({s for s, _ in lst}) for t, lst in view.track_sets.items()}
        self.set_tracks: dict[int, set[int]] = defaultdict(set)
        for t, lst in view.track_sets.items():
            for s, _ in lst:
                self.set_tracks[s].add(t)

    def scores(self, a: int) -> dict[int, float]:
        shared: dict[int, int] = defaultdict(int)
        for s in {s for s, _ in self.view.track_sets.get(a, ())}:
            for c in self.set_tracks[s]:
                if c != a:
                    shared[c] += 1
        na = self._nsets.get(a, 0)
        nsets = self._nsets
        return {c: n / math.sqrt(na * nsets[c]) for c, n in shared.items()}


class MarkovRecommender:
    """First-order Markov chain: how often each track followed ``a`` in the training sets."""

    name = "markov"

    def __init__(self, view: TrainView) -> None:
        self.view = view

    def scores(self, a: int) -> dict[int, float]:
        return {c: float(n) for c, n in self.view.trans_out.get(a, {}).items()}


class MarkovCooccurrenceRecommender:
    """10 x transitions a -> c + the number of training sets holding both a and c: the Markov chain, with
    set co-occurrence ranking everything it has not seen (the count beat the cosine on the validation split
    of session 4, so the stronger one is the baseline)."""

    name = "markov+cooccurrence"

    def __init__(self, view: TrainView, cooc: CooccurrenceRecommender | None = None) -> None:
        self.view = view
        self.cooc = cooc or CooccurrenceRecommender(view)

    def scores(self, a: int) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for s in {s for s, _ in self.view.track_sets.get(a, ())}:
            for c in self.cooc.set_tracks[s]:
                if c != a:
                    out[c] += 1.0
        for c, n in self.view.trans_out.get(a, {}).items():
            out[c] += 10.0 * n
        return dict(out)


class SameArtistGreatestHitsRecommender:
    """Same artist, greatest hits (Bonnin & Jannach 2013): the tracks of the source's artists (any role),
    most played first."""

    name = "same-artist-greatest-hits"

    def __init__(self, view: TrainView) -> None:
        self.view = view

    def scores(self, a: int) -> dict[int, float]:
        v = self.view
        return {c: float(v.plays[c]) for x in v.track_artists.get(a, ()) for c in v.artist_tracks.get(x, ())
                if c != a}
