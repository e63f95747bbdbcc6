"""Next-track recommenders evaluated by ``etl eval transitions``: three baselines and the graph recommender.

All of them read a :class:`TrainView`: the structures of the embedded graph store
(:class:`graphsvc.graph.embedded.EmbeddedStore`) for the sets of the training data. ``TrainView.from_store``
takes TRANSITIONS_TO, SUPPORTS, CONTAINS, PLAYED, BY, COLLABORATED_WITH and plays straight from the store;
with ``set_ids`` it keeps only those sets and recomputes the set-derived relationships (TRANSITIONS_TO,
SUPPORTS, plays) with the same definitions as ``etl/gold.py``, which is how a validation split is carved out
of the training data without building a second database.

A recommender maps a source track ``a`` to ``{candidate: score}`` over the candidates it can reach (score > 0,
``a`` itself excluded); every other known track gets the popularity fallback when ranked
(:func:`etl.evaluation.metrics.rank_target`). The random baseline draws the target's rank directly.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from graphsvc import harmonic
from graphsvc.graph.embedded import EmbeddedStore

__all__ = [
    "TrainView", "RandomRecommender", "PopularityRecommender", "CooccurrenceRecommender", "GraphRecommender",
    "FEATURES", "DEFAULT_WEIGHTS", "NEAR_WINDOW", "SUPPORT_ARTISTS_CAP",
]

NEAR_WINDOW = 4  # same-set neighbourhood: positions 2..4 apart (1 apart is a transition)
SUPPORT_ARTISTS_CAP = 200  # DJ support expands to the tracks of at most this many supported artists per query


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
    def from_store(cls, store: EmbeddedStore, set_ids: Collection[int] | None = None) -> TrainView:
        if set_ids is None:
            sets = store.set_entries
            plays = {t: tr.plays for t, tr in store.tracks.items() if tr.plays > 0}
            trans_out = {a: {b: v[0] for b, v in d.items()} for a, d in store.trans_out.items() if d}
            sup_out = {dj: dict(d) for dj, d in store.sup_out.items() if d}
        else:
            keep = set(set_ids)
            sets = {s: e for s, e in store.set_entries.items() if s in keep}
            plays, trans_out, sup_out = _set_derived(store, sets)
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
        keys = {t: store.tracks[t].key for t in plays if store.tracks[t].key is not None}
        return cls(plays=plays, track_sets=dict(track_sets), set_sizes={s: len(e) for s, e in sets.items()},
                   trans_out=trans_out, track_artists=track_artists, track_primaries=track_primaries,
                   artist_tracks=dict(artist_tracks), collab=collab,
                   set_djs={s: list(store.played_set.get(s, ())) for s in sets}, sup_out=sup_out, keys=keys)


def _set_derived(store: EmbeddedStore, sets: Mapping[int, list[tuple[int, int]]]
                 ) -> tuple[dict[int, int], dict[int, dict[int, int]], dict[int, dict[int, int]]]:
    """plays, TRANSITIONS_TO counts and SUPPORTS counts of a subset of sets (the definitions of etl/gold.py)."""
    plays: dict[int, int] = defaultdict(int)
    trans: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    sup: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for s, entries in sets.items():
        djs = store.played_set.get(s, ())
        for i, (pos, t) in enumerate(entries):
            plays[t] += 1
            if i + 1 < len(entries):
                npos, nt = entries[i + 1]
                if npos == pos + 1 and nt != t:
                    trans[t][nt] += 1
            for dj in djs:
                for a, role, _ in store.by_track.get(t, ()):
                    if role == "primary" and a != dj:
                        sup[dj][a] += 1
    return (dict(plays), {a: dict(d) for a, d in trans.items()}, {d: dict(m) for d, m in sup.items()})


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


FEATURES: tuple[str, ...] = (
    "transition",   # log1p(times a -> c was played)            TRANSITIONS_TO
    "reverse",      # log1p(times c -> a was played)            TRANSITIONS_TO, other direction
    "two_hop",      # log1p(sum_x n(a->x) * n(x->c))            TRANSITIONS_TO, 2 hops
    "near",         # sum over shared sets of 1/|pos_c - pos_a|, 2..NEAR_WINDOW apart   CONTAINS
    "co_set",       # cosine over set membership (the item-kNN score)                   CONTAINS
    "same_artist",  # 1 when c shares an artist (any role) with a                      BY
    "collaborator", # 1 when an artist of c collaborated with an artist of a           BY + COLLABORATED_WITH
    "dj_support",   # how much the DJs who played a support c's primary artists        PLAYED + SUPPORTS
    "harmonic",     # move score of key(a) -> key(c) (graphsvc.harmonic.MOVES), 0 when a key is unknown
    "popularity",   # log1p(plays of c) / log1p(max plays): a weak prior among reached candidates
)
# Only these features make a candidate reachable; harmonic and popularity only re-order reached ones
# (otherwise every track with a key, or every track at all, would be "reached").
REACHING = frozenset(FEATURES) - {"harmonic", "popularity"}

# Hand-set starting point of the tuning (etl/evaluation/transitions.py tunes them on a split of TRAIN).
DEFAULT_WEIGHTS: dict[str, float] = {
    "transition": 4.0, "reverse": 1.0, "two_hop": 0.5, "near": 0.5, "co_set": 1.0, "same_artist": 0.5,
    "collaborator": 0.25, "dj_support": 0.25, "harmonic": 0.25, "popularity": 0.25,
}


class GraphRecommender:
    """Weighted sum of graph evidence (see FEATURES) over the candidates that any reaching feature reaches."""

    name = "graph"

    def __init__(self, view: TrainView, weights: Mapping[str, float] | None = None) -> None:
        self.view = view
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown graph features {sorted(unknown)}; features are {', '.join(FEATURES)}")
        self._cooc = CooccurrenceRecommender(view)
        self._log_max = math.log1p(max(view.plays.values(), default=1))
        self._set_pos: dict[int, dict[int, list[int]]] = {}  # built lazily: set -> track -> positions
        self._tin: dict[int, dict[int, int]] | None = None  # TRANSITIONS_TO in-index, built lazily

    def _positions(self, s: int) -> dict[int, list[int]]:
        got = self._set_pos.get(s)
        if got is None:
            got = defaultdict(list)
            for t in self._cooc.set_tracks[s]:
                for s2, pos in self.view.track_sets[t]:
                    if s2 == s:
                        got[t].append(pos)
            self._set_pos[s] = got
        return got

    def features(self, a: int) -> dict[int, list[float]]:
        """Candidate -> feature vector (FEATURES order) for every candidate a reaching feature reaches."""
        v = self.view
        n = len(FEATURES)
        out: dict[int, list[float]] = {}

        def vec(c: int) -> list[float]:
            f = out.get(c)
            if f is None:
                f = out[c] = [0.0] * n
            return f

        known = v.plays
        trans_a = v.trans_out.get(a, {})
        for c, cnt in trans_a.items():
            if c in known:
                vec(c)[0] = math.log1p(cnt)
        for c, cnt in self._trans_in().get(a, {}).items():
            if c in known and c != a:
                vec(c)[1] = math.log1p(cnt)
        two: dict[int, int] = defaultdict(int)
        for x, n1 in trans_a.items():
            for c, n2 in v.trans_out.get(x, {}).items():
                if c != a and c in known:
                    two[c] += n1 * n2
        for c, val in two.items():
            vec(c)[2] = math.log1p(val)
        for s, pos_a in v.track_sets.get(a, ()):
            for c, positions in self._positions(s).items():
                if c == a:
                    continue
                for pos_c in positions:
                    d = abs(pos_c - pos_a)
                    if 2 <= d <= NEAR_WINDOW:
                        vec(c)[3] += 1.0 / d
        for c, val in self._cooc.scores(a).items():
            vec(c)[4] = val
        artists_a = v.track_artists.get(a, ())
        for x in artists_a:
            for c in v.artist_tracks.get(x, ()):
                if c != a:
                    vec(c)[5] = 1.0
        for x in artists_a:
            for y in v.collab.get(x, {}):
                for c in v.artist_tracks.get(y, ()):
                    if c != a:
                        vec(c)[6] = 1.0
        djs = {d for s, _ in v.track_sets.get(a, ()) for d in v.set_djs.get(s, ())}
        if djs:
            support: dict[int, float] = defaultdict(float)
            for d in djs:
                for y, cnt in v.sup_out.get(d, {}).items():
                    support[y] += math.log1p(cnt) / len(djs)
            top = heapq.nlargest(SUPPORT_ARTISTS_CAP, support.items(), key=lambda p: (p[1], -p[0]))
            for y, val in top:
                for c in v.artist_tracks.get(y, ()):
                    if c != a and y in v.track_primaries.get(c, ()):
                        f = vec(c)
                        f[7] = max(f[7], val)
        key_a = v.keys.get(a)
        log_max = self._log_max
        for c, f in out.items():
            if key_a is not None:
                key_c = v.keys.get(c)
                if key_c is not None:
                    f[8] = harmonic.MOVES[harmonic.classify_move(key_a, key_c)]
            f[9] = math.log1p(known[c]) / log_max
        return out

    def _trans_in(self) -> dict[int, dict[int, int]]:
        tin = self._tin
        if tin is None:
            tin = defaultdict(dict)
            for x, d in self.view.trans_out.items():
                for y, cnt in d.items():
                    tin[y][x] = cnt
            self._tin = tin
        return tin

    def weight_vector(self, weights: Mapping[str, float] | None = None) -> list[float]:
        w = self.weights if weights is None else weights
        return [float(w.get(name, 0.0)) for name in FEATURES]

    @staticmethod
    def reaching_mask(wv: list[float]) -> list[bool]:
        return [name in REACHING and wv[i] > 0 for i, name in enumerate(FEATURES)]

    @staticmethod
    def combine(feats: Mapping[int, list[float]], wv: list[float]) -> dict[int, float]:
        """Scores of the reached candidates: sum of weight * feature, for candidates with a non-zero
        reaching feature under these weights (others are left to the popularity fallback)."""
        mask = GraphRecommender.reaching_mask(wv)
        idx = [i for i, w in enumerate(wv) if w]
        reach = [i for i, m in enumerate(mask) if m]
        out: dict[int, float] = {}
        for c, f in feats.items():
            if any(f[i] for i in reach):
                out[c] = sum(wv[i] * f[i] for i in idx)
        return out

    def scores(self, a: int) -> dict[int, float]:
        return self.combine(self.features(a), self.weight_vector())
