"""1001Tracklists exports: one bronze record per row, grouped into tracklists.

A tracklist is one bronze record per row, so its version is the newest export file holding it: rows
not in that file become rejects "superseded by bronze file N", and the set is rebuilt from its current
rows (see :meth:`TracklistsSource._tracklist_version`); a file that only repeats an older export makes
that one current again. Numbered rows are set entries (or gaps when unnamed / ``ID - ID``), ``w/`` rows
and mashup parts are mashup components of the numbered row above, and the historical Spotify values
of a row (key/mode, tempo, energy, artist genres) become a ``1001tracklists`` observation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, ClassVar

from psycopg.rows import dict_row

from etl.silver.helpers import float_or, int_or
from etl.silver.sources.base import SilverSource
from etl.tracklist import EntryParseError
from graphsvc.errors import InvalidValue
from graphsvc.harmonic import Key
from graphsvc.ids import stable_id

_STAGE = ("1001tracklists", "tracklist_row")


class TracklistsSource(SilverSource):
    source = "1001tracklists"
    record_types: ClassVar[tuple[str, ...]] = ("tracklist_row",)
    parses_tracklists = True

    def __init__(self, builder) -> None:  # the builder; see base
        super().__init__(builder)
        # 1001Tracklists files not yet taken into account -> the tracklists they hold (see _stale_files)
        self.new_files: dict[int, set[str]] = {}

    def prepare(self, pending: dict[tuple[str, str], list[int]]) -> None:
        self.new_files = self._stale_files()

    def has_work(self, record_type: str, ids: list[int]) -> bool:
        return bool(ids) or bool(self.new_files)

    def needs_corpus(self, pending: dict[tuple[str, str], list[int]]) -> bool:
        return bool(pending.get(_STAGE)) or bool(self.new_files)

    def _stale_files(self) -> dict[int, set[str]]:
        """1001Tracklists files silver has not taken into account, and the tracklists each holds. Their
        tracklists are rebuilt even when the file brought no new record: an export repeating an older
        one verbatim makes that version current again."""
        out: dict[int, set[str]] = defaultdict(set)
        conn = self.b.conn
        for file_id, payload_id in conn.execute(
            """SELECT f.file_id, r.payload->>'tracklist_id' FROM bronze.ingest_file f
               JOIN bronze.file_record fr USING (file_id) JOIN bronze.raw_record r USING (record_id)
               WHERE f.source = '1001tracklists' AND r.record_type = 'tracklist_row'
                 AND NOT EXISTS (SELECT 1 FROM silver.processed_file p WHERE p.file_id = f.file_id)"""
        ):
            out[file_id].add((payload_id or "").strip())
        conn.commit()
        return dict(out)

    def chunks(self, record_type: str, ids: list[int]) -> Iterator[list[dict]]:
        """One tracklist per chunk: mashup components refer to the row above them."""
        rows = self.b.fetch(ids) if ids else []
        self._tracklist_identities(rows)
        groups: dict[str, list[dict]] = defaultdict(list)
        for rec in rows:
            groups[_tracklist_id(rec["payload"])].append(rec)
        for tracklists in self.new_files.values():  # rebuilt even without a new row
            for tl_id in tracklists:
                groups.setdefault(tl_id, [])
        for key in sorted(groups, key=lambda k: (groups[k][0]["record_id"] if groups[k] else 2**63, k)):
            yield [{"group": groups[key], "tracklist_id": key}]

    def end_stage(self, record_type: str) -> None:
        if self.new_files:  # after all their tracklists were rebuilt
            for file_id in sorted(self.new_files):
                self.b.rows.add("processed_file", file_id, self.b.run_id)
            self.b.flush()

    def process(self, record_type: str, group_rec: dict) -> None:
        b = self.b
        group, tl_id = group_rec["group"], group_rec["tracklist_id"]
        set_id = stable_id("set", f"1001tracklists:{tl_id}")
        if not tl_id:
            for rec in group:
                b.reject(rec["record_id"], -1, "row has no tracklist_id", rec["payload"])
                b.processed(rec, "rejected")
            return
        group, superseded = self._tracklist_version(tl_id, set_id, group)
        for rec, reason in superseded:
            b.reject(rec["record_id"], -1, reason, _row_name(rec["payload"]) or rec["payload"])
            b.processed(rec, "superseded")
        if not group:
            return
        newest = max(group, key=lambda r: r["record_id"])  # the set's name, date and DJs as last exported
        first = newest["payload"]
        taken: set[int] = set()
        entries = gaps = 0
        parent_pos: int | None = None
        ordered = sorted(group, key=lambda r: (int_or(r["payload"].get("index"), 10**9), r["record_id"]))
        for rec in ordered:
            rid, row = rec["record_id"], rec["payload"]
            raw = (row.get("name") or "").strip()
            number = (row.get("track_number") or "").strip()
            layered = number.lower() == "w/"  # played together with the track above: a component of it
            if layered:
                number = ""
            if not raw:
                position = int_or(number, None)
                if position is not None and position >= 1 and position not in taken:
                    # a numbered row without a name is a track 1001Tracklists could not identify
                    taken.add(position)
                    parent_pos = position
                    cue = (row.get("time") or "").strip() or None
                    self.b.rows.add("set_gap", set_id, position, cue, rid, -1, f"#{number} (no name)", "unidentified")
                    gaps += 1
                    b.processed(rec, "set_row")
                else:
                    b.reject(rid, -1, "row has no track name", row)
                    b.processed(rec, "rejected")
                continue
            try:
                p = b.parse(raw)
            except EntryParseError as e:
                b.reject(rid, -1, str(e), raw)
                b.processed(rec, "rejected")
                continue
            if number:
                position = int_or(number, None)
                if position is None or position < 1:
                    b.reject(rid, -1, f"track_number {number!r} is not a positive integer", raw)
                    b.processed(rec, "rejected")
                    continue
                if position in taken:
                    b.reject(rid, -1, f"position {position} of tracklist {tl_id} is already taken", raw)
                    b.processed(rec, "rejected")
                    continue
                taken.add(position)
                parent_pos = position
                if p.is_gap:
                    self.b.rows.add("set_gap", set_id, position, row.get("time", "").strip() or None, rid, -1, raw,
                                  p.gap_reason or "unidentified")
                    gaps += 1
                    b.processed(rec, "set_row")
                    continue
            elif parent_pos is None or not (layered or _truthy(row.get("mashup"))):
                b.reject(rid, -1, "row has no track_number and is neither part of a mashup nor played"
                             " with (w/) a numbered track", raw)
                b.processed(rec, "rejected")
                continue
            elif p.is_gap:
                b.reject(rid, -1, "unidentified mashup component", raw)
                b.processed(rec, "rejected")
                continue
            idents, duration = _row_identity(row)
            try:
                track_id = b.track_for(p, rid, idents, duration)
            except EntryParseError as e:
                b.reject(rid, -1, str(e), raw)
                b.processed(rec, "rejected")
                continue
            if number:
                cue = (row.get("time") or "").strip() or None
                self.b.rows.add("set_entry", set_id, parent_pos, cue, _cue_seconds(cue), track_id, rid, -1, raw)
                entries += 1
            else:
                self.b.rows.add("mashup_component", set_id, parent_pos, track_id, rid, -1)
                self.b.stats.components += 1
            values = self._spotify_values(rid, row)
            if values or row.get("genres"):
                genres = [g.strip() for g in (row.get("genres") or "").split(",") if g.strip()]
                b.observation(
                    "1001tracklists", rid, -1, track_id, "row", artist_raw=p.artist_text, title_raw=p.title,
                    genres=genres, duration_s=duration, **values,
                )
            b.processed(rec, "set_row")
        name = str(first.get("tracklist_name") or tl_id)
        djs = _tracklist_djs(first, tl_id)
        dj = " & ".join(djs) or None
        d = _date_1001(first.get("tracklist_date"), name)
        b.new_set(
            set_id, source="1001tracklists", source_key=tl_id, record_id=None, title=name, dj_display=dj,
            set_date=d, date_precision="day" if d else None,
            venue=name.split(" @ ", 1)[1].split(",")[0].strip() if " @ " in name else None,
            event=(first.get("Open Air / Festival0") or first.get("Label Events0") or "").strip() or None,
            show=(first.get("Radio Show0") or "").strip() or None,
            url=f"https://www.1001tracklists.com/tracklist/{tl_id}/", tags=[
                g for g in (first.get("genre0"),) if g], entry_count=entries, gap_count=gaps,
        )
        if djs:
            b.set_djs(set_id, djs, newest["record_id"])
        self.b.stats.entries += entries
        self.b.stats.gaps += gaps

    def _tracklist_identities(self, rows: list[dict]) -> None:
        """Resolve the DJs and tracks of 1001Tracklists rows in bronze order before any set is placed,
        whether a row will be placed or superseded: which tracks and artists silver knows, and which
        record met them first, must not depend on how the exports were split across runs."""
        b = self.b
        for rec in sorted(rows, key=lambda r: r["record_id"]):
            payload = rec["payload"]
            if not isinstance(payload, dict):
                continue
            for dj in _tracklist_djs(payload, _tracklist_id(payload)):
                self.b.artists.resolve(dj, rec["record_id"])
            name = payload.get("name")
            if not isinstance(name, str) or not name.strip():
                continue
            try:
                p = b.parse(name.strip())
                if not p.is_gap:
                    idents, duration = _row_identity(payload)
                    b.track_for(p, rec["record_id"], idents, duration, count_spellings=False)
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
        if set_id in self.b.set_ids:
            old = [r for r in self._fetch_tracklist(tl_id) if r["record_id"] not in records]
            self.b.rows.rebuilt.append((set_id, [r["record_id"] for r in old]))
            self.b.reprocessed.update(r["record_id"] for r in old)
            self.b.set_ids.discard(set_id)
            records.update((r["record_id"], r) for r in old)
        if not records:
            return [], []
        files: dict[int, set[int]] = defaultdict(set)  # file -> its records of this tracklist
        for record_id, file_id in self.b.conn.execute(
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
            self.b.stats.superseded_sets += 1
        return [r for r in ordered if r["record_id"] not in gone], superseded

    def _fetch_tracklist(self, tl_id: str) -> list[dict]:
        """Every bronze row of tracklist ``tl_id`` (row keys are ``<tracklist_id>:<index>``)."""
        with self.b.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                """SELECT record_id, source, record_type, source_key, source_url, file_id, payload
                   FROM bronze.raw_record WHERE source = '1001tracklists' AND record_type = 'tracklist_row'
                     AND source_key COLLATE "C" >= %s AND source_key COLLATE "C" < %s ORDER BY record_id""",
                (tl_id + ":", tl_id + ";"),  # ';' follows ':' in byte order (hence COLLATE "C")
            ).fetchall()
        return [r for r in rows if _tracklist_id(r["payload"]) == tl_id]

    def _spotify_values(self, rid: int, row: dict) -> dict[str, Any]:
        b = self.b
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
                b.invalid(rid, -1, "key", f"{key}/{mode}", f"spotify key {key!r} mode {mode!r}: {e}")
        return b.validated(rid, -1, raw)


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
    duration = float_or(row.get("duration_ms"))
    return idents, duration / 1000 if duration else None


def _row_name(row: Any) -> str:
    """A 1001Tracklists row's track name ("" when it has none: its reject then shows the whole row)."""
    name = row.get("name") if isinstance(row, dict) else None
    return name.strip() if isinstance(name, str) else ""


def _dj_column_order(column: str) -> int:
    m = re.fullmatch(r"DJ(\d+)", column)
    return int(m.group(1)) if m else 10**6


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
