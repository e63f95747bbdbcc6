"""Mixxx library database (``mixxxdb.sqlite``) -> bronze ``library_track`` and ``library_playlist`` records.

Tracks: every row of ``library`` with its text and number columns verbatim (binary analysis columns such
as ``beats``, ``keys`` and ``wavesummaryhex`` are left out: they are Mixxx's own serialized waveforms and
beat grids), joined with its ``track_locations`` row (``location``, ``filename``, ``directory``,
``fs_deleted``). Tracks the user removed from the library (``mixxx_deleted = 1``) are loaded too; silver
rejects them with that reason, so every row of the file is accounted for.

Playlists: every ``Playlists`` row with its tracks in ``position`` order (``hidden`` says which kind:
0 a playlist, 1 the Auto DJ queue, 2 a history / set log of what was played), and every crate (``crates``,
no order: tracks by id). ``source_key`` is ``LIBRARY:playlist:NAME`` or ``LIBRARY:crate:NAME``.

The file is opened read-only and immutable with Python's sqlite3 (the file is never written); schema
versions differ, so only the columns present are read. A file that is no SQLite database, or has no
``library`` table, is an InputError.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

from etl import bronze
from etl.bronze import Batch, IngestResult, ProgressFn
from etl.importers.library import LIBRARY_KEY, check_same_library, library_name

SOURCE = "mixxx"
IMPORTER_VERSION = "mixxx/1"
_BINARY = frozenset({"wavesummaryhex", "beats", "keys", "coverart_digest"})
_LOCATION_COLUMNS = ("location", "filename", "directory", "fs_deleted")


def ingest_mixxx(conn: psycopg.Connection, path: Path, *, library: str | None = None,
                 progress: ProgressFn | None = None) -> IngestResult:
    """Load a Mixxx ``mixxxdb.sqlite`` into bronze as library ``library`` (default: the file name stem)."""
    started = time.perf_counter()
    name = library_name(path, library, "Mixxx")
    file = bronze.read_input(conn, SOURCE, path, IMPORTER_VERSION)
    previous = bronze.previous_ingest(conn, SOURCE, file, started)
    if previous is not None:
        check_same_library(conn, SOURCE, file, name, "Mixxx")
        return previous
    if not file.data.startswith(b"SQLite format 3\x00"):
        raise _fail(conn, file, "not a SQLite database (it does not start with 'SQLite format 3'); pass Mixxx's "
                                "mixxxdb.sqlite from the Mixxx settings folder")
    batch = Batch(SOURCE, IMPORTER_VERSION, file, progress)
    try:
        db = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as e:
        raise _fail(conn, file, f"cannot open the SQLite database ({e})") from e
    try:
        _read(conn, file, db, batch, name)
    except sqlite3.DatabaseError as e:
        raise _fail(conn, file, f"the SQLite database cannot be read ({e}); copy mixxxdb.sqlite again while "
                                "Mixxx is closed") from e
    finally:
        db.close()
    return bronze.load_batch(conn, batch, started)


def _fail(conn: psycopg.Connection, file: bronze.InputFile, what: str) -> Exception:
    return bronze.fail(conn, SOURCE, file.path, IMPORTER_VERSION, f"{file.path}: {what}",
                       bronze.preview(file.data[:200]), file_sha256=file.sha256)


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]  # fixed table names


def _read(conn: psycopg.Connection, file: bronze.InputFile, db: sqlite3.Connection, batch: Batch, library: str) -> None:
    columns = [c for c in _columns(db, "library") if c not in _BINARY]
    if "id" not in columns:
        raise _fail(conn, file, "no 'library' table with an 'id' column: not a Mixxx library database")
    has_locations = bool(_columns(db, "track_locations"))
    location_cols = [c for c in _LOCATION_COLUMNS if c in _columns(db, "track_locations")] if has_locations else []
    select = ", ".join(f"l.{c}" for c in columns)
    if location_cols and "location" in columns:
        select += ", " + ", ".join(f"tl.{c} AS location_{c}" for c in location_cols)
        query = f"SELECT {select} FROM library l LEFT JOIN track_locations tl ON tl.id = l.location ORDER BY l.id"
    else:
        query = f"SELECT {select} FROM library l ORDER BY l.id"
    cur = db.execute(query)  # column names read from the schema itself
    names = [d[0] for d in cur.description]
    position = 0
    for row in cur:
        payload = {k: v for k, v in zip(names, row, strict=True) if not isinstance(v, bytes)}
        payload[LIBRARY_KEY] = library
        batch.add("library_track", position, f"{library}:{payload['id']}", None, payload)
        position += 1
    if _columns(db, "Playlists") and _columns(db, "PlaylistTracks"):
        lists = db.execute("SELECT id, name, hidden FROM Playlists ORDER BY position, id").fetchall()
        for pl_id, name, hidden in lists:
            entries = [r[0] for r in db.execute(
                "SELECT track_id FROM PlaylistTracks WHERE playlist_id = ? ORDER BY position, id", (pl_id,))]
            payload = {"kind": "playlist", "id": pl_id, "name": name, "hidden": hidden, "entries": entries,
                       LIBRARY_KEY: library}
            batch.add("library_playlist", position, f"{library}:playlist:{name}", None, payload)
            position += 1
    if _columns(db, "crates") and _columns(db, "crate_tracks"):
        for crate_id, name in db.execute("SELECT id, name FROM crates ORDER BY id").fetchall():
            entries = [r[0] for r in db.execute(
                "SELECT track_id FROM crate_tracks WHERE crate_id = ? ORDER BY track_id", (crate_id,))]
            payload = {"kind": "crate", "id": crate_id, "name": name, "entries": entries, LIBRARY_KEY: library}
            batch.add("library_playlist", position, f"{library}:crate:{name}", None, payload)
            position += 1
