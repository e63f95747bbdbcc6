"""A set as an extended M3U playlist in UTF-8 (``.m3u8``): every DJ program and media player reads it.

``#EXTINF:<seconds>,<Artist> - <Title>`` then the file path, in set order; a track without a file in
the user's libraries is a comment line (``# no file: Artist - Title``) where it would have been.
"""

from __future__ import annotations

from etl.exporters import ExportTrack


def write(tracks: list[ExportTrack], name: str, library: str | None) -> tuple[str, int, list[ExportTrack]]:
    lines = ["#EXTM3U", f"#PLAYLIST:{' '.join(name.split())}"]
    missing: list[ExportTrack] = []
    placed = 0
    for t in tracks:
        ref = t.file(None, library)
        label = " ".join(f"{t.artists} - {t.display_title}".split())
        if ref is None or not ref.path:
            missing.append(t)
            lines.append(f"# no file: {label}")
            continue
        lines.append(f"#EXTINF:{round(t.duration_s) if t.duration_s else -1},{label}")
        lines.append(ref.path)
        placed += 1
    return "\n".join(lines) + "\n", placed, missing
