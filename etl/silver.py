"""Bronze -> silver: parse, validate, resolve identities and write sets, entries, tracks and artists.

Guarantees:

* **Incremental**: only bronze records without a ``silver.processed_record`` row are read.
* **Exactly one place**: every bronze record, and every item inside one (a tracklist entry, a playlist
  entry), lands in exactly one of: a silver row (set entry, mashup component, library track,
  observation), ``silver.set_gap``, or ``silver.reject`` with the reason. Invalid *values* inside a
  row that did land (BPM 999, key 13A) are kept in ``silver.invalid_value``.
* **Newer versions win**: a later bronze record of a set already in silver (a corrected MixesDB
  tracklist, a re-exported rekordbox playlist) replaces it; the old version's items become rejects
  with the reason "superseded by bronze record N" (see ``_supersede``). A 1001Tracklists tracklist is
  one bronze record per row, so its version is the newest export file holding it: rows not in that
  file become rejects "superseded by bronze file N", and the set is rebuilt from its current rows
  (see ``_tracklist_version``); a file that only repeats an older export makes that one current again.
  Bronze keeps every version; a set's silver does not depend on whether its versions arrived in one
  run or several.
* **Crash-safe**: records are processed in chunks; a chunk's rows and its ``processed_record`` marks
  are committed in one transaction, so a killed run loses at most the chunk in progress, and the next
  run continues where it stopped. Ids are deterministic, so the result equals an uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import psycopg

from etl.chunkwriter import ChunkWriter
from etl.credits import CreditSplitter
from etl.identity import ArtistResolver, TrackResolver, track_key
from etl.mixtitle import parse_mix_title
from etl.parsepool import Packed, ParsePool, unpack
from etl.tracklist import Credit, EntryParseError, ParsedEntry, parse_entry
from graphsvc.errors import InvalidValue
from graphsvc.harmonic import Key, parse_bpm, parse_energy, parse_key
from graphsvc.ids import stable_id
from graphsvc.names import display_name, name_key
from graphsvc.pg import conninfo_of
from graphsvc.settings import get_settings

log = logging.getLogger(__name__)

_PARSE_MEMO_MAX = 200_000  # bound of the raw-text -> parse memo of one build
# below this many pending MixesDB entries (estimated), forking parse workers costs more than it saves
_POOL_MIN_ENTRIES = 5_000
_ENTRIES_PER_MIX = 20  # the estimate: a MixesDB mix has ~20 entries

_CUE_ARTIST = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(.+?)\s+-\s+(.*)$")

# the stages whose entries are parsed with parse_entry. The pool parses MixesDB entries ahead; the
# 1001Tracklists rows are all parsed up front by the identity pass (_tracklist_identities).
_MIX_STAGE = ("mixesdb", "mix")
_TRACKLIST_STAGE = ("1001tracklists", "tracklist_row")
_PARSED_STAGES = (_MIX_STAGE, _TRACKLIST_STAGE)
# (source, record_type) in processing order: library tracks before the playlists that reference them,
# tracks before the feature rows that are matched against them.
STAGES: tuple[tuple[str, str], ...] = (
    ("rekordbox", "library_track"),
    ("mixesdb", "mix"),
    ("1001tracklists", "tracklist_row"),
    ("rekordbox", "library_playlist"),
    ("features", "feature_row"),
)


@dataclass
class SilverStats:
    records: int = 0
    sets: int = 0
    entries: int = 0
    gaps: int = 0
    components: int = 0
    rejects: int = 0
    observations: int = 0
    invalid_values: int = 0
    tracks_new: int = 0
    artists_new: int = 0
    chunks: int = 0
    superseded_sets: int = 0
    canonical_renames: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ----------------------------------------------------------------------------------------------
# row buffers, written with COPY at the end of each chunk


_TABLES: dict[str, tuple[str, ...]] = {
    "artist": ("artist_id", "canonical_name", "name_key", "first_record_id"),
    "artist_alias": ("alias", "alias_key", "artist_id", "strategy", "score"),
    "track": (
        "track_id", "track_key", "title", "version", "artists_display", "catalog_number", "duration_s",
        "first_record_id",
    ),
    "track_artist": ("track_id", "artist_id", "role", "position"),
    "track_alias": ("alias_key", "track_id", "strategy"),
    "track_identifier": ("scheme", "value", "track_id"),
    "dj_set": (
        "set_id", "source", "source_key", "record_id", "title", "dj_display", "set_date", "date_precision",
        "venue", "event", "show", "url", "audio_url", "tags", "entry_count", "gap_count",
    ),
    "set_dj": ("set_id", "artist_id", "position"),
    "set_entry": ("set_id", "position", "cue", "cue_seconds", "track_id", "record_id", "item_index", "raw_title"),
    "set_gap": ("set_id", "position", "cue", "record_id", "item_index", "raw_title", "reason"),
    "mashup_component": ("set_id", "position", "track_id", "record_id", "item_index"),
    "observation": (
        "observation_id", "source", "record_id", "item_index", "track_id", "match_strategy", "artist_raw",
        "title_raw", "bpm", "key_pitch_class", "key_mode", "energy", "genres", "label", "catalog_number",
        "duration_s", "rating", "extra",
    ),
    "reject": ("record_id", "item_index", "reason", "raw_text", "run_id"),
    "invalid_value": ("record_id", "item_index", "field", "raw_value", "reason", "run_id"),
    "processed_record": ("record_id", "run_id", "outcome"),
    "artist_spelling_use": ("record_id", "artist_id", "spelling", "uses"),
    "processed_file": ("file_id", "run_id"),
}
# write order respects foreign keys
_WRITE_ORDER = (
    "artist", "artist_alias", "track", "track_artist", "track_alias", "track_identifier", "dj_set", "set_dj",
    "set_entry", "set_gap", "mashup_component", "observation", "reject", "invalid_value", "processed_record",
    "artist_spelling_use", "processed_file",
)


class Rows:
    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.dirty_tracks: set[int] = set()
        self.spellings: dict[tuple[int, int, str], int] = {}  # (record, artist, spelling) -> credits
        self.retired: list[tuple[int, str, int]] = []  # (set_id, reason, run_id) of superseded set versions
        # (set_id, bronze records) of 1001Tracklists sets rebuilt from their rows: all they derived goes
        self.rebuilt: list[tuple[int, list[int]]] = []

    def add(self, table: str, *values: Any) -> None:
        self.rows[table].append(values)

    def count_spelling(self, record_id: int, artist_id: int, name: str) -> None:
        k = (record_id, artist_id, name)
        self.spellings[k] = self.spellings.get(k, 0) + 1

    def write(self, conn: psycopg.Connection) -> None:
        if self.spellings:
            self.rows["artist_spelling_use"] = [(r, a, display_name(n), u) for (r, a, n), u in self.spellings.items()]
        with conn.cursor() as cur:
            if self.retired:  # first: the new versions of these sets are among the rows COPYed below
                ids, reasons, runs = zip(*self.retired)
                cur.execute(_RETIRE_SQL, {"ids": list(ids), "reasons": list(reasons), "runs": list(runs)})
            if self.rebuilt:  # first too: these records' rows are written again below
                cur.execute(_UNBUILD_SQL, {"sets": [s for s, _ in self.rebuilt],
                                           "records": [r for _, rs in self.rebuilt for r in rs]})
            for table in _WRITE_ORDER:
                rows = self.rows.get(table)
                if not rows:
                    continue
                cols = ", ".join(_TABLES[table])
                with cur.copy(f"COPY silver.{table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            if self.dirty_tracks:
                cur.execute(
                    # always touch the row (even if already flagged): a concurrent enrichment pass then sees
                    # a new row version and keeps the flag instead of clearing it over the new observation
                    "UPDATE silver.track SET needs_enrichment = true WHERE track_id = ANY(%s)",
                    (list(self.dirty_tracks),),
                )


# ----------------------------------------------------------------------------------------------


class SilverBuilder:
    """``parse_workers``: processes that parse the next chunk's entries while this one is resolved
    (:mod:`etl.parsepool`); None: ``GRAPHSVC_ETL_PARSE_WORKERS`` (capped by the CPU count), used only
    for runs of at least ~5,000 MixesDB entries; 0: parse in this process."""

    def __init__(self, conn: psycopg.Connection, run_id: int, *, chunk_records: int = 500,
                 progress: Callable[[int], None] | None = None, parse_workers: int | None = None) -> None:
        self.conn = conn
        self.run_id = run_id
        self.chunk_records = chunk_records
        self.parse_workers = parse_workers
        self.pool: ParsePool | None = None
        self._ahead: dict[str, Packed] = {}  # the pool's parses of the chunk being processed
        self._reprocessed: set[int] = set()  # records of earlier runs processed again (rebuilt sets)
        # 1001Tracklists files not yet taken into account -> the tracklists they hold (see _stale_files)
        self._new_files: dict[int, set[str]] = {}
        self.progress = progress
        self.stats = SilverStats()
        self.artists = ArtistResolver()
        self.tracks = TrackResolver()
        self.set_ids: set[int] = set()
        self.splitter: CreditSplitter | None = None
        self.rows = Rows()
        self._chunk_sets: set[int] = set()  # sets created by the rows not yet handed to the writer
        self.writer: ChunkWriter[Rows] | None = None
        self._parsed: dict[str, ParsedEntry] = {}  # raw text -> parse (same splitter for the whole run)

    # -- driving ---------------------------------------------------------------------------

    def pending(self) -> dict[tuple[str, str], list[int]]:
        out: dict[tuple[str, str], list[int]] = defaultdict(list)
        cur = self.conn.execute(
            """SELECT r.source, r.record_type, r.record_id FROM bronze.raw_record r
               WHERE NOT EXISTS (SELECT 1 FROM silver.processed_record p WHERE p.record_id = r.record_id)
               ORDER BY r.record_id"""
        )
        for source, rtype, rid in cur:
            out[(source, rtype)].append(rid)
        self.conn.commit()
        return out

    def _stale_files(self) -> dict[int, set[str]]:
        """1001Tracklists files silver has not taken into account, and the tracklists each holds. Their
        tracklists are rebuilt even when the file brought no new record: an export repeating an older
        one verbatim makes that version current again."""
        out: dict[int, set[str]] = defaultdict(set)
        for file_id, payload_id in self.conn.execute(
            """SELECT f.file_id, r.payload->>'tracklist_id' FROM bronze.ingest_file f
               JOIN bronze.file_record fr USING (file_id) JOIN bronze.raw_record r USING (record_id)
               WHERE f.source = '1001tracklists' AND r.record_type = 'tracklist_row'
                 AND NOT EXISTS (SELECT 1 FROM silver.processed_file p WHERE p.file_id = f.file_id)"""
        ):
            out[file_id].add((payload_id or "").strip())
        self.conn.commit()
        return dict(out)

    def run(self, max_chunks: int | None = None) -> SilverStats:
        try:
            return self._run(max_chunks)
        finally:
            if self.writer is not None:
                self.writer.close()
            if self.pool is not None:
                self.pool.close()

    def _start_pool(self, pending: dict[tuple[str, str], list[int]]) -> ParsePool | None:
        workers = self.parse_workers
        if workers is None:
            if len(pending.get(_MIX_STAGE, ())) * _ENTRIES_PER_MIX < _POOL_MIN_ENTRIES:
                return None
            workers = min(get_settings().etl_parse_workers, os.cpu_count() or 1)
        return ParsePool(self.splitter, workers) if workers > 0 else None

    def _run(self, max_chunks: int | None) -> SilverStats:
        t0 = time.perf_counter()
        pending = self.pending()
        self._new_files = self._stale_files()
        if not any(pending.values()) and not self._new_files:  # nothing new: nothing to resolve or rematch
            self._refresh_canonical_names()  # (a run killed after its last chunk did not get to it)
            self.stats.seconds = time.perf_counter() - t0
            return self.stats
        self.artists = ArtistResolver.load(self.conn)
        self.tracks = TrackResolver.load(self.conn)
        self.set_ids = {r[0] for r in self.conn.execute("SELECT set_id FROM silver.dj_set")}
        self.conn.commit()
        if any(pending.get(k) for k in _PARSED_STAGES) or self._new_files:
            self.splitter = CreditSplitter.from_corpus(*self._corpus_texts())
        else:
            self.splitter = CreditSplitter.from_corpus(())
        self._parsed.clear()  # parses depend on the splitter
        if pending.get(_MIX_STAGE):
            self.pool = self._start_pool(pending)  # forks: before the writer thread exists
        self.writer = ChunkWriter(conninfo_of(self.conn), lambda conn, rows: rows.write(conn),
                                  name="silver-writer")
        for stage in STAGES:
            ids = pending.get(stage, [])
            if not ids and not (stage == _TRACKLIST_STAGE and self._new_files):
                continue
            handler = getattr(self, f"_do_{stage[1]}")
            chunks = self._chunks(stage, ids)
            if self.pool is not None and stage == _MIX_STAGE:
                chunks = self._parsed_ahead(chunks)
            for chunk in chunks:
                for rec in chunk:
                    handler(rec)
                self._flush()
                if max_chunks is not None and self.stats.chunks >= max_chunks:
                    self.writer.drain()
                    self.stats.seconds = time.perf_counter() - t0
                    return self.stats
            if stage == _TRACKLIST_STAGE and self._new_files:  # after all their tracklists were rebuilt
                for file_id in sorted(self._new_files):
                    self.rows.add("processed_file", file_id, self.run_id)
                self._flush()
        self.writer.drain()
        self._rematch_observations()
        self._refresh_canonical_names()
        self.stats.seconds = time.perf_counter() - t0
        return self.stats

    def _chunks(self, stage: tuple[str, str], ids: list[int]) -> Iterator[list[dict]]:
        if stage == _TRACKLIST_STAGE:
            # one tracklist per chunk: mashup components refer to the row above them
            rows = self._fetch(ids) if ids else []
            self._tracklist_identities(rows)
            groups: dict[str, list[dict]] = defaultdict(list)
            for rec in rows:
                groups[_tracklist_id(rec["payload"])].append(rec)
            for tracklists in self._new_files.values():  # rebuilt even without a new row
                for tl_id in tracklists:
                    groups.setdefault(tl_id, [])
            for key in sorted(groups, key=lambda k: (groups[k][0]["record_id"] if groups[k] else 2**63, k)):
                yield [{"group": groups[key], "tracklist_id": key}]
            return
        for i in range(0, len(ids), self.chunk_records):
            yield self._fetch(ids[i : i + self.chunk_records])

    def _parsed_ahead(self, chunks: Iterator[list[dict]]) -> Iterator[list[dict]]:
        """The MixesDB chunks of ``chunks``, in order; while the caller processes one, the pool parses the
        entry texts of the next (those not parsed before), and ``_parse`` finds them in ``_ahead``."""
        assert self.pool is not None
        prev = None
        for chunk in chunks:
            started = (chunk, self.pool.submit(self._texts_to_parse(chunk)))
            if prev is not None:
                self._ahead = ParsePool.collect(prev[1])
                yield prev[0]
            prev = started
        if prev is not None:
            self._ahead = ParsePool.collect(prev[1])
            yield prev[0]
        self._ahead = {}

    def _texts_to_parse(self, chunk: list[dict]) -> list[str]:
        """The distinct entry texts of a MixesDB chunk that ``_do_mix`` will ``_parse`` and that are not
        memoized, exactly as it passes them."""
        texts: dict[str, None] = {}
        memo = self._parsed
        for rec in chunk:
            tracklist = rec["payload"].get("tracklist") if isinstance(rec["payload"], dict) else None
            for item in tracklist if isinstance(tracklist, list) else ():
                raw = item.get("title") if isinstance(item, dict) else None
                if isinstance(raw, str) and raw.strip() and raw not in memo:
                    texts[raw] = None
        return list(texts)

    def _fetch(self, ids: list[int]) -> list[dict]:
        cur = self.conn.execute(
            """SELECT record_id, source, record_type, source_key, source_url, file_id, payload
               FROM bronze.raw_record WHERE record_id = ANY(%s) ORDER BY record_id""",
            (ids,),
        )
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, row)) for row in cur]

    def _flush(self) -> None:
        new_artists, new_aliases = self.artists.drain()
        for row in new_artists:
            self.rows.add("artist", *row)
        for row in new_aliases:
            self.rows.add("artist_alias", *row)
        new_tracks, track_aliases, idents = self.tracks.drain()
        track_rows, track_artists = self.rows.rows["track"], self.rows.rows["track_artist"]
        for row, credits in new_tracks:
            track_rows.append(row)
            track_id = row[0]
            track_artists.extend((track_id, artist_id, role, pos) for artist_id, role, pos in credits)
        for row in track_aliases:
            self.rows.add("track_alias", *row)
        for row in idents:
            self.rows.add("track_identifier", *row)
        self.stats.artists_new += len(new_artists)
        self.stats.tracks_new += len(new_tracks)
        self.conn.commit()  # end the read transaction of this chunk
        self.writer.submit(self.rows)
        self.rows = Rows()
        self._chunk_sets.clear()
        self.stats.chunks += 1

    def _corpus_texts(self) -> tuple[list[str], list[str]]:
        """Artist credits and titles of every tracklist entry in bronze: what the corpus knows about
        which names stand alone (duo names vs collaborations, descriptive mix names vs remixers)."""
        texts: list[str] = []
        titles: list[str] = []
        cur = self.conn.execute(
            """SELECT e->>'title' FROM bronze.raw_record r, jsonb_array_elements(
                   CASE WHEN jsonb_typeof(r.payload->'tracklist') = 'array' THEN r.payload->'tracklist' ELSE '[]' END) e
               WHERE r.source = 'mixesdb' AND jsonb_typeof(e) = 'object'
               UNION ALL
               SELECT payload->>'name' FROM bronze.raw_record WHERE source = '1001tracklists'"""
        )
        for (raw,) in cur:
            if raw:
                m = _CUE_ARTIST.match(raw)
                if m:
                    texts.append(m.group(1))
                    titles.append(m.group(2))
        self.conn.commit()
        return texts, titles

    # -- shared pieces ------------------------------------------------------------------------

    def _processed(self, rec: dict, outcome: str) -> None:
        self.rows.add("processed_record", rec["record_id"], self.run_id, outcome)
        if rec["record_id"] in self._reprocessed:  # an earlier run's record of a rebuilt set
            return
        self.stats.records += 1
        if self.progress:
            self.progress(1)

    def _reject(self, record_id: int, item_index: int, reason: str, raw: Any) -> None:
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        self.rows.add("reject", record_id, item_index, reason, text, self.run_id)
        self.stats.rejects += 1

    def _invalid(self, record_id: int, item_index: int, fld: str, raw: Any, reason: str) -> None:
        self.rows.add("invalid_value", record_id, item_index, fld, str(raw), reason, self.run_id)
        self.stats.invalid_values += 1

    def _parse(self, raw: str) -> ParsedEntry:
        """``parse_entry`` with the corpus splitter, memoized: ~7% of MixesDB entries repeat verbatim."""
        p = self._parsed.get(raw)
        if p is None:
            packed = self._ahead.get(raw)
            # both raise EntryParseError for a text that does not parse: such texts are not memoized
            p = parse_entry(raw, self.splitter) if packed is None else unpack(raw, packed)
            if len(self._parsed) >= _PARSE_MEMO_MAX:
                self._parsed.clear()
            self._parsed[raw] = p
        return p

    def _track_for(self, p: ParsedEntry, record_id: int, identifiers: list[tuple[str, str]],
                   duration_s: float | None = None, *, count_spellings: bool = True) -> int:
        """Resolve (or create) the track of a parsed entry. Raises EntryParseError when it has no artist.
        ``count_spellings``: whether the entry's credits count as uses of their spellings (see
        ``_refresh_canonical_names``); off for identities resolved without placing the entry."""
        credit_ids: list[tuple[int, str, int]] = []
        seen: set[tuple[int, str]] = set()
        primaries: list[int] = []
        by_alias = self.artists.by_alias
        spelled: list[tuple[int, str]] = []
        for pos, c in enumerate(p.credits):
            artist_id = by_alias.get(c.name)  # a spelling met before: the common case, no call
            if artist_id is None:
                artist_id = self.artists.resolve(c.name, record_id)
            if artist_id is None:
                raise EntryParseError(f"artist name {c.name!r} has no letters or digits")
            spelled.append((artist_id, c.name))
            ar = (artist_id, c.role)
            if ar not in seen:
                seen.add(ar)
                credit_ids.append((artist_id, c.role, pos))
                if c.role == "primary":
                    primaries.append(artist_id)
        if not primaries:
            raise EntryParseError("no primary artist")
        if not p.title:
            raise EntryParseError("no title")
        if count_spellings:
            uses = self.rows.spellings  # Rows.count_spelling, inlined: once per credit of every entry
            for artist_id, name in spelled:
                k = (record_id, artist_id, name)
                uses[k] = uses.get(k, 0) + 1
        key = track_key(primaries, p.title, p.version)

        def make_row(track_id: int) -> tuple[tuple, list[tuple[int, str, int]]]:
            # (the silver.track row in _TABLES["track"] order, its credits)
            return ((track_id, key, p.title, p.version, _artists_display(p.credits), p.catalog, duration_s,
                     record_id), credit_ids)

        track_id, _ = self.tracks.resolve(key, identifiers, make_row)
        return track_id

    def _observation(self, source: str, record_id: int, item_index: int, track_id: int | None,
                     match: str | None, **values: Any) -> None:
        obs_id = stable_id("observation", f"{record_id}:{item_index}")
        extra = values.pop("extra", {}) or {}
        self.rows.add(
            "observation", obs_id, source, record_id, item_index, track_id, match,
            values.get("artist_raw"), values.get("title_raw"), values.get("bpm"),
            values.get("key_pitch_class"), values.get("key_mode"), values.get("energy"),
            values.get("genres") or [], values.get("label"), values.get("catalog_number"),
            values.get("duration_s"), values.get("rating"), _dumps_json(extra) if extra else "{}",
        )
        if track_id is not None and track_id not in self.tracks.created:
            self.rows.dirty_tracks.add(track_id)  # new tracks are born flagged; existing ones are bumped
        self.stats.observations += 1

    def _validated(self, record_id: int, item_index: int, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate bpm / key / energy values; invalid ones are recorded and dropped."""
        out: dict[str, Any] = {}
        for fld, parser in (("bpm", parse_bpm), ("energy", parse_energy)):
            value = raw.get(fld)
            if value in (None, ""):
                continue
            try:
                out[fld] = parser(value)
            except InvalidValue as e:
                self._invalid(record_id, item_index, fld, value, str(e))
        key = raw.get("key")
        if isinstance(key, Key):
            out["key_pitch_class"], out["key_mode"] = key.pitch_class, key.mode
        elif key not in (None, ""):
            try:
                k = parse_key(key)
                out["key_pitch_class"], out["key_mode"] = k.pitch_class, k.mode
            except InvalidValue as e:
                self._invalid(record_id, item_index, "key", key, str(e))
        return out

    def _new_set(self, set_id: int, **values: Any) -> None:
        self.set_ids.add(set_id)
        self._chunk_sets.add(set_id)
        self.rows.add("dj_set", *(values.get(c) if c != "set_id" else set_id for c in _TABLES["dj_set"]))
        self.stats.sets += 1

    def _supersede(self, set_id: int, reason: str) -> None:
        """A newer bronze record of a set already in silver (a re-exported mix or playlist): the old
        version's entries and gaps move to ``silver.reject`` with ``reason``, its observations, DJs and
        spelling counts go (their tracks are flagged for enrichment), and the caller then writes the new
        version under the same set id. Last ingested wins; bronze keeps both versions.
        Call before adding any row of the new version."""
        if set_id in self._chunk_sets:  # the old version is still in this chunk's rows: write them first
            self._flush()
        self.rows.retired.append((set_id, reason, self.run_id))
        self.stats.superseded_sets += 1

    def _set_djs(self, set_id: int, names: Iterable[str], record_id: int) -> None:
        seen: set[int] = set()
        for pos, name in enumerate(names):
            artist_id = self.artists.resolve(name, record_id)
            if artist_id is not None:
                self.rows.count_spelling(record_id, artist_id, name)
            if artist_id is not None and artist_id not in seen:
                seen.add(artist_id)
                self.rows.add("set_dj", set_id, artist_id, pos)

    # -- MixesDB --------------------------------------------------------------------------------

    def _do_mix(self, rec: dict) -> None:
        rid, payload = rec["record_id"], rec["payload"]
        tracklist = payload.get("tracklist") if isinstance(payload, dict) else None
        mix_id = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(tracklist, list) or not mix_id or not isinstance(payload.get("title"), str):
            self._reject(rid, -1, "mix needs an id, a title and a tracklist list", payload)
            self._processed(rec, "rejected")
            return
        set_id = stable_id("set", f"mixesdb:{mix_id}")
        if set_id in self.set_ids:
            self._supersede(set_id, f"superseded by bronze record {rid}, a newer version of mix {mix_id}")
        info = parse_mix_title(payload["title"], payload.get("tags") or ())
        entries = gaps = 0
        n_obs = len(self.rows.rows["observation"])
        # the hot loop of the build (~90k entries): locals instead of attribute look-ups and Rows.add
        set_entries, set_gaps, observations = (self.rows.rows[t] for t in ("set_entry", "set_gap", "observation"))
        parse, track_for = self._parse, self._track_for
        created, dirty = self.tracks.created, self.rows.dirty_tracks
        for i, item in enumerate(tracklist):
            raw = item.get("title") if isinstance(item, dict) else None
            if not isinstance(raw, str) or not raw.strip():
                self._reject(rid, i, "tracklist entry has no title text", item)
                continue
            try:
                p = parse(raw)
                if p.is_gap:
                    set_gaps.append((set_id, i + 1, p.cue, rid, i, raw, p.gap_reason or "unidentified"))
                    gaps += 1
                    continue
                yt = item.get("id")
                track_id = track_for(p, rid, [("youtube", yt)] if isinstance(yt, str) and yt else [])
            except EntryParseError as e:
                self._reject(rid, i, str(e), raw)
                continue
            set_entries.append((set_id, i + 1, p.cue, p.cue_seconds, track_id, rid, i, raw))
            entries += 1
            if p.label or p.catalog or p.year:
                # same row as _observation(..., "entry", artist_raw=..., title_raw=..., label=..., ...)
                observations.append((
                    stable_id("observation", f"{rid}:{i}"), "mixesdb", rid, i, track_id, "entry", p.artist_text,
                    p.title, None, None, None, None, [], p.label, p.catalog, None, None,
                    f'{{"year": {p.year}}}' if p.year else "{}",
                ))
                if track_id not in created:
                    dirty.add(track_id)  # new tracks are born flagged; existing ones are bumped
        self.stats.observations += len(observations) - n_obs
        self._new_set(
            set_id, source="mixesdb", source_key=str(mix_id), record_id=rid, title=payload["title"],
            dj_display=info.dj_display, set_date=info.date, date_precision=info.date_precision,
            venue=info.venue, event=info.event, show=info.show, url=payload.get("url"),
            audio_url=payload.get("audio_url"), tags=[str(t) for t in payload.get("tags") or []],
            entry_count=entries, gap_count=gaps,
        )
        self._set_djs(set_id, info.djs, rid)
        self.stats.entries += entries
        self.stats.gaps += gaps
        self._processed(rec, "set")

    # -- 1001Tracklists -------------------------------------------------------------------------

    def _do_tracklist_row(self, group_rec: dict) -> None:
        group, tl_id = group_rec["group"], group_rec["tracklist_id"]
        set_id = stable_id("set", f"1001tracklists:{tl_id}")
        if not tl_id:
            for rec in group:
                self._reject(rec["record_id"], -1, "row has no tracklist_id", rec["payload"])
                self._processed(rec, "rejected")
            return
        group, superseded = self._tracklist_version(tl_id, set_id, group)
        for rec, reason in superseded:
            self._reject(rec["record_id"], -1, reason, _row_name(rec["payload"]) or rec["payload"])
            self._processed(rec, "superseded")
        if not group:
            return
        newest = max(group, key=lambda r: r["record_id"])  # the set's name, date and DJs as last exported
        first = newest["payload"]
        taken: set[int] = set()
        entries = gaps = 0
        parent_pos: int | None = None
        ordered = sorted(group, key=lambda r: (_int_or(r["payload"].get("index"), 10**9), r["record_id"]))
        for rec in ordered:
            rid, row = rec["record_id"], rec["payload"]
            raw = (row.get("name") or "").strip()
            number = (row.get("track_number") or "").strip()
            layered = number.lower() == "w/"  # played together with the track above: a component of it
            if layered:
                number = ""
            if not raw:
                position = _int_or(number, None)
                if position is not None and position >= 1 and position not in taken:
                    # a numbered row without a name is a track 1001Tracklists could not identify
                    taken.add(position)
                    parent_pos = position
                    cue = (row.get("time") or "").strip() or None
                    self.rows.add("set_gap", set_id, position, cue, rid, -1, f"#{number} (no name)", "unidentified")
                    gaps += 1
                    self._processed(rec, "set_row")
                else:
                    self._reject(rid, -1, "row has no track name", row)
                    self._processed(rec, "rejected")
                continue
            try:
                p = self._parse(raw)
            except EntryParseError as e:
                self._reject(rid, -1, str(e), raw)
                self._processed(rec, "rejected")
                continue
            if number:
                position = _int_or(number, None)
                if position is None or position < 1:
                    self._reject(rid, -1, f"track_number {number!r} is not a positive integer", raw)
                    self._processed(rec, "rejected")
                    continue
                if position in taken:
                    self._reject(rid, -1, f"position {position} of tracklist {tl_id} is already taken", raw)
                    self._processed(rec, "rejected")
                    continue
                taken.add(position)
                parent_pos = position
                if p.is_gap:
                    self.rows.add("set_gap", set_id, position, row.get("time", "").strip() or None, rid, -1, raw,
                                  p.gap_reason or "unidentified")
                    gaps += 1
                    self._processed(rec, "set_row")
                    continue
            elif parent_pos is None or not (layered or _truthy(row.get("mashup"))):
                self._reject(rid, -1, "row has no track_number and is neither part of a mashup nor played"
                             " with (w/) a numbered track", raw)
                self._processed(rec, "rejected")
                continue
            elif p.is_gap:
                self._reject(rid, -1, "unidentified mashup component", raw)
                self._processed(rec, "rejected")
                continue
            idents, duration = _row_identity(row)
            try:
                track_id = self._track_for(p, rid, idents, duration)
            except EntryParseError as e:
                self._reject(rid, -1, str(e), raw)
                self._processed(rec, "rejected")
                continue
            if number:
                cue = (row.get("time") or "").strip() or None
                self.rows.add("set_entry", set_id, parent_pos, cue, _cue_seconds(cue), track_id, rid, -1, raw)
                entries += 1
            else:
                self.rows.add("mashup_component", set_id, parent_pos, track_id, rid, -1)
                self.stats.components += 1
            values = self._spotify_values(rid, row)
            if values or row.get("genres"):
                genres = [g.strip() for g in (row.get("genres") or "").split(",") if g.strip()]
                self._observation(
                    "1001tracklists", rid, -1, track_id, "row", artist_raw=p.artist_text, title_raw=p.title,
                    genres=genres, duration_s=duration, **values,
                )
            self._processed(rec, "set_row")
        name = str(first.get("tracklist_name") or tl_id)
        djs = _tracklist_djs(first, tl_id)
        dj = " & ".join(djs) or None
        d = _date_1001(first.get("tracklist_date"), name)
        self._new_set(
            set_id, source="1001tracklists", source_key=tl_id, record_id=None, title=name, dj_display=dj,
            set_date=d, date_precision="day" if d else None,
            venue=name.split(" @ ", 1)[1].split(",")[0].strip() if " @ " in name else None,
            event=(first.get("Open Air / Festival0") or first.get("Label Events0") or "").strip() or None,
            show=(first.get("Radio Show0") or "").strip() or None,
            url=f"https://www.1001tracklists.com/tracklist/{tl_id}/", tags=[
                g for g in (first.get("genre0"),) if g], entry_count=entries, gap_count=gaps,
        )
        if djs:
            self._set_djs(set_id, djs, newest["record_id"])
        self.stats.entries += entries
        self.stats.gaps += gaps

    def _tracklist_identities(self, rows: list[dict]) -> None:
        """Resolve the DJs and tracks of 1001Tracklists rows in bronze order before any set is placed,
        whether a row will be placed or superseded: which tracks and artists silver knows, and which
        record met them first, must not depend on how the exports were split across runs."""
        for rec in sorted(rows, key=lambda r: r["record_id"]):
            payload = rec["payload"]
            if not isinstance(payload, dict):
                continue
            for dj in _tracklist_djs(payload, _tracklist_id(payload)):
                self.artists.resolve(dj, rec["record_id"])
            name = payload.get("name")
            if not isinstance(name, str) or not name.strip():
                continue
            try:
                p = self._parse(name.strip())
                if not p.is_gap:
                    idents, duration = _row_identity(payload)
                    self._track_for(p, rec["record_id"], idents, duration, count_spellings=False)
            except EntryParseError:
                pass  # a row that is placed is rejected with the reason then

    def _tracklist_version(self, tl_id: str, set_id: int,
                           group: list[dict]) -> tuple[list[dict], list[tuple[dict, str]]]:
        """The rows that make up tracklist ``tl_id`` now, and the superseded ones with the reason.

        A 1001Tracklists export is a snapshot of the whole tracklist, and a re-export (tracks identified
        since, a corrected name) is its newer version: the rows of the newest file holding any row of the
        tracklist are its rows, every other row of it is superseded. Rows a newer file repeats verbatim
        are one bronze record; ``bronze.file_record`` knows every file they were in. Files loaded before
        that table existed do not list the rows they repeated: when the newest file is one of them, the
        newest record of each row key (``tracklist_id:index``) wins instead.

        When the set is already in silver, everything its earlier records produced is removed in the
        chunk's transaction (``_UNBUILD_SQL``) and the set is built again from all its current rows, so
        the result is exactly that of one run over every file."""
        records = {r["record_id"]: r for r in group}
        if set_id in self.set_ids:
            old = [r for r in self._fetch_tracklist(tl_id) if r["record_id"] not in records]
            self.rows.rebuilt.append((set_id, [r["record_id"] for r in old]))
            self._reprocessed.update(r["record_id"] for r in old)
            self.set_ids.discard(set_id)
            records.update((r["record_id"], r) for r in old)
        if not records:
            return [], []
        files: dict[int, set[int]] = defaultdict(set)  # file -> its records of this tracklist
        for record_id, file_id in self.conn.execute(
            """SELECT fr.record_id, fr.file_id FROM bronze.file_record fr JOIN bronze.listed_file USING (file_id)
               WHERE fr.record_id = ANY(%s)""",
            (list(records),),
        ):
            files[file_id].add(record_id)
        ordered = sorted(records.values(), key=lambda r: r["record_id"])
        superseded: list[tuple[dict, str]] = []
        newest_file = max(files, default=None)
        if newest_file is not None and max(r["file_id"] for r in ordered) <= newest_file:
            current = files[newest_file]
            reason = f"superseded by bronze file {newest_file}, a newer export of tracklist {tl_id}"
            superseded = [(r, reason) for r in ordered if r["record_id"] not in current]
        else:  # membership unknown: the newest record per row key
            latest: dict[str, int] = {}
            for r in ordered:
                latest[r["source_key"]] = r["record_id"]
            superseded = [
                (r, (f"superseded by bronze record {latest[r['source_key']]}, a newer export of row "
                     f"{r['payload'].get('index')} of tracklist {tl_id}"))
                for r in ordered if latest[r["source_key"]] != r["record_id"]]
        gone = {r["record_id"] for r, _ in superseded}
        if gone:
            self.stats.superseded_sets += 1
        return [r for r in ordered if r["record_id"] not in gone], superseded

    def _fetch_tracklist(self, tl_id: str) -> list[dict]:
        """Every bronze row of tracklist ``tl_id`` (row keys are ``<tracklist_id>:<index>``)."""
        cur = self.conn.execute(
            """SELECT record_id, source, record_type, source_key, source_url, file_id, payload
               FROM bronze.raw_record WHERE source = '1001tracklists' AND record_type = 'tracklist_row'
                 AND source_key COLLATE "C" >= %s AND source_key COLLATE "C" < %s ORDER BY record_id""",
            (tl_id + ":", tl_id + ";"),  # ';' follows ':' in byte order (hence COLLATE "C")
        )
        cols = [d.name for d in cur.description]
        rows = [dict(zip(cols, row)) for row in cur]
        return [r for r in rows if _tracklist_id(r["payload"]) == tl_id]

    def _spotify_values(self, rid: int, row: dict) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        tempo = (row.get("tempo") or "").strip()
        if tempo:
            raw["bpm"] = tempo
        energy = (row.get("energy") or "").strip()
        if energy:
            raw["energy"] = energy
        key, mode = (row.get("key") or "").strip(), (row.get("mode") or "").strip()
        if key and mode:
            try:
                raw["key"] = Key.from_spotify(int(float(key)), int(float(mode)))
            except (InvalidValue, ValueError) as e:
                self._invalid(rid, -1, "key", f"{key}/{mode}", f"spotify key {key!r} mode {mode!r}: {e}")
        return self._validated(rid, -1, raw)

    # -- rekordbox ------------------------------------------------------------------------------

    def _do_library_track(self, rec: dict) -> None:
        rid, t = rec["record_id"], rec["payload"]
        track_no = str(t.get("TrackID") or "").strip()
        name, artist = (t.get("Name") or "").strip(), (t.get("Artist") or "").strip()
        if not track_no or not name or not artist:
            self._reject(rid, -1, "rekordbox TRACK needs TrackID, Name and Artist", t)
            self._processed(rec, "rejected")
            return
        try:
            p = self._parse(f"{artist} - {name}")
            remixer = (t.get("Remixer") or "").strip()
            if remixer and not any(c.role == "remixer" for c in p.credits):
                p = _with_credits(p, p.credits + tuple(Credit(n, "remixer") for n in self.splitter.split(remixer)))
            duration = _float_or(t.get("TotalTime"))
            # TrackIDs are unique only inside one library; a Location is the same file in any export
            idents = [("rekordbox", f"{_rekordbox_library(t)}:{track_no}")]
            if (t.get("Location") or "").strip():
                idents.append(("rekordbox_location", t["Location"].strip()))
            track_id = self._track_for(p, rid, idents, duration)
        except EntryParseError as e:
            self._reject(rid, -1, str(e), t)
            self._processed(rec, "rejected")
            return
        values = self._validated(rid, -1, {"bpm": t.get("AverageBpm"), "key": t.get("Tonality")})
        rating = _int_or(t.get("Rating"), None)
        genres = [g.strip() for g in re.split(r"[/,;]", t.get("Genre") or "") if g.strip()]
        self._observation(
            "rekordbox", rid, -1, track_id, "library", artist_raw=artist, title_raw=name, genres=genres,
            label=(t.get("Label") or "").strip() or None, duration_s=_float_or(t.get("TotalTime")),
            rating=round(rating / 51) if rating is not None and 0 <= rating <= 255 else None,
            extra={k: t[k] for k in ("Year", "Location", "Album") if t.get(k)}, **values,
        )
        self._processed(rec, "library_track")

    def _do_library_playlist(self, rec: dict) -> None:
        rid, pl = rec["record_id"], rec["payload"]
        library = _rekordbox_library(pl)
        # the folder path plus the playlist name ("Warm-up/Opening"), unique inside one library
        if "name" in pl or "path" in pl:
            path = "/".join([*map(str, pl.get("path") or []), str(pl.get("name") or "")])
        else:  # an old record without them: its bronze source_key is that path
            path = str(rec.get("source_key") or "")
        entries = pl.get("entries")
        if not path or not isinstance(entries, list):
            self._reject(rid, -1, "playlist needs a name and a list of entries", pl)
            self._processed(rec, "rejected")
            return
        key = f"{library}:{path}"
        set_id = stable_id("set", f"rekordbox:{key}")
        if set_id in self.set_ids:
            self._supersede(set_id, f"superseded by bronze record {rid}, a newer export of playlist {path!r} of "
                                    f"library {library!r}")
        by_location = str(pl.get("key_type", "0")) == "1"
        scope = f"{library}:"
        count = 0
        for i, entry in enumerate(entries):
            # KeyType 1: the entry is a Location (unscoped); else a TrackID of this playlist's own library
            ident = ("rekordbox_location", str(entry)) if by_location else ("rekordbox", scope + str(entry))
            track_id = self.tracks.by_ident.get(ident)
            if track_id is None:
                self._reject(rid, i, f"playlist entry {entry!r} is not a track of the library", entry)
                continue
            self.rows.add("set_entry", set_id, i + 1, None, None, track_id, rid, i, str(entry))
            count += 1
        self._new_set(set_id, source="rekordbox", source_key=key, record_id=rid, title=str(pl.get("name") or key),
                      tags=[], entry_count=count, gap_count=0)
        self.stats.entries += count
        self._processed(rec, "library_playlist")

    # -- feature files --------------------------------------------------------------------------

    def _do_feature_row(self, rec: dict) -> None:
        rid, row = rec["record_id"], rec["payload"]
        cols = row.get("_columns") or {}
        get = lambda role: (str(row.get(cols[role]) or "").strip() if cols.get(role) else "")  # noqa: E731
        artist, title, ident = get("artist"), get("title"), get("id")
        stem = PurePath(str(row.get("_file") or "features")).stem
        if not ((artist and title) or ident):
            self._reject(rid, -1, "feature row has neither artist and title nor an id", row)
            self._processed(rec, "rejected")
            return
        identifiers = [(cols.get("id_scheme") or "beatport", ident)] if ident else []
        track_id, match = None, None
        parsed: ParsedEntry | None = None
        if artist and title:
            try:
                parsed = self._parse(f"{artist} - {_beatport_title(title)}")
            except EntryParseError:
                parsed = None
        track_id = self.tracks.find("", identifiers) if identifiers else None
        if track_id is not None:
            match = f"identifier:{identifiers[0][0]}"
        elif parsed is not None:
            key = self._lookup_key(parsed)
            if key is not None:
                track_id = self.tracks.by_key.get(key)
                match = "track_key" if track_id is not None else None
        values = self._validated(rid, -1, {"bpm": get("bpm"), "key": get("key"), "energy": get("energy")})
        genres = [get("genre")] if get("genre") else []
        self._observation(
            f"features:{stem}", rid, -1, track_id, match, artist_raw=artist or None, title_raw=title or None,
            genres=genres, extra={"id": ident} if ident else {}, **values,
        )
        self._processed(rec, "feature")

    def _lookup_key(self, p: ParsedEntry) -> str | None:
        """The track key of a parsed entry using only KNOWN artists (a lookup must not create artists)."""
        ids = []
        for c in p.credits:
            if c.role != "primary":
                continue
            artist_id = self.artists.by_alias.get(c.name)
            if artist_id is None:
                artist_id = self.artists.by_key.get(name_key(display_name(c.name)))
            if artist_id is None:
                return None
            ids.append(artist_id)
        return track_key(ids, p.title, p.version) if ids and p.title else None

    def _refresh_canonical_names(self) -> None:
        """Each artist's canonical name becomes its most used spelling (ties: the current name, then the
        spelling in code-point order), so a misspelling or an odd casing met first does not stick; its
        name_key follows (search finds "Paul Kalkbrenner" even when "Paul Kalbrenner" came first). Runs
        after the last chunk; idempotent, so a run killed before it is completed by the next run.
        A name or key another artist already holds is skipped (both stay unique)."""
        with self.conn.transaction():
            rows = [(a, sp, k) for a, sp in self.conn.execute(_BEST_SPELLING_SQL) if (k := name_key(sp))]
            if rows:
                cur = self.conn.execute(_RENAME_SQL, [list(col) for col in zip(*rows)])
                self.stats.canonical_renames = cur.rowcount
        self.conn.commit()

    def _rematch_observations(self) -> None:
        """Observations that matched no track when they arrived may match tracks created since."""
        rows = self.conn.execute(
            """SELECT observation_id, artist_raw, title_raw, extra->>'id' FROM silver.observation
               WHERE track_id IS NULL AND source LIKE 'features:%%'"""
        ).fetchall()
        updates = []
        for obs_id, artist, title, ident in rows:
            track_id = self.tracks.by_ident.get(("beatport", ident)) if ident else None
            match = "identifier:beatport" if track_id else None
            if track_id is None and artist and title:
                try:
                    key = self._lookup_key(self._parse(f"{artist} - {_beatport_title(title)}"))
                except EntryParseError:
                    key = None
                track_id = self.tracks.by_key.get(key) if key else None
                match = "track_key" if track_id else None
            if track_id is not None:
                updates.append((track_id, match, obs_id))
        if updates:
            with self.conn.transaction():
                with self.conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE silver.observation SET track_id = %s, match_strategy = %s WHERE observation_id = %s",
                        updates,
                    )
                    cur.execute(
                        "UPDATE silver.track SET needs_enrichment = true WHERE track_id = ANY(%s)",
                        ([u[0] for u in updates],),
                    )
        self.conn.commit()


# each artist's most used spelling where it differs from the current name (ties keep the current name)
_BEST_SPELLING_SQL = """
WITH counts AS (
    SELECT artist_id, spelling, sum(uses) AS n FROM silver.artist_spelling_use GROUP BY artist_id, spelling
), best AS (
    SELECT DISTINCT ON (c.artist_id) c.artist_id, c.spelling, a.canonical_name
    FROM counts c JOIN silver.artist a ON a.artist_id = c.artist_id
    ORDER BY c.artist_id, c.n DESC, (c.spelling = a.canonical_name) DESC, c.spelling COLLATE "C"
)
SELECT artist_id, spelling FROM best WHERE spelling <> canonical_name ORDER BY artist_id
"""
# the name and its key move together (name_key stays name_key(canonical_name), which search uses); a name
# or key another artist holds is skipped, so both stay unique
_RENAME_SQL = """
UPDATE silver.artist a SET canonical_name = u.name, name_key = u.key
FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS u(artist_id, name, key)
WHERE a.artist_id = u.artist_id
  AND NOT EXISTS (SELECT 1 FROM silver.artist o
                  WHERE o.artist_id <> a.artist_id AND (o.canonical_name = u.name OR o.name_key = u.key))
"""

# Retire the old version of superseded sets (one statement: data-modifying CTEs on one snapshot).
# Every item of the old version stays in exactly one place: its entries and gaps become rejects with the
# reason, so they leave set_entry / set_gap in the same statement.
_RETIRE_SQL = """
WITH old AS (
    SELECT s.set_id, s.record_id, x.reason, x.run_id FROM silver.dj_set s
    JOIN unnest(%(ids)s::bigint[], %(reasons)s::text[], %(runs)s::bigint[]) AS x(set_id, reason, run_id)
      USING (set_id)
), moved AS (
    INSERT INTO silver.reject (record_id, item_index, reason, raw_text, run_id)
    SELECT e.record_id, e.item_index, o.reason, e.raw_title, o.run_id FROM silver.set_entry e JOIN old o USING (set_id)
    UNION ALL
    SELECT g.record_id, g.item_index, o.reason, g.raw_title, o.run_id FROM silver.set_gap g JOIN old o USING (set_id)
), observations AS (
    DELETE FROM silver.observation ob USING old o WHERE ob.record_id = o.record_id RETURNING ob.track_id
), flagged AS (
    UPDATE silver.track t SET needs_enrichment = true FROM observations ob WHERE t.track_id = ob.track_id
), entries AS (
    DELETE FROM silver.set_entry x USING old o WHERE x.set_id = o.set_id
), gaps AS (
    DELETE FROM silver.set_gap x USING old o WHERE x.set_id = o.set_id
), components AS (
    DELETE FROM silver.mashup_component x USING old o WHERE x.set_id = o.set_id
), djs AS (
    DELETE FROM silver.set_dj x USING old o WHERE x.set_id = o.set_id
), spellings AS (
    DELETE FROM silver.artist_spelling_use x USING old o WHERE x.record_id = o.record_id
), marked AS (
    UPDATE silver.processed_record p SET outcome = 'superseded' FROM old o WHERE p.record_id = o.record_id
)
DELETE FROM silver.dj_set s USING old o WHERE s.set_id = o.set_id
"""

# Everything the earlier records of rebuilt 1001Tracklists sets produced, and the sets themselves: the
# builder writes the sets again from all their current rows in the same transaction.
_UNBUILD_SQL = """
WITH old AS (
    SELECT unnest(%(records)s::bigint[]) AS record_id
), observations AS (
    DELETE FROM silver.observation ob USING old o WHERE ob.record_id = o.record_id RETURNING ob.track_id
), flagged AS (
    UPDATE silver.track t SET needs_enrichment = true FROM observations ob WHERE t.track_id = ob.track_id
), entries AS (
    DELETE FROM silver.set_entry x USING old o WHERE x.record_id = o.record_id
), gaps AS (
    DELETE FROM silver.set_gap x USING old o WHERE x.record_id = o.record_id
), components AS (
    DELETE FROM silver.mashup_component x USING old o WHERE x.record_id = o.record_id
), rejects AS (
    DELETE FROM silver.reject x USING old o WHERE x.record_id = o.record_id
), invalid AS (
    DELETE FROM silver.invalid_value x USING old o WHERE x.record_id = o.record_id
), spellings AS (
    DELETE FROM silver.artist_spelling_use x USING old o WHERE x.record_id = o.record_id
), marks AS (
    DELETE FROM silver.processed_record x USING old o WHERE x.record_id = o.record_id
), djs AS (
    DELETE FROM silver.set_dj x WHERE x.set_id = ANY(%(sets)s::bigint[])
)
DELETE FROM silver.dj_set s WHERE s.set_id = ANY(%(sets)s::bigint[])
"""

# ----------------------------------------------------------------------------------------------
# small helpers


def _tracklist_id(row: Any) -> str:
    return str(row.get("tracklist_id") or "").strip() if isinstance(row, dict) else ""


def _tracklist_djs(row: dict, tl_id: str) -> list[str]:
    """The DJs of a 1001Tracklists tracklist, from one of its rows: the DJ columns, else the name's
    "DJ @ Event" part."""
    djs = [str(row[k]).strip() for k in sorted(row, key=_dj_column_order)
           if re.fullmatch(r"DJ\d+", k) and str(row[k] or "").strip()]
    name = str(row.get("tracklist_name") or tl_id)
    if not djs and " @ " in name:
        djs = [name.split(" @ ")[0].strip()]
    return djs


def _row_identity(row: dict) -> tuple[list[tuple[str, str]], float | None]:
    """A 1001Tracklists row's external track ids and its duration in seconds."""
    idents = [(scheme, str(row[col]).strip()) for scheme, col in
              (("spotify", "spotify0"), ("beatport", "beatport0"), ("1001tracklists", "id_x"))
              if str(row.get(col) or "").strip()]
    duration = _float_or(row.get("duration_ms"))
    return idents, duration / 1000 if duration else None


def _row_name(row: Any) -> str:
    """A 1001Tracklists row's track name ("" when it has none: its reject then shows the whole row)."""
    name = row.get("name") if isinstance(row, dict) else None
    return name.strip() if isinstance(name, str) else ""


def _dumps_json(obj: Any) -> str:
    """A jsonb value for COPY text (the server parses it)."""
    return json.dumps(obj, ensure_ascii=False, default=str)


def _artists_display(credits: tuple[Credit, ...]) -> str:
    if len(credits) == 1 and credits[0].role == "primary":  # the common case
        return credits[0].name
    primary = [c.name for c in credits if c.role == "primary"]
    featured = [c.name for c in credits if c.role == "featured"]
    text = " & ".join(primary)
    if featured:
        text += " feat. " + " & ".join(featured)
    return text


def _with_credits(p: ParsedEntry, credits: tuple[Credit, ...]) -> ParsedEntry:
    from dataclasses import replace

    return replace(p, credits=credits)


def _beatport_title(title: str) -> str:
    """Beatport exports write ``Title-Original Mix``; turn the suffix into a version in parentheses."""
    m = re.match(r"^(.*\S)-((?:[^-]*\b(?:Mix|Remix|Edit|Dub|Version|Rework|Instrumental)\b[^-]*))$", title)
    return f"{m.group(1)} ({m.group(2).strip()})" if m else title


def _dj_column_order(column: str) -> int:
    m = re.fullmatch(r"DJ(\d+)", column)
    return int(m.group(1)) if m else 10**6


def _int_or(value: Any, default: Any) -> Any:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _rekordbox_library(payload: dict) -> str:
    """The rekordbox library a bronze record belongs to; records ingested before libraries had none."""
    return str(payload.get("_library") or "default")


def _float_or(value: Any) -> float | None:
    try:
        f = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}


def _cue_seconds(cue: str | None) -> int | None:
    if not cue:
        return None
    parts = cue.split(":")
    try:
        nums = [int(x) for x in parts]
    except ValueError:
        return None
    total = 0
    for n in nums:
        total = total * 60 + n
    return total if len(nums) >= 2 else None


def _date_1001(text: Any, name: str) -> date | None:
    m = re.search(r"(\d{4}-\d{2}-\d{2})\s*$", name or "")
    if m:
        try:
            return date.fromisoformat(m.group(1))
        except ValueError:
            pass
    if text:
        for fmt in ("%a, %b %d %Y", "%b %d %Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(str(text).strip(), fmt).date()
            except ValueError:
                continue
    return None


def build_silver(conn: psycopg.Connection, run_id: int, *, chunk_records: int = 500,
                 progress: Callable[[int], None] | None = None, max_chunks: int | None = None,
                 parse_workers: int | None = None) -> SilverStats:
    """Process every unprocessed bronze record into silver (see module docstring)."""
    return SilverBuilder(conn, run_id, chunk_records=chunk_records, progress=progress,
                         parse_workers=parse_workers).run(max_chunks)
