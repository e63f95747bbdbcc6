"""The set builder: a beam search for an N-track DJ set from a start track, optionally to an end track
through ordered waypoints, where every hop satisfies every hard constraint.

Hard constraints (checked on every hop of every returned set, see ``check_set``):
- each hop is harmonic in the strict sense of graph rule 4: both keys and both BPMs are known, the key
  move is in ``STRICTNESS[strictness]`` and ``bpm_distance_pct(a, b)`` (half/double time allowed, as
  everywhere in the graph) is <= ``max_bpm_step_pct``;
- no repeated track, no excluded track, the waypoints in order, the end track last (at ``length``);
- ``max_total_bpm_drift_pct``: every track's ``bpm_distance_pct(start, track)`` <= the drift;
- ``artist_gap`` k: an artist appears at most once in any k consecutive tracks (artists are the
  ``&``/``,``/``feat.`` separated names of ``Track.artists``, compared by ``name_key``).
Soft objectives (ranking only): the mean hop score, minus a penalty for energy far from the energy curve
and for missing the target duration.

The next tracks come from the served recommender (``graphsvc.recommend.service.rank``, the ranking that
``GET /v1/tracks/{id}/recommendations`` returns and ``etl eval`` measures), under the set's strictness and
BPM step; of them the set may use those whose key and BPM are both known. A hop's score says how close
the recommender puts it to its first choice after the same track (``graphsvc.recommend.hops``: 1 - (top
utility - utility) / 4, at least 0; utilities are log-odds of a DJ's choice). Each hop of a built set carries
the recommender's evidence and sentence. Both backends gather the same evidence, so they build the same
sets. Reachability to the next waypoint/end is pruned with an exact lower bound on the hops needed
(key-wheel distance under the strictness; tempo distance under the BPM step).

When nothing satisfies the constraints, ``SetResult.diagnosis`` names the binding constraint: data
and reachability first, then each other constraint relaxed one at a time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np

from graphsvc import deadline, harmonic
from graphsvc.errors import InvalidValue, NotFound
from graphsvc.graph.base import Candidate, GraphStore, bounded
from graphsvc.names import name_key
from graphsvc.recommend import hops
from graphsvc.recommend.features import Constraints, Fit
from graphsvc.recommend.model import Ranker
from graphsvc.recommend.service import Ranked, rank

ENERGY_TEMPLATES: dict[str, tuple[float, ...]] = {
    # anchors spread evenly over the set, linearly interpolated in between
    "warm-up": (0.30, 0.45, 0.60),
    "build": (0.40, 0.65, 0.90),
    "peak": (0.80, 0.95, 0.85),
    "release": (0.90, 0.65, 0.40),
}
ENERGY_WEIGHT = 0.5  # objective penalty per unit |energy - target| (mean over the set)
UNKNOWN_ENERGY_DEVIATION = 0.25  # deviation assumed for a track without energy when a curve is asked
DURATION_WEIGHT = 0.5  # objective penalty per unit relative duration miss
DEFAULT_TRACK_MIN = 6.0  # minutes assumed for a track without duration_s
PREFIX_POOL = 12  # tried first; the full pool only when the prefix cannot decide the beam (see _prefix_suffices)
POOL = 40  # candidates tried per expansion (after the no-repeat/artist filters a beam needs only a few)
WIDE_POOL = 200  # ... when the set must make progress toward a target now (no slack)
# A hop's score (``recommend.hops``) falls linearly with how much less likely the recommender finds it than
# its first choice after the same track, 0 from e^4 (55) times less likely on. Within that span the energy
# curve and the duration can trade a little likelihood for a better fit (one 0.3 energy miss in a 12-track
# set weighs as a hop 1.7 times less likely); beyond it the recommender's evidence decides.
PRUNE_PARENTS = True  # skip the expansion of beam states none of whose children can enter the beam (exact)
DIAGNOSIS_BEAM = 24  # beam width of the relaxed searches that find the binding constraint

_ARTIST_SEP = re.compile(r"\s*(?:&|,|\+|/)\s*|\s+(?:feat\.?|ft\.|featuring|vs\.?|x|and)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class SetRequest:
    start_track_id: int
    end_track_id: int | None = None
    waypoints: tuple[int, ...] = ()  # must appear in this order, strictly between start and end
    length: int = 12
    strictness: str = "normal"
    max_bpm_step_pct: float = 6.0
    max_total_bpm_drift_pct: float | None = None
    energy_curve: str | tuple[float, ...] | None = None  # template name or target energies
    artist_gap: int = 0  # 0: no artist constraint; k: no artist twice within k consecutive tracks
    exclude_track_ids: frozenset[int] = frozenset()
    target_duration_min: float | None = None
    alternatives: int = 3
    beam_width: int = 5

    def validated(self) -> SetRequest:
        """The request with normalized types; InvalidValue naming the first bad field."""
        length = int(bounded("set_length", self.length))
        harmonic.STRICTNESS.get(self.strictness) or _bad(
            f"strictness {self.strictness!r} is not one of {', '.join(harmonic.STRICTNESS)}")
        bounded("bpm_window_pct", self.max_bpm_step_pct)
        if self.max_total_bpm_drift_pct is not None and not 0 <= self.max_total_bpm_drift_pct <= 100:
            _bad(f"max_total_bpm_drift_pct must be between 0 and 100, got {self.max_total_bpm_drift_pct!r}")
        if not 0 <= self.artist_gap <= 60:
            _bad(f"artist_gap must be between 0 and 60, got {self.artist_gap!r}")
        if not 1 <= self.alternatives <= 10:
            _bad(f"alternatives must be between 1 and 10, got {self.alternatives!r}")
        if not 1 <= self.beam_width <= 64:
            _bad(f"beam_width must be between 1 and 64, got {self.beam_width!r}")
        if self.target_duration_min is not None and not 1 <= self.target_duration_min <= 600:
            _bad(f"target_duration_min must be between 1 and 600, got {self.target_duration_min!r}")
        waypoints = tuple(int(w) for w in self.waypoints)
        fixed = [self.start_track_id, *waypoints] + ([self.end_track_id] if self.end_track_id is not None else [])
        if len(set(fixed)) != len(fixed):
            _bad("start, waypoints and end track must all be different tracks")
        if len(fixed) > length:
            _bad(f"start, {len(waypoints)} waypoint(s) and end need {len(fixed)} tracks but length is {length}")
        excluded = frozenset(int(x) for x in self.exclude_track_ids)
        if excluded & set(fixed):
            _bad(f"track(s) {sorted(excluded & set(fixed))} are both required and excluded")
        curve = self.energy_curve
        if isinstance(curve, str):
            if curve not in ENERGY_TEMPLATES:
                _bad(f"energy_curve {curve!r} is not one of {', '.join(ENERGY_TEMPLATES)} or a list of energies")
        elif curve is not None:
            curve = tuple(float(e) for e in curve)
            if not 1 <= len(curve) <= 60 or any(not 0.0 <= e <= 1.0 for e in curve):
                _bad("a custom energy_curve must be 1 to 60 energies between 0 and 1")
        return replace(self, length=length, waypoints=waypoints, exclude_track_ids=excluded, energy_curve=curve)


@dataclass
class BuiltSet:
    tracks: list[dict[str, Any]]  # in order: id, title, artists, bpm, camelot, energy, target_energy, duration_s
    transitions: list[dict[str, Any]]  # one per hop: from, to, key_move, move, bpm_pct, energy_delta, ...
    total_score: float  # the objective the sets are ranked by
    mean_hop_score: float
    energy_deviation: float | None  # mean |energy - target| over tracks with energy (None without curve)
    duration_min: float  # known durations plus DEFAULT_TRACK_MIN per unknown one

    @property
    def track_ids(self) -> list[int]:
        return [t["id"] for t in self.tracks]


@dataclass
class SetResult:
    sets: list[BuiltSet] = field(default_factory=list)
    diagnosis: str | None = None  # why no set exists (when ``sets`` is empty)
    binding: str | None = None  # the field of SetRequest that binds (or "start_track", "data")
    warnings: list[str] = field(default_factory=list)
    expansions: int = 0  # candidate requests made (all searches)


def _bad(msg: str) -> Any:
    raise InvalidValue(msg)


def energy_targets(curve: str | Sequence[float] | None, length: int) -> list[float] | None:
    """Target energy per position: the curve's anchors spread evenly and linearly interpolated."""
    if curve is None:
        return None
    anchors = ENERGY_TEMPLATES[curve] if isinstance(curve, str) else tuple(curve)
    if len(anchors) == 1 or length == 1:
        return [anchors[0]] * length
    out = []
    for i in range(length):
        x = i * (len(anchors) - 1) / (length - 1)
        j = min(int(x), len(anchors) - 2)
        out.append(anchors[j] + (anchors[j + 1] - anchors[j]) * (x - j))
    return out


@lru_cache(maxsize=65_536)
def artist_keys(artists: str | None) -> frozenset[str]:
    """Normalized artist names of a ``Track.artists`` display string."""
    if not artists:
        return frozenset()
    return frozenset(k for part in _ARTIST_SEP.split(artists) if (k := name_key(part)))


# --- exact lower bounds on hops --------------------------------------------------------------------
@lru_cache(maxsize=8)
def _key_distances(strictness: str) -> dict[tuple[str, str], int]:
    """Fewest hops between two keys when every hop's move must be in STRICTNESS[strictness]."""
    allowed = harmonic.STRICTNESS[strictness]
    keys = harmonic.ALL_KEYS
    dist: dict[tuple[str, str], int] = {}
    for a in keys:
        seen = {a: 0}
        frontier = [a]
        while frontier:
            nxt = []
            for x in frontier:
                for y in keys:
                    if y not in seen and harmonic.classify_move(x, y) in allowed:
                        seen[y] = seen[x] + 1
                        nxt.append(y)
            frontier = nxt
        for b in keys:
            dist[a.camelot, b.camelot] = seen.get(b, 10**6)
    return dist


def _bpm_hops(a: float, b: float, step_pct: float) -> int:
    """Fewest hops from tempo a to b when each hop stays within step_pct (half/double time allowed):
    in log2 space a hop moves by at most -log2(1 - p) modulo whole octaves."""
    d = math.log2(b / a)
    frac = abs(d - round(d))
    if frac < 1e-9:
        return 0
    if step_pct <= 0:
        return 10**6
    return max(1, math.ceil(frac / -math.log2(1 - step_pct / 100.0) - 1e-9))


def hops_lower_bound(a: dict[str, Any], b: dict[str, Any], strictness: str, step_pct: float) -> int:
    """A lower bound on the hops of any valid chain from track a to track b (both with key and BPM)."""
    if a["id"] == b["id"]:
        return 0
    k = _key_distances(strictness)[a["camelot"], b["camelot"]]
    return max(1, k, _bpm_hops(a["bpm"], b["bpm"], step_pct))


# --- constraint check (also used by the tests) -----------------------------------------------------
def hop_violations(a: dict[str, Any], b: dict[str, Any], req: SetRequest) -> list[str]:
    """What is wrong with the hop a -> b under the request's per-hop constraints ([] when it is valid)."""
    out = []
    if a.get("camelot") is None or b.get("camelot") is None:
        out.append("a key is unknown")
    elif harmonic.classify_move(harmonic.parse_key(a["camelot"]), harmonic.parse_key(b["camelot"])) \
            not in harmonic.STRICTNESS[req.strictness]:
        out.append(f"key move {a['camelot']}->{b['camelot']} is not allowed at {req.strictness}")
    if a.get("bpm") is None or b.get("bpm") is None:
        out.append("a BPM is unknown")
    elif harmonic.bpm_distance_pct(a["bpm"], b["bpm"]) > req.max_bpm_step_pct:
        out.append(f"BPM step {a['bpm']}->{b['bpm']} exceeds {req.max_bpm_step_pct}%")
    return out


def check_set(tracks: Sequence[dict[str, Any]], req: SetRequest) -> list[str]:
    """Every hard-constraint violation of a set (track dicts with id, artists, bpm, camelot); [] if valid."""
    req = req.validated()
    ids = [t["id"] for t in tracks]
    out = []
    if not ids or ids[0] != req.start_track_id:
        out.append("the set does not start with the start track")
    if req.end_track_id is not None and (len(ids) != req.length or ids[-1] != req.end_track_id):
        out.append("the set does not end with the end track at the requested length")
    if len(ids) > req.length:
        out.append(f"the set has {len(ids)} tracks, more than {req.length}")
    if len(set(ids)) != len(ids):
        out.append("a track is repeated")
    if set(ids) & req.exclude_track_ids:
        out.append("an excluded track is used")
    pos = [ids.index(w) if w in ids else -1 for w in req.waypoints]
    if -1 in pos or pos != sorted(pos):
        out.append("the waypoints are missing or out of order")
    for a, b in pairwise(tracks):
        out += [f"hop {a['id']}->{b['id']}: {v}" for v in hop_violations(a, b, req)]
    if req.max_total_bpm_drift_pct is not None:
        sb = tracks[0].get("bpm")
        for t in tracks[1:]:
            if sb is None or t.get("bpm") is None or \
                    harmonic.bpm_distance_pct(sb, t["bpm"]) > req.max_total_bpm_drift_pct:
                out.append(f"track {t['id']} drifts more than {req.max_total_bpm_drift_pct}% from the start tempo")
    if req.artist_gap > 1:
        keys = [artist_keys(t.get("artists")) for t in tracks]
        for i in range(len(keys)):
            for j in range(max(0, i - req.artist_gap + 1), i):
                if keys[i] & keys[j]:
                    out.append(f"artist(s) {sorted(keys[i] & keys[j])} repeat within {req.artist_gap} tracks")
    return out


# --- the search ------------------------------------------------------------------------------------
@dataclass
class _State:
    ids: tuple[int, ...]
    tracks: tuple[dict[str, Any], ...]
    hops: tuple[Candidate, ...]
    artists: tuple[frozenset[str], ...]
    hop_sum: float
    dev_sum: float  # energy deviation sum (with the unknown-energy deviation)
    duration_s: float
    target: int  # index of the next target (waypoints + end)

    def objective(self, req: SetRequest) -> float:
        n = max(1, len(self.hops))
        value = self.hop_sum / n - ENERGY_WEIGHT * self.dev_sum / len(self.ids)
        if req.target_duration_min:
            value -= DURATION_WEIGHT * abs(self.duration_s / 60 - req.target_duration_min) / req.target_duration_min
        return value


class _Search:
    def __init__(self, store: GraphStore, req: SetRequest, ranker: Ranker) -> None:
        self.store = store
        self.req = req
        self.ranker = ranker
        self.constraints = Constraints(strictness=req.strictness,  # type: ignore[arg-type]
                                       bpm_window_pct=req.max_bpm_step_pct, half_double=True)
        self.targets = list(req.waypoints) + ([req.end_track_id] if req.end_track_id is not None else [])
        # track -> (the recommender's ranking after it, its mixable next tracks as hops so far, their rows in
        # the ranking in served order)
        self.pools: dict[int, tuple[Ranked, list[Candidate], np.ndarray]] = {}
        self.rows: dict[tuple[int, int], tuple[Ranked, int]] = {}  # (from, to) -> where the hop's row is
        self.props: dict[int, dict[str, Any]] = {}
        self.seen: dict[int, dict[str, Any]] = {}  # candidate-derived properties
        self.expansions = 0
        self.energy = energy_targets(req.energy_curve, req.length)
        self.prefix_size = max(PREFIX_POOL, 3 * (req.beam_width + 1))

    def track(self, tid: int) -> dict[str, Any]:
        """Full track properties (get_track), cached."""
        t = self.props.get(tid)
        if t is None:
            t = self.store.get_track(tid)
            if t is None:
                raise NotFound(f"track {tid} does not exist")
            t = self.props[tid] = {**t, "id": tid}
        return t

    def light(self, tid: int) -> dict[str, Any]:
        """id, camelot and bpm of a track: from a candidate already seen, else from get_track."""
        return self.seen.get(tid) or self.track(tid)

    def pool(self, tid: int, size: int) -> list[Candidate]:
        """The first ``size`` tracks that may follow ``tid`` (key and BPM known, within the strictness and
        the BPM step), in the recommender's order; converted to hops only as far as asked."""
        got = self.pools.get(tid)
        if got is None:
            deadline.check()
            self.expansions += 1
            r = rank(self.store, self.ranker, tid, self.constraints)
            mixable = (r.cands.move >= 0) & ~np.isnan(r.cands.pct)
            got = self.pools[tid] = (r, [], r.order[mixable[r.order]][:WIDE_POOL])
        r, made, rows = got
        if len(made) < min(size, len(rows)):
            more = rows[len(made):size]
            made.extend(self._hop(tid, r, i, ft) for i, ft in zip(more.tolist(), r.cands.fits_at(more), strict=True))
        return made[:size]

    def _hop(self, src: int, r: Ranked, i: int, ft: Fit, top: float | None = None) -> Candidate:
        """Row ``i`` of ``r`` as a hop from ``src`` (``recommend.hops.candidate``), noted for its explanation."""
        self.rows[src, r.cands.ids[i]] = (r, i)
        return hops.candidate(r, i, ft, self.ranker.source, top)

    def lb_chain(self, tid: int, target_index: int) -> int:
        """Lower bound on hops from track tid through the remaining targets."""
        total, cur = 0, self.light(tid)
        for t in self.targets[target_index:]:
            nxt = self.track(t)
            total += hops_lower_bound(cur, nxt, self.req.strictness, self.req.max_bpm_step_pct)
            cur = nxt
        return total

    def hop_to(self, cur: int, target: int, pool: list[Candidate]) -> Candidate | None:
        """The hop cur -> target when it is valid: from the recommender's ranking when it reached the target,
        else ranked here from the same evidence (a fixed target no signal reached from ``cur``)."""
        for c in pool:
            if c.track_id == target:
                return c
        a, b = self.track(cur), self.track(target)
        if hop_violations(a, b, self.req):
            return None
        self.pool(cur, 0)
        r = self.pools[cur][0]
        got = hops.locate(self.store, self.ranker, r, target)
        if got is None:
            return None
        where, i = got
        return self._hop(cur, where, i, where.cands.fit_at(i), top=hops.top_utility(r))

    def _energy_dev(self, position: int, energy: float | None) -> float:
        if self.energy is None:
            return 0.0
        if energy is None:
            return UNKNOWN_ENERGY_DEVIATION
        return abs(energy - self.energy[position])

    @staticmethod
    def _duration(t: dict[str, Any]) -> float:
        d = t.get("duration_s")
        return d if d else DEFAULT_TRACK_MIN * 60

    def _children(self, st: _State, parent_no: int, i: int, pool: list[Candidate],
                  start: dict[str, Any]) -> list[tuple[float, tuple[int, ...], int, _State]]:
        """The valid children of beam state ``st`` at position ``i`` from ``pool`` (hard constraints
        checked here), as (-objective, ids, parent_no, state)."""
        req = self.req
        last = req.length - 1
        remaining = last - i
        drift = req.max_total_bpm_drift_pct
        gap = req.artist_gap
        want_duration = req.target_duration_min is not None
        cur = st.ids[-1]
        options = list(pool)
        next_target = self.targets[st.target] if st.target < len(self.targets) else None
        placeable = (
            next_target is not None and next_target not in st.ids
            and (next_target != req.end_track_id or i == last)
            and self.lb_chain(next_target, st.target + 1) <= remaining
        )
        if placeable and next_target is not None:
            h = self.hop_to(cur, next_target, pool)
            if h is not None and all(c.track_id != next_target for c in options):
                options.append(h)
        children = []
        for c in options:
            y = c.track_id
            if c.move is None or c.bpm_pct is None or y in st.ids or y in req.exclude_track_ids:
                continue
            if y in self.targets and y != next_target:
                continue  # a later waypoint or the end, out of turn
            if y == req.end_track_id and i != last:
                continue
            if drift is not None and c.bpm is not None and harmonic.bpm_distance_pct(start["bpm"], c.bpm) > drift:
                continue
            keys = artist_keys(c.artists)
            if gap > 1 and any(keys & k for k in st.artists[-(gap - 1):]):
                continue
            target = st.target + 1 if y == next_target else st.target
            if req.end_track_id is not None and i == last and y != req.end_track_id:
                continue
            props = {"id": y, "title": c.title, "artists": c.artists, "bpm": c.bpm,
                     "camelot": c.camelot, "energy": c.energy}
            self.seen.setdefault(y, props)
            if target < len(self.targets) and self.lb_chain(y, target) > remaining:
                continue
            dur = self._duration(self.track(y)) if want_duration else 0.0
            child = _State((*st.ids, y), (*st.tracks, props), (*st.hops, c), (*st.artists, keys),
                           st.hop_sum + c.score, st.dev_sum + self._energy_dev(i, c.energy),
                           st.duration_s + dur, target)
            children.append((-child.objective(self.req), child.ids, parent_no, child))
        return children

    def _prefix_suffices(self, st: _State, children: list, last_score: float) -> bool:
        """True when no child built from a candidate beyond the prefix (score <= ``last_score``) can be
        selected: ``_select`` takes at most beam_width children of one parent, in (objective desc, ids)
        order, and of the parent's children before such a child at most one (its best, taken in the
        first pass and cut) is skipped; so beam_width + 1 prefix children whose objective is strictly
        above every beyond-prefix child's (bounded with energy deviation 0 and no duration penalty,
        the same float operations as ``_State.objective``, which is monotone in both) suffice."""
        need = self.req.beam_width + 1
        if len(children) < need:
            return False
        bound = (st.hop_sum + last_score) / max(1, len(st.hops) + 1) - ENERGY_WEIGHT * st.dev_sum / (len(st.ids) + 1)
        objectives = sorted(-c[0] for c in children)
        return objectives[-need] > bound

    @staticmethod
    def _bound(st: _State) -> float:
        """No child of ``st`` has a higher objective: a hop scores at most 1, and the energy deviation and
        the duration penalty only lower it (the float operations of ``_State.objective``, monotone)."""
        return (st.hop_sum + 1.0) / max(1, len(st.hops) + 1) - ENERGY_WEIGHT * st.dev_sum / (len(st.ids) + 1)

    def _cannot_enter(self, children: list, firsts: list[float], bound: float) -> bool:
        """True when no child with objective <= ``bound`` can be selected into the beam: ``_select`` first
        takes the best child of max(1, width // 2) parents by objective, then fills up to width from all
        children by objective, so ``width`` children and as many parents' best children strictly above the
        bound leave it no place."""
        width = self.req.beam_width
        if sum(1 for f in firsts if f > bound) < max(1, width // 2):
            return False
        return sum(1 for c in children if -c[0] > bound) >= width

    def run(self) -> list[_State]:
        req = self.req
        start = self.track(req.start_track_id)
        if start.get("camelot") is None or start.get("bpm") is None:
            return []
        for t in self.targets:
            tt = self.track(t)
            if tt.get("camelot") is None or tt.get("bpm") is None:
                return []
        if self.lb_chain(start["id"], 0) > req.length - 1:
            return []
        target_min = req.target_duration_min  # a set may end early once it is this long
        beam = [_State((start["id"],), (start,), (), (artist_keys(start.get("artists")),), 0.0,
                       self._energy_dev(0, start.get("energy")), self._duration(start), 0)]
        done: list[_State] = []
        last = req.length - 1
        for i in range(1, req.length):
            remaining = last - i  # hops still to make after placing position i
            children: list[tuple[float, tuple[int, ...], int, _State]] = []
            # parents by the best objective a child of theirs could have: once the children found so far
            # fill the beam above that bound, no later parent can place a child (see _cannot_enter), and
            # its expansion (one recommender ranking) is skipped
            bounds = [self._bound(st) for st in beam]
            firsts: list[float] = []  # objective of each expanded parent's best child
            for parent_no in sorted(range(len(beam)), key=lambda k: (-bounds[k], k)):
                st = beam[parent_no]
                if PRUNE_PARENTS and self._cannot_enter(children, firsts, bounds[parent_no]):
                    break
                deadline.check()  # a request that timed out stops here (graphsvc.deadline)
                cur = st.ids[-1]
                slack = (remaining + 1) - self.lb_chain(cur, st.target)
                size = WIDE_POOL if slack <= 1 else POOL
                if not self.targets and size > self.prefix_size:
                    # exact shortcut: expand from the best few candidates first; use the full pool only
                    # when a child from beyond that prefix could still be selected into the beam
                    prefix = self.pool(cur, self.prefix_size)
                    mine = self._children(st, parent_no, i, prefix, start)
                    if not (len(prefix) < self.prefix_size or self._prefix_suffices(st, mine, prefix[-1].score)):
                        mine = self._children(st, parent_no, i, self.pool(cur, size), start)
                else:
                    mine = self._children(st, parent_no, i, self.pool(cur, size), start)
                children += mine
                if mine:
                    firsts.append(-min(c[0] for c in mine))
            if not children:
                break
            children.sort(key=lambda x: (x[0], x[1]))
            beam = self._select(children)
            finished_early = [
                s for s in beam
                if target_min is not None and req.end_track_id is None and s.target == len(self.targets)
                and s.duration_s / 60 >= target_min and i < last
            ]
            if finished_early:
                done += finished_early
                beam = [s for s in beam if s not in finished_early]
                if not beam:
                    break
        done += [s for s in beam if len(s.ids) == req.length and s.target == len(self.targets)]
        done.sort(key=lambda s: (-s.objective(req), s.ids))
        return done

    def _select(self, children: list) -> list[_State]:
        """The beam: the best child of each parent first (keeps distinct alternatives), then the rest by
        objective; at most beam_width states, no duplicate track sequences."""
        width = self.req.beam_width
        chosen: list[_State] = []
        seen: set[tuple[int, ...]] = set()
        firsts: set[int] = set()
        for _, ids, parent, child in children:
            if parent not in firsts and ids not in seen:
                firsts.add(parent)
                seen.add(ids)
                chosen.append(child)
        chosen = chosen[: max(1, width // 2)]
        for _, ids, _, child in children:
            if len(chosen) >= width:
                break
            if ids not in seen:
                seen.add(ids)
                chosen.append(child)
        return chosen


def _built(search: _Search, st: _State) -> BuiltSet:
    req = search.req
    tracks = []
    for pos, t in enumerate(st.tracks):
        full = search.track(t["id"])
        tracks.append({
            "position": pos + 1, "id": t["id"], "title": t["title"], "artists": t["artists"], "bpm": t["bpm"],
            "camelot": t["camelot"], "energy": t["energy"], "duration_s": full.get("duration_s"),
            "target_energy": None if search.energy is None else round(search.energy[pos], 4),
        })
    transitions = []
    for a, c in zip(tracks, st.hops, strict=False):  # n tracks, n - 1 hops: the last track has none
        r, row = search.rows[a["id"], c.track_id]
        why = r.explained(search.ranker, np.array([row]))[0]
        transitions.append({
            "from": a["id"], "to": c.track_id, "key_move": f"{a['camelot']} -> {c.camelot}", "move": c.move,
            "bpm_pct": None if c.bpm_pct is None else round(c.bpm_pct, 2),
            "energy_delta": c.breakdown.get("energy_delta"),
            "real_transitions": c.transitions, "score": round(c.score, 4), "explanation": why.explanation,
            "breakdown": hops.explained_breakdown(c, why),
        })
    known = [abs(t["energy"] - t["target_energy"]) for t in tracks
             if t["energy"] is not None and t["target_energy"] is not None]
    duration = sum((t["duration_s"] or DEFAULT_TRACK_MIN * 60) for t in tracks) / 60
    return BuiltSet(
        tracks=tracks, transitions=transitions, total_score=round(st.objective(req), 6),
        mean_hop_score=round(st.hop_sum / max(1, len(st.hops)), 6),
        energy_deviation=(sum(known) / len(known) if known else None) if search.energy is not None else None,
        duration_min=round(duration, 2),
    )


def _attempt(store: GraphStore, req: SetRequest, ranker: Ranker) -> tuple[_Search, list[_State]]:
    search = _Search(store, req, ranker)
    return search, search.run()


def build_set(store: GraphStore, request: SetRequest, ranker: Ranker | None = None) -> SetResult:
    """Build up to ``request.alternatives`` sets, best first; or no set and a diagnosis. ``ranker``: the
    served recommender's (the API passes its fitted one; the prior when None)."""
    req = request.validated()
    ranker = ranker if ranker is not None else Ranker.prior()
    search = _Search(store, req, ranker)
    for t in [req.start_track_id, *search.targets]:
        search.track(t)  # NotFound for unknown ids
    states = search.run()
    result = SetResult(expansions=search.expansions)
    if states:
        result.sets = [_built(search, s) for s in states[: req.alternatives]]
        if req.energy_curve is not None and all(s.energy_deviation is None for s in result.sets):
            result.warnings.append("energy curve could not be followed: no track of the built sets has a known energy")
        return result
    result.binding, result.diagnosis = _diagnose(store, req, search, result, ranker)
    return result


def _diagnose(store: GraphStore, req: SetRequest, search: _Search, result: SetResult,
              ranker: Ranker) -> tuple[str, str]:
    """The binding constraint: data and reachability first, then one constraint relaxed at a time."""
    start = search.track(req.start_track_id)
    missing = [w for w, f in (("key", "camelot"), ("BPM", "bpm")) if start.get(f) is None]
    if missing:
        return "start_track", (f"start track {start['id']} has no {' and no '.join(missing)}, so the harmonic "
                               "constraints (key move, BPM step) cannot be checked for any hop from it")
    names = {t: ("end track" if t == req.end_track_id else f"waypoint {i + 1}") for i, t in enumerate(search.targets)}
    for t in search.targets:
        tt = search.track(t)
        missing = [w for w, f in (("key", "camelot"), ("BPM", "bpm")) if tt.get(f) is None]
        if missing:
            return "data", (f"{names[t]} {t} has no {' and no '.join(missing)}, so no hop into it can satisfy "
                            "the harmonic constraints")
        if req.max_total_bpm_drift_pct is not None and \
                harmonic.bpm_distance_pct(start["bpm"], tt["bpm"]) > req.max_total_bpm_drift_pct:
            return "max_total_bpm_drift_pct", (
                f"{names[t]} {t} at {tt['bpm']:g} BPM is more than {req.max_total_bpm_drift_pct:g}% from the start "
                f"tempo {start['bpm']:g} BPM (max_total_bpm_drift_pct)")
    where = (f"strictness {req.strictness} and max BPM step {req.max_bpm_step_pct:g}%")
    # reachability: exact lower bound, then a search with every other constraint relaxed
    cur, used = start, 0
    for t in search.targets:
        tt = search.track(t)
        need = hops_lower_bound(cur, tt, req.strictness, req.max_bpm_step_pct)
        used += need
        cur = tt
        if used > req.length - 1:
            return ("end_track_id" if t == req.end_track_id else "waypoints"), (
                f"{names[t]} {t} is not reachable within {req.length} tracks with {where}: it needs at least "
                f"{used} hops from the start (key {start['camelot']} -> {tt['camelot']}, "
                f"{start['bpm']:g} -> {tt['bpm']:g} BPM)")
    bare = replace(req, artist_gap=0, max_total_bpm_drift_pct=None, exclude_track_ids=frozenset(),
                   target_duration_min=None, energy_curve=None, beam_width=max(req.beam_width, DIAGNOSIS_BEAM),
                   alternatives=1)
    s, found = _attempt(store, bare, ranker)
    result.expansions += s.expansions
    if not found:
        if req.end_track_id is not None and not req.waypoints:
            paths = store.harmonic_paths(req.start_track_id, req.end_track_id, k=1, max_len=min(req.length, 12),
                                         strictness=req.strictness, bpm_window_pct=req.max_bpm_step_pct)
            if paths:
                n = len(paths[0])
                return "length", (f"end track {req.end_track_id} is reachable in {n} tracks with {where}, but no "
                                  f"set of exactly {req.length} distinct tracks ends there; try length {n}")
        if search.targets:
            t = search.targets[-1]
            return ("end_track_id" if t == req.end_track_id else "waypoints"), (
                f"{names[t]} {t} is not reachable within {req.length} tracks with {where}"
                + (f" through waypoints {list(req.waypoints)}" if req.waypoints and t == req.end_track_id else ""))
        if not s.pool(req.start_track_id, POOL):  # (the pool holds only hops whose key move and BPM step fit)
            return "start_track", f"no track can follow start track {start['id']} with {where}"
        return "length", (f"no chain of {req.length} distinct tracks starts at track {start['id']} with {where}; "
                          "try a shorter set, a looser strictness or a larger BPM step")
    relaxations: list[tuple[str, dict[str, Any], str]] = [
        ("artist_gap", {"artist_gap": 0}, f"artist gap {req.artist_gap} is too strict"),
        ("max_total_bpm_drift_pct", {"max_total_bpm_drift_pct": None},
         f"max total BPM drift {req.max_total_bpm_drift_pct}% is too strict"),
        ("exclude_track_ids", {"exclude_track_ids": frozenset()},
         f"excluding {len(req.exclude_track_ids)} track(s) removes every valid set"),
        ("target_duration_min", {"target_duration_min": None},
         f"target duration {req.target_duration_min} min cannot be met"),
    ]
    active = [r for r in relaxations if getattr(req, r[0]) not in (0, None, frozenset())]
    for name, change, message in active:
        s, found = _attempt(store, replace(req, **change, alternatives=1), ranker)
        result.expansions += s.expansions
        if found:
            return name, f"{message}: a set exists without it (other constraints kept)"
    names_active = ", ".join(r[0] for r in active) or "none"
    return "combination", (f"no set satisfies all constraints together; each is satisfiable when the others are "
                           f"relaxed (active: {names_active}); try relaxing two of them or a larger beam_width")
