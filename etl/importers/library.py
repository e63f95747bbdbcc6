"""What the DJ-library importers share (rekordbox, Traktor, Mixxx, VirtualDJ).

Track numbers and playlist names are only unique inside ONE library, so every record carries the
library's name as ``"_library"`` (part of its content hash: an identical playlist of another library is a
record of its own) and its bronze ``source_key`` starts with ``LIBRARY:``. The name defaults to the file
name stem, so re-exporting to the same file name keeps the same library.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from etl import bronze
from graphsvc.errors import InputError

LIBRARY_KEY = "_library"  # payload key holding the library name
MAX_LIBRARY_NAME = 100


def library_name(path: Path | str, library: str | None = None, program: str = "DJ") -> str:
    """The library name records of ``path`` are scoped to: ``library`` stripped, else the file name stem.

    Raises InputError for an empty name or one longer than 100 characters."""
    if library is None:
        name = Path(path).stem.strip()
        if not name:
            raise InputError(f"{path}: cannot name the {program} library after this file name; "
                             "pass --library NAME (e.g. the DJ's name)")
        if len(name) > MAX_LIBRARY_NAME:
            raise InputError(f"{path}: the file name is longer than {MAX_LIBRARY_NAME} characters, too long to "
                             f"name the {program} library; pass --library NAME (e.g. the DJ's name)")
        return name
    name = library.strip()
    if not name:
        raise InputError(f"--library must not be empty: give the {program} library a name (e.g. the DJ's name), "
                         f"or leave the option out to use the file name ({Path(path).stem!r})")
    if len(name) > MAX_LIBRARY_NAME:
        raise InputError(f"--library is {len(name)} characters long; use at most {MAX_LIBRARY_NAME}")
    return name


def check_same_library(conn: psycopg.Connection, source: str, file: bronze.InputFile, library: str,
                       program: str) -> None:
    """The same file (sha256) adds nothing a second time, so it cannot be loaded again as ANOTHER library:
    say so instead of answering "already ingested" for a library that got nothing."""
    with conn.transaction():
        row = conn.execute(
            """SELECT r.payload ->> %s FROM bronze.raw_record r JOIN bronze.ingest_file f USING (file_id)
               WHERE f.source = %s AND f.file_sha256 = %s AND r.payload ? %s LIMIT 1""",
            (LIBRARY_KEY, source, file.sha256, LIBRARY_KEY),
        ).fetchone()
    if row is not None and row[0] != library:
        raise InputError(f"{file.path}: this exact file was already ingested as {program} library {row[0]!r}, "
                         f"so it cannot be ingested again as {library!r}; ingest it with --library {row[0]!r} "
                         "or export the other library to its own file")


def attributes(elem) -> dict[str, str]:  # an ElementTree element
    """An element's attributes as a plain dict (verbatim)."""
    return dict(elem.attrib)
