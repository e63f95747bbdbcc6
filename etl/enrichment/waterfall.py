"""The waterfall: for every flagged track and field, ask the configured providers in priority order;
the first value whose confidence reaches that provider's ``min_confidence`` wins.

Decisions (documented here because callers rely on them):

- **Every attempt is logged** in ``enrichment.attempt`` (a view over ``enrichment.attempt_log``: one row
  per track and call, whose elements number their step in the call's ``enrichment.attempt_plan``, see migration 012):
  each provider consulted for a (track, field) until one wins, with its input (what it consulted), output (its value),
  confidence, and why it did not win ('no data', 'confidence 0.55 below 0.6', 'invalid value: ...', 'HTTP 503 after 3
  tries'). Providers after the winner are not consulted and not logged. Rows that are switched off in the config
  (``enabled = false``) are not part of the waterfall at all, so they are never attempted. An *online* provider that is
  in the config but not configured in the settings (no API key) is skipped WITHOUT an attempt row: that is a fact about
  the run, not about the track, so it is recorded once, in ``ops.run.stats -> 'enrichment' -> 'disabled_providers'``
  (and on ``EnrichStats.disabled_providers``). Logging it per track would be ~9 of the ~16 attempt rows of a
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
- Work happens in chunks, one transaction each (labels, track UPDATE, attempts, history, diffs),
  written by a background thread on a second connection while the next chunk is computed
  (:mod:`etl.enrichment.writer`). ``needs_enrichment`` is the cursor: a killed run loses at most the
  chunks not yet committed. Nothing is locked while computing: the flag is cleared only if the track
  row is still the version that was read (``xmin``), so a track changed meanwhile (flagged again by a
  silver builder, say) keeps its flag and is redone. The flag is cleared only when all fields were
  evaluated (a replay of ``bpm`` alone leaves a pending full enrichment pending).
- A label is stored as a reference to the shared ``silver.label`` row of its name key: a winner that
  differs from the stored label only in spelling ("TRESOR" vs "Tresor") is unchanged (no history).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson  # ~10x faster than json on the many small attempt documents
import psycopg
from psycopg.types.json import set_json_loads

from etl.enrichment.config import FIELDS, confidences_of_snapshot, config_of_snapshot, snapshot_of_run, take_snapshot
from etl.enrichment.providers import (
    LookupContext,
    Provider,
    ProviderError,
    ProviderValue,
    TrackInput,
    bigint_array,
    build_providers,
    load_mates,
    load_observations,
)
from etl.enrichment.writer import ChunkRows, background_writer, prepare, write_chunk
from graphsvc.errors import InvalidValue
from graphsvc.pg import conninfo_of, fetch_one


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


_loads: Callable[[Any], Any] = orjson.loads


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
                "compute_s": round(self.compute_s, 3), "write_s": round(self.write_s, 3),
                "tracks_per_s": round(self.tracks_per_s, 1),
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
            ok = isinstance(v, list) and bool(v) and all(isinstance(g, str) and g.strip() for g in v)
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
# reading a chunk

_TRACK_COLUMNS = """
SELECT t.track_id, t.title, t.artists_display, t.version, t.duration_s,
       t.bpm::float8, t.key_pitch_class, t.key_mode, t.energy, t.genres, l.name, t.release_year, t.isrc,
       t.provenance, t.field_confidence, t.xmin::text
FROM silver.track t LEFT JOIN silver.label l ON l.label_id = t.label_id
"""
# the next flagged tracks after the cursor: the flag is the queue, no separate id query
_FLAGGED_SQL = _TRACK_COLUMNS + " WHERE t.needs_enrichment AND t.track_id > %s ORDER BY t.track_id LIMIT %s"
_BY_ID_SQL = _TRACK_COLUMNS + " WHERE t.track_id = ANY(%s::bigint[]) ORDER BY t.track_id"

# COPY text format: NULL, and the escapes a text value needs
_NULL = "\\N"
_ESC = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(s: str | None) -> str:
    return _NULL if s is None else s.translate(_ESC)


def _json(s: str) -> str:
    """JSON text as a COPY field: orjson escapes control characters itself, only backslashes double."""
    return s.replace("\\", "\\\\") if "\\" in s else s


def _num(v: Any) -> str:
    return _NULL if v is None else repr(float(v))


def _jnum(v: Any) -> str:
    """A confidence as a JSON number (``null`` when unknown or not finite, which JSON cannot hold)."""
    if v is None:
        return "null"
    f = float(v)
    return repr(f) if math.isfinite(f) else "null"


def _label_keyer() -> Callable[[str], str]:
    try:
        from graphsvc.names import name_key

        return name_key
    except ImportError:  # pragma: no cover
        return lambda s: " ".join(s.casefold().split())


_name_key = _label_keyer()


def _current_values(row: tuple) -> dict[str, Any]:
    (_, _, _, _, _, bpm, pc, mode, energy, genres, label, year, isrc, _, _, _) = row
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
    chunk_size: int = 4000,
    progress: Callable[[int], None] | None = None,
    providers: dict[str, Provider] | None = None,
    refetch: bool = False,
    background: bool = True,
) -> EnrichStats:
    """Run the waterfall for ``track_ids`` (None: every track with ``needs_enrichment``) and ``fields``
    (None: all) under config ``snapshot_id`` (None: the run's snapshot, else a snapshot of the current
    config, recorded on the run). With ``replay_id`` the old/new values go to ``enrichment.replay_diff``.

    One transaction per chunk. With ``background`` (the default) chunks are written by a thread on a
    second connection while the next chunk is computed; without it, on ``conn``. Either way every chunk
    handed to the writer is committed before this returns (or raises), and ``progress(tracks_done)`` is
    called after each chunk is handed over."""
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
    confidences = confidences_of_snapshot(conn, snapshot_id)
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
    waterfall = _Waterfall(fields, plan, wanted, providers, run_id, replay_id,
                           clear_flag=set(fields) >= set(FIELDS),
                           known_labels={k for (k,) in conn.execute("SELECT name_key FROM silver.label")})
    needs_observations = any(not providers[p].online for p in wanted)

    stats = EnrichStats(disabled_providers=sorted(disabled))
    ctx = LookupContext(conn=conn, run_id=run_id, refetch=refetch, confidence=confidences)
    explicit = sorted(set(track_ids)) if track_ids is not None else None
    writer = background_writer(conninfo_of(conn)) if background else None
    if writer is None:
        prepare(conn)
    try:
        cursor, pos = -1, 0
        while True:
            t0 = time.perf_counter()
            if explicit is not None:
                ids = explicit[pos:pos + chunk_size]
                pos += chunk_size
                if not ids:
                    break
                rows = _read(conn, _BY_ID_SQL, (bigint_array(ids),))
            else:
                rows = _read(conn, _FLAGGED_SQL, (cursor, chunk_size))
                if not rows:
                    break
                cursor = rows[-1][0]
            if needs_observations and ctx.mates is None:
                ctx.mates = load_mates(conn)
            ctx.observations = (load_observations(conn, [r[0] for r in rows], ctx.mates)
                                if needs_observations and rows else {})
            conn.commit()  # end the read snapshot (nothing is locked)
            t1 = time.perf_counter()
            stats.read_s += t1 - t0
            if waterfall.plan_id is None and rows:  # a call with nothing to enrich writes nothing
                # the steps in the order attempts number them, written once (committed below, before the
                # writer's first attempt log refers to it)
                # (content-addressed, migration 020: a resumed run reuses the plan its killed run wrote)
                plan_json = _dumps([[f, p, int(prio)] for f in fields for p, prio, _ in plan[f]])
                (plan_id,) = fetch_one(conn.execute(
                    "INSERT INTO enrichment.attempt_plan (run_id, replay_id, steps, steps_key)"
                    " VALUES (%s, %s, %s, md5(%s))"
                    " ON CONFLICT (steps_key) DO UPDATE SET steps_key = EXCLUDED.steps_key RETURNING plan_id",
                    (run_id, replay_id, plan_json, plan_json),
                ))
                waterfall.set_plan(plan_id)
            out = waterfall.run(ctx, rows, stats)
            conn.commit()  # online providers store their responses on conn
            t2 = time.perf_counter()
            stats.compute_s += t2 - t1
            if writer is not None:
                writer.submit(out)
            else:
                with conn.transaction():
                    write_chunk(conn, out)
                stats.write_s += time.perf_counter() - t2
            stats.chunks += 1
            if progress is not None:
                progress(stats.tracks)
        if writer is not None:
            writer.drain()
    except BaseException:
        if writer is not None:  # what was handed over still commits: a chunk is lost only when in progress
            with contextlib.suppress(BaseException):
                writer.drain()
        raise
    finally:
        if writer is not None:
            writer.close()
            stats.write_s += writer.seconds
    stats.seconds = time.perf_counter() - started
    if stats.tracks:
        conn.execute(
            "UPDATE ops.run SET stats = stats || jsonb_build_object('enrichment', %s::jsonb) WHERE run_id = %s",
            (_dumps(stats.as_json()), run_id),
        )
        conn.commit()
    return stats


def _read(conn: psycopg.Connection, query: str, params: tuple) -> list[tuple]:
    with conn.cursor() as cur:
        set_json_loads(_loads, cur)  # provenance / field_confidence of every track
        return cur.execute(query, params).fetchall()


@dataclass
class _Step:
    """One provider of one field's waterfall, with the constant parts of its attempt lines."""

    provider_name: str
    priority: int
    min_confidence: float
    provider: Provider | None     # None, or one that cannot fill the field: logged as such, never asked
    head: str                     # '[<step number in the plan>': the start of its attempt elements (012)


class _Waterfall:
    """The per-run constants of the waterfall, and the loop over a chunk's tracks."""

    def __init__(self, fields: list[str], plan: dict[str, list[tuple[str, int, float]]],
                 wanted: dict[str, frozenset[str]], providers: dict[str, Provider], run_id: int,
                 replay_id: int | None, *, clear_flag: bool, known_labels: set[str]) -> None:
        self.fields = fields
        numbers = iter(range(1_000_000))  # step numbers, in the order of plan_steps()
        self.steps: dict[str, list[_Step]] = {
            f: [_Step(p, prio, mc, prov if (prov := providers.get(p)) is not None and f in prov.fields else None,
                      f"[{next(numbers)}") for p, prio, mc in plan[f]]
            for f in fields
        }
        self.wanted = wanted
        # name keys in silver.label: only new ones are inserted (ON CONFLICT still covers a concurrent insert)
        self.known_labels = known_labels
        self.run_id = run_id
        self.replay_id = replay_id
        self.clear_flag = "t" if clear_flag else "f"
        # the columns every attempt-log/history line of this run ends with: run_id, replay_id, entity_type
        self.tail = f"\t{run_id}\t{_NULL if replay_id is None else replay_id}\ttrack\n"
        self.plan_id: int | None = None
        self.attempt_tail = ""  # attempt-log lines end with plan_id and the tail (set_plan)

    def set_plan(self, plan_id: int) -> None:
        self.plan_id = plan_id
        self.attempt_tail = f"\t{plan_id}{self.tail}"

    def run(self, ctx: LookupContext, rows: list[tuple], stats: EnrichStats) -> ChunkRows:
        out = ChunkRows(first_track=rows[0][0], last_track=rows[-1][0]) if rows else ChunkRows()
        attempts, history, diffs, updates, labels = out.attempts, out.history, out.diffs, out.updates, out.labels
        run_id, replay_id, tail = self.run_id, self.replay_id, self.tail
        n_attempts = 0
        wanted = self.wanted
        wins = stats.wins
        no_winner = unchanged = 0
        for row in rows:
            track_id, title, artists = row[0], row[1], row[2]
            tid = str(track_id)
            track = TrackInput(track_id, title, artists, row[3], row[4])
            values = _current_values(row)
            provenance: dict = dict(row[13] or {})
            confidence: dict = dict(row[14] or {})
            results: dict[str, Any] = {}
            logged: list[str] = []  # this track's attempts: elements of its attempt_log array (see 010)
            add = logged.append
            for f in self.fields:
                winner: tuple[str, ProviderValue] | None = None
                for step in self.steps[f]:
                    prov = step.provider
                    if prov is None:
                        add(f'{step.head},{{}},{_dumps(f"unknown provider {step.provider_name!r} for {f}")}]')
                        continue
                    pname = step.provider_name
                    res = results.get(pname)
                    if res is None:
                        try:
                            res = prov.lookup(ctx, track, wanted[pname])
                        except ProviderError as e:
                            res = e
                        results[pname] = res
                    if isinstance(res, ProviderError):
                        add(f'{step.head},{{}},{_dumps(str(res))}]')
                        continue
                    pv = res.get(f)
                    if pv is None or pv.value is None:
                        detail = "{}" if pv is None else (pv.detail_json or _dumps(pv.detail))
                        add(f'{step.head},{detail},"no data"]')
                        continue
                    head = f'{step.head},{_dumps(pv.detail)},{_dumps({"value": pv.value})},{_jnum(pv.confidence)}'
                    problem = validate(f, pv.value)
                    if problem is not None:
                        add(f'{head},{_dumps(f"invalid value: {problem}")}]')
                        continue
                    if pv.confidence < step.min_confidence - 1e-9:
                        why = f"confidence {pv.confidence:.2f} below {step.min_confidence:.2f}"
                        add(f'{head},{_dumps(why)}]')
                        continue
                    add(f"{head}]")  # the winner: no error
                    winner = (pname, pv)
                    break

                old_value = values[f]
                old_prov = provenance.get(f) or {}
                if winner is None:
                    no_winner += 1
                    if replay_id is not None:
                        diffs.append((replay_id, "track", track_id, f, _json_or_none(old_value),
                                      _json_or_none(old_value), old_prov.get("provider"), old_prov.get("provider"),
                                      confidence.get(f), confidence.get(f), False))
                    continue
                pname, pv = winner
                new_value = _normalize(f, pv.value)
                wins[f"{f}:{pname}"] += 1
                changed = not _same(f, new_value, old_value) or pname != old_prov.get("provider")
                if changed or confidence.get(f) != pv.confidence:
                    values[f] = new_value
                    confidence[f] = pv.confidence
                    fetched = pv.fetched_at.isoformat() if pv.fetched_at else None
                    entry = {"provider": pname, "confidence": pv.confidence, "fetched_at": fetched, "run_id": run_id}
                    if replay_id is not None:
                        entry["replay_id"] = replay_id
                    provenance[f] = entry
                    history.append(f"{tid}\t{_text(f)}\t{_json(_dumps(new_value))}\t{_text(pname)}\t"
                                   f"{_num(pv.confidence)}\t{_text(fetched)}{tail}")
                else:
                    unchanged += 1
                if replay_id is not None:
                    diffs.append((replay_id, "track", track_id, f, _json_or_none(old_value), _dumps(new_value),
                                  old_prov.get("provider"), pname, _float_or_none(old_prov.get("confidence")),
                                  pv.confidence, changed))
            if logged:
                attempts.append(f"{tid}\t{_json('[' + ','.join(logged) + ']')}{self.attempt_tail}")
                n_attempts += len(logged)
            key = values["key"]
            label_key = None  # only a label chosen now is (re)resolved; otherwise label_id stays as it is
            if values["label"] is not None and (provenance.get("label") or {}).get("run_id") == run_id:
                label_key = _name_key(values["label"])
                if label_key not in self.known_labels:
                    self.known_labels.add(label_key)
                    labels[label_key] = values["label"]
            genres = values["genres"]
            bpm, energy, year = values["bpm"], values["energy"], values["release_year"]
            updates.append("\t".join((
                tid, _num(bpm),
                _NULL if key is None else str(key["pitch_class"]), _NULL if key is None else str(key["mode"]),
                _NULL if key is None else camelot(key["pitch_class"], key["mode"]),
                _num(energy), _text(_pg_array(genres)) if genres else "{}", _text(label_key),
                _NULL if year is None else str(int(year)), _text(values["isrc"]),
                _json(_dumps(provenance)), _json(_dumps(confidence)),
                repr(_quality(values, confidence)), _status(title, artists, values), self.clear_flag, row[15],
            )) + "\n")
        stats.tracks += len(rows)
        stats.no_winner += no_winner
        stats.unchanged += unchanged
        stats.attempts += n_attempts
        stats.history_rows += len(history)
        stats.diffs += len(diffs)
        return out


def _same(field_name: str, new: Any, old: Any) -> bool:
    """Whether a winning value equals the stored one. A label is stored as a reference to the shared
    ``silver.label`` row of its name key, whose name may be another spelling ("TRESOR" for "Tresor")."""
    if field_name == "label" and new is not None and old is not None:
        return _name_key(new) == _name_key(old)
    return new == old


def _json_or_none(v: Any) -> str | None:
    return None if v is None else _dumps(v)


def _float_or_none(v: Any) -> float | None:
    return None if v is None else float(v)


def _pg_array(items: list[str]) -> str:
    """A text[] literal (the text COPY format needs the array literal, quoted element-wise)."""
    return "{" + ",".join('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in items) + "}"
