"""Scoring and final ordering of next-track candidates, shared by every graph backend.

A backend generates *raw* candidates (graph rule 3: which tracks may follow, at most CANDIDATE_CAP,
ordered by (transitions desc, move score desc, bpm_pct asc nulls last, id asc)); this module scores them
with ``graphsvc.harmonic.transition_score`` and orders them (score desc, transitions desc, id asc), so
both backends rank identically.

A raw candidate is a mapping (or object) with: track_id, title, artists, bpm, camelot, energy, genres,
move, bpm_pct, pitch_shift, pitched (True when the track is pitched to the source tempo; then its
effective key is ``shift_key(camelot, pitch_shift)`` and its effective BPM distance is 0), transitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphsvc import harmonic
from graphsvc.graph.base import Candidate, bounded

CANDIDATE_CAP = 1000


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if type(obj) is dict or isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _side(source: Any) -> dict[str, Any]:
    return {"key": _get(source, "camelot"), "bpm": _get(source, "bpm"), "energy": _get(source, "energy"),
            "genres": _get(source, "genres")}


def score_candidate(source: Any, raw: Any) -> Candidate:
    """Score one raw candidate against ``source`` (a track mapping with camelot, bpm, energy, genres)."""
    return _candidate(raw, *_score(_side(source), raw))


def _score(src: dict[str, Any], raw: Any) -> tuple[harmonic.TransitionScore, bool, int, Any]:
    camelot = _get(raw, "camelot")
    pitched = bool(_get(raw, "pitched", False))
    shift = int(_get(raw, "pitch_shift", 0) or 0)
    eff_key = camelot
    if camelot is not None and pitched and shift:
        eff_key = harmonic.shift_key(harmonic.parse_key(camelot), shift)
    bpm = _get(raw, "bpm")
    src_bpm = src["bpm"]
    eff_bpm = src_bpm if (pitched and src_bpm is not None and bpm is not None) else bpm
    ts = harmonic.transition_score(
        src,
        {"key": eff_key, "bpm": eff_bpm, "energy": _get(raw, "energy"), "genres": _get(raw, "genres")},
        evidence_count=int(_get(raw, "transitions", 0) or 0),
    )
    return ts, pitched, shift, eff_key


def _candidate(raw: Any, ts: harmonic.TransitionScore, pitched: bool, shift: int, eff_key: Any) -> Candidate:
    bpm = _get(raw, "bpm")
    camelot = _get(raw, "camelot")
    transitions = ts.evidence_count
    breakdown = ts.explain()
    breakdown["pitched"] = pitched
    if pitched:
        breakdown["effective_camelot"] = None if eff_key is None else str(eff_key)
    return Candidate(
        track_id=int(_get(raw, "track_id")),
        title=_get(raw, "title"),
        artists=_get(raw, "artists"),
        bpm=bpm,
        camelot=camelot,
        energy=_get(raw, "energy"),
        move=None if ts.move is None else ts.move.value,
        bpm_pct=None if ts.bpm_pct is None else ts.bpm_pct,
        pitch_shift=shift if pitched else 0,
        transitions=transitions,
        score=ts.score,
        breakdown=breakdown,
    )


def rank_candidates(source: Any, raw: Iterable[Any], limit: int) -> list[Candidate]:
    """Score ``raw`` candidates for ``source`` and return the best ``limit``:
    ordered by (score desc, transitions desc, track id asc)."""
    bounded("limit", limit)
    src = _side(source)
    scored = [(_score(src, r), r) for r in raw]
    # the breakdown (explain) and the Candidate are built for the returned ones only
    scored.sort(key=lambda p: (-p[0][0].score, -p[0][0].evidence_count, int(_get(p[1], "track_id"))))
    return [_candidate(r, *s) for s, r in scored[: int(limit)]]
