"""VirtualDJ database (``database.xml``, VirtualDJ 8) -> bronze ``library_track`` records.

Every ``VirtualDJ_Database/Song`` with its attributes (``FilePath``, ``FileSize``...) and each child as a
dict of its attributes under its tag: ``Tags`` (Author, Title, Remix, Genre, Label, Year, Key, Bpm: the
file's tags, which the user may have edited), ``Infos`` (SongLength, play counts), ``Scan`` (VirtualDJ's
own analysis: Bpm, AltBpm, Key, Volume), ``Comment`` (its text), ``Poi`` (cue points, beat grid; a list)
and ``Link``. ``source_key`` is ``LIBRARY:FilePath``.

VirtualDJ's conventions, which silver follows: a ``Bpm`` is the length of one beat in seconds
(``0.5`` = 120 BPM), not beats per minute; ``Scan`` holds the analysis and ``Tags`` what the file's tags
say. VirtualDJ keeps playlists in separate files (``.vdjfolder``, ``.m3u``), not in database.xml.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from xml.etree.ElementTree import ParseError

import psycopg
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from etl import bronze
from etl.bronze import Batch, IngestResult, ProgressFn
from etl.importers.library import LIBRARY_KEY, check_same_library, library_name
from etl.importers.rekordbox import encoding_problem

SOURCE = "virtualdj"
IMPORTER_VERSION = "virtualdj/1"
_REPEATED = frozenset({"Poi"})


def ingest_virtualdj(conn: psycopg.Connection, path: Path, *, library: str | None = None,
                     progress: ProgressFn | None = None) -> IngestResult:
    """Load a VirtualDJ database.xml into bronze as library ``library`` (default: the file name stem)."""
    started = time.perf_counter()
    name = library_name(path, library, "VirtualDJ")
    file = bronze.read_input(conn, SOURCE, path, IMPORTER_VERSION)
    previous = bronze.previous_ingest(conn, SOURCE, file, started)
    if previous is not None:
        check_same_library(conn, SOURCE, file, name, "VirtualDJ")
        return previous
    problem = encoding_problem(file.data)
    if problem:
        raise _fail(conn, file, f"{problem}. Pass VirtualDJ's database.xml as VirtualDJ wrote it")
    if b"<VirtualDJ_Database" not in file.data[:4096]:
        raise _fail(conn, file, "not a VirtualDJ database: no VirtualDJ_Database root element; pass the "
                                "database.xml from the VirtualDJ folder")
    batch = Batch(SOURCE, IMPORTER_VERSION, file, progress)
    try:
        _parse(file.data, batch, name)
    except (ParseError, DefusedXmlException) as e:
        raise _fail(conn, file, f"not well-formed XML ({e}); take a fresh copy of database.xml while "
                                "VirtualDJ is closed") from e
    return bronze.load_batch(conn, batch, started)


def _fail(conn: psycopg.Connection, file: bronze.InputFile, what: str) -> Exception:
    return bronze.fail(conn, SOURCE, file.path, IMPORTER_VERSION, f"{file.path}: {what}", bronze.preview(file.data),
                       file_sha256=file.sha256)


def _parse(data: bytes, batch: Batch, library: str) -> None:
    depth = 0
    position = 0
    for event, elem in iterparse(io.BytesIO(data), events=("start", "end")):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if elem.tag == "Song" and depth == 1:
            _add_song(batch, position, elem, library)
            position += 1
            elem.clear()


def _add_song(batch: Batch, position: int, elem, library: str) -> None:
    payload: dict = dict(elem.attrib)
    for child in elem:
        attrs: dict = dict(child.attrib)
        if child.tag == "Comment":
            payload["Comment"] = child.text or ""
            continue
        if child.tag in _REPEATED or child.tag in payload:
            existing = payload.get(child.tag)
            if isinstance(existing, dict):
                existing = [existing]
            payload[child.tag] = [*(existing or []), attrs]
        else:
            payload[child.tag] = attrs
    file_path = str(payload.get("FilePath") or "").strip()
    if not file_path:
        raw = "<Song " + " ".join(f'{k}="{v}"' for k, v in elem.attrib.items()) + ">"
        batch.reject(position, f"song {position}: Song without a FilePath (VirtualDJ keys songs by their file)", raw)
        return
    payload[LIBRARY_KEY] = library
    batch.add("library_track", position, f"{library}:{file_path}", None, payload)
