"""rekordbox XML collections: library tracks and playlists (scoped to the library they came from).

A TRACK reads as: artist and title from ``Artist`` / ``Name`` (else from ``Name`` or the file name of
``Location``, see :mod:`etl.silver.sources.library`), ``Mix`` a version, ``Remixer`` remixer credits,
``AverageBpm`` the tempo (else the beat grid's ``TEMPO`` nodes; a grid whose tempo changes is noted
with its range), ``Tonality`` the key in whatever notation the user set (``Fm``, ``4A``, ``1m``),
``TotalTime`` seconds, ``Rating`` 0-255 (51 per star). Playlists (``NODE Type="1"``) become sets named
by their folder path; their folders become the set's tags. KeyType 1 playlists list Locations.
"""

from __future__ import annotations

from etl.silver.helpers import float_or
from etl.silver.sources.library import (
    LibraryPlaylist,
    LibrarySource,
    LibraryTrack,
    file_path,
    library_of,
    rating_stars,
)


class RekordboxSource(LibrarySource):
    source = "rekordbox"
    program = "rekordbox"

    def track_of(self, t: dict) -> LibraryTrack | str:
        track_no = str(t.get("TrackID") or "").strip()
        if not track_no:
            return "rekordbox TRACK without a TrackID"
        library = library_of(t)
        location = (t.get("Location") or "").strip() or None
        bpm = t.get("AverageBpm")
        extra: dict = {}
        tempo = [bpm_x for x in t.get("tempo") or [] if isinstance(x, dict) and (bpm_x := float_or(x.get("Bpm")))]
        if tempo:
            if float_or(bpm) in (None, 0.0):
                bpm = tempo[0]  # no average: the first beat-grid tempo
            if max(tempo) - min(tempo) > 0.5:  # a grid with tempo changes: say so, keep the average
                extra["tempo_range"] = [min(tempo), max(tempo)]
        if float_or(bpm) == 0.0:
            bpm = None  # rekordbox writes 0.00 for a track it did not analyse
        return LibraryTrack(
            library=library, ident=("rekordbox", f"{library}:{track_no}"), track_no=track_no,
            artist=str(t.get("Artist") or ""), title=str(t.get("Name") or ""), version=str(t.get("Mix") or "").strip(),
            remixer=str(t.get("Remixer") or ""), location=location, path=file_path(location), bpm=bpm,
            key=t.get("Tonality"), genre=str(t.get("Genre") or ""), label=str(t.get("Label") or ""),
            album=str(t.get("Album") or ""), year=t.get("Year"), duration_s=float_or(t.get("TotalTime")),
            rating=rating_stars(t.get("Rating"), 255),
            extra={**extra, **{k: t[k] for k in ("Year", "Location", "Album") if t.get(k)}},
            more_idents=[("rekordbox_location", location)] if location else [],
        )

    def playlist_of(self, pl: dict, source_key: str) -> LibraryPlaylist | str:
        library = library_of(pl)
        # the folder path plus the playlist name ("Warm-up/Opening"), unique inside one library
        if "name" in pl or "path" in pl:
            folders = [str(x) for x in pl.get("path") or []]
            path = "/".join([*folders, str(pl.get("name") or "")])
        else:  # an old record without them: its bronze source_key is that path
            folders, path = [], source_key
        entries = pl.get("entries")
        if not path or not isinstance(entries, list):
            return "playlist needs a name and a list of entries"
        by_location = str(pl.get("key_type", "0")) == "1"
        # KeyType 1: the entry is a Location (unscoped); else a TrackID of this playlist's own library
        idents: list[tuple[str, tuple[str, str] | None]] = [
            (str(e), ("rekordbox_location", str(e)) if by_location else ("rekordbox", f"{library}:{e}"))
            for e in entries]
        return LibraryPlaylist(library, path, str(pl.get("name") or path), idents, tags=folders)
