"""Sets back out to the decks: any built or stored set as a rekordbox XML playlist, a Traktor NML
playlist or an M3U8 playlist.

A track that came from one of the user's DJ libraries keeps what that program knows it by: its rekordbox
TrackID and Location (so rekordbox links the playlist to the tracks already in its collection), its
Traktor volume / directory / file, its file path. ``library`` picks the library to prefer when a track is
in several (default: the most recently loaded). A track no library has a file for cannot be played
from a playlist: it is left out of the playlist and named in ``ExportResult.missing`` (the CLI prints
it; the API sends it in the ``X-Tracks-Without-File`` header and, for M3U8, as a comment line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import psycopg

from graphsvc.errors import InvalidValue, NotFound
from graphsvc.harmonic import Key

FORMATS: dict[str, tuple[str, str]] = {  # format -> (media type, file extension)
    "rekordbox": ("application/xml", ".xml"),
    "traktor": ("application/xml", ".nml"),
    "m3u8": ("audio/x-mpegurl", ".m3u8"),
}
MAX_TRACKS = 1000
LIBRARY_SOURCES = ("rekordbox", "traktor", "mixxx", "virtualdj")


@dataclass(frozen=True)
class FileRef:
    program: str
    library: str
    track_no: str | None      # the program's own id of the track in that library
    location: str | None      # as the program writes it (rekordbox URL, Traktor primary key, a path)
    path: str | None          # the file, one form for every program
    artist: str | None        # the tags as the user wrote them
    title: str | None
    extra: dict = field(default_factory=dict)


@dataclass
class ExportTrack:
    track_id: int
    title: str
    version: str | None
    artists: str
    bpm: float | None
    key: Key | None
    duration_s: float | None
    files: list[FileRef] = field(default_factory=list)  # newest library record first

    @property
    def display_title(self) -> str:
        return f"{self.title} ({self.version})" if self.version else self.title

    def file(self, program: str | None = None, library: str | None = None) -> FileRef | None:
        """The library record to export: ``program``'s in ``library`` first, then that program's, then any
        with a file, newest first."""
        refs = [f for f in self.files if f.path or f.location]
        for want_program, want_library in ((program, library), (program, None), (None, library), (None, None)):
            for f in refs:
                if (want_program is None or f.program == want_program) \
                        and (want_library is None or f.library == want_library):
                    return f
        return None


@dataclass
class ExportResult:
    text: str
    media_type: str
    filename: str
    tracks: int                # in the playlist
    missing: list[str]         # "Artist - Title" of tracks without a file, in set order


def stored_set(conn: psycopg.Connection, set_id: int) -> tuple[str, list[int]]:
    """(title, track ids in order) of a set in silver (a mix, a tracklist, a library playlist)."""
    row = conn.execute("SELECT title FROM silver.dj_set WHERE set_id = %s", (set_id,)).fetchone()
    if row is None:
        raise NotFound(f"set {set_id} does not exist")
    ids = [t for (t,) in conn.execute(
        "SELECT track_id FROM silver.set_entry WHERE set_id = %s ORDER BY position LIMIT %s", (set_id, MAX_TRACKS))]
    conn.commit()
    return row[0], ids


def load_tracks(conn: psycopg.Connection, track_ids: list[int]) -> list[ExportTrack]:
    """The tracks ``track_ids`` in that order (a track may repeat), with every library file they have."""
    if len(track_ids) > MAX_TRACKS:
        raise InvalidValue(f"a set to export has at most {MAX_TRACKS} tracks, got {len(track_ids)}")
    try:  # ids arrive as JSON strings from API clients (64-bit ids are strings there) or as ints
        track_ids = [int(t) for t in track_ids]
    except (TypeError, ValueError):
        raise InvalidValue(f"track ids must be integers (or their decimal strings), got {track_ids[:5]!r}") from None
    distinct = sorted(set(track_ids))
    rows = {r[0]: r for r in conn.execute(
        """SELECT track_id, title, version, artists_display, bpm::float8, key_pitch_class, key_mode, duration_s
           FROM silver.track WHERE track_id = ANY(%s)""", (distinct,))}
    unknown = [t for t in distinct if t not in rows]
    if unknown:
        raise NotFound(f"track(s) {', '.join(map(str, unknown[:10]))} do not exist")
    files: dict[int, list[FileRef]] = {}
    for track_id, source, extra, artist, title in conn.execute(
        """SELECT o.track_id, o.source, o.extra, o.artist_raw, o.title_raw FROM silver.observation o
           WHERE o.track_id = ANY(%s) AND o.source = ANY(%s) ORDER BY o.record_id DESC""",
            (distinct, list(LIBRARY_SOURCES))):
        files.setdefault(track_id, []).append(_file_ref(source, extra or {}, artist, title))
    # rekordbox records loaded before observations carried their library and TrackID: the identifiers
    for track_id, value in conn.execute(
            "SELECT track_id, value FROM silver.track_identifier WHERE scheme = 'rekordbox' AND track_id = ANY(%s)",
            (distinct,)):
        library, _, track_no = value.rpartition(":")
        for i, f in enumerate(files.get(track_id, [])):
            if f.program == "rekordbox" and f.track_no is None:
                files[track_id][i] = FileRef(f.program, library, track_no, f.location, f.path, f.artist, f.title,
                                             f.extra)
    conn.commit()
    out = []
    for t in track_ids:
        _, title, version, artists, bpm, pc, mode, duration = rows[t]
        key = Key(pc, mode) if pc is not None and mode is not None else None
        out.append(ExportTrack(t, title, version, artists, bpm, key, duration, files.get(t, [])))
    return out


def _file_ref(source: str, extra: dict[str, Any], artist: str | None, title: str | None) -> FileRef:
    location = extra.get("location") or extra.get("Location")
    path = extra.get("path")
    if path is None and location and source == "rekordbox":
        from etl.silver.sources.library import file_path

        path = file_path(location)
    return FileRef(source, str(extra.get("library") or "default"), extra.get("track_no"), location, path, artist, title,
                   {k: extra[k] for k in ("volume", "dir", "file") if extra.get(k)})


def export(conn: psycopg.Connection, track_ids: list[int], fmt: str, name: str, *,
           library: str | None = None) -> ExportResult:
    """The playlist ``name`` of ``track_ids`` in format ``fmt`` (rekordbox | traktor | m3u8)."""
    if fmt not in FORMATS:
        raise InvalidValue(f"unknown export format {fmt!r}; formats are {', '.join(FORMATS)}")
    tracks = load_tracks(conn, track_ids)
    from etl.exporters import m3u, rekordbox, traktor

    writer = {"rekordbox": rekordbox.write, "traktor": traktor.write, "m3u8": m3u.write}[fmt]
    text, placed, missing = writer(tracks, name, library)
    media_type, ext = FORMATS[fmt]
    safe = "".join(c if c.isalnum() or c in " -_." else "_" for c in name).strip() or "set"
    return ExportResult(text, media_type, f"{safe[:80]}{ext}", placed,
                        [f"{t.artists} - {t.display_title}" for t in missing])


def file_url(path: str) -> str:
    """A file path as rekordbox writes a Location: ``file://localhost/D:/x.mp3``, ``file://localhost/Users/x.mp3``."""
    p = path.replace("\\", "/")
    return "file://localhost/" + quote(p.lstrip("/"), safe="/:!$&'()*+,;=@~")
