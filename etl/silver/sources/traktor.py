"""Traktor collections (NML): library tracks and playlists.

An ENTRY reads as: ``ARTIST`` / ``TITLE`` (else "Artist - Title" from the title or the file name),
``INFO`` ``REMIXER``, ``MIX`` (a version), ``GENRE``, ``LABEL``, ``PLAYTIME`` (seconds),
``RELEASE_DATE``, ``RANKING`` (0-255, 51 per star), ``TEMPO`` ``BPM``, and the key from
``MUSICAL_KEY VALUE``, Traktor's own analysis in its own numbering: 0-11 are C, C#/Db, D, ... B major
and 12-23 C, C#, ... B minor (checked against the INFO ``KEY`` text of the shared collections: 0 is
"1d"/"C", 12 "10m"/"Cm", 21 "1m"/"Am"); without it, the ``INFO KEY`` text (Open Key ``7m``, a name,
lowercase for minor in older versions: ``e`` = E minor).

Tracks are known by Traktor's primary key (volume + directory + file, as playlists write it); on a
Windows drive (``D:``) the same key in another case names the same file.
"""

from __future__ import annotations

from typing import Any

from etl.importers.traktor import traktor_key
from etl.silver.helpers import float_or
from etl.silver.sources.library import (
    LibraryPlaylist,
    LibrarySource,
    LibraryTrack,
    library_of,
    rating_stars,
)
from graphsvc.harmonic import Key


def traktor_musical_key(value: Any) -> Key | None:
    """Traktor's MUSICAL_KEY VALUE (0-11 major from C, 12-23 minor from C) as a key."""
    number = float_or(value)
    if number is None or number != int(number) or not 0 <= number <= 23:
        return None
    n = int(number)
    return Key(n % 12, 1 if n < 12 else 0)


def traktor_path(location: dict) -> str | None:
    """The file of a Traktor LOCATION as one path form: ``D:/dj/x.mp3``; on a Mac volume ``/Users/me/x.mp3``."""
    if not location.get("FILE"):
        return None
    directory = str(location.get("DIR") or "").replace("/:", "/")
    volume = str(location.get("VOLUME") or "")
    prefix = volume if len(volume) == 2 and volume[1] == ":" else ""  # a Windows drive; a Mac volume is /
    return f"{prefix}{directory}{location['FILE']}"


def _scoped(library: str, key: str) -> tuple[str, str]:
    if len(key) >= 2 and key[1] == ":":  # a Windows drive: file names are not case-sensitive there
        key = key.casefold()
    return ("traktor", f"{library}:{key}")


def _dict(value: Any) -> dict:
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


class TraktorSource(LibrarySource):
    source = "traktor"
    program = "Traktor"

    def track_of(self, e: dict) -> LibraryTrack | str:
        library = library_of(e)
        location, info = _dict(e.get("LOCATION")), _dict(e.get("INFO"))
        key_text = traktor_key(location)
        if key_text is None:
            return "Traktor ENTRY without a LOCATION file"
        musical = traktor_musical_key(_dict(e.get("MUSICAL_KEY")).get("VALUE"))
        key: Any = musical if musical is not None else info.get("KEY")
        extra: dict = {"volume": location.get("VOLUME"), "dir": location.get("DIR"), "file": location.get("FILE")}
        if musical is not None and info.get("KEY"):
            extra["key_text"] = info["KEY"]
        bpm = float_or(_dict(e.get("TEMPO")).get("BPM"))
        return LibraryTrack(
            library=library, ident=_scoped(library, key_text), track_no=key_text,
            artist=str(e.get("ARTIST") or ""), title=str(e.get("TITLE") or ""),
            version=str(info.get("MIX") or "").strip(),
            remixer=str(info.get("REMIXER") or ""), location=key_text, path=traktor_path(location),
            bpm=bpm if bpm else None, key=key, genre=str(info.get("GENRE") or ""), label=str(info.get("LABEL") or ""),
            album=str(_dict(e.get("ALBUM")).get("TITLE") or ""), year=info.get("RELEASE_DATE"),
            duration_s=float_or(info.get("PLAYTIME_FLOAT")) or float_or(info.get("PLAYTIME")),
            rating=rating_stars(info.get("RANKING"), 255), extra=extra,
        )

    def playlist_of(self, pl: dict, source_key: str) -> LibraryPlaylist | str:
        library = library_of(pl)
        entries = pl.get("entries")
        name = str(pl.get("name") or "")
        if not name or not isinstance(entries, list):
            return "Traktor playlist needs a name and a list of entries"
        folders = [str(x) for x in pl.get("path") or []]
        path = "/".join([*folders, name])
        return LibraryPlaylist(library, path, name, [(str(k), _scoped(library, str(k))) for k in entries], tags=folders)
