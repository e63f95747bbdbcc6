"""What the DJ-library importers share (rekordbox, Traktor, Mixxx, VirtualDJ).

Track numbers and playlist names are only unique inside ONE library, so every record carries the
library's name as ``"_library"`` (part of its content hash: an identical playlist of another library is a
record of its own) and its bronze ``source_key`` starts with ``LIBRARY:``. The name defaults to the file
name stem, so re-exporting to the same file name keeps the same library.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

import psycopg
from defusedxml import DefusedXmlException

from etl import bronze
from etl.bronze import Batch, IngestResult, ProgressFn
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


@dataclass(frozen=True)
class XmlLibraryFile:
    """One DJ program's XML library file: what it is called and what to tell its user when it is wrong."""

    source: str  # bronze source
    version: str  # importer version
    program: str  # "Traktor", in messages
    root: bytes  # bytes its first 4 KiB hold (the root element's start)
    not_root: str  # the message when they do not
    encoding_hint: str  # what to do about an encoding the declaration contradicts
    xml_hint: str  # what to do about XML that does not parse


def ingest_xml_library(conn: psycopg.Connection, path: Path, library: str | None, progress: ProgressFn | None,
                       kind: XmlLibraryFile, parse: Callable[[bytes, Batch, str], None]) -> IngestResult:
    """Load an XML library file into bronze with ``parse(data, batch, library name)``: the same file again adds
    nothing (and cannot come back as another library), and a file in the wrong encoding, of another program
    or not well-formed is one clear error (and a reject row) with nothing loaded."""
    from etl.importers.rekordbox import encoding_problem

    started = time.perf_counter()
    name = library_name(path, library, kind.program)
    file = bronze.read_input(conn, kind.source, path, kind.version)
    previous = bronze.previous_ingest(conn, kind.source, file, started)
    if previous is not None:
        check_same_library(conn, kind.source, file, name, kind.program)
        return previous

    def fail(what: str) -> Exception:
        return bronze.fail(conn, kind.source, file.path, kind.version, f"{file.path}: {what}",
                           bronze.preview(file.data), file_sha256=file.sha256)

    problem = encoding_problem(file.data)
    if problem:
        raise fail(f"{problem}. {kind.encoding_hint}")
    if kind.root not in file.data[:4096]:
        raise fail(kind.not_root)
    batch = Batch(kind.source, kind.version, file, progress)
    try:
        parse(file.data, batch, name)
    except (ParseError, DefusedXmlException) as e:
        raise fail(f"not well-formed XML ({e}); {kind.xml_hint}") from e
    return bronze.load_batch(conn, batch, started)
