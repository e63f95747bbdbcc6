"""Bronze -> silver: parse, validate, resolve identities and write sets, entries, tracks and artists.

Guarantees:

* **Incremental**: only bronze records without a ``silver.processed_record`` row are read.
* **Exactly one place**: every bronze record, and every item inside one (a tracklist entry, a playlist
  entry), lands in exactly one of: a silver row (set entry, mashup component, library track,
  observation), ``silver.set_gap``, or ``silver.reject`` with the reason. Invalid *values* inside a
  row that did land (BPM 999, key 13A) are kept in ``silver.invalid_value``.
* **Newer versions win**: a later bronze record of a set already in silver (a corrected MixesDB
  tracklist, a re-exported rekordbox playlist) replaces it; the old version's items become rejects
  with the reason "superseded by bronze record N" (see ``supersede``). A 1001Tracklists tracklist is
  one bronze record per row, so its version is the newest export file holding it: rows not in that
  file become rejects "superseded by bronze file N", and the set is rebuilt from its current rows
  (see ``etl.silver.sources.tracklists1001``); a file that only repeats an older export makes that one current again.
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
from typing import Any

import psycopg
from psycopg.rows import dict_row

from etl.chunkwriter import ChunkWriter
from etl.credits import CreditSplitter
from etl.identity import LIBRARY_ONLY_PREFIX, ArtistResolver, TrackResolver, recording_key, track_key
from etl.parsepool import Packed, ParsePool, unpack
from etl.silver.helpers import artists_display, dumps_json
from etl.silver.matching import TrackIndex
from etl.silver.rows import _TABLES, _WRITE_ORDER, Rows  # noqa: F401  (re-exported)
from etl.silver.sources import SOURCES, STAGES
from etl.silver.sources.base import SilverSource
from etl.tracklist import EntryParseError, ParsedEntry, parse_entry
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

# the stage whose entries the parse pool parses ahead
_MIX_STAGE = ("mixesdb", "mix")


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


class SilverBuilder:
    """Drives the silver sources (:mod:`etl.silver.sources`) and holds what they share: the identity
    resolvers, the parse memo and corpus splitter, the chunk's row buffers and the background writer.

    ``parse_workers``: processes that parse the next chunk's entries while this one is resolved
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
        self.reprocessed: set[int] = set()  # records of earlier runs processed again (rebuilt sets)
        self.progress = progress
        self.stats = SilverStats()
        self.artists = ArtistResolver()
        self.tracks = TrackResolver()
        self.set_ids: set[int] = set()
        self.splitter: CreditSplitter = CreditSplitter()
        self.rows = Rows()
        self._chunk_sets: set[int] = set()  # sets created by the rows not yet handed to the writer
        self.writer: ChunkWriter[Rows] | None = None
        self._parsed: dict[str, ParsedEntry] = {}  # raw text -> parse (same splitter for the whole run)
        self.sources: dict[str, SilverSource] = {cls.source: cls(self) for cls in SOURCES}
        self._track_index: TrackIndex | None = None  # loaded by the first source that matches rows to tracks

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

    def _stages_with_work(self, pending: dict[tuple[str, str], list[int]]) -> list[tuple[str, str]]:
        return [stage for stage in STAGES
                if stage[0] in self.sources and self.sources[stage[0]].has_work(stage[1], pending.get(stage, []))]

    def _run(self, max_chunks: int | None) -> SilverStats:
        t0 = time.perf_counter()
        pending = self.pending()
        for source in self.sources.values():
            source.prepare(pending)
        stages = self._stages_with_work(pending)
        if not stages:  # nothing new: nothing to resolve, unless a killed run left its last steps undone
            unfinished = [s for s in self.sources.values() if s.needs_finish()]
            if unfinished:
                self.artists = ArtistResolver.load(self.conn)
                self.tracks = TrackResolver.load(self.conn)
                self.conn.commit()
                self.splitter = CreditSplitter.from_corpus(*self.corpus_texts())
                for source in unfinished:
                    source.finish()
            self._refresh_canonical_names()  # (a run killed after its last chunk did not get to it)
            self.stats.seconds = time.perf_counter() - t0
            return self.stats
        self.artists = ArtistResolver.load(self.conn)
        self.tracks = TrackResolver.load(self.conn)
        self.set_ids = {r[0] for r in self.conn.execute("SELECT set_id FROM silver.dj_set")}
        self.conn.commit()
        self._backfill_recording_keys()
        if any(source.needs_corpus(pending) for source in self.sources.values()):
            self.splitter = CreditSplitter.from_corpus(*self.corpus_texts())
        else:
            self.splitter = CreditSplitter.from_corpus(())
        self._parsed.clear()  # parses depend on the splitter
        if pending.get(_MIX_STAGE):
            self.pool = self._start_pool(pending)  # forks: before the writer thread exists
        self.writer = ChunkWriter(conninfo_of(self.conn), lambda conn, rows: rows.write(conn),
                                  name="silver-writer")
        for stage in stages:
            source = self.sources[stage[0]]
            record_type = stage[1]
            chunks = source.chunks(record_type, pending.get(stage, []))
            if self.pool is not None and stage == _MIX_STAGE:
                chunks = self._parsed_ahead(source, chunks)
            for chunk in chunks:
                for item in chunk:
                    source.process(record_type, item)
                self.flush()
                if max_chunks is not None and self.stats.chunks >= max_chunks:
                    self.writer.drain()
                    self.stats.seconds = time.perf_counter() - t0
                    return self.stats
            source.end_stage(record_type)
        self.writer.drain()
        for source in self.sources.values():
            source.finish()
        self._refresh_canonical_names()
        self.stats.seconds = time.perf_counter() - t0
        return self.stats

    def _backfill_recording_keys(self) -> None:
        """``silver.track.recording_key`` of tracks created before it existed (migration 016): once."""
        rows = self.conn.execute(
            """SELECT t.track_id, t.title, t.version, array_agg(ta.artist_id) FROM silver.track t
               JOIN silver.track_artist ta ON ta.track_id = t.track_id AND ta.role = 'primary'
               WHERE t.recording_key IS NULL GROUP BY t.track_id"""
        ).fetchall()
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany("UPDATE silver.track SET recording_key = %s WHERE track_id = %s",
                                [(recording_key(ids, title, version), tid) for tid, title, version, ids in rows])
        self.conn.commit()

    def fixed_chunks(self, ids: list[int]) -> Iterator[list[dict]]:
        """``ids``' records in chunks of ``chunk_records``, in id order."""
        for i in range(0, len(ids), self.chunk_records):
            yield self.fetch(ids[i : i + self.chunk_records])

    def _parsed_ahead(self, source: SilverSource, chunks: Iterator[list[dict]]) -> Iterator[list[dict]]:
        """The chunks of ``chunks``, in order; while the caller processes one, the pool parses the entry
        texts of the next (those ``source`` names and that were not parsed before), and ``parse`` finds
        them in ``_ahead``."""
        assert self.pool is not None
        prev = None
        for chunk in chunks:
            started = (chunk, self.pool.submit(source.texts_to_parse(chunk) or []))
            if prev is not None:
                self._ahead = ParsePool.collect(prev[1])
                yield prev[0]
            prev = started
        if prev is not None:
            self._ahead = ParsePool.collect(prev[1])
            yield prev[0]
        self._ahead = {}

    def is_memoized(self, raw: str) -> bool:
        """Whether ``parse(raw)`` is answered from the memo (the pool need not parse it)."""
        return raw in self._parsed

    def fetch(self, ids: list[int]) -> list[dict]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                """SELECT record_id, source, record_type, source_key, source_url, file_id, payload
                   FROM bronze.raw_record WHERE record_id = ANY(%s) ORDER BY record_id""",
                (ids,),
            ).fetchall()

    def flush(self) -> None:
        new_artists, new_aliases = self.artists.drain()
        for row in new_artists:
            self.rows.add("artist", *row)
        for row in new_aliases:
            self.rows.add("artist_alias", *row)
        new_tracks, track_aliases, idents = self.tracks.drain()
        track_rows, track_artists = self.rows.rows["track"], self.rows.rows["track_artist"]
        index = self._track_index
        for row, credits in new_tracks:
            track_rows.append(row)
            track_id = row[0]
            track_artists.extend((track_id, artist_id, role, pos) for artist_id, role, pos in credits)
            if index is not None:
                index.add(track_id, row[2], row[3], [a for a, r, _ in credits if r == "primary"],
                          [a for a, r, _ in credits if r in ("primary", "featured")])
        for row in track_aliases:
            self.rows.add("track_alias", *row)
        for row in idents:
            self.rows.add("track_identifier", *row)
        self.stats.artists_new += len(new_artists)
        self.stats.tracks_new += len(new_tracks)
        self.conn.commit()  # end the read transaction of this chunk
        if self.writer is None:
            raise RuntimeError("SilverBuilder.flush() runs inside build(), which starts the writer")
        self.writer.submit(self.rows)
        self.rows = Rows()
        self._chunk_sets.clear()
        self.stats.chunks += 1

    def corpus_texts(self) -> tuple[list[str], list[str]]:
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
        # the artists DJ libraries were tagged with: names a library track's title or file name may start with
        cur = self.conn.execute(
            """SELECT coalesce(payload->>'Artist', payload->>'ARTIST', payload->>'artist', payload->'Tags'->>'Author')
               FROM bronze.raw_record WHERE record_type = 'library_track'"""
        )
        texts.extend(a for (a,) in cur if a and a.strip())
        self.conn.commit()
        return texts, titles

    # -- shared pieces ------------------------------------------------------------------------

    def processed(self, rec: dict, outcome: str) -> None:
        self.rows.add("processed_record", rec["record_id"], self.run_id, outcome)
        if rec["record_id"] in self.reprocessed:  # an earlier run's record of a rebuilt set
            return
        self.stats.records += 1
        if self.progress:
            self.progress(1)

    def reject(self, record_id: int, item_index: int, reason: str, raw: Any) -> None:
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        self.rows.add("reject", record_id, item_index, reason, text, self.run_id)
        self.stats.rejects += 1

    def invalid(self, record_id: int, item_index: int, fld: str, raw: Any, reason: str) -> None:
        self.rows.add("invalid_value", record_id, item_index, fld, str(raw), reason, self.run_id)
        self.stats.invalid_values += 1

    def parse(self, raw: str) -> ParsedEntry:
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

    def track_for(self, p: ParsedEntry, record_id: int, identifiers: list[tuple[str, str]],
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
        title = p.title
        key = track_key(primaries, title, p.version)

        def make_row(track_id: int) -> tuple[tuple, list[tuple[int, str, int]]]:
            # (the silver.track row in _TABLES["track"] order, its credits)
            return ((track_id, key, title, p.version, artists_display(p.credits), p.catalog, duration_s,
                     record_id, recording_key(primaries, title, p.version)), credit_ids)

        track_id, _ = self.tracks.resolve(key, identifiers, make_row)
        return track_id

    def library_only_track(self, title: str, version: str | None, record_id: int,
                           identifiers: list[tuple[str, str]], duration_s: float | None = None) -> int:
        """Resolve (or create) a DJ-library track that names no artist anywhere (tag, title, file name): a
        track of that library alone, known by the program's own id and its file (``identifiers``, the
        first being the program's id), never matched to another source by its title. Its key is
        ``library|<program id>``; it has no credits (``etl.checks`` allows that for these keys only)."""
        ident = identifiers[0]
        key = f"{LIBRARY_ONLY_PREFIX}{ident[0]}:{ident[1]}"

        def make_row(track_id: int) -> tuple[tuple, list[tuple[int, str, int]]]:
            return (track_id, key, title, version, "", None, duration_s, record_id, key), []

        track_id, _ = self.tracks.resolve(key, identifiers, make_row)
        return track_id

    def observation(self, source: str, record_id: int, item_index: int, track_id: int | None,
                    match: str | None, *, kind: str | None = None, match_keys: list[str] | None = None,
                    **values: Any) -> None:
        """An observation row: what ``source`` (of ``kind``, see ``enrichment.source_confidence``) says about
        ``track_id``, matched by strategy ``match``; ``match_keys`` for a row that matched no track yet."""
        obs_id = stable_id("observation", f"{record_id}:{item_index}")
        extra = values.pop("extra", {}) or {}
        self.rows.add(
            "observation", obs_id, source, record_id, item_index, track_id, match,
            values.get("artist_raw"), values.get("title_raw"), values.get("bpm"),
            values.get("key_pitch_class"), values.get("key_mode"), values.get("energy"),
            values.get("genres") or [], values.get("label"), values.get("catalog_number"),
            values.get("duration_s"), values.get("rating"), dumps_json(extra) if extra else "{}",
            kind, match_keys if track_id is None and match_keys else None,
        )
        if track_id is not None:
            if track_id not in self.tracks.created:
                self.rows.dirty_tracks.add(track_id)  # new tracks are born flagged; existing ones are bumped
            if "bpm" in values or "key_pitch_class" in values or "energy" in values:
                self.rows.audio_tracks.add(track_id)  # its other edits read these values too
        self.stats.observations += 1

    def validated(self, record_id: int, item_index: int, raw: dict[str, Any]) -> dict[str, Any]:
        """Validate bpm / key / energy values; invalid ones are recorded and dropped."""
        out: dict[str, Any] = {}
        for fld, parser in (("bpm", parse_bpm), ("energy", parse_energy)):
            value = raw.get(fld)
            if value in (None, ""):
                continue
            try:
                out[fld] = parser(value)
            except InvalidValue as e:
                self.invalid(record_id, item_index, fld, value, str(e))
        key = raw.get("key")
        if isinstance(key, Key):
            out["key_pitch_class"], out["key_mode"] = key.pitch_class, key.mode
        elif key not in (None, ""):
            try:
                k = parse_key(key)
                out["key_pitch_class"], out["key_mode"] = k.pitch_class, k.mode
            except InvalidValue as e:
                self.invalid(record_id, item_index, "key", key, str(e))
        return out

    def new_set(self, set_id: int, **values: Any) -> None:
        self.set_ids.add(set_id)
        self._chunk_sets.add(set_id)
        self.rows.add("dj_set", *(values.get(c) if c != "set_id" else set_id for c in _TABLES["dj_set"]))
        self.stats.sets += 1

    def supersede(self, set_id: int, reason: str) -> None:
        """A newer bronze record of a set already in silver (a re-exported mix or playlist): the old
        version's entries and gaps move to ``silver.reject`` with ``reason``, its observations, DJs and
        spelling counts go (their tracks are flagged for enrichment), and the caller then writes the new
        version under the same set id. Last ingested wins; bronze keeps both versions.
        Call before adding any row of the new version."""
        if set_id in self._chunk_sets:  # the old version is still in this chunk's rows: write them first
            self.flush()
        self.rows.retired.append((set_id, reason, self.run_id))
        self.stats.superseded_sets += 1

    def set_djs(self, set_id: int, names: Iterable[str], record_id: int) -> None:
        seen: set[int] = set()
        for pos, name in enumerate(names):
            artist_id = self.artists.resolve(name, record_id)
            if artist_id is not None:
                self.rows.count_spelling(record_id, artist_id, name)
            if artist_id is not None and artist_id not in seen:
                seen.add(artist_id)
                self.rows.add("set_dj", set_id, artist_id, pos)

    def track_index(self) -> TrackIndex:
        """Every silver track by (artist, title key), including the tracks this build created so far."""
        if self._track_index is None:
            self.flush_pending_tracks()
            self._track_index = TrackIndex.load(self.conn)
        return self._track_index

    def flush_pending_tracks(self) -> None:
        """Hand the buffered rows to the writer and wait until they are written (a read of silver
        then sees every track created so far)."""
        if self.writer is not None:
            r = self.rows
            if (any(r.rows.values()) or r.retired or r.rebuilt or r.spellings or self.tracks.new_tracks
                    or self.artists.new_artists):
                self.flush()
            self.writer.drain()

    def lookup_key(self, p: ParsedEntry) -> str | None:
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
                cur = self.conn.execute(_RENAME_SQL, [list(col) for col in zip(*rows, strict=True)])
                self.stats.canonical_renames = cur.rowcount
        self.conn.commit()


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

def build_silver(conn: psycopg.Connection, run_id: int, *, chunk_records: int = 500,
                 progress: Callable[[int], None] | None = None, max_chunks: int | None = None,
                 parse_workers: int | None = None) -> SilverStats:
    """Process every unprocessed bronze record into silver (see module docstring)."""
    return SilverBuilder(conn, run_id, chunk_records=chunk_records, progress=progress,
                         parse_workers=parse_workers).run(max_chunks)
