"""Feature tables (Spotify feature tables, GiantSteps key annotations, Beatport audio features, ...).

A feature row never creates a track: it is an observation (``features:<file stem>``, of the table's
``kind``) of the track it names, or of no track yet. It matches by identifier first (a Spotify id in a
Spotify table, a Beatport id elsewhere), then by artists and title among KNOWN artists
(:mod:`etl.silver.matching`: the same track key, a featured artist listed as an artist, another edit of
the same recording, the first artist only), with the strategy recorded. A row that matched nothing
keeps its match keys (``artist key|title key`` per credited artist); a later run that creates a track
with one of those keys matches it then (:meth:`FeaturesSource.finish`), so the result does not depend
on which file came first.

How the columns read: artists separated by ``;`` (Spotify); a title's ``- Radio Edit`` suffix is a
version; Spotify's key is a pitch class 0-11 with ``mode`` 1 major / 0 minor and -1 for "no key
detected" (no key, not an invalid value), and its tempo 0 means "no tempo detected"; any other key is
read in any notation (``E minor``, ``8A``, ``1m``).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any, ClassVar

from etl.silver.sources.base import SilverSource
from etl.silver.sources.library import title_with_version
from etl.tracklist import EntryParseError, ParsedEntry
from graphsvc.errors import InvalidValue
from graphsvc.harmonic import Key
from graphsvc.names import name_key, title_key
from graphsvc.pg import fetch_one

_INT = re.compile(r"^-?\d+(?:\.0+)?$")


def table_name(file_name: str) -> str:
    """``spotify_tracks_114k.csv.gz`` -> ``spotify_tracks_114k``."""
    name = PurePath(file_name or "features").name
    for suffix in (".gz", ".csv", ".tsv", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "features"


def beatport_title(title: str) -> str:
    """Beatport exports write ``Title-Original Mix``; turn the suffix into a version in parentheses."""
    m = re.match(r"^(.*\S)-((?:[^-]*\b(?:Mix|Remix|Edit|Dub|Version|Rework|Instrumental)\b[^-]*))$", title)
    return f"{m.group(1)} ({m.group(2).strip()})" if m else title


class FeaturesSource(SilverSource):
    source = "features"
    record_types: ClassVar[tuple[str, ...]] = ("feature_row",)

    def process(self, record_type: str, rec: dict) -> None:
        b = self.b
        rid, row = rec["record_id"], rec["payload"]
        cols = row.get("_columns") or {}
        kind = str(row.get("_kind") or "generic")

        def get(role: str) -> str:
            return str(row.get(cols[role]) or "").strip() if cols.get(role) else ""

        artist, title, ident = get("artist"), get("title"), get("id")
        if not (artist and title) and get("name") and " - " in get("name"):
            artist, title = (x.strip() for x in get("name").split(" - ", 1))
        source = f"features:{table_name(str(row.get('_file') or ''))}"
        if not ((artist and title) or ident):
            b.reject(rid, -1, "feature row has neither artist and title nor an id", row)
            b.processed(rec, "rejected")
            return
        scheme = "spotify" if kind == "spotify" else (cols.get("id_scheme") or "beatport")
        track_id, match, keys = self.match(artist, title, [(scheme, ident)] if ident else [])
        values = b.validated(rid, -1, self._values(rid, kind, get))
        genres = [get("genre")] if get("genre") else []
        b.observation(
            source, rid, -1, track_id, match, kind=kind, match_keys=keys, artist_raw=artist or None,
            title_raw=title or None, genres=genres, extra={"id": ident} if ident else {}, **values,
        )
        b.processed(rec, "feature")

    def _values(self, rid: int, kind: str, get) -> dict[str, Any]:
        raw: dict[str, Any] = {"bpm": get("bpm"), "energy": get("energy")}
        key, mode = get("key"), get("mode")
        if kind == "spotify" and raw["bpm"] and _INT.match(raw["bpm"]) and float(raw["bpm"]) == 0:
            raw["bpm"] = None  # Spotify writes tempo 0 when it detected none
        if key and _INT.match(key) and (mode or kind == "spotify"):
            pitch = int(float(key))
            if pitch == -1:  # Spotify: no key detected
                return raw
            try:
                raw["key"] = Key.from_spotify(pitch, int(float(mode)) if mode and _INT.match(mode) else -9)
            except (InvalidValue, ValueError) as e:
                self.b.invalid(rid, -1, "key", f"{key}/{mode}", f"pitch class {key!r} with mode {mode!r}: {e}")
        elif key:
            raw["key"] = key
        return raw

    def parse_row(self, artist: str, title: str) -> tuple[ParsedEntry, list[str], list[str]] | None:
        """The row's parse, its primary artist names in order and its featured names; None when it does not
        read as a track."""
        names = [a.strip() for a in artist.split(";") if a.strip()]
        if not names or not title:
            return None
        try:
            p = self.b.parse(f"{names[0] if len(names) > 1 else artist} - {title_with_version(beatport_title(title))}")
        except EntryParseError:
            return None
        if p.is_gap or not p.title:
            return None
        primary = names if len(names) > 1 else [c.name for c in p.credits if c.role == "primary"]
        featured = [c.name for c in p.credits if c.role == "featured"]
        return p, primary, featured

    def match(self, artist: str, title: str, identifiers: list[tuple[str, str]]
              ) -> tuple[int | None, str | None, list[str] | None]:
        """(track, strategy, None) of a row, or (None, None, match keys) when it matches no track yet."""
        b = self.b
        for ident in identifiers:
            found = b.tracks.by_ident.get(ident)
            if found is not None:
                return found, f"identifier:{ident[0]}", None
        parsed = self.parse_row(artist, title) if artist and title else None
        if parsed is None:
            return None, None, None
        p, primary_names, featured_names = parsed
        primary = [a for a in map(b.artists.find, primary_names) if a is not None]
        featured = [a for a in map(b.artists.find, featured_names) if a is not None]
        hit = b.track_index().match(primary, featured, p.title or "", p.version) if primary else None
        if hit is not None:
            return hit[0], hit[1], None
        tk = title_key(p.title or "")
        keys = sorted({f"{k}|{tk}" for k in map(name_key, (*primary_names, *featured_names)) if k})
        return None, None, keys or None

    def _unfinished_tracks(self) -> list[int]:
        """Tracks no completed re-match has seen: created by this run or by a run that did not finish (the
        runs after the last pipeline run that succeeded past bronze)."""
        b = self.b
        (done,) = fetch_one(b.conn.execute(
            """SELECT coalesce(max(run_id), 0) FROM ops.run WHERE kind = 'pipeline' AND status = 'succeeded'
               AND mode IN ('complete', 'silver_only') AND run_id < %s""", (b.run_id,)))
        ids = [t for (t,) in b.conn.execute(
            """SELECT t.track_id FROM silver.track t JOIN silver.processed_record p ON p.record_id = t.first_record_id
               WHERE p.run_id > %s""", (done,))]
        b.conn.commit()
        return ids

    def needs_finish(self) -> bool:
        """Whether rows of earlier runs wait for a match and a run that did not finish created tracks (a run
        killed after its last chunk: the next run has no records to process but still re-matches)."""
        b = self.b
        (waiting,) = fetch_one(b.conn.execute(
            """SELECT EXISTS (SELECT 1 FROM silver.observation WHERE track_id IS NULL AND match_keys IS NOT NULL
                              AND source LIKE 'features:%%')"""))
        b.conn.commit()
        return bool(waiting) and bool(self._unfinished_tracks())

    def finish(self) -> None:
        """Rows of EARLIER runs that matched no track may match a track created since: those whose match keys
        name one of its artists and its title are matched again. (Rows of this run were matched against every
        track already: the feature stage comes last.) The tracks considered are those no completed re-match
        has seen, so a run killed before this step leaves nothing behind."""
        b = self.b
        (waiting,) = fetch_one(b.conn.execute(
            """SELECT count(*) FROM silver.observation o JOIN silver.processed_record p USING (record_id)
               WHERE o.track_id IS NULL AND o.source LIKE 'features:%%' AND p.run_id <> %s""",
            (b.run_id,)))
        b.conn.commit()
        if not waiting:
            return
        created = set(self._unfinished_tracks()) | b.tracks.created
        if not created:
            return
        keys = self._keys_of(created)
        with b.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS silver_new_track_key (k text) ON COMMIT DELETE ROWS")
            with cur.copy("COPY silver_new_track_key (k) FROM STDIN") as copy:
                for k in keys:
                    copy.write_row((k,))
            cur.execute("ANALYZE silver_new_track_key")
            rows = cur.execute(
                """WITH waiting AS (
                       SELECT o.observation_id, o.artist_raw, o.title_raw, o.extra->>'id' AS ident, o.kind,
                              o.match_keys
                       FROM silver.observation o JOIN silver.processed_record p USING (record_id)
                       WHERE o.track_id IS NULL AND o.source LIKE 'features:%%' AND p.run_id <> %s
                   )
                   SELECT observation_id, artist_raw, title_raw, ident, kind FROM waiting
                   WHERE match_keys IS NULL AND ident IS NOT NULL
                   UNION
                   SELECT w.observation_id, w.artist_raw, w.title_raw, w.ident, w.kind
                   FROM waiting w CROSS JOIN LATERAL unnest(w.match_keys) mk JOIN silver_new_track_key n ON n.k = mk""",
                (b.run_id,),
            ).fetchall()
        b.conn.commit()
        updates = []
        for obs_id, artist, title, ident, kind in rows:
            scheme = "spotify" if kind == "spotify" else "beatport"
            track_id, match, _ = self.match(artist or "", title or "", [(scheme, ident)] if ident else [])
            if track_id is not None:
                updates.append((track_id, match, obs_id))
        if updates:
            with b.conn.transaction(), b.conn.cursor() as cur:
                cur.executemany(
                    "UPDATE silver.observation SET track_id = %s, match_strategy = %s, match_keys = NULL"
                    " WHERE observation_id = %s", updates)
                ids = sorted({u[0] for u in updates})
                cur.execute(
                    """UPDATE silver.track m SET needs_enrichment = true FROM silver.track t
                       WHERE t.track_id = ANY(%s) AND (m.track_id = t.track_id OR m.recording_key = t.recording_key)""",
                    (ids,))
        b.conn.commit()

    def _keys_of(self, track_ids: set[int]) -> set[str]:
        """``artist key|title key`` for every credited spelling of the tracks ``track_ids``."""
        b = self.b
        spellings: dict[int, set[str]] = {}
        for spelling, artist_id in b.artists.by_alias.items():
            spellings.setdefault(artist_id, set()).add(name_key(spelling))
        keys: set[str] = set()
        for _track_id, title, artist_ids in b.conn.execute(
            """SELECT t.track_id, t.title, array_agg(ta.artist_id) FROM silver.track t
               JOIN silver.track_artist ta USING (track_id)
               WHERE t.track_id = ANY(%s) AND ta.role IN ('primary', 'featured') GROUP BY t.track_id""",
            (sorted(track_ids),),
        ):
            tk = title_key(title)
            for artist_id in artist_ids:
                keys.update(f"{k}|{tk}" for k in spellings.get(artist_id, ()) if k)
        b.conn.commit()
        return keys
