"""The waterfall: for every flagged track and field, ask the configured providers in priority order;
the first value whose confidence reaches that provider's ``min_confidence`` wins.

Decisions (documented here because callers rely on them):

- **Every attempt is logged** in ``enrichment.attempt``: each provider consulted for a (track, field)
  until one wins, with its input (what it consulted), output (its value), confidence, and why it did
  not win ('no data', 'confidence 0.55 below 0.6', 'invalid value: ...', 'HTTP 503 after 3 tries'). Providers after the winner are not consulted and not logged. Rows that are
  switched off in the config (``enabled = false``) are not part of the waterfall at all, so they are
  never attempted. An *online* provider that is in the config but not configured in the settings (no
  API key) is skipped WITHOUT an attempt row: that is a fact about the run, not about the track, so it
  is recorded once, in ``ops.run.stats -> 'enrichment' -> 'disabled_providers'`` (and on
  ``EnrichStats.disabled_providers``). Logging it per track would be ~9 of the ~16 attempt rows of a
  typical track and halve the throughput for no information.
- **No winner keeps the current value** (in normal runs and replays alike): a value is never erased
  because today no provider reaches its threshold; its provenance still names the run that wrote it and
  the attempts of this run show why nothing replaced it.
- **History** (``enrichment.field_history``) gets a row whenever the winning value, provider or
  confidence differs from the current one; re-running with the same result adds nothing.
- **Invalid provider values** (BPM outside 20..300, pitch class outside 0..11, energy outside 0..1,
  a year outside 1900..next year, a malformed ISRC) never win: the attempt is logged with
  'invalid value: ...' and the waterfall falls through.
- ``validation_status``: 'invalid' when title or artists are blank or a stored value breaks a range;
  'valid' when title, artists, BPM and key are present; otherwise 'incomplete'.
- ``quality_score`` = sum over fields of weight x confidence of the current value (:data:`QUALITY_WEIGHTS`,
  summing to 1; a value without a recorded confidence, e.g. set by the silver builder, counts 0.5).
- Work happens in chunks, one transaction each, tracks locked ``FOR NO KEY UPDATE`` while they are
  computed (a concurrent silver builder that flags a track again waits and its flag survives).
  ``needs_enrichment`` is the cursor: a killed run loses at most the chunk in progress. The flag is
  cleared only when all fields were evaluated (a replay of ``bpm`` alone leaves a pending full
  enrichment pending).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import set_json_loads

from etl.enrichment.config import FIELDS, config_of_snapshot, snapshot_of_run, take_snapshot
from etl.enrichment.providers import (
    LookupContext,
    Provider,
    ProviderError,
    ProviderValue,
    TrackInput,
    build_providers,
    load_observations,
)
from graphsvc.errors import InvalidValue
from graphsvc.ids import stable_id

try:  # orjson is ~10x faster on the many small attempt documents; json is the fallback
    import orjson

    def _dumps(obj: Any) -> str:
        return orjson.dumps(obj, default=str).decode()

    _loads: Callable[[Any], Any] = orjson.loads
except ImportError:  # pragma: no cover
    import json

    def _dumps(obj: Any) -> str:
        return json.dumps(obj, default=str, separators=(",", ":"))

    _loads = json.loads


QUALITY_WEIGHTS: dict[str, float] = {
    "bpm": 0.25, "key": 0.25, "energy": 0.1, "genres": 0.15, "label": 0.15, "release_year": 0.05, "isrc": 0.05,
}
UNKNOWN_CONFIDENCE = 0.5
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
_MAX_YEAR = dt.date.today().year + 1


@dataclass
class EnrichStats:
    tracks: int = 0
    chunks: int = 0
    attempts: int = 0
    history_rows: int = 0
    unchanged: int = 0
    no_winner: int = 0
    diffs: int = 0
    seconds: float = 0.0
    read_s: float = 0.0      # loading tracks and observations
    compute_s: float = 0.0   # providers and the waterfall in Python
    write_s: float = 0.0     # labels, UPDATE, COPY of attempts/history/diffs, commit
    wins: Counter = field(default_factory=Counter)  # "field:provider" -> count
    disabled_providers: list[str] = field(default_factory=list)  # configured but switched off in the settings

    @property
    def tracks_per_s(self) -> float:
        return self.tracks / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {"tracks": self.tracks, "chunks": self.chunks, "attempts": self.attempts,
                "history_rows": self.history_rows, "unchanged": self.unchanged, "no_winner": self.no_winner,
                "diffs": self.diffs, "seconds": round(self.seconds, 3), "read_s": round(self.read_s, 3),
                "compute_s": round(self.compute_s, 3), "write_s": round(self.write_s, 3), "tracks_per_s": round(self.tracks_per_s, 1),
                "wins": dict(self.wins), "disabled_providers": self.disabled_providers}


def camelot(pitch_class: int, mode: int) -> str:
    """Camelot wheel code: C major 8B, A minor 8A, G major 9B, E minor 9A, ..."""
    pc = pitch_class if mode == 1 else (pitch_class + 3) % 12  # a minor key sits with its relative major
    return f"{(7 * pc + 7) % 12 + 1}{'B' if mode == 1 else 'A'}"


def validate(field_name: str, v: Any) -> str | None:
    """None when ``v`` is an acceptable value of the field, else the reason."""
    try:
        if field_name == "bpm":
            return None if isinstance(v, (int, float)) and 20 <= v <= 300 else f"bpm {v!r} outside 20..300"
        if field_name == "key":
            pc, mode = v.get("pitch_class"), v.get("mode")
            ok = isinstance(pc, int) and 0 <= pc <= 11 and mode in (0, 1)
            return None if ok else f"key {v!r} needs pitch_class 0..11 and mode 0/1"
        if field_name == "energy":
            return None if isinstance(v, (int, float)) and 0 <= v <= 1 else f"energy {v!r} outside 0..1"
        if field_name == "genres":
            ok = isinstance(v, list) and v and all(isinstance(g, str) and g.strip() for g in v)
            return None if ok else f"genres {v!r} is not a list of names"
        if field_name == "label":
            return None if isinstance(v, str) and 0 < len(v.strip()) <= 200 else f"label {v!r} is empty or too long"
        if field_name == "release_year":
            ok = isinstance(v, int) and 1900 <= v <= _MAX_YEAR
            return None if ok else f"release_year {v!r} outside 1900..{_MAX_YEAR}"
        if field_name == "isrc":
            return None if isinstance(v, str) and _ISRC.match(v.replace("-", "").upper()) else f"isrc {v!r} malformed"
    except (AttributeError, TypeError):
        return f"{field_name} {v!r} has the wrong type"
    return f"unknown field {field_name!r}"


def _normalize(field_name: str, v: Any) -> Any:
    if field_name == "bpm":
        return round(float(v), 2)
    if field_name == "energy":
        return round(float(v), 4)
    if field_name == "key":
        return {"pitch_class": int(v["pitch_class"]), "mode": int(v["mode"])}
    if field_name == "genres":
        return list(dict.fromkeys(g.strip() for g in v))
    if field_name == "label":
        return " ".join(v.split())
    if field_name == "isrc":
        return v.replace("-", "").upper()
    return v


# ---------------------------------------------------------------------------------------------------
# loading and writing a chunk

_TRACK_SQL = """
SELECT t.track_id, t.title, t.artists_display, t.version, t.duration_s,
       t.bpm::float8, t.key_pitch_class, t.key_mode, t.energy, t.genres, l.name, t.release_year, t.isrc,
       t.provenance, t.field_confidence
FROM silver.track t LEFT JOIN silver.label l ON l.label_id = t.label_id
WHERE t.track_id = ANY(%s)
ORDER BY t.track_id
FOR NO KEY UPDATE OF t
"""

_TMP_SQL = """
CREATE TEMP TABLE IF NOT EXISTS enrich_track_update (
    track_id bigint PRIMARY KEY, bpm numeric(6,2), key_pitch_class smallint, key_mode smallint, camelot text,
    energy real, genres text[], label text, release_year smallint, isrc text, provenance jsonb,
    field_confidence jsonb, quality_score real, validation_status text, clear_flag boolean
) ON COMMIT DELETE ROWS
"""

_UPDATE_SQL = """
UPDATE silver.track t SET
    bpm = u.bpm, key_pitch_class = u.key_pitch_class, key_mode = u.key_mode, camelot = u.camelot,
    energy = u.energy, genres = u.genres,
    label_id = CASE WHEN u.label IS NULL THEN t.label_id ELSE l.label_id END,
    release_year = u.release_year, isrc = u.isrc, provenance = u.provenance, field_confidence = u.field_confidence,
    quality_score = u.quality_score, validation_status = u.validation_status,
    needs_enrichment = CASE WHEN u.clear_flag THEN false ELSE t.needs_enrichment END, updated_at = now()
FROM enrich_track_update u LEFT JOIN silver.label l ON l.name_key = u.label
WHERE t.track_id = u.track_id
"""

_ATTEMPT_COPY = (
    "COPY enrichment.attempt (run_id, replay_id, entity_type, entity_id, field, provider, priority, input,"
    " output, confidence, success, error) FROM STDIN"
)
_HISTORY_COPY = (
    "COPY enrichment.field_history (run_id, replay_id, entity_type, entity_id, field, value, provider,"
    " confidence, fetched_at) FROM STDIN"
)
_DIFF_COPY = (
    "COPY enrichment.replay_diff (replay_id, entity_type, entity_id, field, old_value, new_value, old_provider,"
    " new_provider, old_confidence, new_confidence, changed) FROM STDIN"
)


def _label_keyer() -> Callable[[str], str]:
    try:
        from graphsvc.names import name_key

        return name_key
    except ImportError:  # pragma: no cover
        return lambda s: " ".join(s.casefold().split())


_name_key = _label_keyer()


def _current_values(row: tuple) -> dict[str, Any]:
    (_, _, _, _, _, bpm, pc, mode, energy, genres, label, year, isrc, _, _) = row
    return {
        "bpm": bpm,
        "key": {"pitch_class": pc, "mode": mode} if pc is not None and mode is not None else None,
        "energy": round(float(energy), 4) if energy is not None else None,
        "genres": list(genres) if genres else None,
        "label": label,
        "release_year": year,
        "isrc": isrc,
    }


def _status(title: str, artists: str, values: dict[str, Any]) -> str:
    if not title.strip() or not artists.strip():
        return "invalid"
    for f, v in values.items():
        if v is not None and validate(f, v) is not None:
            return "invalid"
    return "valid" if values["bpm"] is not None and values["key"] is not None else "incomplete"


def _quality(values: dict[str, Any], confidence: dict[str, float]) -> float:
    q = 0.0
    for f, w in QUALITY_WEIGHTS.items():
        if values.get(f) is not None:
            c = confidence.get(f)
            q += w * (UNKNOWN_CONFIDENCE if c is None else min(float(c), 1.0))
    return round(q, 4)


# ---------------------------------------------------------------------------------------------------


def enrich(
    conn: psycopg.Connection,
    run_id: int,
    *,
    track_ids: Sequence[int] | None = None,
    fields: Sequence[str] | None = None,
    snapshot_id: int | None = None,
    replay_id: int | None = None,
    chunk_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    providers: dict[str, Provider] | None = None,
    refetch: bool = False,
) -> EnrichStats:
    """Run the waterfall for ``track_ids`` (None: every track with ``needs_enrichment``) and ``fields``
    (None: all) under config ``snapshot_id`` (None: the run's snapshot, else a snapshot of the current
    config, recorded on the run). With ``replay_id`` the old/new values go to ``enrichment.replay_diff``.
    Commits once per chunk. ``progress(tracks_done)`` is called after each chunk."""
    started = time.perf_counter()
    fields = list(FIELDS if fields is None else dict.fromkeys(fields))
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise InvalidValue(f"unknown field(s) {', '.join(map(repr, unknown))}; fields are {', '.join(FIELDS)}")
    if not 1 <= chunk_size <= 50_000:
        raise InvalidValue(f"chunk_size must be between 1 and 50000, got {chunk_size}")
    if snapshot_id is None:
        snapshot_id = snapshot_of_run(conn, run_id)
        if snapshot_id is None:
            snapshot_id = take_snapshot(conn)
            conn.execute("UPDATE ops.run SET snapshot_id = %s WHERE run_id = %s AND snapshot_id IS NULL",
                         (snapshot_id, run_id))
    config = config_of_snapshot(conn, snapshot_id)
    conn.commit()

    providers = build_providers() if providers is None else providers
    # field -> [(provider name, priority, min_confidence)] in priority order, enabled rows only
    plan: dict[str, list[tuple[str, int, float]]] = {f: [] for f in fields}
    disabled: set[str] = set()
    for row in sorted(config, key=lambda r: r.priority):
        if row.enabled and row.field in plan:
            prov = providers.get(row.provider)
            if prov is not None and not prov.enabled:
                disabled.add(row.provider)  # not configured in the settings: skipped, noted on the run
                continue
            plan[row.field].append((row.provider, row.priority, row.min_confidence))
    wanted: dict[str, frozenset[str]] = {}  # provider -> the fields it is asked for in this run
    for f, steps in plan.items():
        for pname, _, _ in steps:
            prov = providers.get(pname)
            if prov is not None and f in prov.fields:
                wanted[pname] = wanted.get(pname, frozenset()) | {f}
    needs_observations = any(not providers[p].online for p in wanted)
    clear_flag = set(fields) >= set(FIELDS)

    stats = EnrichStats(disabled_providers=sorted(disabled))
    ctx = LookupContext(conn=conn, run_id=run_id, refetch=refetch)
    explicit = sorted(set(track_ids)) if track_ids is not None else None
    cursor = -1
    pos = 0
    while True:
        if explicit is not None:
            chunk = explicit[pos:pos + chunk_size]
            pos += chunk_size
        else:
            chunk = [r[0] for r in conn.execute(
                "SELECT track_id FROM silver.track WHERE needs_enrichment AND track_id > %s"
                " ORDER BY track_id LIMIT %s", (cursor, chunk_size))]
        if not chunk:
            break
        cursor = chunk[-1]
        with conn.transaction():
            _run_chunk(conn, ctx, chunk, fields, plan, wanted, providers, needs_observations, clear_flag,
                       run_id, replay_id, stats)
        conn.commit()
        stats.chunks += 1
        if progress is not None:
            progress(stats.tracks)
    stats.seconds = time.perf_counter() - started
    if stats.tracks:
        conn.execute(
            "UPDATE ops.run SET stats = stats || jsonb_build_object('enrichment', %s::jsonb) WHERE run_id = %s",
            (_dumps(stats.as_json()), run_id),
        )
        conn.commit()
    return stats


def _run_chunk(
    conn: psycopg.Connection,
    ctx: LookupContext,
    chunk: list[int],
    fields: list[str],
    plan: dict[str, list[tuple[str, int, float]]],
    wanted: dict[str, frozenset[str]],
    providers: dict[str, Provider],
    needs_observations: bool,
    clear_flag: bool,
    run_id: int,
    replay_id: int | None,
    stats: EnrichStats,
) -> None:
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        set_json_loads(_loads, cur)  # provenance / field_confidence of every track
        rows = cur.execute(_TRACK_SQL, (chunk,)).fetchall()
    ctx.observations = load_observations(conn, chunk) if needs_observations else {}
    t1 = time.perf_counter()
    stats.read_s += t1 - t0
    attempts: list[tuple] = []
    history: list[tuple] = []
    diffs: list[tuple] = []
    updates: list[tuple] = []
    labels: dict[str, str] = {}  # name_key -> name
    run_stamp = run_id
    for row in rows:
        track_id, title, artists = row[0], row[1], row[2]
        track = TrackInput(track_id, title, artists, row[3], row[4])
        values = _current_values(row)
        provenance: dict = dict(row[13] or {})
        confidence: dict = dict(row[14] or {})
        results: dict[str, Any] = {}
        for f in fields:
            winner: tuple[str, ProviderValue] | None = None
            for pname, prio, min_conf in plan[f]:
                prov = providers.get(pname)
                if prov is None or f not in prov.fields:
                    attempts.append((run_stamp, replay_id, "track", track_id, f, pname, prio, "{}", None, None, False,
                                     f"unknown provider {pname!r} for {f}"))
                    continue
                res = results.get(pname)
                if res is None:
                    try:
                        res = prov.lookup(ctx, track, wanted[pname])
                    except ProviderError as e:
                        res = e
                    results[pname] = res
                if isinstance(res, ProviderError):
                    attempts.append((run_stamp, replay_id, "track", track_id, f, pname, prio, "{}", None, None, False,
                                     str(res)))
                    continue
                pv = res.get(f)
                if pv is None or pv.value is None:
                    attempts.append((run_stamp, replay_id, "track", track_id, f, pname, prio,
                                     _dumps(pv.detail) if pv else "{}", None, None, False, "no data"))
                    continue
                out = _dumps({"value": pv.value})
                problem = validate(f, pv.value)
                if problem is not None:
                    attempts.append((run_stamp, replay_id, "track", track_id, f, pname, prio, _dumps(pv.detail), out,
                                     pv.confidence, False, f"invalid value: {problem}"))
                    continue
                if pv.confidence < min_conf - 1e-9:
                    attempts.append((run_stamp, replay_id, "track", track_id, f, pname, prio, _dumps(pv.detail), out,
                                     pv.confidence, False, f"confidence {pv.confidence:.2f} below {min_conf:.2f}"))
                    continue
                attempts.append((run_stamp, replay_id, "track", track_id, f, pname, prio, _dumps(pv.detail), out,
                                 pv.confidence, True, None))
                winner = (pname, pv)
                break

            old_value = values[f]
            old_prov = provenance.get(f) or {}
            if winner is None:
                stats.no_winner += 1
                if replay_id is not None:
                    diffs.append((replay_id, "track", track_id, f, _json_or_none(old_value), _json_or_none(old_value),
                                  old_prov.get("provider"), old_prov.get("provider"), confidence.get(f),
                                  confidence.get(f), False))
                continue
            pname, pv = winner
            new_value = _normalize(f, pv.value)
            stats.wins[f"{f}:{pname}"] += 1
            changed = new_value != old_value or pname != old_prov.get("provider")
            if changed or confidence.get(f) != pv.confidence:
                values[f] = new_value
                confidence[f] = pv.confidence
                fetched = pv.fetched_at.isoformat() if pv.fetched_at else None
                entry = {"provider": pname, "confidence": pv.confidence, "fetched_at": fetched, "run_id": run_id}
                if replay_id is not None:
                    entry["replay_id"] = replay_id
                provenance[f] = entry
                history.append((run_id, replay_id, "track", track_id, f, _dumps(new_value), pname, pv.confidence,
                                pv.fetched_at))
            else:
                stats.unchanged += 1
            if replay_id is not None:
                diffs.append((replay_id, "track", track_id, f, _json_or_none(old_value), _dumps(new_value),
                              old_prov.get("provider"), pname, _float_or_none(old_prov.get("confidence")),
                              pv.confidence, changed))
        key = values["key"]
        label_key = None  # only a label chosen now is (re)resolved; otherwise label_id stays as it is
        if "label" in provenance and provenance["label"].get("run_id") == run_id and values["label"] is not None:
            label_key = _name_key(values["label"])
            labels.setdefault(label_key, values["label"])
        genres = values["genres"]
        updates.append((
            track_id, values["bpm"],
            key["pitch_class"] if key else None, key["mode"] if key else None,
            camelot(key["pitch_class"], key["mode"]) if key else None,
            values["energy"], _pg_array(genres) if genres else "{}", label_key,
            values["release_year"], values["isrc"], _dumps(provenance), _dumps(confidence),
            _quality(values, confidence), _status(title, artists, values), clear_flag,
        ))
    stats.tracks += len(rows)
    t2 = time.perf_counter()
    stats.compute_s += t2 - t1

    if labels:
        keys = list(labels)
        conn.execute(
            "INSERT INTO silver.label (label_id, name, name_key)"
            " SELECT k_id, n, k FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS x(k_id, n, k)"
            " ON CONFLICT DO NOTHING",
            ([stable_id("label", k) for k in keys], [labels[k] for k in keys], keys),
        )
    conn.execute(_TMP_SQL)
    with conn.cursor() as cur:
        with cur.copy("COPY enrich_track_update FROM STDIN") as cp:
            for u in updates:
                cp.write_row(u)
        cur.execute(_UPDATE_SQL)
        with cur.copy(_ATTEMPT_COPY) as cp:
            for a in attempts:
                cp.write_row(a)
        if history:
            with cur.copy(_HISTORY_COPY) as cp:
                for h in history:
                    cp.write_row(h)
        if diffs:
            with cur.copy(_DIFF_COPY) as cp:
                for d in diffs:
                    cp.write_row(d)
    stats.write_s += time.perf_counter() - t2
    stats.attempts += len(attempts)
    stats.history_rows += len(history)
    stats.diffs += len(diffs)


def _json_or_none(v: Any) -> str | None:
    return None if v is None else _dumps(v)


def _float_or_none(v: Any) -> float | None:
    return None if v is None else float(v)


def _pg_array(items: list[str]) -> str:
    """A text[] literal for COPY (the text COPY format needs the array literal, quoted element-wise)."""
    return "{" + ",".join('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in items) + "}"
