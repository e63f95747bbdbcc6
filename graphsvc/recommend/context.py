"""What a graph backend hands the recommender about one source track: the evidence around it.

Candidate generation is split in two so both backends give the same recommendations: each backend
gathers a :class:`Context` (plain data, every list cut by the same :class:`Caps` in the same order) and
the facts of the candidate tracks; everything after that (features, filters, scores, explanations) is
the shared Python of this package. ``tests/test_graph_store.py`` checks that the embedded store and
Neo4j produce equal contexts and recommendations.

Orders that decide what a cap keeps are total, so nothing depends on a backend's iteration order:
transitions by (count desc, id asc), sets by (date desc, nulls last, id desc), an artist's or label's
tracks by (plays desc, id asc), collaborators by (weight desc, id asc), supported artists by
(support desc, id asc).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Caps:
    """Bounds of candidate generation; every list a backend returns is cut by one of these."""

    transitions: int = 200  # transitions kept per direction
    via: int = 30  # two-hop: the source's top successors walked through ...
    per_via: int = 30  # ... and each one's top successors
    sets: int = 100  # the source's most recent sets scanned for same-set neighbours and co-occurrence
    near: int = 5  # same-set neighbours: positions at most this far from the source
    artist_tracks: int = 25  # candidates per artist of the source (plays desc)
    label_tracks: int = 50  # candidates from the source's label
    collaborators: int = 10  # collaborators per artist of the source
    collaborator_tracks: int = 3  # candidates per collaborator
    djs: int = 20  # DJs of the source's sets whose support is read
    support_artists: int = 100  # supported artists kept (for the feature)
    support_candidates: int = 10  # ... of which this many give candidates
    support_tracks: int = 5  # candidates per supported artist
    repertoire: int = 300  # tracks of the DJs' repertoire kept (for the feature)
    repertoire_djs: int = 5  # DJs whose most played tracks give candidates ...
    repertoire_tracks: int = 10  # ... this many each
    window: int = 60  # harmonic window candidates (key + BPM), when the source's key and BPM are known
    popular: int = 50  # popular tracks of the source's scene genre (cold start: only when others are few)


CAPS = Caps()


@dataclass
class Context:
    """The evidence around a source track (see the module docstring for the orders behind each cap)."""

    source: dict[str, Any]  # the source's facts (see ``facts``)
    # TRANSITIONS_TO out of / into the source: candidate -> (count, djs, last_seen)
    out: dict[int, tuple[int, int, date | None]] = field(default_factory=dict)
    inn: dict[int, tuple[int, int, date | None]] = field(default_factory=dict)
    two_hop: dict[int, int] = field(default_factory=dict)  # c -> sum over x of n(a->x) * n(x->c)
    # the scanned sets: per candidate the position offsets from the source (c pos - a pos), within +-near
    offsets: dict[int, tuple[int, ...]] = field(default_factory=dict)
    shared_sets: dict[int, int] = field(default_factory=dict)  # c -> scanned sets that also contain c
    sets_scanned: int = 0
    collaborators: dict[int, int] = field(default_factory=dict)  # artist -> strongest weight with a source artist
    support: dict[int, float] = field(default_factory=dict)  # artist -> support by the source's DJs
    repertoire: dict[int, float] = field(default_factory=dict)  # track -> how much the source's DJs play it
    # candidate lists of the sources that reach by relation, not by evidence on the pair
    artist_top: list[int] = field(default_factory=list)
    label_top: list[int] = field(default_factory=list)
    collaborator_top: list[int] = field(default_factory=list)
    support_top: list[int] = field(default_factory=list)
    repertoire_top: list[int] = field(default_factory=list)
    window: list[int] = field(default_factory=list)
    popular: list[int] = field(default_factory=list)
    # what the recommender derived from the request-independent evidence (featurized candidates, their
    # evidence): never part of the context's value, and not copied by dataclasses.replace (a copy with
    # other evidence must not inherit it); ``gather`` hands it on explicitly to the copy it makes of a
    # kept context, whose request-independent evidence is the same
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def candidate_ids(self) -> list[int]:
        """Every reached candidate once, the source excluded, in a fixed order (ascending id)."""
        return sorted(self._candidates(with_window=True))

    def static_candidate_ids(self) -> list[int]:
        """:meth:`candidate_ids` but the harmonic window's (those depend on the request's constraints)."""
        return sorted(self._candidates(with_window=False))

    def reaches_fewer_than(self, n: int) -> bool:
        """Whether fewer than ``n`` candidates were reached, window included (a hub reaches thousands:
        one of its evidence dicts alone tells, without their union)."""
        if any(len(d) > n for d in (self.out, self.inn, self.two_hop, self.offsets, self.shared_sets)):
            return False  # (> n: a dict may hold the source itself, which is no candidate)
        return len(self._candidates(with_window=True)) < n

    def _candidates(self, with_window: bool) -> set[int]:
        ids: set[int] = set(self.out) | set(self.inn) | set(self.two_hop) | set(self.offsets) | set(self.shared_sets)
        for lst in (self.artist_top, self.label_top, self.collaborator_top, self.support_top, self.repertoire_top,
                    self.popular):
            ids.update(lst)
        if with_window:
            ids.update(self.window)
        ids.discard(self.source["id"])
        return ids

    def reached_by(self, c: int, with_window: bool = True) -> list[str]:
        """The candidate sources that reached ``c`` (for explanations and diagnostics); without the
        harmonic window, :meth:`with_window` adds it back in its place."""
        out = []
        for name, coll in (("followed", self.out), ("preceded", self.inn), ("two_hop", self.two_hop),
                           ("same_set", self.offsets), ("co_sets", self.shared_sets),
                           ("artist", self.artist_top), ("label", self.label_top),
                           ("collaborator", self.collaborator_top), ("dj_support", self.support_top),
                           ("dj_repertoire", self.repertoire_top), ("popular", self.popular)):
            if c in coll:
                out.append(name)
        return self.with_window(out, with_window and c in self.window)

    @staticmethod
    def with_window(reached: Sequence[str], in_window: bool) -> list[str]:
        """``reached`` (without the window) with "harmonic_window" in its place when ``in_window``."""
        if not in_window:
            return list(reached)
        if reached and reached[-1] == "popular":
            return [*reached[:-1], "harmonic_window", "popular"]
        return [*reached, "harmonic_window"]


# the facts the recommender reads of every candidate (both backends return exactly these keys)
FACT_KEYS: tuple[str, ...] = (
    "id", "title", "version", "artists", "bpm", "camelot", "energy", "genres", "scene_genres", "plays", "sets",
    "djs", "plays_recent", "trend", "label", "label_id", "year", "artist_ids", "primary_ids",
)


def top(items: dict[int, Any] | list[tuple[int, Any]], n: int, key) -> list[int]:
    """The ``n`` ids of ``items`` (id -> value, or (id, value) pairs) first by ``key(id, value)`` ascending."""
    pairs = items.items() if isinstance(items, dict) else items
    return [i for i, _ in sorted(pairs, key=lambda p: key(p[0], p[1]))[:n]]
