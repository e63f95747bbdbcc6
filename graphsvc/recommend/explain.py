"""Evidence of one recommendation, and the sentence a DJ reads ("followed it in 3 sets by 2 DJs; same
label (Soma); 8A -> 9A, +1.6 % BPM")."""

from __future__ import annotations

from typing import Any

from graphsvc import harmonic
from graphsvc.recommend.context import CAPS, Context
from graphsvc.recommend.features import Fit

_MOVE_WORDS = {
    harmonic.Move.SAME_KEY: "same key", harmonic.Move.ADJACENT: "adjacent key", harmonic.Move.RELATIVE: "relative key",
    harmonic.Move.DIAGONAL: "diagonal move", harmonic.Move.TWO_STEP: "two steps round the wheel",
    harmonic.Move.SEMITONE: "semitone lift", harmonic.Move.CLASH: "keys clash",
}


def signed_bpm_pct(src_bpm: float, bpm: float, half_double: bool) -> float:
    """The tempo change in percent of the source, signed, after half/double time when that is closer."""
    best = bpm
    if half_double:  # the closest of bpm, 2 bpm, bpm / 2; on a tie the lower tempo
        for b in (bpm * 2.0, bpm * 0.5):
            d, d_best = abs(b - src_bpm), abs(best - src_bpm)
            if d < d_best or (d == d_best and b < best):
                best = b
    return (best - src_bpm) / src_bpm * 100.0


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _djs(n: int) -> str:
    return "1 DJ" if n == 1 else f"{n} DJs"


_STATIC_HEAD = ("followed", "preceded", "via_tracks", "same_sets", "same_artist", "same_label", "collaboration",
                "dj_support")


def static_evidence(ctx: Context, c: dict[str, Any]) -> dict[str, Any]:
    """The part of :func:`evidence` that does not depend on the request's constraints (kept per source by
    the service; read-only)."""
    src = ctx.source
    cid = c["id"]
    out: dict[str, Any] = {}
    o = ctx.out.get(cid)
    out["followed"] = None if o is None else {"times": o[0], "djs": o[1], "last_seen": o[2]}
    i = ctx.inn.get(cid)
    out["preceded"] = None if i is None else {"times": i[0], "djs": i[1], "last_seen": i[2]}
    out["via_tracks"] = ctx.two_hop.get(cid) or None
    offs = ctx.offsets.get(cid, ())
    # tuples, not lists, here and below: the service keeps this per source (Context.memo), and a container
    # of atoms only is one the cyclic garbage collector stops scanning (lists it scans for ever)
    out["same_sets"] = ({"sets": ctx.shared_sets.get(cid, 0), "sets_scanned": ctx.sets_scanned,
                         "positions_after": tuple(sorted({d for d in offs if d > 0})),
                         "positions_before": tuple(sorted({-d for d in offs if d < 0}))}
                        if ctx.shared_sets.get(cid) else None)
    out["same_artist"] = bool(set(src["artist_ids"]) & set(c["artist_ids"]))
    out["same_label"] = c["label"] if src["label_id"] is not None and c["label_id"] == src["label_id"] else None
    out["collaboration"] = max((ctx.collaborators.get(y, 0) for y in c["artist_ids"]), default=0) or None
    sup = max((ctx.support.get(y, 0.0) for y in c["primary_ids"]), default=0.0)
    out["dj_support"] = round(sup, 4) if sup else None
    shared_scene = tuple(g for g in c["scene_genres"] if g in src["scene_genres"])
    out["shared_genres"] = shared_scene or None
    out["popularity"] = {"plays": c["plays"], "djs": c["djs"], "plays_recent": c["plays_recent"],
                         "trend": c["trend"]}
    return out


_NESTED = frozenset(("followed", "preceded", "same_sets", "popularity"))  # keys whose value is a dict (or None)


def frozen(st: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """:func:`static_evidence` as nested tuples of atoms, the form the service keeps per source: a dict
    holding a dict stays in the cyclic garbage collector's scans for ever, a tuple of atoms leaves them
    (thousands of kept sources made each full collection take ~150 ms in an API worker)."""
    return tuple((k, None if v is None else tuple(v.items())) if k in _NESTED else (k, v) for k, v in st.items())


def thawed(fz: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """The :func:`static_evidence` dict :func:`frozen` was made from (fresh dicts, equal values)."""
    out = dict(fz)
    for k in _NESTED:
        v = out[k]
        if v is not None:
            out[k] = dict(v)
    return out


def evidence(ctx: Context, c: dict[str, Any], ft: Fit, half_double: bool,
             static: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the graph knows about the pair, as JSON-ready data (None where there is nothing); ``static``
    is :func:`static_evidence` of the pair when the caller kept it."""
    st = static if static is not None else static_evidence(ctx, c)
    src = ctx.source
    out = {k: st[k] for k in _STATIC_HEAD}
    if ft.move is not None:
        out["key"] = {"status": "known", "from": src["camelot"], "to": ft.effective_camelot, "move": ft.move.value}
    else:
        out["key"] = {"status": "unknown", "from": src["camelot"], "to": c["camelot"], "move": None}
    if ft.bpm_pct is not None:
        change = 0.0 if ft.pitch_shift else signed_bpm_pct(src["bpm"], c["bpm"], half_double)
        out["bpm"] = {"status": "known", "from": src["bpm"], "to": c["bpm"], "change_pct": round(change, 2),
                      "pitch_shift": ft.pitch_shift}
    else:
        out["bpm"] = {"status": "unknown", "from": src["bpm"], "to": c["bpm"], "change_pct": None, "pitch_shift": 0}
    out["energy_delta"] = None if ft.energy_delta is None else round(ft.energy_delta, 3)
    out["shared_genres"] = st["shared_genres"]
    out["popularity"] = st["popularity"]
    return out


def sentence(ev: dict[str, Any], facts: list[str] | None = None) -> str:
    """One plain sentence from the evidence, strongest facts first (``facts``: :func:`evidence_facts` of
    the same evidence, when the caller kept them)."""
    parts = list(facts if facts is not None else evidence_facts(ev))
    k, b = ev["key"], ev["bpm"]
    harmonic_part = []
    if k["status"] == "known":
        # (a StrEnum member hashes and compares as its value: no Move() conversion per sentence)
        harmonic_part.append(f"{k['from']} -> {k['to']} ({_MOVE_WORDS[k['move']]})")
    else:
        harmonic_part.append("key unknown")
    if b["status"] == "known":
        if b["pitch_shift"]:
            harmonic_part.append(f"pitched {b['pitch_shift']:+d} semitone{'s' if abs(b['pitch_shift']) > 1 else ''}"
                                 f" to {b['from']:g} BPM")
        else:
            harmonic_part.append(f"{b['change_pct']:+.1f} % BPM")
    else:
        harmonic_part.append("BPM unknown")
    parts.append(", ".join(harmonic_part))
    return "; ".join(parts)


def evidence_facts(ev: dict[str, Any]) -> list[str]:
    """The sentence's clauses on what DJs did and how the tracks relate (all but the key and tempo, which
    depend on the request): a function of :func:`static_evidence` alone."""
    parts: list[str] = []
    f = ev["followed"]
    if f:
        parts.append(f"DJs played it right after this one {_times(f['times'])} ({_djs(f['djs'])})")
    p = ev["preceded"]
    if p:
        parts.append(f"played right before this one {_times(p['times'])}")
    s = ev["same_sets"]
    if s:
        after = s["positions_after"]
        if after and not f:
            parts.append(f"came {after[0]} tracks after it in a set")
        if s["sets"] > 1:
            scanned = s["sets_scanned"]
            parts.append(f"in {s['sets']} of the {scanned} sets that played this one" if scanned < CAPS.sets
                         else f"in {s['sets']} of the {scanned} latest sets that played this one")
        else:
            parts.append("in a set with this one")
    if ev["via_tracks"] and not f:
        parts.append("follows what DJs play after this one")
    if ev["same_artist"]:
        parts.append("same artist")
    if ev["same_label"]:
        parts.append(f"same label ({ev['same_label']})")
    if ev["collaboration"]:
        parts.append("by a collaborator of its artist")
    if ev["dj_support"] and not parts:
        parts.append("its artists are played by the DJs who play this one")
    if ev["shared_genres"] and not parts:
        parts.append(f"popular in {ev['shared_genres'][0]}")
    return parts
