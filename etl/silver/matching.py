"""Matching a row that names a recording (a feature-table row) to the silver track it is about, without
creating anything: one recording, one track.

The row's artists are looked up among KNOWN artists only (spelling, normalized key, then the fuzzy rule
of :class:`etl.identity.ArtistResolver`); its title and version are parsed like a tracklist entry
(``Title - Radio Edit`` is a version, ``(feat. X)`` a featured artist, ``(Original Mix)`` no version).
The candidates are the tracks of any of those artists with the same title key; the best one wins, by
strategy (recorded on the observation as ``match_strategy``):

``track_key``            the same primary artists and the same version (the silver track key);
``featured_as_artist``   the row lists a featured artist as an artist (``David Guetta;Sia`` for
                         ``David Guetta feat. Sia``), same version;
``other_edit``           one of the above, but another edit of the same recording (``Radio Edit`` for
                         ``Extended Mix`` or no version; ``X Remix (Radio Edit)`` for ``X Remix``):
                         the same ``recording_key``; a remix of the original never matches;
``first_artist``         the row's first artist is a primary artist of the track, same version;
``first_artist_other_edit`` the same, another edit.

Ties go to the lowest track id. How sure each strategy is lives in ``enrichment.source_confidence``
(kind ``match``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import psycopg

from etl.identity import version_core
from graphsvc.names import title_key, version_key

STRATEGIES = ("track_key", "featured_as_artist", "other_edit", "first_artist", "first_artist_other_edit")


@dataclass(frozen=True, slots=True)
class Candidate:
    track_id: int
    primary: frozenset[int]
    credited: frozenset[int]  # primary and featured
    vkey: str
    vcore: str


class TrackIndex:
    """Silver tracks by (artist id, title key), for matching rows to tracks; kept current with the tracks
    a build creates (:meth:`add`)."""

    def __init__(self) -> None:
        self.by_artist_title: dict[tuple[int, str], list[Candidate]] = defaultdict(list)

    @classmethod
    def load(cls, conn: psycopg.Connection) -> TrackIndex:
        idx = cls()
        cur = conn.execute(
            """SELECT t.track_id, t.title, t.version,
                      array_agg(ta.artist_id) FILTER (WHERE ta.role = 'primary'),
                      array_agg(ta.artist_id) FILTER (WHERE ta.role IN ('primary', 'featured'))
               FROM silver.track t JOIN silver.track_artist ta USING (track_id) GROUP BY t.track_id"""
        )
        for track_id, title, version, primary, credited in cur:
            idx.add(track_id, title, version, primary or [], credited or [])
        conn.commit()
        return idx

    def add(self, track_id: int, title: str, version: str | None, primary: list[int], credited: list[int]) -> None:
        c = Candidate(track_id, frozenset(primary), frozenset(credited), version_key(version), version_core(version))
        tk = title_key(title)
        for artist_id in c.credited:
            self.by_artist_title[(artist_id, tk)].append(c)

    def match(self, primary: list[int], featured: list[int], title: str, version: str | None
              ) -> tuple[int, str] | None:
        """(track id, strategy) of the best match of a row whose KNOWN artists are ``primary`` (in the row's
        order) and ``featured``, or None."""
        if not primary or not title:
            return None
        tk = title_key(title)
        seen: set[int] = set()
        cands: list[Candidate] = []
        for artist_id in (*primary, *featured):
            for c in self.by_artist_title.get((artist_id, tk), ()):
                if c.track_id not in seen:
                    seen.add(c.track_id)
                    cands.append(c)
        if not cands:
            return None
        row_primary, row_all = frozenset(primary), frozenset((*primary, *featured))
        vkey, vcore = version_key(version), version_core(version)
        best: tuple[int, int, str] | None = None  # (rank, track id, strategy)
        for c in cands:
            same_version = c.vkey == vkey
            same_recording = c.vcore == vcore
            if not same_recording:
                continue
            if c.primary == row_primary:
                strategy = "track_key" if same_version else "other_edit"
            elif c.credited == row_all or c.credited == row_primary:
                strategy = "featured_as_artist" if same_version else "other_edit"
            elif primary[0] in c.primary:
                strategy = "first_artist" if same_version else "first_artist_other_edit"
            else:
                continue
            rank = STRATEGIES.index(strategy)
            if best is None or (rank, c.track_id) < best[:2]:
                best = (rank, c.track_id, strategy)
        return (best[1], best[2]) if best is not None else None
