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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphsvc import deadline
from graphsvc.errors import InvalidValue
from graphsvc.graph.base import Candidate, bounded
from graphsvc.graph.ranking import score_candidate

DEFAULT_BUDGET = 100  # neighbour expansions per request (each is one candidate generation)


class PathList(list):
    """A list of paths (each a list of Candidate, start track first) that says whether the search
    budget ran out (then longer or lower-ranked paths may be missing)."""

    budget_exhausted: bool = False
    expanded: int = 0


class _Expander:
    def __init__(self, neighbours: Callable[[int], Sequence[Any]], budget: int) -> None:
        self._neighbours = neighbours
        self._cache: dict[int, dict[int, Any]] = {}
        self.budget = budget
        self.expanded = 0
        self.exhausted = False

    def __call__(self, x: int) -> dict[int, Any] | None:
        hit = self._cache.get(x)
        if hit is not None:
            return hit
        if self.expanded >= self.budget:
            self.exhausted = True
            return None
        deadline.check()  # a request that timed out stops here (graphsvc.deadline)
        self.expanded += 1
        out = {int(_get(r, "track_id")): r for r in self._neighbours(x)}
        out.pop(x, None)
        self._cache[x] = out
        return out


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
) -> PathList:
    bounded("k", k)
    bounded("max_len", max_len)
    if a == b:
        raise InvalidValue("a harmonic path needs two different tracks")
    k, max_hops = int(k), int(max_len) - 1
    expand = _Expander(neighbours, budget)
    scores: dict[tuple[int, int], Candidate] = {}

    def hop(x: int, y: int) -> Candidate:
        c = scores.get((x, y))
        if c is None:
            c = scores[(x, y)] = score_candidate(source(x), expand._cache[x][y])
        return c

    # 1. BFS with all shortest-route parents
    depth = {a: 0}
    parents: dict[int, list[int]] = {a: []}
    layer = [a]
    d = 0
    while layer and b not in depth and d < max_hops and not expand.exhausted:
        nxt: list[int] = []
        for x in layer:
            nb = expand(x)
            if nb is None:
                break
            for y in nb:
                if y not in depth:
                    depth[y] = d + 1
                    parents[y] = [x]
                    nxt.append(y)
                elif depth[y] == d + 1:
                    parents[y].append(x)
        d += 1
        nxt.sort()
        layer = nxt

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
                (s + hop(x, y).score, path + (y,))
                for x in parents[y] if x in anc
                for s, path in best[x]
            ]
            opts.sort(key=lambda o: (-o[0], o[1]))
            best[y] = opts[:k]
        found = list(best[b])
        shortest = depth[b]
    else:
        shortest = max_hops + 1 if not expand.exhausted else None

    # 2. longer simple paths, by length, depth-first
    length = (shortest + 1) if shortest is not None else None
    while length is not None and len(found) < k and length <= max_hops and not expand.exhausted:
        more: list[tuple[float, tuple[int, ...]]] = []
        _dfs(a, b, length, (a,), {a}, expand, more)
        for _, path in more:
            s = 0.0
            for x, y in zip(path, path[1:]):
                s += hop(x, y).score
            found.append((s, path))
        found.sort(key=lambda o: (len(o[1]), -o[0], o[1]))
        length += 1

    found.sort(key=lambda o: (len(o[1]), -o[0], o[1]))
    result = PathList()
    for _, path in found[:k]:
        src = source(path[0])
        start = Candidate(
            track_id=path[0], title=src.get("title"), artists=src.get("artists"), bpm=src.get("bpm"),
            camelot=src.get("camelot"), energy=src.get("energy"), move=None, bpm_pct=None, pitch_shift=0,
            transitions=0, score=0.0, breakdown={"start": True},
        )
        result.append([start] + [hop(x, y) for x, y in zip(path, path[1:])])
    result.budget_exhausted = expand.exhausted
    result.expanded = expand.expanded
    return result


def _dfs(x: int, b: int, remaining: int, path: tuple[int, ...], on_path: set[int],
         expand: _Expander, out: list) -> None:
    deadline.check()
    nb = expand(x)
    if nb is None:
        return
    if remaining == 1:
        if b in nb:
            out.append((0.0, path + (b,)))
        return
    for y in sorted(nb):
        if y == b or y in on_path:
            continue
        on_path.add(y)
        _dfs(y, b, remaining - 1, path + (y,), on_path, expand, out)
        on_path.discard(y)
        if expand.exhausted:
            return
