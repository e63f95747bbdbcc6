"""How often two independent sources agree on a track's key and tempo, and what that says about each.

Measured on silver as the pipeline built it (so the joins are the pipeline's own identity resolution):
every observation with a tempo or a key, grouped by RECORDING (``silver.track.recording_key``: the edits
of one recording share it), one value per recording and kind of source (``observation.kind``: spotify,
giantsteps, rekordbox, traktor, mixxx, virtualdj, essentia...).

- **Agreement per pair of kinds**: the share of recordings both kinds observed on which they agree: key
  exactly, key within one compatible move (same, relative, adjacent on the Camelot wheel), tempo within
  2% (``bpm``) and within 2% once half/double tempo is allowed (``bpm_octave``).
- **Accuracy per kind** (the confidence of its values), by triangulation: if kinds err independently and two wrong
  values rarely coincide, P(A = B) ~ a.b; fitting that to every pair of kinds at once (weighted least squares of log a +
  log b = log p_AB, each pair weighted by the inverse variance of its log rate) gives each kind's accuracy, as soon as
  the pairs contain a triangle (rekordbox / Spotify / Traktor: a = sqrt(p_AB p_AC / p_BC)). A kind compared with an
  expert (GiantSteps) is measured directly by that agreement. Ignoring coinciding errors (two analysers both hearing the
  relative major) makes the estimates a little optimistic.
  Bootstrap 95% intervals resample the recordings of each pair.
- **Match strategies**: how far values reached through a weaker match agree compared with exact matches,
  e.g. another edit of the same recording (``other_edit``) vs the same edit, measured within the Spotify
  tables; a library track read from its file name vs its tags (``library:file_name``), measured on library
  tracks that have both.

Only exact matches (a tag, the track key, an identifier) count for the accuracy of a kind, so errors of
the match do not leak into the accuracy of the source. Values observed by the same upstream (the two
Spotify tables and the 1001Tracklists rows are all Spotify's analysis) are one kind: their agreement is
reported as a consistency check, never as evidence of accuracy.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from graphsvc.harmonic import Key, Move, classify_move

EXACT = frozenset({"track_key", "library", "library:tag", "row", "entry", "featured_as_artist"})
# for the accuracy of a kind, library tracks named by their title or file name count too (more shared
# recordings between libraries; their match factor, measured against tags alone, is close to 1)
KIND = EXACT | {"library:name", "library:file_name", "library:soundcloud_name"}
MIN_PAIRS = 10       # a pair of kinds needs this many shared recordings to be used
BOOTSTRAP = 500
_COMPATIBLE = frozenset({Move.SAME_KEY, Move.RELATIVE, Move.ADJACENT})


def _default_kind(source: str) -> str:
    if source.startswith("features:"):
        return "generic"
    return {"1001tracklists": "spotify"}.get(source, source)


def key_agrees(a: Key, b: Key) -> bool:
    return a == b


def key_compatible(a: Key, b: Key) -> bool:
    return a == b or classify_move(a, b) in _COMPATIBLE


def bpm_agrees(a: float, b: float, tolerance: float = 0.02) -> bool:
    return abs(a - b) <= tolerance * max(a, b)


def bpm_octave_agrees(a: float, b: float, tolerance: float = 0.02) -> bool:
    return any(bpm_agrees(a * f, b, tolerance) for f in (1.0, 2.0, 0.5))


MEASURES: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "key": ("key", key_agrees),
    "key_compatible": ("key", key_compatible),
    "bpm": ("bpm", bpm_agrees),
    "bpm_octave": ("bpm", bpm_octave_agrees),
}


@dataclass
class PairAgreement:
    a: str
    b: str
    measure: str
    outcomes: list[bool]  # one per shared recording

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def rate(self) -> float:
        return sum(self.outcomes) / self.n if self.outcomes else float("nan")


@dataclass
class Accuracy:
    kind: str
    field: str
    estimate: float
    ci_low: float
    ci_high: float
    pairs: int
    basis: str


@dataclass
class Report:
    pairs: list[PairAgreement] = field(default_factory=list)
    consistency: list[PairAgreement] = field(default_factory=list)  # same kind, different tables
    accuracy: list[Accuracy] = field(default_factory=list)
    matches: list[Accuracy] = field(default_factory=list)

    def pair(self, a: str, b: str, measure: str) -> PairAgreement | None:
        for p in self.pairs:
            if p.measure == measure and {p.a, p.b} == {a, b}:
                return p
        return None


def load_values(conn: psycopg.Connection) -> list[tuple]:
    """(recording, kind, source, strategy, bpm, key, track) of every observation with a tempo or a key."""
    rows = conn.execute(
        """SELECT coalesce(t.recording_key, t.track_id::text), o.kind, o.source, o.match_strategy,
                  o.bpm::float8, o.key_pitch_class, o.key_mode, o.track_id
           FROM silver.observation o JOIN silver.track t ON t.track_id = o.track_id
           WHERE o.bpm IS NOT NULL OR o.key_pitch_class IS NOT NULL"""
    ).fetchall()
    conn.commit()
    out = []
    for rec, kind, source, strategy, bpm, pc, mode, track in rows:
        key = Key(pc, mode) if pc is not None and mode is not None else None
        out.append((rec, kind or _default_kind(source), source, strategy, bpm, key, track))
    return out


def _by_recording(values: Iterable[tuple], group: Callable[[tuple], str | None]) -> dict[str, dict[str, dict]]:
    """group -> recording -> {"bpm": ..., "key": ...}: the most common value among the group's observations."""
    acc: dict[str, dict[str, dict[str, Counter]]] = defaultdict(lambda: defaultdict(lambda: {"bpm": Counter(),
                                                                                             "key": Counter()}))
    for v in values:
        rec, bpm, key = v[0], v[4], v[5]
        g = group(v)
        if g is None:
            continue
        cell = acc[g][rec]
        if bpm is not None:
            cell["bpm"][round(bpm, 1)] += 1
        if key is not None:
            cell["key"][key] += 1
    return {g: {rec: {f: (c.most_common(1)[0][0] if c else None) for f, c in cell.items()}
                for rec, cell in recs.items()}
            for g, recs in acc.items()}


def pair_outcomes(x: dict[str, dict], y: dict[str, dict], measure: str) -> list[bool]:
    fld, agrees = MEASURES[measure]
    out = []
    for rec in x.keys() & y.keys():
        va, vb = x[rec][fld], y[rec][fld]
        if va is not None and vb is not None:
            out.append(agrees(va, vb))
    return out


def _triangulate(rates: dict[frozenset, tuple[float, int]], kinds: list[str]) -> dict[str, tuple[float, int]]:
    """kind -> (accuracy, pairs) fitting P(A = B) = a.b to every pair at once: weighted least squares of
    log a + log b = log p_AB, each pair weighted by its count. Only kinds in a connected part of the pair
    graph that contains a triangle (an odd cycle) are identified; the others are left out."""
    import numpy as np

    usable = [(tuple(sorted(k)), r, n) for k, (r, n) in rates.items() if r > 0]
    present = sorted({k for (a, b), _, _ in usable for k in (a, b)})
    out: dict[str, tuple[float, int]] = {}
    for component in _components(present, [pair for pair, _, _ in usable]):
        edges = [(a, b, r, n) for (a, b), r, n in usable if a in component]
        if not _has_odd_cycle(component, [(a, b) for a, b, _, _ in edges]):
            continue
        index = {k: i for i, k in enumerate(component)}
        rows = np.zeros((len(edges), len(component)))
        rhs = np.zeros(len(edges))
        weights = np.zeros(len(edges))
        for e, (a, b, r, n) in enumerate(edges):
            rows[e, index[a]] = rows[e, index[b]] = 1.0
            # inverse variance of log(rate) (delta method: (1 - p) / (n p)), so a pair of 12 tracks agreeing
            # 8% of the time does not outweigh one of 300 agreeing 40%
            rhs[e], weights[e] = math.log(r), math.sqrt(n * r / max(1.0 - r, 1e-3))
        solution, *_ = np.linalg.lstsq(rows * weights[:, None], rhs * weights, rcond=None)
        for k, i in index.items():
            out[k] = (min(math.exp(float(solution[i])), 1.0), sum(n for a, b, _, n in edges if k in (a, b)))
    return out


def _components(nodes: list[str], pairs: list[tuple[str, str]]) -> list[list[str]]:
    parent = {k: k for k in nodes}

    def root(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for k in nodes:
        groups[root(k)].append(k)
    return list(groups.values())


def _has_odd_cycle(nodes: list[str], pairs: list[tuple[str, str]]) -> bool:
    """Whether the graph is not bipartite (then the pair equations fix every accuracy)."""
    adj: dict[str, list[str]] = defaultdict(list)
    for a, b in pairs:
        adj[a].append(b)
        adj[b].append(a)
    colour: dict[str, int] = {}
    for start in nodes:
        if start in colour:
            continue
        colour[start] = 0
        stack = [start]
        while stack:
            k = stack.pop()
            for m in adj[k]:
                if m not in colour:
                    colour[m] = 1 - colour[k]
                    stack.append(m)
                elif colour[m] == colour[k]:
                    return True
    return False


def measure(conn: psycopg.Connection, *, seed: int = 0, bootstrap: int = BOOTSTRAP,
            experts: Iterable[str] = ("giantsteps",)) -> Report:
    values = load_values(conn)
    report = Report()
    exact = _by_recording(values, lambda v: v[1] if (v[3] or "track_key") in KIND or (v[3] or "").startswith(
        "identifier:") else None)
    kinds = sorted(exact)
    # consistency inside a kind: the tables of one upstream against each other
    by_source = _by_recording(values, lambda v: f"{v[1]}|{v[2]}" if (v[3] or "track_key") in EXACT else None)
    for s1, s2 in itertools.combinations(sorted(by_source), 2):
        if s1.split("|")[0] != s2.split("|")[0]:
            continue
        for m in ("key", "bpm"):
            outcomes = pair_outcomes(by_source[s1], by_source[s2], m)
            if len(outcomes) >= MIN_PAIRS:
                report.consistency.append(PairAgreement(s1, s2, m, outcomes))
    for a, b in itertools.combinations(kinds, 2):
        for m in MEASURES:
            outcomes = pair_outcomes(exact[a], exact[b], m)
            if outcomes:
                report.pairs.append(PairAgreement(a, b, m, outcomes))
    rng = random.Random(seed)
    for fld, m in (("key", "key"), ("bpm", "bpm")):
        usable = [p for p in report.pairs if p.measure == m and p.n >= MIN_PAIRS]
        rates = {frozenset((p.a, p.b)): (p.rate, p.n) for p in usable}
        base = _triangulate(rates, kinds)
        boots: dict[str, list[float]] = defaultdict(list)
        for _ in range(bootstrap):
            resampled = {frozenset((p.a, p.b)): (sum(rng.choices(p.outcomes, k=p.n)) / p.n, p.n) for p in usable}
            for kind, (v, _w) in _triangulate(resampled, kinds).items():
                boots[kind].append(v)
        for kind, (v, w) in sorted(base.items()):
            lo, hi = _interval(boots[kind])
            report.accuracy.append(Accuracy(kind, fld, round(v, 3), lo, hi, w,
                                            f"measured: triangulated from {_partners(usable, kind)}"))
        for expert in experts:  # against an expert the agreement is the accuracy itself
            for p in usable:
                if expert in (p.a, p.b):
                    other = p.b if p.a == expert else p.a
                    lo, hi = _interval([sum(rng.choices(p.outcomes, k=p.n)) / p.n for _ in range(bootstrap)])
                    report.accuracy.append(Accuracy(other, fld, round(p.rate, 3), lo, hi, p.n,
                                                    f"measured: agreement with the {expert} expert keys"))
    report.matches.extend(_match_factors(values, rng, bootstrap))
    mate = _mate_factor(values, rng, bootstrap)
    if mate is not None:
        report.matches.append(mate)
    return report


def _partners(usable: list[PairAgreement], kind: str) -> str:
    return ", ".join(f"{p.b if p.a == kind else p.a} (n={p.n})" for p in usable if kind in (p.a, p.b))


def _interval(samples: list[float]) -> tuple[float, float]:
    if not samples:
        return float("nan"), float("nan")
    s = sorted(samples)
    return round(s[int(0.025 * (len(s) - 1))], 3), round(s[int(0.975 * (len(s) - 1))], 3)


def _match_factors(values: list[tuple], rng: random.Random, bootstrap: int) -> list[Accuracy]:
    """How values reached through a weaker match agree with the exact observations of OTHER kinds, relative
    to how exact observations of the same kind agree with them: factor = rate(strategy) / rate(exact)."""
    out = []
    exact = _by_recording(values, lambda v: v[1] if (v[3] or "track_key") in EXACT else None)
    by_strategy = _by_recording(values, lambda v: f"{v[1]}|{v[3]}" if v[3] and v[3] not in EXACT else None)
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for g in by_strategy:
        kind, strategy = g.split("|", 1)
        groups[strategy].append((kind, g))
    for strategy, members in sorted(groups.items()):
        if strategy.startswith("identifier:"):
            continue
        weak: list[bool] = []
        strong: list[bool] = []
        for kind, g in members:
            for other in exact:
                if other == kind:
                    continue
                for m in ("key", "bpm_octave"):
                    weak.extend(pair_outcomes(by_strategy[g], exact[other], m))
                    if kind in exact:
                        strong.extend(pair_outcomes(exact[kind], exact[other], m))
        if len(weak) < MIN_PAIRS or len(strong) < MIN_PAIRS:
            continue
        rate_w, rate_s = sum(weak) / len(weak), sum(strong) / len(strong)
        factor = min(rate_w / rate_s, 1.0) if rate_s else float("nan")
        boots = []
        for _ in range(bootstrap):
            w = sum(rng.choices(weak, k=len(weak))) / len(weak)
            s = sum(rng.choices(strong, k=len(strong))) / len(strong)
            boots.append(min(w / s, 1.0) if s else float("nan"))
        lo, hi = _interval(boots)
        out.append(Accuracy("match", strategy, round(factor, 3), lo, hi, len(weak),
                            f"measured: agreement {rate_w:.3f} (n={len(weak)}) vs {rate_s:.3f} for exact matches"))
    return out


def _mate_factor(values: list[tuple], rng: random.Random, bootstrap: int) -> Accuracy | None:
    """Exact observations of two kinds on the SAME track vs on two edits of one recording (another track
    with the same recording_key): how far another edit's tempo and key still hold."""
    exact = [v for v in values if (v[3] or "track_key") in EXACT]
    by_track = _by_recording([(str(v[6]), *v[1:]) for v in exact], lambda v: v[1])
    by_rec: dict[str, list[tuple[str, str]]] = defaultdict(list)  # recording -> (track, kind)
    for v in exact:
        by_rec[v[0]].append((str(v[6]), v[1]))
    same: list[bool] = []
    other: list[bool] = []
    kinds = sorted(by_track)
    for a, b in itertools.combinations(kinds, 2):
        for m in ("key", "bpm_octave"):
            same.extend(pair_outcomes(by_track[a], by_track[b], m))
    fld_pairs = {"key": MEASURES["key"], "bpm_octave": MEASURES["bpm_octave"]}
    for members in by_rec.values():
        tracks = {t for t, _ in members}
        if len(tracks) < 2:
            continue
        for (t1, k1), (t2, k2) in itertools.combinations(sorted(set(members)), 2):
            if t1 == t2 or k1 == k2:
                continue
            for fld, agrees in fld_pairs.values():
                va, vb = by_track[k1].get(t1, {}).get(fld), by_track[k2].get(t2, {}).get(fld)
                if va is not None and vb is not None:
                    other.append(agrees(va, vb))
    if len(other) < MIN_PAIRS or len(same) < MIN_PAIRS:
        return None
    rate_o, rate_s = sum(other) / len(other), sum(same) / len(same)
    boots = []
    for _ in range(bootstrap):
        o = sum(rng.choices(other, k=len(other))) / len(other)
        s = sum(rng.choices(same, k=len(same))) / len(same)
        boots.append(min(o / s, 1.0) if s else float("nan"))
    lo, hi = _interval(boots)
    return Accuracy("match", "recording_mate", round(min(rate_o / rate_s, 1.0), 3), lo, hi, len(other),
                    f"measured: two kinds agree {rate_o:.3f} (n={len(other)}) across edits of a recording vs "
                    f"{rate_s:.3f} on the same track")


def library_name_accuracy(conn: psycopg.Connection, parse: Callable[[str], Any]) -> list[tuple[str, int, int]]:
    """For library tracks that have an Artist tag, read "Artist - Title" from their file name as if the tag
    were missing: (program, tracks read, tracks whose artist and title keys equal the tags')."""
    from etl.silver.sources import library  # late: silver imports the evaluation package lazily too
    from graphsvc.names import name_key, title_key

    rows = conn.execute(
        """SELECT o.source, o.artist_raw, ta.title, coalesce(o.extra->>'path', o.extra->>'location')
           FROM silver.observation o JOIN silver.track ta ON ta.track_id = o.track_id
           WHERE o.match_strategy = 'library:tag' AND o.artist_raw IS NOT NULL"""
    ).fetchall()
    conn.commit()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for source, artist, title, location in rows:
        stem = library.file_stem(location)
        hit = library.read_artist_title(stem, parse, file_name=True) if stem else None
        if hit is None:
            continue
        p = hit[0]
        counts[source][0] += 1
        primary = [c.name for c in p.credits if c.role == "primary"]
        ok = bool(primary) and name_key(primary[0]) in name_key(artist) and title_key(p.title or "") == title_key(title)
        counts[source][1] += ok
    return [(s, n, k) for s, (n, k) in sorted(counts.items())]
