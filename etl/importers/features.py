"""Feature CSVs (Beatport audio features, GiantSteps key annotations, ...) -> bronze ``feature_row``.

Columns are recognised case-insensitively from known aliases (a numeric prefix like ``69-`` in
``69-BPM`` is ignored). Rows are kept verbatim; the mapping found is stored in every payload under
``"_columns"`` (role -> header name) so silver knows which column is which.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import psycopg

from etl import bronze
from etl.bronze import Batch, IngestResult, ProgressFn

SOURCE = "features"
RECORD_TYPE = "feature_row"
IMPORTER_VERSION = "features/1"

# role -> accepted header names (normalised: lower case, numeric "NN-" prefix removed), best first
ALIASES: dict[str, tuple[str, ...]] = {
    "artist": ("artist", "artists", "artist name", "artist_name"),
    "title": ("title", "track", "track name", "track_name", "name"),
    "bpm": ("bpm", "tempo", "average bpm", "averagebpm"),
    "key": ("key", "initial_key", "initialkey", "global key", "beatport key", "tonality"),
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
    for deduped, raw in zip(header, raw_header):
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


def ingest_features(conn: psycopg.Connection, path: Path, *, progress: ProgressFn | None = None) -> IngestResult:
    started = time.perf_counter()
    path = Path(path)
    file = bronze.read_input(conn, SOURCE, path, IMPORTER_VERSION)
    previous = bronze.previous_ingest(conn, SOURCE, file, started)
    if previous is not None:
        return previous
    header, records = bronze.read_csv_header(conn, SOURCE, file, IMPORTER_VERSION)
    raw_header = _raw_names(header)
    columns = detect_columns(header, raw_header)
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
    position = 0
    for record in records:
        reason = bronze.field_count_reason(record, width)
        if reason is None:
            row: dict = dict(zip(header, record.fields))  # type: ignore[arg-type]
            if not any(row[c].strip() for c in identity_columns):
                reason = f"line {record.line}: row has no {' / '.join(identity_columns)} value"
            else:
                row["_line"] = record.line
                row["_file"] = path.name
                row["_columns"] = columns
                batch.add(RECORD_TYPE, position, f"{path.name}:{record.line}", None, row)
        if reason is not None:
            batch.reject(record.line, reason, record.raw)
        position += 1
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
