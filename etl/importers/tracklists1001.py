"""1001Tracklists CSV exports -> bronze ``tracklist_row`` records, one per CSV row.

Each row is kept verbatim as ``{header: value}`` strings (a repeated header becomes ``NAME#2``) plus
``"_line"``. Mashup component rows (``mashup=True`` with ``mashup_name``) are rows like any other here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import psycopg

from etl import bronze
from etl.bronze import Batch, IngestFailed, IngestResult, ProgressFn
from graphsvc.errors import InputError

SOURCE = "1001tracklists"
RECORD_TYPE = "tracklist_row"
IMPORTER_VERSION = "1001tracklists/1"
SITE = "https://www.1001tracklists.com"
# the columns silver cannot do without; the exports carry many more (genres, DJs, links, audio features)
REQUIRED_COLUMNS = ("index", "tracklist_id", "tracklist_name", "name", "track_number")


def ingest_1001tracklists(
    conn: psycopg.Connection, paths: Sequence[Path], *, progress: ProgressFn | None = None
) -> list[IngestResult]:
    """Load each CSV in its own transaction. A file that cannot be read does not stop the others:
    after all files, :class:`~etl.bronze.IngestFailed` (an InputError) names the failed files and
    carries the results of the loaded ones."""
    results: list[IngestResult] = []
    failures: list[str] = []
    done = 0

    def file_progress(n: int) -> None:
        if progress is not None:
            progress(done + n)

    for path in paths:
        try:
            result = _ingest_one(conn, Path(path), file_progress)
        except InputError as e:
            failures.append(str(e))
            continue
        results.append(result)
        done += result.records_read
    if failures:
        loaded = f"; {len(results)} other file(s) were loaded" if results else ""
        raise IngestFailed("\n".join(failures) + loaded, results)
    return results


def _ingest_one(conn: psycopg.Connection, path: Path, progress: ProgressFn) -> IngestResult:
    started = time.perf_counter()
    file = bronze.read_input(conn, SOURCE, path, IMPORTER_VERSION)
    previous = bronze.previous_ingest(conn, SOURCE, file, started)
    if previous is not None:
        return previous
    header, records = bronze.read_csv_header(conn, SOURCE, file, IMPORTER_VERSION)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise bronze.fail(
            conn, SOURCE, path, IMPORTER_VERSION,
            f"{path}: not a 1001Tracklists export: missing column(s) {', '.join(missing)}; "
            f"columns found: {', '.join(header)}. Export the tracklist with its track rows "
            f"(needs at least {', '.join(REQUIRED_COLUMNS)}).",
            bronze.preview(file.data), file_sha256=file.sha256,
        )
    width = len(header)
    batch = Batch(SOURCE, IMPORTER_VERSION, file, progress)
    for position, record in enumerate(records):
        reason = bronze.field_count_reason(record, width)
        if reason is None:
            row = dict(zip(header, record.fields, strict=True))
            tracklist_id, index = row["tracklist_id"].strip(), row["index"].strip()
            if not tracklist_id or not index:
                reason = f"line {record.line}: row without a tracklist_id or index"
            else:
                row["_line"] = record.line
                url = row.get("url", "").strip()
                source_url = SITE + url if url.startswith("/") else (url if url.startswith("http") else None)
                batch.add(RECORD_TYPE, position, f"{tracklist_id}:{index}", source_url, row)
        if reason is not None:
            batch.reject(record.line, reason, record.raw)
    return bronze.load_batch(conn, batch, started)
