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
from pathlib import Path

import psycopg
from defusedxml.ElementTree import iterparse

from etl.bronze import Batch, IngestResult, ProgressFn
from etl.importers.library import LIBRARY_KEY, XmlLibraryFile, ingest_xml_library

SOURCE = "virtualdj"
IMPORTER_VERSION = "virtualdj/1"
_REPEATED = frozenset({"Poi"})


DATABASE_XML = XmlLibraryFile(
    SOURCE, IMPORTER_VERSION, "VirtualDJ", b"<VirtualDJ_Database",
    not_root="not a VirtualDJ database: no VirtualDJ_Database root element; pass the database.xml from the "
             "VirtualDJ folder",
    encoding_hint="Pass VirtualDJ's database.xml as VirtualDJ wrote it",
    xml_hint="take a fresh copy of database.xml while VirtualDJ is closed")


def ingest_virtualdj(conn: psycopg.Connection, path: Path, *, library: str | None = None,
                     progress: ProgressFn | None = None) -> IngestResult:
    """Load a VirtualDJ database.xml into bronze as library ``library`` (default: the file name stem)."""
    return ingest_xml_library(conn, path, library, progress, DATABASE_XML, _parse)


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
