"""Mixxx libraries (``mixxxdb.sqlite``): library tracks, playlists and crates.

A ``library`` row reads as: ``artist`` / ``title`` (else "Artist - Title" from the title, which for
SoundCloud downloads is ``Title_123456789 - Uploader``, or from the file name), ``bpm`` (0 = not
analysed), ``key`` in Mixxx's text notation (``Fm``, ``B♭``, ``D♯m/E♭m``), ``duration`` seconds,
``rating`` 0-5, ``year``, ``genre``. A track removed from the library (``mixxx_deleted = 1``) is rejected
with that reason. Playlists are sets in their order (``hidden``: 2 marks a history / set log, what was
played; 1 the Auto DJ queue); crates have no order (their tracks by id) and are tagged ``crate``.
"""

from __future__ import annotations

from etl.silver.helpers import float_or, int_or
from etl.silver.sources.library import LibraryPlaylist, LibrarySource, LibraryTrack, file_path, library_of

_HIDDEN = {0: "playlist", 1: "auto dj queue", 2: "history"}


class MixxxSource(LibrarySource):
    source = "mixxx"
    program = "Mixxx"

    def track_of(self, r: dict) -> LibraryTrack | str:
        library = library_of(r)
        track_no = str(r.get("id") or "").strip()
        if not track_no:
            return "Mixxx library row without an id"
        if int_or(r.get("mixxx_deleted"), 0) == 1:
            return "removed from the Mixxx library (mixxx_deleted = 1): Mixxx shows it only among hidden tracks"
        location = r.get("location_location") or None
        bpm = float_or(r.get("bpm"))
        rating = int_or(r.get("rating"), None)
        return LibraryTrack(
            library=library, ident=("mixxx", f"{library}:{track_no}"), track_no=track_no,
            artist=str(r.get("artist") or ""), title=str(r.get("title") or ""), location=location,
            path=file_path(location), bpm=bpm if bpm else None, key=r.get("key"), genre=str(r.get("genre") or ""),
            album=str(r.get("album") or ""), year=r.get("year"), duration_s=float_or(r.get("duration")),
            rating=rating if rating is not None and 0 <= rating <= 5 else None,
            extra={"file_missing": True} if int_or(r.get("location_fs_deleted"), 0) == 1 else {},
        )

    def playlist_of(self, pl: dict, source_key: str) -> LibraryPlaylist | str:
        library = library_of(pl)
        name, entries, kind = str(pl.get("name") or ""), pl.get("entries"), pl.get("kind")
        if not name or not isinstance(entries, list) or kind not in ("playlist", "crate"):
            return "Mixxx playlist or crate needs a name and a list of tracks"
        tags = ["crate"] if kind == "crate" else [_HIDDEN.get(int_or(pl.get("hidden"), 0), "playlist")]
        return LibraryPlaylist(library, f"{kind}:{name}", name,
                               [(str(e), ("mixxx", f"{library}:{e}")) for e in entries], tags=tags)
