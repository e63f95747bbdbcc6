"""VirtualDJ databases (``database.xml``): library tracks (VirtualDJ keeps playlists in other files).

A Song reads as: ``Tags`` ``Author`` / ``Title`` (else "Artist - Title" from the title or the file name
of ``FilePath``), ``Remix`` a version, ``Genre``, ``Label``, ``Year``; ``Infos`` ``SongLength`` seconds;
the tempo and key from ``Scan`` (VirtualDJ's own analysis), else from ``Tags`` (what the file's tags say,
possibly edited by the user): VirtualDJ writes a BPM as the length of one beat in seconds (``0.5`` =
120 BPM), so it is turned into beats per minute; a value of 20 or more is already one. When Scan and
Tags disagree on the key, the observation keeps the tag key in ``extra.tag_key``.
"""

from __future__ import annotations

from typing import Any

from etl.silver.helpers import float_or
from etl.silver.sources.library import LibrarySource, LibraryTrack, file_path, library_of, rating_stars


def vdj_bpm(value: Any) -> float | None:
    """VirtualDJ's beat length in seconds as beats per minute (None for none or 0)."""
    number = float_or(value)
    if not number or number <= 0:
        return None
    return round(60.0 / number, 2) if number < 20 else number


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class VirtualdjSource(LibrarySource):
    source = "virtualdj"
    program = "VirtualDJ"
    record_types = ("library_track",)

    def track_of(self, s: dict) -> LibraryTrack | str:
        library = library_of(s)
        path = str(s.get("FilePath") or "").strip()
        if not path:
            return "VirtualDJ Song without a FilePath"
        tags, scan, infos = _dict(s.get("Tags")), _dict(s.get("Scan")), _dict(s.get("Infos"))
        key = scan.get("Key") or tags.get("Key")
        extra: dict = {}
        if scan.get("Key") and tags.get("Key") and scan["Key"] != tags["Key"]:
            extra["tag_key"] = tags["Key"]
        bpm = vdj_bpm(scan.get("Bpm")) or vdj_bpm(tags.get("Bpm"))
        return LibraryTrack(
            library=library, ident=("virtualdj", f"{library}:{path}"), track_no=path,
            artist=str(tags.get("Author") or ""), title=str(tags.get("Title") or ""),
            version=str(tags.get("Remix") or "").strip(), location=path, path=file_path(path), bpm=bpm, key=key,
            genre=str(tags.get("Genre") or ""), label=str(tags.get("Label") or ""), album=str(tags.get("Album") or ""),
            year=tags.get("Year"), duration_s=float_or(infos.get("SongLength")),
            rating=rating_stars(tags.get("Stars"), 5), extra=extra,
        )
