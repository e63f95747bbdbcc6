"""Feature tables (Beatport audio features, GiantSteps key annotations, Spotify feature tables...).

A feature row never creates a track: it is an observation (``features:<file stem>``) of the track it
matches (by identifier, then by track key over known artists), or of no track yet; rows that matched
nothing are matched again when later runs create tracks (:meth:`FeaturesSource.finish`).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import ClassVar

from etl.silver.sources.base import SilverSource
from etl.tracklist import EntryParseError, ParsedEntry


class FeaturesSource(SilverSource):
    source = "features"
    record_types: ClassVar[tuple[str, ...]] = ("feature_row",)

    def process(self, record_type: str, rec: dict) -> None:
        b = self.b
        rid, row = rec["record_id"], rec["payload"]
        cols = row.get("_columns") or {}
        get = lambda role: (str(row.get(cols[role]) or "").strip() if cols.get(role) else "")  # noqa: E731
        artist, title, ident = get("artist"), get("title"), get("id")
        stem = PurePath(str(row.get("_file") or "features")).stem
        if not ((artist and title) or ident):
            b.reject(rid, -1, "feature row has neither artist and title nor an id", row)
            b.processed(rec, "rejected")
            return
        identifiers = [(cols.get("id_scheme") or "beatport", ident)] if ident else []
        track_id, match = None, None
        parsed: ParsedEntry | None = None
        if artist and title:
            try:
                parsed = b.parse(f"{artist} - {beatport_title(title)}")
            except EntryParseError:
                parsed = None
        track_id = b.tracks.find("", identifiers) if identifiers else None
        if track_id is not None:
            match = f"identifier:{identifiers[0][0]}"
        elif parsed is not None:
            key = b.lookup_key(parsed)
            if key is not None:
                track_id = b.tracks.by_key.get(key)
                match = "track_key" if track_id is not None else None
        values = b.validated(rid, -1, {"bpm": get("bpm"), "key": get("key"), "energy": get("energy")})
        genres = [get("genre")] if get("genre") else []
        b.observation(
            f"features:{stem}", rid, -1, track_id, match, artist_raw=artist or None, title_raw=title or None,
            genres=genres, extra={"id": ident} if ident else {}, **values,
        )
        b.processed(rec, "feature")

    def finish(self) -> None:
        """Observations that matched no track when they arrived may match tracks created since."""
        b = self.b
        rows = b.conn.execute(
            """SELECT observation_id, artist_raw, title_raw, extra->>'id' FROM silver.observation
               WHERE track_id IS NULL AND source LIKE 'features:%%'"""
        ).fetchall()
        updates = []
        for obs_id, artist, title, ident in rows:
            track_id = b.tracks.by_ident.get(("beatport", ident)) if ident else None
            match = "identifier:beatport" if track_id else None
            if track_id is None and artist and title:
                try:
                    key = b.lookup_key(b.parse(f"{artist} - {beatport_title(title)}"))
                except EntryParseError:
                    key = None
                track_id = b.tracks.by_key.get(key) if key else None
                match = "track_key" if track_id else None
            if track_id is not None:
                updates.append((track_id, match, obs_id))
        if updates:
            with b.conn.transaction():
                with b.conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE silver.observation SET track_id = %s, match_strategy = %s WHERE observation_id = %s",
                        updates,
                    )
                    cur.execute(
                        "UPDATE silver.track SET needs_enrichment = true WHERE track_id = ANY(%s)",
                        ([u[0] for u in updates],),
                    )
        b.conn.commit()


def beatport_title(title: str) -> str:
    """Beatport exports write ``Title-Original Mix``; turn the suffix into a version in parentheses."""
    m = re.match(r"^(.*\S)-((?:[^-]*\b(?:Mix|Remix|Edit|Dub|Version|Rework|Instrumental)\b[^-]*))$", title)
    return f"{m.group(1)} ({m.group(2).strip()})" if m else title
