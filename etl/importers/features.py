"""Feature tables as they come (Spotify feature tables, GiantSteps key annotations, Beatport audio
features, a DJ's own CSV) -> bronze ``feature_row``.

``.csv`` or ``.csv.gz`` (gzip is recognised by its magic bytes; a damaged or cut gzip stream is an
InputError and loads nothing). Columns are recognised case-insensitively from known aliases (a numeric
prefix like ``69-`` in ``69-BPM`` is ignored). Rows are kept verbatim; the mapping found is stored in
every payload under ``"_columns"`` (role -> header name) so silver knows which column is which, and the
KIND of table under ``"_kind"``: the confidence of its values depends on where they come from
(``enrichment.source_confidence``):

``spotify``     Spotify audio features (``danceability`` / ``valence`` / ``mode`` beside ``key``): key is a pitch
                class 0-11 with ``mode`` 1 major / 0 minor and -1 unknown, artists ``;``-separated, ``track_id``
                a Spotify id;
``giantsteps``  GiantSteps expert key annotations (a ``GLOBAL KEY`` column, or the file name says so);
``essentia``    audio descriptors computed from previews (numbered columns such as ``69-BPM``: Beatport 2021);
``beatport``    Beatport's own key/BPM (a ``beatport key`` column without an expert one);
``generic``     anything else.

``etl ingest features PATH --kind KIND`` overrides the detection.
"""

from __future__ import annotations

import re
import time
import zlib
from pathlib import Path

import psycopg

from etl import bronze
from etl.bronze import Batch, IngestResult, ProgressFn
from graphsvc.errors import InputError

SOURCE = "features"
RECORD_TYPE = "feature_row"
IMPORTER_VERSION = "features/2"
KINDS = ("spotify", "giantsteps", "essentia", "beatport", "generic")
MAX_DECOMPRESSED = 1 << 30  # a .csv.gz is refused beyond 1 GiB of text (a 114k-row Spotify table is 20 MB)
_GZIP_MAGIC = b"\x1f\x8b"

# role -> accepted header names (normalised: lower case, numeric "NN-" prefix removed), best first
ALIASES: dict[str, tuple[str, ...]] = {
    "artist": ("artist", "artists", "artist name", "artist_name"),
    "title": ("title", "track", "track name", "track_name", "name"),
    "bpm": ("bpm", "tempo", "average bpm", "averagebpm"),
    "key": ("key", "initial_key", "initialkey", "global key", "beatport key", "tonality"),
    "mode": ("mode",),
    "energy": ("energy",),
    "genre": ("genre", "subgenre"),
    "id": ("beatport_id", "track_id", "trackid", "id"),
}
FEATURE_ROLES = ("bpm", "key", "energy")
_PREFIX = re.compile(r"^\d+-")


def _normalise(header: str) -> str:
    return _PREFIX.sub("", header.strip().lower())


def detect_columns(header: list[str], raw_header: list[str]) -> dict[str, str]:
    """Role -> (de-duplicated) header name.

    A name used twice (GiantSteps ``sources.csv`` has two ``TRACK`` columns) means the first is an id
    and the last the title. Without an artist column a ``name`` column is a combined "Artist - Title"."""
    by_name: dict[str, list[str]] = {}
    for deduped, raw in zip(header, raw_header, strict=True):
        by_name.setdefault(_normalise(raw), []).append(deduped)
    found: dict[str, str] = {}
    for name, columns in by_name.items():
        if len(columns) > 1 and name in ALIASES["title"]:
            found.setdefault("id", columns[0])
            found.setdefault("title", columns[-1])
    for role, aliases in ALIASES.items():
        if role in found:
            continue
        for alias in aliases:
            if alias in by_name:
                found[role] = by_name[alias][0]
                break
    if "artist" not in found and found.get("title") in by_name.get("name", []):
        found["name"] = found.pop("title")
    return found


def detect_kind(raw_header: list[str], columns: dict[str, str], file_name: str) -> str:
    """The kind of feature table (see the module docstring) from its header and file name."""
    names = {_normalise(h) for h in raw_header}
    if "global key" in names or "giantsteps" in file_name.lower():
        return "giantsteps"
    if {"danceability", "valence"} <= names and "mode" in columns and "key" in columns:
        return "spotify"
    if any(_PREFIX.match(h.strip()) for h in raw_header) and "bpm" in columns:
        return "essentia"
    if "beatport key" in names:
        return "beatport"
    return "generic"


def _decompressed(conn: psycopg.Connection, file: bronze.InputFile) -> bronze.InputFile:
    """The file itself, or its content when it is gzip-compressed (whole and undamaged, else InputError)."""
    is_gzip = file.data[:2] == _GZIP_MAGIC
    if file.path.name.lower().endswith(".gz") and not is_gzip:
        raise _fail(conn, file, "not a gzip file although its name ends in .gz (it does not start with the gzip "
                                "magic bytes 1f 8b); rename it if it is a plain CSV file")
    if not is_gzip:
        return file
    d = zlib.decompressobj(wbits=31)
    try:
        text = d.decompress(file.data, MAX_DECOMPRESSED)
    except zlib.error as e:
        raise _fail(conn, file, f"the gzip stream is damaged ({e}); download the file again") from e
    if d.unconsumed_tail:
        raise _fail(conn, file, f"decompresses to more than {MAX_DECOMPRESSED >> 20} MiB; split the table")
    if not d.eof:
        raise _fail(conn, file, "the gzip stream ends early (the file is cut off); download the file again. "
                                "Nothing of it was loaded")
    return bronze.InputFile(path=file.path, data=text, sha256=file.sha256)


def _fail(conn: psycopg.Connection, file: bronze.InputFile, what: str) -> Exception:
    return bronze.fail(conn, SOURCE, file.path, IMPORTER_VERSION, f"{file.path}: {what}",
                       bronze.preview(file.data[:200]), file_sha256=file.sha256)


def ingest_features(conn: psycopg.Connection, path: Path, *, kind: str | None = None,
                    progress: ProgressFn | None = None) -> IngestResult:
    """Load a feature table into bronze; ``kind`` overrides the detected kind of table."""
    started = time.perf_counter()
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise InputError(f"--kind {kind!r} is not a kind of feature table; kinds are {', '.join(KINDS)}")
    file = bronze.read_input(conn, SOURCE, path, IMPORTER_VERSION)
    previous = bronze.previous_ingest(conn, SOURCE, file, started)
    if previous is not None:
        return previous
    header, records = bronze.read_csv_header(conn, SOURCE, _decompressed(conn, file), IMPORTER_VERSION)
    raw_header = _raw_names(header)
    columns = detect_columns(header, raw_header)
    table_kind = kind or detect_kind(raw_header, columns, path.name)
    problems = []
    identity = ("artist" in columns and "title" in columns) or "name" in columns or "id" in columns
    if not identity:
        missing = [r for r in ("artist", "title") if r not in columns]
        problems.append(f"no {' or '.join(missing)} column (nor a combined name column or an id column)")
    if not any(r in columns for r in FEATURE_ROLES):
        problems.append("no bpm, key or energy column")
    if problems:
        raise bronze.fail(
            conn, SOURCE, path, IMPORTER_VERSION,
            f"{path}: not a feature file: {'; '.join(problems)}. Columns found: {', '.join(header)}. "
            "Accepted names (case-insensitive): "
            + "; ".join(f"{role}: {', '.join(ALIASES[role])}" for role in ("artist", "title", "id", *FEATURE_ROLES)),
            bronze.preview(file.data), file_sha256=file.sha256,
        )
    identity_columns = [columns[r] for r in ("artist", "title", "name", "id") if r in columns]
    width = len(header)
    batch = Batch(SOURCE, IMPORTER_VERSION, file, progress)
    for position, record in enumerate(records):
        reason = bronze.field_count_reason(record, width)
        if reason is None:
            row: dict = dict(zip(header, record.fields, strict=True))
            if not any(row[c].strip() for c in identity_columns):
                reason = f"line {record.line}: row has no {' / '.join(identity_columns)} value"
            else:
                row["_line"] = record.line
                row["_file"] = path.name
                row["_columns"] = columns
                row["_kind"] = table_kind
                batch.add(RECORD_TYPE, position, f"{path.name}:{record.line}", None, row)
        if reason is not None:
            batch.reject(record.line, reason, record.raw)
    return bronze.load_batch(conn, batch, started)


def _raw_names(header: list[str]) -> list[str]:
    """The names as in the file: ``TRACK#2`` (made by de-duplication) back to ``TRACK``."""
    seen: set[str] = set()
    out = []
    for name in header:
        base, sep, n = name.rpartition("#")
        out.append(base if sep and n.isdigit() and base in seen else name)
        seen.add(out[-1])
    return out
