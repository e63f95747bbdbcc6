"""Silver row buffers: the rows one chunk produces, written with ``COPY`` in one transaction.

``Rows`` collects the rows of every silver table a chunk writes (see ``TABLES`` for the columns) plus the
set-level operations that must run before them in the same transaction: retiring a superseded set
version (``RETIRE_SQL``) and unbuilding a 1001Tracklists set that is rebuilt from its rows
(``UNBUILD_SQL``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg

from graphsvc.names import display_name

_TABLES: dict[str, tuple[str, ...]] = {
    "artist": ("artist_id", "canonical_name", "name_key", "first_record_id"),
    "artist_alias": ("alias", "alias_key", "artist_id", "strategy", "score"),
    "track": (
        "track_id", "track_key", "title", "version", "artists_display", "catalog_number", "duration_s",
        "first_record_id", "recording_key",
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
        "duration_s", "rating", "extra", "kind", "match_keys",
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
        # tracks that got a tempo, key or energy observation: their other edits (same recording_key) read
        # it too (etl.enrichment.providers.load_observations), so they are flagged for enrichment as well
        self.audio_tracks: set[int] = set()
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
                ids, reasons, runs = zip(*self.retired, strict=True)
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
            if self.audio_tracks:
                cur.execute(
                    """UPDATE silver.track m SET needs_enrichment = true FROM silver.track t
                       WHERE t.track_id = ANY(%s) AND m.recording_key = t.recording_key AND m.track_id <> t.track_id""",
                    (list(self.audio_tracks),),
                )
            if self.dirty_tracks:
                cur.execute(
                    # always touch the row (even if already flagged): a concurrent enrichment pass then sees
                    # a new row version and keeps the flag instead of clearing it over the new observation
                    "UPDATE silver.track SET needs_enrichment = true WHERE track_id = ANY(%s)",
                    (list(self.dirty_tracks),),
                )


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
