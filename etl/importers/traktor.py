"""Traktor collection (``collection.nml``) -> bronze ``library_track`` and ``library_playlist`` records.

Tracks: every ``COLLECTION/ENTRY`` with its attributes verbatim (ARTIST, TITLE...) and each child element
(LOCATION, ALBUM, INFO, TEMPO, MUSICAL_KEY, LOUDNESS, ...) as a dict of its attributes under its tag
(``CUE_V2`` and any other repeated child as a list). Its bronze ``source_key`` is ``LIBRARY:`` plus
Traktor's own primary key of the track, ``VOLUME + DIR + FILE`` of its LOCATION
(``Macintosh HD/:Users/:me/:Music/:a.mp3``), which is what playlists refer to.

Playlists: every ``PLAYLISTS//NODE[@TYPE="PLAYLIST"]`` as ``{"name", "path", "entries"}``: ``path`` is the
folder names above it (without ``$ROOT``), ``entries`` the PRIMARYKEY ``KEY`` values in order. Smart
lists (queries, no entries) are not playlists.

The file is parsed with defusedxml, incrementally; an XML declaration that does not match the bytes is
an InputError (as for rekordbox). Library names work as for rekordbox (:mod:`etl.importers.library`).
"""

from __future__ import annotations

import io
from pathlib import Path

import psycopg
from defusedxml.ElementTree import iterparse

from etl.bronze import Batch, IngestResult, ProgressFn
from etl.importers.library import LIBRARY_KEY, XmlLibraryFile, ingest_xml_library

SOURCE = "traktor"
IMPORTER_VERSION = "traktor/1"
_REPEATED = frozenset({"CUE_V2"})  # children that are lists even when there is one


def traktor_key(location: dict | None) -> str | None:
    """Traktor's primary key of a track (``VOLUME + DIR + FILE``), as playlists refer to it."""
    if not location or not location.get("FILE"):
        return None
    return f"{location.get('VOLUME', '')}{location.get('DIR', '')}{location['FILE']}"


NML = XmlLibraryFile(
    SOURCE, IMPORTER_VERSION, "Traktor", b"<NML",
    not_root="not a Traktor collection: no NML root element; pass Traktor's collection.nml (in the Traktor "
             "folder of your documents) or an exported .nml",
    encoding_hint="Export the collection again from Traktor (File > Export Collection)",
    xml_hint="export the collection again from Traktor")


def ingest_traktor(conn: psycopg.Connection, path: Path, *, library: str | None = None,
                   progress: ProgressFn | None = None) -> IngestResult:
    """Load a Traktor collection.nml into bronze as library ``library`` (default: the file name stem)."""
    return ingest_xml_library(conn, path, library, progress, NML, _parse)


def _parse(data: bytes, batch: Batch, library: str) -> None:
    stack: list[str] = []
    folders: list[str] = []  # names of the open playlist NODEs ($ROOT first)
    playlist: dict | None = None
    position = 0
    for event, elem in iterparse(io.BytesIO(data), events=("start", "end")):
        tag = elem.tag
        if event == "start":
            stack.append(tag)
            if tag == "NODE" and "PLAYLISTS" in stack:
                name = elem.get("NAME", "")
                if elem.get("TYPE") == "PLAYLIST":
                    playlist = {"name": name, "path": folders[1:], "entries": [], LIBRARY_KEY: library}
                folders.append(name)
            continue
        stack.pop()
        if tag == "ENTRY" and stack and stack[-1] == "COLLECTION":
            _add_track(batch, position, elem, library)
            position += 1
            elem.clear()
        elif tag == "PRIMARYKEY" and playlist is not None and "PLAYLIST" in stack:
            playlist["entries"].append(elem.get("KEY", ""))
        elif tag == "NODE" and "PLAYLISTS" in stack:
            folders.pop()
            if elem.get("TYPE") == "PLAYLIST" and playlist is not None:
                key = "/".join([*playlist["path"], playlist["name"]])
                batch.add("library_playlist", position, f"{library}:{key}", None, playlist)
                position += 1
                playlist = None
            elem.clear()


def _add_track(batch: Batch, position: int, elem, library: str) -> None:
    payload: dict = dict(elem.attrib)
    for child in elem:
        attrs = dict(child.attrib)
        if child.tag in _REPEATED or child.tag in payload:
            existing = payload.get(child.tag)
            if isinstance(existing, dict):
                existing = [existing]
            payload[child.tag] = [*(existing or []), attrs]
        else:
            payload[child.tag] = attrs
    key = traktor_key(payload.get("LOCATION") if isinstance(payload.get("LOCATION"), dict) else None)
    if key is None:
        raw = "<ENTRY " + " ".join(f'{k}="{v}"' for k, v in elem.attrib.items()) + ">"
        batch.reject(position, f"entry {position}: ENTRY without a LOCATION file (Traktor keys tracks by their "
                               "file)", raw)
        return
    payload[LIBRARY_KEY] = library
    batch.add("library_track", position, f"{library}:{key}", None, payload)
