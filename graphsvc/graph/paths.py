"""Harmonic paths (graph rule 4), implemented once over a neighbour primitive so both backends agree.

``neighbours(x)`` returns the raw candidates (see ranking.py) that may follow track x under rule 3(b)
*strictly* (both keys and BPMs known, move allowed, BPM within the window, no pitch shift), in the
backend's CANDIDATE_CAP order. ``source(x)`` returns track x's properties.

Search:
1. breadth-first from ``a`` layer by layer, keeping every parent on a shortest route, until the layer
   holding ``b`` is complete. All shortest paths are the routes of this DAG; the best k of them (hop-score
   sum desc, then ids lexicographically) come from a k-best dynamic programme over the DAG (exact).
2. if fewer than k were found, simple paths of the next lengths (up to max_len tracks) are enumerated
   depth-first.
Both phases share a budget of neighbour expansions (``budget``); when it runs out the result is what
was found so far and ``PathList.budget_exhausted`` is True.

Given the constraints (``strictness``, ``bpm_window_pct``), both phases skip a track y reached after d hops
when d + (a lower bound on the hops from y to b: Camelot wheel distance under the strictness, tempo steps
within the window) exceeds the hops left. The bound never overestimates, so every path of at most
``max_len`` tracks survives and the answer is the same; the budget is spent only on tracks that can still
lead to b (2A @ 122 BPM -> 10B @ 129.5 BPM needs 5 hops: without the bound the budget ran out on layer 2).
Phase 1 first allows only as many hops as the bound from ``a`` itself (a track y reached after d hops is
skipped when d + bound(y) exceeds it), then one more hop at a time: on a dense graph the bound is usually
the answer, and a layer of 1,000 neighbours shrinks to the few hundred that make progress toward b (same
routes, fewer expansions; on the real graph p50 5.8 s -> 0.5 s, docs/benchmarks.md).

Costs: the DAG's edges are scored without building their hops (``SourceScorer``); only the returned
paths' hops are built. A backend may hand lazy neighbour sequences (``track_ids()``) and ``key_bpm``:
then a neighbour's record is built only when a hop is scored.

:func:`diagnose` says in words why an answer is empty or short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any

from graphsvc import deadline
from graphsvc.errors import InvalidValue
from graphsvc.graph.base import Candidate, bounded
from graphsvc.graph.ranking import SourceScorer, score_candidate

#: Neighbour expansions per request (each is one candidate generation, ~1-2 ms on the embedded store): 400
#: covers the 5-hop corridor of the demo's 2A @ 122 -> 10B @ 129.5 BPM (282 expansions, ~1 s on 2 busy cores),
#: within the API's graph_timeout_s, which stops the search in any case (graphsvc.deadline).
DEFAULT_BUDGET = 400
MAX_POOL = 30  # most paths a caller may ask to order its own way (``pool``)


class PathList(list):
    """A list of paths (each a list of Candidate, start track first) that says whether the search
    budget ran out (then longer or lower-ranked paths may be missing)."""

    budget_exhausted: bool = False
    expanded: int = 0
    #: the fewest hops any path can have under the constraints (None when they were not given or an end
    #: lacks a key or BPM)
    min_hops: int | None = None
    #: tracks that may follow the start track under the constraints (None: not expanded)
    start_neighbours: int | None = None


class _Expander:
    def __init__(self, neighbours: Callable[[int], Sequence[Any]], budget: int, lazy: bool = False) -> None:
        self._neighbours = neighbours
        self._lazy = lazy  # the caller reads keys and BPMs elsewhere: lazy sequences stay lazy
        self._cache: dict[int, Mapping[int, Any]] = {}
        self.budget = budget
        self.expanded = 0
        self.exhausted = False
        self._recs: dict[int, Any] = {}

    def _cache_rec(self, y: int) -> Any:
        """The raw record of y as some expanded track's neighbour (its key and BPM)."""
        rec = self._recs.get(y)
        return None if rec is None else _Rec(rec)

    def __call__(self, x: int) -> Mapping[int, Any] | None:
        hit = self._cache.get(x)
        if hit is not None:
            return hit
        if self.expanded >= self.budget:
            self.exhausted = True
            return None
        deadline.check()  # a request that timed out stops here (graphsvc.deadline)
        self.expanded += 1
        seq = self._neighbours(x)
        ids = getattr(seq, "track_ids", None) if self._lazy else None
        if ids is not None:  # a lazy sequence (the embedded store's columns): records built when read
            lazy = self._cache[x] = _Lazy(seq, ids(), x)
            return lazy
        got = {int(_get(r, "track_id")): r for r in seq}
        got.pop(x, None)
        self._cache[x] = got
        for y, r in got.items():
            self._recs.setdefault(y, r)
        return got


class _Lazy(Mapping):
    """Track id -> raw record of a neighbour sequence, each record built on first read."""

    def __init__(self, seq: Sequence[Any], ids: list[int], x: int) -> None:
        self._seq = seq
        self._pos = {y: i for i, y in enumerate(ids) if y != x}
        self._got: dict[int, Any] = {}

    def __getitem__(self, y: int) -> Any:
        rec = self._got.get(y)
        if rec is None:
            rec = self._got[y] = self._seq[self._pos[y]]
        return rec

    def __contains__(self, y: object) -> bool:
        return y in self._pos

    def __iter__(self) -> Iterator[int]:
        return iter(self._pos)

    def __len__(self) -> int:
        return len(self._pos)


class _Rec(Mapping):
    """A raw record (dict or Candidate) read as a mapping of its key and BPM."""

    def __init__(self, rec: Any) -> None:
        self._rec = rec

    def __getitem__(self, name: str) -> Any:
        return _get(self._rec, name)

    def get(self, name: str, default: Any = None) -> Any:
        value = _get(self._rec, name)
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        return iter(("camelot", "bpm"))

    def __len__(self) -> int:
        return 2


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name)


def harmonic_paths(
    a: int,
    b: int,
    *,
    k: int,
    max_len: int,
    neighbours: Callable[[int], Sequence[Any]],
    source: Callable[[int], Mapping[str, Any]],
    budget: int = DEFAULT_BUDGET,
    strictness: str | None = None,
    bpm_window_pct: float | None = None,
    pool: int | None = None,
    key_bpm: Callable[[int], tuple[str | None, float | None]] | None = None,
) -> PathList:
    """The best ``k`` paths; with ``pool`` (k <= pool <= MAX_POOL) up to ``pool`` paths, for a caller that
    orders them its own way (``graphsvc.recommend.ranked_paths``): the k-best programme keeps ``pool`` per
    track, while longer paths are still searched only while fewer than ``k`` were found. ``key_bpm(y)``: the
    Camelot key and BPM of track y, when the backend reads them faster than from y's raw record."""
    bounded("k", k)
    bounded("max_len", max_len)
    if a == b:
        raise InvalidValue("a harmonic path needs two different tracks")
    k, max_hops = int(k), int(max_len) - 1
    keep = k if pool is None else int(pool)
    if not k <= keep <= MAX_POOL:
        raise InvalidValue(f"pool must be between k ({k}) and {MAX_POOL}, got {pool}")
    expand = _Expander(neighbours, budget, lazy=key_bpm is not None)
    start_props, goal = source(a), source(b)
    if not _mixable(start_props) or not _mixable(goal):
        return PathList()  # every hop needs both keys and BPMs: nothing can be checked (see diagnose)
    lower = _lower_bound(goal, strictness, bpm_window_pct)
    min_hops = lower(start_props.get("camelot"), start_props.get("bpm")) if lower is not None else None
    if min_hops is not None and min_hops > max_hops:
        out = PathList()
        out.min_hops = min_hops
        return out
    lbs: dict[int, int | None] = {}

    def lb_of(y: int) -> int | None:
        """The lower bound of the hops from y to b (None while y's key and BPM are not known here)."""
        if y in lbs:
            return lbs[y]
        assert lower is not None
        if key_bpm is not None:
            v: int | None = lower(*key_bpm(y))
        else:
            rec = expand._cache_rec(y)
            if rec is None:
                return None
            v = lower(rec.get("camelot"), rec.get("bpm"))
        lbs[y] = v
        return v

    def hopeless(y: int, hops_so_far: int) -> bool:
        """y (reached after hops_so_far hops) cannot reach b within max_hops."""
        if lower is None or y == b:
            return False
        v = lb_of(y)
        return v is not None and hops_so_far + v > max_hops
    scores: dict[tuple[int, int], float] = {}
    scorers: dict[int, SourceScorer] = {}

    def hop_score(x: int, y: int) -> float:
        """``hop(x, y).score`` without building the hop (the search scores every edge of its DAG)."""
        v = scores.get((x, y))
        if v is None:
            sc = scorers.get(x)
            if sc is None:
                sc = scorers[x] = SourceScorer(source(x))
            v = scores[x, y] = sc.score(expand._cache[x][y])
        return v

    def hop(x: int, y: int) -> Candidate:
        return score_candidate(source(x), expand._cache[x][y])

    # 1. BFS with all shortest-route parents, keeping only tracks that can reach b within ``limit`` hops:
    # first limit = the lower bound on the hops from a (on a dense graph usually the answer), then one
    # more at a time. A track on a shortest path survives the tightest limit that finds b, so the routes
    # found are the same as with limit = max_hops, from fewer expansions (cached between the rounds).
    limit = max(1, min_hops) if min_hops is not None else max_hops
    while True:
        depth = {a: 0}
        parents: dict[int, list[int]] = {a: []}
        layer = [a]
        d = 0
        while layer and b not in depth and d < limit and not expand.exhausted:
            nxt: list[int] = []
            for x in layer:
                nb = expand(x)
                if nb is None:
                    break
                for y in nb:
                    dy = depth.get(y)
                    if dy is not None:
                        if dy == d + 1:
                            parents[y].append(x)
                        continue
                    if lower is not None and y != b:  # cannot reach b within limit hops (a hot loop)
                        v = lbs[y] if y in lbs else lb_of(y)
                        if v is not None and d + 1 + v > limit:
                            continue
                    depth[y] = d + 1
                    parents[y] = [x]
                    nxt.append(y)
            d += 1
            nxt.sort()
            layer = nxt
        if b in depth or expand.exhausted or limit >= max_hops:
            break
        limit += 1

    found: list[tuple[float, tuple[int, ...]]] = []
    if b in depth:
        # ancestors of b in the DAG, then k-best per node in depth order
        anc = {b}
        stack = [b]
        while stack:
            for p in parents[stack.pop()]:
                if p not in anc:
                    anc.add(p)
                    stack.append(p)
        best: dict[int, list[tuple[float, tuple[int, ...]]]] = {a: [(0.0, (a,))]}
        for y in sorted(anc - {a}, key=lambda n: (depth[n], n)):
            opts = [
                (s + hop_score(x, y), (*path, y))
                for x in parents[y] if x in anc
                for s, path in best[x]
            ]
            opts.sort(key=lambda o: (-o[0], o[1]))
            best[y] = opts[:keep]
        found = list(best[b])
        shortest: int | None = depth[b]
    else:
        shortest = max_hops + 1 if not expand.exhausted else None

    # 2. longer simple paths, by length, depth-first
    length = (shortest + 1) if shortest is not None else None
    while length is not None and len(found) < k and length <= max_hops and not expand.exhausted:
        more: list[tuple[float, tuple[int, ...]]] = []
        _dfs(a, b, length, (a,), {a}, expand, more, hopeless)
        for _, path in more:
            s = 0.0
            for x, y in pairwise(path):
                s += hop_score(x, y)
            found.append((s, path))
        found.sort(key=lambda o: (len(o[1]), -o[0], o[1]))
        length += 1

    found.sort(key=lambda o: (len(o[1]), -o[0], o[1]))
    result = PathList()
    for _, path in found[:keep]:
        src = source(path[0])
        start = Candidate(
            track_id=path[0], title=src["title"], artists=src["artists"], bpm=src.get("bpm"),
            camelot=src.get("camelot"), energy=src.get("energy"), move=None, bpm_pct=None, pitch_shift=0,
            transitions=0, score=0.0, breakdown={"start": True},
        )
        result.append([start] + [hop(x, y) for x, y in pairwise(path)])
    result.budget_exhausted = expand.exhausted
    result.expanded = expand.expanded
    result.min_hops = min_hops
    first = expand._cache.get(a)
    result.start_neighbours = None if first is None else len(first)
    return result


def _mixable(props: Mapping[str, Any]) -> bool:
    return props.get("camelot") is not None and props.get("bpm") is not None


def _lower_bound(goal: Mapping[str, Any], strictness: str | None,
                 bpm_window_pct: float | None) -> Callable[[str | None, float | None], int] | None:
    """``lb(camelot, bpm) ->`` fewest hops from a track with that key and BPM to ``goal`` under the
    constraints (0 when either is unknown)."""
    if strictness is None or bpm_window_pct is None:
        return None
    from graphsvc.setbuilder import _bpm_hops, _key_distances

    keys = _key_distances(strictness)
    g_key, g_bpm = goal["camelot"], float(goal["bpm"])

    def lb(camelot: str | None, bpm: float | None) -> int:
        if camelot is None or bpm is None:
            return 0
        return max(keys[camelot, g_key], _bpm_hops(float(bpm), g_bpm, bpm_window_pct))

    return lb


def _dfs(x: int, b: int, remaining: int, path: tuple[int, ...], on_path: set[int],
         expand: _Expander, out: list, hopeless: Callable[[int, int], bool]) -> None:
    deadline.check()
    nb = expand(x)
    if nb is None:
        return
    if remaining == 1:
        if b in nb:
            out.append((0.0, (*path, b)))
        return
    for y in sorted(nb):
        if y == b or y in on_path or hopeless(y, len(path)):
            continue
        on_path.add(y)
        _dfs(y, b, remaining - 1, (*path, y), on_path, expand, out, hopeless)
        on_path.discard(y)
        if expand.exhausted:
            return


def _name(props: Mapping[str, Any]) -> str:
    artists, title = props.get("artists"), props.get("title") or f"track {props.get('id')}"
    return f"'{artists} - {title}'" if artists else f"'{title}'"


def _at(props: Mapping[str, Any]) -> str:
    key = props.get("camelot") or "unknown key"
    bpm = props.get("bpm")
    return f"{key} @ {bpm:g} BPM" if bpm is not None else f"{key}, unknown BPM"


def diagnose(result: PathList, a: Mapping[str, Any], b: Mapping[str, Any], *, k: int, max_len: int,
             strictness: str, bpm_window_pct: float) -> tuple[str | None, list[str]]:
    """(diagnosis, warnings) of a :func:`harmonic_paths` answer, in words a DJ reads: why there is no path
    (an end without key or BPM, the wheel or the tempo gap needing more hops than ``max_len`` allows, a
    start track nothing can follow, the search budget, or no chain in the graph), and what limited a short
    answer."""
    rules = f"strictness '{strictness}' and BPM steps of at most {bpm_window_pct:g} %"
    warnings: list[str] = []
    for end, props in (("start", a), ("end", b)):
        missing = [w for w, f in (("key", "camelot"), ("BPM", "bpm")) if props.get(f) is None]
        if missing:
            return (f"the {end} track {_name(props)} has no known {' and no '.join(missing)}: every hop of a "
                    "harmonic path needs the key and BPM of both tracks, so no hop "
                    f"{'from' if end == 'start' else 'into'} it can be checked"), warnings
    if result:
        if len(result) < k:
            if result.budget_exhausted:
                warnings.append(f"only {len(result)} of the {k} paths asked for were found before the search "
                                f"budget ran out ({result.expanded} tracks expanded): longer or lower-ranked "
                                "paths may be missing")
            else:
                warnings.append(f"only {len(result)} path(s) of at most {max_len} tracks exist with {rules}")
        return None, warnings
    if result.min_hops is not None and result.min_hops > max_len - 1:
        return (f"{_at(a)} -> {_at(b)} needs at least {result.min_hops} hops with {rules} (the Camelot wheel "
                f"and the tempo gap), but max_len {max_len} allows {max_len - 1}; ask for max_len "
                f"{result.min_hops + 1} or more, a looser strictness or a wider bpm_window_pct"), warnings
    if result.start_neighbours == 0:
        return (f"no track in the graph can follow the start track {_name(a)} ({_at(a)}) with {rules}; "
                "try a looser strictness or a wider bpm_window_pct"), warnings
    if result.budget_exhausted:
        return (f"the search gave up after expanding {result.expanded} tracks (its budget) without reaching the "
                f"end track; a path of at most {max_len} tracks may still exist: try a smaller max_len, a looser "
                "strictness or a wider bpm_window_pct"), warnings
    return (f"no chain of tracks in the graph links {_name(a)} ({_at(a)}) to {_name(b)} ({_at(b)}) within "
            f"{max_len} tracks with {rules}: the search looked at every track that could still lead there "
            f"({result.expanded} expanded); try a larger max_len, a looser strictness or a wider "
            "bpm_window_pct"), warnings
