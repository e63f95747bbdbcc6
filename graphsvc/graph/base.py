"""The graph interface both backends implement, and the bounded request types and results they share.

Every depth, limit and path length a request can ask for is bounded here, once, so the API, the
embedded store and the Neo4j backend all refuse the same things with the same message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from graphsvc.errors import InvalidValue

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np

    from graphsvc.graph.paths import PathList  # (paths imports Candidate from here)

# bounds: (min, max) for everything a request can ask for
BOUNDS: dict[str, tuple[float, float]] = {
    "depth": (1, 3),
    "limit": (1, 500),
    "k": (1, 10),
    "max_hops": (1, 8),  # collaboration path length
    "max_len": (2, 12),  # harmonic path length in tracks
    "bpm_window_pct": (0.0, 20.0),
    "max_pitch_shift": (0, 2),  # semitones
    "min_weight": (1, 10_000),
    "set_length": (2, 60),
}


def bounded(name: str, value: float) -> float:
    lo, hi = BOUNDS[name]
    if value is None or not (lo <= value <= hi):
        raise InvalidValue(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")
    return value


@dataclass(frozen=True)
class Node:
    id: str  # "<Label>:<key>", e.g. "Artist:123", "Key:8A"
    label: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    type: str
    properties: dict[str, Any]


@dataclass
class Subgraph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False  # the node limit cut the result


#: Neighbourhood edges come in one order on every backend: by the rank of the node that owns them (its
#: position in ``Subgraph.nodes``), then by type in this order, then position (BY, CONTAINS), then the rank
#: of the other node, then role (BY).
NEIGHBOURHOOD_EDGE_TYPES = ("BY", "TRANSITIONS_TO", "IN_KEY", "ON_LABEL", "COLLABORATED_WITH", "SUPPORTS", "PLAYED",
                            "CONTAINS")
_EDGE_TYPE_RANK = {t: i for i, t in enumerate(NEIGHBOURHOOD_EDGE_TYPES)}


def sort_neighbourhood_edges(nodes: list[Node], edges: list[Edge]) -> list[Edge]:
    """``edges`` in the neighbourhood order above (both ends must be among ``nodes``)."""
    rank = {n.id: i for i, n in enumerate(nodes)}
    return sorted(edges, key=lambda e: (rank[e.source], _EDGE_TYPE_RANK.get(e.type, len(_EDGE_TYPE_RANK)),
                                        e.properties.get("position") or 0, rank[e.target],
                                        e.properties.get("role") or ""))


@dataclass(frozen=True)
class Candidate:
    """A next-track candidate for a given track, with what makes it fit."""

    track_id: int
    title: str
    artists: str
    bpm: float | None
    camelot: str | None
    energy: float | None
    move: str | None  # graphsvc.harmonic.Move value, None when a key is unknown
    bpm_pct: float | None  # BPM distance in percent (after half/double time)
    pitch_shift: int  # semitones applied to reach harmonic compatibility (0 without pitch shift)
    transitions: int  # times real DJs played this pair in this order
    score: float
    breakdown: dict[str, Any]


@dataclass(frozen=True)
class LoadStats:
    nodes: dict[str, int]
    relationships: dict[str, int]
    seconds: float


@runtime_checkable
class GraphStore(Protocol):
    """The operations the API and the set builder need. Both backends give identical answers on the
    same gold data (ties broken by id, ascending)."""

    backend: str

    def close(self) -> None: ...
    def ping(self) -> bool: ...
    def counts(self) -> dict[str, int]: ...  # "Track", ..., "BY", ... -> count
    def ids(self, kind: str) -> set: ...  # node label or relationship type -> ids (rel: (start, end, extra))

    def search_tracks(self, q: str, limit: int = 20) -> list[dict[str, Any]]: ...
    def search_artists(self, q: str, limit: int = 20) -> list[dict[str, Any]]: ...
    def get_track(self, track_id: int) -> dict[str, Any] | None: ...
    def get_artist(self, artist_id: int) -> dict[str, Any] | None: ...

    def collaboration_network(self, artist_id: int, depth: int = 1, min_weight: int = 1,
                              limit: int = 100) -> Subgraph: ...
    def collaboration_paths(self, a: int, b: int, k: int = 3, max_hops: int = 6) -> list[list[dict[str, Any]]]: ...
    def next_tracks(
        self,
        track_id: int,
        *,
        strictness: str = "normal",
        bpm_window_pct: float = 6.0,
        half_double: bool = True,
        max_pitch_shift: int = 0,
        limit: int = 20,
    ) -> list[Candidate]: ...
    def harmonic_paths(
        self,
        a: int,
        b: int,
        *,
        k: int = 3,
        max_len: int = 6,
        strictness: str = "normal",
        bpm_window_pct: float = 6.0,
        pool: int | None = None,  # up to this many paths, for a caller that orders them (graph/paths.py)
    ) -> PathList: ...
    def neighbourhood(self, kind: str, node_id: int, depth: int = 1, limit: int = 100) -> Subgraph: ...
    # the next-track recommender's evidence (graphsvc.recommend.gather); None when the track does not exist
    def recommendation_context(self, track_id: int, constraints: Any, caps: Any) -> Any: ...
    def track_facts(self, ids: Any) -> dict[int, dict[str, Any]]: ...
    # (the existing tracks of ids, in order; their BPMs, NaN unknown; their keys as indexes into
    # harmonic.ALL_KEYS, -1 unknown): what a key filter reads first (recommend.features.prefilter)
    def tempo_key_columns(self, ids: list[int]) -> tuple[list[int], np.ndarray, np.ndarray]: ...
    # (the existing tracks of ids, in order; their facts as recommend.features.FactColumns, what
    # recommend.features.static_block reads; their track_facts by id, possibly made only when read)
    def fact_columns(self, ids: list[int]) -> tuple[list[int], Any, Mapping[int, dict[str, Any]]]: ...
    # top / trending track and artist ids (graphsvc.charts)
    def charts(self, genre: str | None = None, window: str = "all", limit: int = 20) -> dict[str, Any]: ...
    def artist_analytics(self, artist_id: int) -> dict[str, Any] | None: ...
    def set_analytics(self, set_id: int) -> dict[str, Any] | None: ...
