"""rekordbox XML library export -> bronze ``library_track`` and ``library_playlist`` records.

Tracks: every ``COLLECTION/TRACK`` with all its attributes verbatim, plus ``"tempo"`` (the TEMPO
children's attributes) and ``"position_marks"`` (POSITION_MARK children) when present.
Playlists: every ``PLAYLISTS//NODE[@Type="1"]`` as ``{"name", "path", "key_type", "entries"}`` where
``path`` is the folder names above it (without ROOT) and ``entries`` the TRACK ``Key`` values in order.

TrackIDs and playlist paths are only unique inside ONE rekordbox library, so every record carries the
library's name as ``"_library"`` (part of its content hash: an identical playlist of another library is
a record of its own) and its bronze ``source_key`` is ``LIBRARY:TrackID`` or ``LIBRARY:folder/playlist``.
The name defaults to the file name stem, so re-exporting to the same file name keeps the same library.

The file is parsed with defusedxml (no entity expansion, no external entities) incrementally, so a
large library is not held as one tree. Its encoding is checked first: an XML declaration that does
not match the bytes (Latin-1 bytes declared UTF-8, UTF-16 without a byte order mark) is an InputError.
"""

from __future__ import annotations

import codecs
import io
import re
import time
from pathlib import Path
from xml.etree.ElementTree import ParseError

import psycopg
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from etl import bronze
from etl.bronze import Batch, IngestResult, ProgressFn
from etl.importers.library import LIBRARY_KEY, MAX_LIBRARY_NAME, check_same_library  # noqa: F401  (re-exported)
from etl.importers.library import library_name as _library_name

SOURCE = "rekordbox"
IMPORTER_VERSION = "rekordbox/2"
DEFAULT_LIBRARY = "default"  # the library of records ingested before libraries existed (no "_library")
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# UTF-32 first: its little-endian BOM starts with UTF-16's
_BOM_FAMILY = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def library_name(path: Path | str, library: str | None = None) -> str:
    """The library name records of ``path`` are scoped to: ``library`` stripped, else the file name stem.

    Raises InputError for an empty name or one longer than 100 characters."""
    return _library_name(path, library, "rekordbox")


def ingest_rekordbox(conn: psycopg.Connection, path: Path, *, library: str | None = None,
                     progress: ProgressFn | None = None) -> IngestResult:
    """Load a rekordbox XML export into bronze as library ``library`` (default: the file name stem)."""
    started = time.perf_counter()
    name = library_name(path, library)
    file = bronze.read_input(conn, SOURCE, path, IMPORTER_VERSION)
    previous = bronze.previous_ingest(conn, SOURCE, file, started)
    if previous is not None:
        _check_same_library(conn, file, name)
        return previous
    problem = encoding_problem(file.data)
    if problem:
        raise _fail(conn, file, f"{problem}. Re-export the collection from rekordbox (File > Export Collection in "
                                "xml format), or re-save it as UTF-8 with encoding=\"UTF-8\" in its first line")
    batch = Batch(SOURCE, IMPORTER_VERSION, file, progress)
    try:
        _parse(file.data, batch, name)
    except (ParseError, DefusedXmlException) as e:
        raise _fail(conn, file, f"not well-formed XML ({e}); re-export the collection from rekordbox") from e
    if not batch.rows and not batch.rejects and not _looks_like_rekordbox(file.data):
        raise _fail(conn, file, "not a rekordbox export: no DJ_PLAYLISTS root element; export the collection "
                                "from rekordbox as XML")
    return bronze.load_batch(conn, batch, started)


def _check_same_library(conn: psycopg.Connection, file: bronze.InputFile, library: str) -> None:
    check_same_library(conn, SOURCE, file, library, "rekordbox")


def _fail(conn: psycopg.Connection, file: bronze.InputFile, what: str) -> Exception:
    return bronze.fail(conn, SOURCE, file.path, IMPORTER_VERSION, f"{file.path}: {what}", bronze.preview(file.data),
                       file_sha256=file.sha256)


def _looks_like_rekordbox(data: bytes) -> bool:
    return b"DJ_PLAYLISTS" in data[:4096]


def encoding_problem(data: bytes) -> str | None:
    """What is wrong with the encoding of an XML file, or None when declaration and bytes agree."""
    for bom, family in _BOM_FAMILY:
        if data.startswith(bom):
            m = _DECLARED.match(data[len(bom) :].decode(family, "replace").encode("ascii", "replace"))
            declared = m.group(1).decode("ascii") if m else None
            if declared and not _codec_name(declared).startswith(family):
                return (f"the file starts with a {family.upper()} byte order mark but its XML declaration says "
                        f"{declared}")
            return None
    head = data[:200]
    if head[:4] in (b"<\x00?\x00", b"\x00<\x00?") or (len(head) >= 8 and head.count(0) > len(head) // 4):
        return ("the file is UTF-16 without a byte order mark (every other byte is 0), which XML parsers "
                "cannot detect")
    m = _DECLARED.match(data)
    declared = m.group(1).decode("ascii") if m else "UTF-8"
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        return f"the XML declaration names an unknown encoding {declared!r}"
    if codec.startswith(("utf-16", "utf-32")):
        return f"the file declares {declared} but has no byte order mark and starts like a single-byte encoding"
    try:
        data.decode(codec)
    except UnicodeDecodeError as e:
        bad = data[e.start : e.start + 4]
        line = data.count(b"\n", 0, e.start) + 1
        guess = " (it looks like Latin-1 / Windows-1252)" if codec == "utf-8" else ""
        return (f"the XML declaration says {declared} but byte {e.start} (line {line}: {bad!r}) is not valid "
                f"{declared}{guess}")
    return None


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding.lower()


def _parse(data: bytes, batch: Batch, library: str) -> None:
    """Walk the document once: TRACKs under COLLECTION, NODEs under PLAYLISTS."""
    stack: list[str] = []  # tags of the open elements
    folders: list[str] = []  # names of the open playlist NODEs, the ROOT node first
    position = 0
    playlist: dict | None = None
    for event, elem in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = elem.tag
        if event == "start":
            parent = stack[-1] if stack else None
            stack.append(tag)
            if tag == "NODE" and "PLAYLISTS" in stack:
                name = elem.get("Name", "")
                if elem.get("Type") == "1":
                    playlist = {"name": name, "path": folders[1:], "key_type": elem.get("KeyType", "0"),
                                "entries": [], LIBRARY_KEY: library}
                folders.append(name)
            elif tag == "TRACK" and parent == "NODE" and playlist is not None:
                playlist["entries"].append(elem.get("Key", ""))
            continue
        stack.pop()
        if tag == "TRACK" and stack and stack[-1] == "COLLECTION":
            _add_track(batch, position, elem, library)
            position += 1
            elem.clear()
        elif tag == "NODE" and "PLAYLISTS" in stack:
            folders.pop()
            if elem.get("Type") == "1" and playlist is not None:
                key = "/".join([*playlist["path"], playlist["name"]])
                batch.add("library_playlist", position, f"{library}:{key}", None, playlist)
                position += 1
                playlist = None
            elem.clear()


def _add_track(batch: Batch, position: int, elem, library: str) -> None:
    attrs = dict(elem.attrib)
    track_id = attrs.get("TrackID", "").strip()
    if not track_id:
        raw = "<TRACK " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + ">"
        batch.reject(position, f"track {position}: TRACK without a TrackID attribute", raw)
        return
    payload: dict = attrs
    tempo = [dict(child.attrib) for child in elem if child.tag == "TEMPO"]
    marks = [dict(child.attrib) for child in elem if child.tag == "POSITION_MARK"]
    if tempo:
        payload["tempo"] = tempo
    if marks:
        payload["position_marks"] = marks
    payload[LIBRARY_KEY] = library
    batch.add("library_track", position, f"{library}:{track_id}", None, payload)
