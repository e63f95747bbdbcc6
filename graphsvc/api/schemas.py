"""Request and response models of the API (they make the OpenAPI document, examples included)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from graphsvc.api.examples import EXAMPLES
from graphsvc.api.ids import Id
from graphsvc.graph.base import BOUNDS
from graphsvc.harmonic import Strictness

#: An id as Postgres and Neo4j store it (BIGINT / INTEGER, 64-bit signed), a decimal string in JSON
#: (``graphsvc.api.ids``): larger numbers are a 422, not a driver error.
Int64 = Id


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (\\u0000)")
    return value


#: Text that is stored (Postgres text and jsonb cannot hold NUL).
Text = Annotated[str, AfterValidator(_no_nul)]


class ErrorOut(BaseModel):
    detail: str = Field(examples=["track 42 does not exist"], description="What went wrong, in plain words")
    errors: list[dict[str, Any]] | None = Field(default=None, description="Per-field problems (422 only)")


class GraphFormat(StrEnum):
    json = "json"
    d3 = "d3"
    cytoscape = "cytoscape"
    graphology = "graphology"


# --- tracks and artists ---------------------------------------------------------------------------
class TrackOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("TrackOut")})

    id: Id
    title: str
    version: str | None = None
    artists: str | None = None
    bpm: float | None = None
    key_pc: int | None = None
    key_mode: int | None = None
    camelot: str | None = None
    energy: float | None = None
    genres: list[str] = []
    plays: int | None = None
    sets: int | None = None
    quality: float | None = None
    label: str | None = None
    year: int | None = None
    duration_s: float | None = None
    match: Literal["exact", "prefix", "contains"] | None = Field(default=None, description="Search hits only")


class ArtistOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("ArtistOut")})

    id: Id
    name: str
    name_key: str | None = None
    tracks: int | None = None
    sets: int | None = None
    match: Literal["exact", "prefix", "contains"] | None = None


class AliasOut(BaseModel):
    spelling: str = Field(description="The name as written in the sources (whitespace collapsed)")
    uses: int = Field(description="Credits and set DJ lines written this way")
    strategies: list[str] = Field(description="How the spelling was matched to the artist: canonical (the first "
                                              "spelling of a new artist), normalized (same name key), "
                                              "fuzzy:ratio>=94")
    score: float = Field(description="Match score (100 for canonical and normalized)")


class ArtistAliasesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("ArtistAliasesOut")})

    artist_id: Id
    name: str = Field(description="The canonical name: the most used spelling")
    name_key: str
    aliases: list[AliasOut] = Field(description="Most used first")


class TrackSearchOut(BaseModel):
    query: str
    results: list[TrackOut]


class ArtistSearchOut(BaseModel):
    query: str
    results: list[ArtistOut]


# --- graph payloads -------------------------------------------------------------------------------
class GraphNodeOut(BaseModel):
    id: str = Field(description="`Label:id`, e.g. `Artist:<artist id>`; edges name nodes by it",
                    examples=[f"Artist:{EXAMPLES.artist_id}"])
    kind: str = Field(description="Node label: Track, Artist, Set, Key or Label", examples=["Artist"])
    label: str = Field(description="Display text")
    size: int = Field(description="Size hint: the node's degree inside this subgraph", examples=[4])
    community: int = Field(description="Louvain community (fixed seed), for colouring", examples=[0])
    properties: dict[str, Any]


class GraphEdgeOut(BaseModel):
    id: str = Field(examples=["e0"])
    source: str
    target: str
    type: str = Field(examples=["COLLABORATED_WITH"])
    properties: dict[str, Any]


class GraphOut(BaseModel):
    """The default (``format=json``) graph payload."""

    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("GraphOut")})

    nodes: list[GraphNodeOut]
    edges: list[GraphEdgeOut]
    truncated: bool = Field(description="The node limit cut the result")
    edges_truncated: bool = Field(default=False, description="More than 2,000 edges joined the nodes: the "
                                                              "strongest 2,000 (weight or count) were kept")
    communities: int


class D3Graph(BaseModel):
    """``format=d3``: d3-force input."""

    nodes: list[dict[str, Any]] = Field(description="{id, label, kind, size, community, ...properties}")
    links: list[dict[str, Any]] = Field(description="{source, target, type, ...properties}")
    truncated: bool
    edges_truncated: bool = False


class CytoscapeGraph(BaseModel):
    """``format=cytoscape``: Cytoscape.js elements."""

    elements: dict[str, list[dict[str, Any]]] = Field(
        description="{nodes: [{data: {id, label, ...}}], edges: [{data: {id, source, target, ...}}]}")
    truncated: bool
    edges_truncated: bool = False


class GraphologyGraph(BaseModel):
    """``format=graphology``: graphology's serialized graph (``Graph.import``)."""

    attributes: dict[str, Any]
    options: dict[str, Any]
    nodes: list[dict[str, Any]] = Field(description="[{key, attributes}]")
    edges: list[dict[str, Any]] = Field(description="[{key, source, target, attributes}]")


AnyGraph = GraphOut | D3Graph | CytoscapeGraph | GraphologyGraph


# --- collaboration paths --------------------------------------------------------------------------
class ArtistRef(BaseModel):
    id: Id
    name: str


class PathStep(BaseModel):
    artist: ArtistRef
    weight_to_next: int | None = Field(description="Shared tracks with the next artist; null on the last step")


class CollabPath(BaseModel):
    hops: int
    total_weight: int
    steps: list[PathStep]


class CollabPathsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("CollabPathsOut")})

    from_id: Id
    to_id: Id
    paths: list[CollabPath]


# --- recommendations and harmonic paths -----------------------------------------------------------
class CandidateOut(BaseModel):
    track_id: Id
    title: str
    artists: str | None
    bpm: float | None
    camelot: str | None
    energy: float | None
    move: str | None = Field(description="Camelot move: same_key, adjacent, relative, two_step, diagonal, "
                                         "semitone, clash; null when a key is unknown")
    bpm_pct: float | None = Field(description="BPM distance in percent (half/double time allowed)")
    pitch_shift: int = Field(description="Semitones the track is pitched to reach the source tempo")
    transitions: int = Field(description="Times DJs played this pair in this order")
    score: float
    breakdown: dict[str, Any] = Field(description="Why: per-axis scores (key, bpm, energy, genre, evidence), "
                                                  "weights and missing data")


class RecTrackOut(BaseModel):
    id: Id
    title: str
    version: str | None = None
    artists: str | None = None
    bpm: float | None = None
    camelot: str | None = None
    energy: float | None = None
    genres: list[str] = []
    scene_genres: list[str] = Field(default=[], description="Genres of the sets that played the track")
    plays: int | None = None
    djs: int | None = Field(default=None, description="Distinct DJs who played it")
    plays_recent: int | None = Field(default=None, description="Plays in the last 365 days of the data")
    trend: float | None = Field(default=None, description="ln((recent plays + 1) / (expected + 1)); > 0 rising")
    label: str | None = None
    year: int | None = None


class PairEvidenceOut(BaseModel):
    times: int = Field(description="Times DJs played the pair in this order")
    djs: int = Field(description="Distinct DJs who did")
    last_seen: str | None = Field(description="Date of the latest set with the pair")


class SameSetsOut(BaseModel):
    sets: int = Field(description="Sets of the source that also contain the track")
    sets_scanned: int = Field(description="The source's sets looked at (its most recent ones)")
    positions_after: list[int] = Field(description="How many tracks after the source it came (up to 5)")
    positions_before: list[int]


class KeyEvidenceOut(BaseModel):
    status: Literal["known", "unknown"]
    from_: str | None = Field(alias="from", default=None)
    to: str | None = None
    move: str | None = Field(default=None, description="same_key, adjacent, relative, two_step, diagonal, "
                                                       "semitone, clash; null when a key is unknown")


class BpmEvidenceOut(BaseModel):
    status: Literal["known", "unknown"]
    from_: float | None = Field(alias="from", default=None)
    to: float | None = None
    change_pct: float | None = Field(default=None, description="Signed tempo change, % of the source "
                                                               "(half/double time when closer)")
    pitch_shift: int = Field(default=0, description="Semitones the track moves when pitched to the source tempo")


class EvidenceOut(BaseModel):
    followed: PairEvidenceOut | None = Field(description="DJs played it right after the source")
    preceded: PairEvidenceOut | None = Field(description="DJs played it right before the source")
    via_tracks: int | None = Field(description="Sum over x of (source -> x) * (x -> track) transitions")
    same_sets: SameSetsOut | None
    same_artist: bool
    same_label: str | None
    collaboration: int | None = Field(description="Shared tracks of its artists with the source's artists")
    dj_support: float | None = Field(description="How much the source's DJs play its artists")
    key: KeyEvidenceOut
    bpm: BpmEvidenceOut
    energy_delta: float | None
    shared_genres: list[str] | None
    popularity: dict[str, Any]


class RecommendationOut(BaseModel):
    rank: int
    track: RecTrackOut
    score: float = Field(description="The model's chance that a DJ plays this track next, among the candidates "
                                     "that passed the constraints (they sum to 1)")
    utility: float = Field(description="The model's utility: the sum of `contributions`")
    explanation: str = Field(description="Why, in one sentence")
    evidence: EvidenceOut
    contributions: dict[str, float] = Field(description="Per feature: weight x value (graphsvc.recommend.features)")
    reached_by: list[str] = Field(description="Which candidate sources found it (followed, same_set, artist, ...)")
    flags: list[str] = Field(description="'key unknown' / 'bpm unknown': the constraint could not be checked")


class RecommendationsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("RecommendationsOut")})

    source: RecTrackOut
    parameters: dict[str, Any]
    ranker: Literal["fitted", "prior"] = Field(description="fitted: weights fitted on this graph's history")
    candidates_considered: int
    candidates_passed: int
    dropped: dict[str, int] = Field(description="Candidates the constraints removed, by reason (key, bpm)")
    warnings: list[str] = Field(description="What limited the answer, in plain words")
    recommendations: list[RecommendationOut]


class ChartTrackOut(RecTrackOut):
    """A chart entry: the track's popularity figures (RecTrackOut) with its rank in the chart."""

    rank: int
    djs_recent: int | None = Field(default=None, description="Distinct DJs who played it in the recent window")


class ChartArtistOut(BaseModel):
    rank: int
    id: Id
    name: str
    plays: int | None = Field(default=None, description="Set entries of tracks it is a primary artist of")
    djs: int | None = None
    plays_recent: int | None = None
    trend: float | None = None
    tracks: int | None = None
    sets: int | None = Field(default=None, description="Sets it played as a DJ")


class ChartsOut(BaseModel):
    genre: str | None
    window: Literal["all", "recent"]
    as_of: str | None = Field(description="Date of the latest set: the end of the recent window")
    window_days: int
    trending_min_recent_plays: dict[str, int]
    top_tracks: list[ChartTrackOut]
    trending_tracks: list[ChartTrackOut]
    top_artists: list[ChartArtistOut]
    trending_artists: list[ChartArtistOut]


class PathTrackOut(CandidateOut):
    explanation: str | None = Field(default=None, description="The recommender's sentence for the hop into "
                                                              "this track (null for the start track)")


class HarmonicPath(BaseModel):
    hops: int
    log_likelihood: float = Field(description="Sum of the log hop scores: how likely the recommender finds the "
                                              "whole path; paths of as many hops come most likely first")
    total_score: float = Field(description="Sum of the hop scores (each the probability the recommender gives the "
                                           "track after the one before, as the score of /recommendations)")
    tracks: list[PathTrackOut] = Field(description="Start track first; each later entry scored as a hop from the "
                                                   "one before it (breakdown: utility, top_utility, log_p, evidence, "
                                                   "contributions, reached_by, rule3_score)")


class HarmonicPathsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("HarmonicPathsOut")})

    from_id: Id
    to_id: Id
    parameters: dict[str, Any]
    paths: list[HarmonicPath]
    budget_exhausted: bool = Field(description="The search budget ran out: longer or lower-ranked paths may be "
                                               "missing")
    diagnosis: str | None = Field(default=None, description="Why there is no path (when `paths` is empty), in "
                                                            "plain words: an end without key or BPM, more hops "
                                                            "needed than max_len allows, no track can follow the "
                                                            "start, the search budget, or no chain in the graph")
    warnings: list[str] = Field(default=[], description="What limited a non-empty answer (fewer paths than k)")


# --- set builder ----------------------------------------------------------------------------------
EnergyTemplate = Literal["warm-up", "build", "peak", "release"]


class SetRequest(BaseModel):
    """Constraints of the set builder (``graphsvc.setbuilder.build_set``). Every hop must mix: both keys and
    BPMs known, the key move allowed by ``strictness``, the BPM step within ``max_bpm_step_pct``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": EXAMPLES.request("SetRequest")})

    start_track_id: Int64
    end_track_id: Int64 | None = Field(default=None, description="Track the set must end on (at `length`)")
    waypoints: list[Int64] = Field(default=[], max_length=20, description="Tracks the set must pass, in order")
    length: int = Field(default=12, ge=int(BOUNDS["set_length"][0]), le=int(BOUNDS["set_length"][1]),
                        description="Tracks in the set, start (and end) included")
    strictness: Strictness = "normal"
    max_bpm_step_pct: float = Field(default=6.0, ge=0, le=BOUNDS["bpm_window_pct"][1],
                                    description="Largest BPM change per hop, percent")
    max_total_bpm_drift_pct: float | None = Field(default=None, ge=0, le=100,
                                                  description="Largest distance of any track from the start tempo")
    energy_curve: EnergyTemplate | list[float] | None = Field(
        default=None, description="A template (warm-up, build, peak, release) or 1-60 target energies (0-1), "
                                  "spread over the set")
    artist_gap: int = Field(default=0, ge=0, le=60, description="No artist twice within this many consecutive "
                                                                "tracks (0: off)")
    exclude_track_ids: list[Int64] = Field(default=[], max_length=1000)
    target_duration_min: float | None = Field(default=None, ge=1, le=600)
    alternatives: int = Field(default=3, ge=1, le=10, description="Sets returned, best first")
    beam_width: int = Field(default=8, ge=1, le=64, description="Search breadth (more: slower, maybe better)")

    @model_validator(mode="after")
    def _curve(self) -> SetRequest:
        if isinstance(self.energy_curve, list) and (
                not 1 <= len(self.energy_curve) <= 60 or any(not 0.0 <= e <= 1.0 for e in self.energy_curve)):
            raise ValueError("a custom energy_curve must be 1 to 60 energies between 0 and 1")
        if self.artist_gap > self.length:
            raise ValueError(f"artist_gap must be between 0 and the set length {self.length}")
        return self


class SetTrackOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    position: int = Field(description="1 for the first track")
    id: Id
    title: str | None = None
    artists: str | None = None
    bpm: float | None = None
    camelot: str | None = None
    energy: float | None = None
    duration_s: float | None = None
    target_energy: float | None = Field(default=None, description="The energy curve's target at this position")


class SetTransitionOut(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: Id = Field(alias="from", description="Track id the hop leaves")
    to: Id = Field(description="Track id the hop reaches")
    key_move: str = Field(description="Camelot keys of the hop, e.g. '8A -> 9A'")
    move: str | None = Field(default=None, description="same_key, adjacent, relative, two_step, diagonal, semitone")
    bpm_pct: float | None = Field(default=None, description="BPM change of the hop, percent")
    energy_delta: float | None = None
    real_transitions: int = Field(default=0, description="Times DJs played this pair in this order")
    score: float = Field(description="How close the recommender puts this hop to its first choice after the same "
                                     "track: 1 - (top utility - utility) / 4, at least 0 (utilities are log-odds)")
    explanation: str | None = Field(default=None, description="Why, in one sentence (as a recommendation says it)")
    breakdown: dict[str, Any] = Field(default={}, description="The recommender's utility and top utility, its "
                                      "evidence, per-feature contributions and which signals reached the track")


class BuiltSetOut(BaseModel):
    tracks: list[SetTrackOut] = Field(description="In order: id, title, artists, bpm, camelot, energy, "
                                                  "target_energy, duration_s")
    transitions: list[SetTransitionOut] = Field(description="One per hop: key move, BPM step, score breakdown")
    total_score: float
    mean_hop_score: float
    energy_deviation: float | None
    duration_min: float


class SetResultOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("SetResultOut")})

    sets: list[BuiltSetOut]
    diagnosis: str | None = Field(description="Why no set exists (when `sets` is empty)")
    binding: str | None = Field(description="The constraint that binds (a request field, start_track or data)")
    warnings: list[str]
    expansions: int


# --- analytics ------------------------------------------------------------------------------------
class CollaboratorOut(BaseModel):
    id: Id
    name: str
    weight: int = Field(description="Tracks credited together")


class SupporterOut(BaseModel):
    id: Id
    name: str
    count: int = Field(description="Plays of its tracks in the DJ's sets")


class ArtistAnalyticsOut(BaseModel):
    id: Id
    name: str
    tracks: int | None
    sets_played: int | None
    avg_bpm: float | None
    top_key: str | None
    top_genres: list[dict[str, Any]]
    collaborators: list[CollaboratorOut] = Field(description="Most shared tracks first")
    supported_by: list[SupporterOut] = Field(description="DJs who play its tracks most, first")


class SetAnalyticsOut(BaseModel):
    id: Id
    title: str | None
    tracks: int
    harmonic_flow: float | None
    compatible_share: float | None
    energy_curve: list[float | None]
    bpm_curve: list[float | None]
    genres: dict[str, float]


# --- Camelot --------------------------------------------------------------------------------------
class MoveOut(BaseModel):
    camelot: str
    open_key: str
    name: str
    move: str
    score: float
    strictness: Strictness = Field(description="The strictest level that allows this move")


class KeyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": EXAMPLES.response("KeyOut")})

    camelot: str
    open_key: str
    name: str
    short_name: str
    pitch_class: int
    mode: int
    compatible: list[MoveOut]


# --- lineage --------------------------------------------------------------------------------------
class LineageOut(BaseModel):
    track_id: Id
    silver: dict[str, Any] = Field(description="The silver.track row, provenance per field included")
    credits: list[dict[str, Any]]
    identifiers: list[dict[str, Any]]
    set_entries: list[dict[str, Any]] = Field(description="Set entries naming the track, with their bronze record "
                                                          "(mix id, item index, raw title)")
    observations: list[dict[str, Any]] = Field(description="What sources said about the track, with their "
                                                           "bronze record")
    attempts: list[dict[str, Any]] = Field(description="Every enrichment attempt, per field")
    field_history: list[dict[str, Any]]
    graph_node: dict[str, Any] | None
    truncated: dict[str, bool] = Field(description="Lists cut at the per-list limit")


# --- pipeline -------------------------------------------------------------------------------------
class RunOut(BaseModel):
    run_id: Id
    kind: str
    mode: str | None
    status: str
    started_at: str | None
    completed_at: str | None
    error: str | None
    stats: dict[str, Any] | None = None


class RunsOut(BaseModel):
    runs: list[RunOut]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"mode": "complete"}]})
    mode: Literal["bronze_only", "silver_only", "gold_only", "complete"] = "complete"


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": EXAMPLES.request("ReplayRequest")})

    fields: list[Annotated[Text, Field(max_length=64)]] = Field(min_length=1, max_length=16)
    reason: Text = Field(min_length=1, max_length=2000)
    track_ids: list[Int64] | None = Field(default=None, max_length=100_000)
    filter: dict[Text, Text] | None = Field(default=None, max_length=8)
    config_run_id: Int64 | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ReplayRequest:
        if (self.track_ids is None) == (self.filter is None):
            raise ValueError("give exactly one of track_ids or filter")
        return self


class JobOut(BaseModel):
    job_id: str
    kind: str
    mode: str | None
    status: str
    started_at: str = Field(description="ISO 8601, UTC")
    completed_at: str | None = Field(description="ISO 8601, UTC; null while the job runs")
    run_ids: list[Id]
    replay_id: Id | None
    summary: dict[str, Any] | None
    error: str | None
    graph_refreshed: bool


class HealthOut(BaseModel):
    status: str
    checks: dict[str, Any] = {}


