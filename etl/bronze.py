"""Shared bronze loading machinery: read a file, stage its records, load them in one transaction.

Every importer (``etl.importers.*``) turns one input file into a :class:`Batch` of records and record
rejects, then calls :func:`load_batch`. In ONE transaction that:

1. takes a per-source advisory lock (concurrent ingests of the same source wait for each other),
2. ``COPY``s the records into a TEMP staging table,
3. counts the records whose ``content_hash`` bronze does not hold yet,
4. inserts the ``bronze.ingest_file`` row with its final counts (bronze is append-only: no UPDATE later),
5. inserts the new records (``ON CONFLICT (source, record_type, content_hash) DO NOTHING``, in file
   order, so a record repeated inside the file is kept once, at its first position) and the rejects.

A file that cannot be read at all goes through :func:`fail`: a ``bronze.reject`` row (no file id,
no position) is committed on its own, and an :class:`~graphsvc.errors.InputError` is returned to raise.

Each file is committed on its own, so that what a run loaded stays loaded whatever fails later. A
transaction the caller left open on the connection (psycopg opens one implicitly on the first query of a
non-autocommit connection) is committed first; a failed one is an error.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from graphsvc.errors import InputError
from graphsvc.pg import fetch_one
from graphsvc.settings import get_settings

ProgressFn = Callable[[int], None]

# A reject keeps the raw text, bounded so a broken 100 MB tail does not become one 100 MB row.
MAX_REJECT_TEXT = 1_000_000
# A file-level failure keeps only the start of the file.
FILE_FAILURE_TEXT = 2000
# Payload keys the importers add themselves (provenance, not content): left out of content_hash so the
# same record from a renamed or re-exported file adds nothing.
META_KEYS = frozenset({"_line", "_file"})
PROGRESS_EVERY = 1000

_LOCK_CLASS = 0x62726F6E  # "bron": first key of the per-source advisory lock


@dataclass
class IngestResult:
    source: str
    path: str
    file_sha256: str
    records_read: int
    records_new: int
    records_rejected: int
    already_ingested: bool  # the same file (sha256) was ingested before: nothing added
    rejects: list[tuple[int | None, str]]  # (position, reason)
    seconds: float


class IngestFailed(InputError):
    """Some input could not be read, but what could be read was loaded and committed.

    ``results`` holds the results of the files that were loaded (a truncated file's salvaged records,
    or the other files of a multi-file ingest)."""

    def __init__(self, message: str, results: list[IngestResult]):
        super().__init__(message)
        self.results = results


@dataclass(frozen=True)
class InputFile:
    path: Path
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Batch:
    """The records and rejects of one file, staged in memory before loading."""

    source: str
    importer_version: str
    file: InputFile
    progress: ProgressFn | None = None
    rows: list[tuple[str, int, str | None, str | None, str, str]] = field(default_factory=list)
    rejects: list[tuple[int | None, str, str]] = field(default_factory=list)
    read: int = 0
    # file-level problem found while reading (truncation...): the load is committed, then this is raised
    failure: str | None = None

    def add(
        self, record_type: str, position: int, source_key: str | None, source_url: str | None, payload: dict
    ) -> None:
        """Stage one record. Payloads Postgres jsonb cannot hold (NUL, lone surrogates) become rejects."""
        self._count()
        text = canonical_json(payload)
        if "\\u0000" in text:
            self._reject(position, "record contains a NUL character (\\u0000), which Postgres jsonb cannot store", text)
            return
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            self._reject(position, f"record contains an invalid unicode character ({e.reason})", ascii(text))
            return
        if META_KEYS.isdisjoint(payload):
            digest = sha256_text(text)
        else:
            digest = sha256_text(canonical_json({k: v for k, v in payload.items() if k not in META_KEYS}))
        self.rows.append((record_type, position, source_key, source_url, text, digest))

    def reject(self, position: int | None, reason: str, raw_text: str) -> None:
        """Record a malformed record: reason + raw text; the batch goes on."""
        self._count()
        self._reject(position, reason, raw_text)

    def note(self, reason: str, raw_text: str) -> None:
        """Record a file-level problem found while reading (a reject row without a position) that is not
        a record of its own."""
        self._reject(None, reason, raw_text)

    def _reject(self, position: int | None, reason: str, raw_text: str) -> None:
        self.rejects.append((position, clip(reason, MAX_REJECT_TEXT), clip(raw_text, MAX_REJECT_TEXT)))

    def _count(self) -> None:
        self.read += 1
        if self.progress is not None and self.read % PROGRESS_EVERY == 0:
            self.progress(self.read)


def canonical_json(value: Any) -> str:
    """The JSON text a content hash is taken of: sorted keys, compact separators, UTF-8 (not escaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def clip(text: str, limit: int) -> str:
    """``text`` as Postgres text can hold it (a NUL as ``\\x00``, a lone surrogate as ``\\udXXX``), cut to
    ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters not kept]"
    text = text.replace("\x00", "\\x00")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def preview(data: bytes, limit: int = FILE_FAILURE_TEXT) -> str:
    """The start of a file as text, whatever its encoding, for a file-level reject row."""
    return data[:limit].decode("utf-8", "backslashreplace")


def fail(
    conn: psycopg.Connection,
    source: str,
    path: Path | str,
    importer_version: str,
    message: str,
    raw_text: str,
    *,
    file_sha256: str = "",
) -> InputError:
    """Commit a file-level reject row (no file id, no position) and return the InputError to raise.

    The reject is deduplicated on (path, file checksum, message, text): running the same failing
    command twice leaves one row."""
    raw = clip(raw_text or "(no content)", FILE_FAILURE_TEXT * 2)
    message = clip(message, FILE_FAILURE_TEXT * 2)
    digest = sha256_text("\x1f".join(["file", str(path), file_sha256, message, raw]))
    with conn.transaction():
        conn.execute(
            """INSERT INTO bronze.reject (source, file_id, path, position, reason, raw_text, content_hash,
                                          importer_version)
               VALUES (%s, NULL, %s, NULL, %s, %s, %s, %s)
               ON CONFLICT (source, content_hash) DO NOTHING""",
            (source, str(path), message, raw, digest, importer_version),
        )
    return InputError(message)


def start_clean(conn: psycopg.Connection) -> None:
    """Make the importer's ``conn.transaction()`` blocks real transactions, not savepoints."""
    status = conn.info.transaction_status
    if status == psycopg.pq.TransactionStatus.INERROR:
        raise InputError("the database connection is in a failed transaction; roll it back before ingesting")
    if status == psycopg.pq.TransactionStatus.INTRANS and not conn.autocommit:
        conn.commit()


def read_input(conn: psycopg.Connection, source: str, path: Path | str, importer_version: str) -> InputFile:
    """The bytes and sha256 of ``path``; a missing or unreadable file fails with a recorded reject."""
    start_clean(conn)
    path = Path(path)
    what = None
    limit_mb = get_settings().input_max_mb
    try:
        if path.is_file() and path.stat().st_size > limit_mb * 1024 * 1024:
            what = (f"is {path.stat().st_size / 1048576:.0f} MiB, over the {limit_mb} MiB input limit "
                    "(GRAPHSVC_INPUT_MAX_MB); not loaded")
            raise fail(conn, source, path, importer_version, f"{path}: {what}", f"{path}: {what}")
        data = path.read_bytes()
    except FileNotFoundError:
        what = "file not found; check the path (and that the file was downloaded or exported)"
    except IsADirectoryError:
        what = "is a directory, not a file; pass the file inside it"
    except PermissionError:
        what = "permission denied; make the file readable by this user"
    except OSError as e:
        what = f"cannot be read ({e.strerror or e}); check the disk and the path"
    if what is not None:
        raise fail(conn, source, path, importer_version, f"{path}: {what}", f"{path}: {what}")
    return InputFile(path=path, data=data, sha256=hashlib.sha256(data).hexdigest())


def previous_ingest(conn: psycopg.Connection, source: str, file: InputFile, started: float) -> IngestResult | None:
    """The result of an earlier ingest of the same file (same sha256), or None."""
    with conn.transaction():
        return _previous_ingest(conn, source, file, started)


def _previous_ingest(conn: psycopg.Connection, source: str, file: InputFile, started: float) -> IngestResult | None:
    row = conn.execute(
        """SELECT file_id, records_read, records_rejected FROM bronze.ingest_file
           WHERE source = %s AND file_sha256 = %s""",
        (source, file.sha256),
    ).fetchone()
    if row is None:
        return None
    file_id, read, rejected = row
    rejects = conn.execute(
        "SELECT position, reason FROM bronze.reject WHERE file_id = %s ORDER BY reject_id", (file_id,)
    ).fetchall()
    return IngestResult(
        source=source,
        path=str(file.path),
        file_sha256=file.sha256,
        records_read=read,
        records_new=0,
        records_rejected=rejected,
        already_ingested=True,
        rejects=[(p, r) for p, r in rejects],
        seconds=time.perf_counter() - started,
    )


_STAGING_DDL = """CREATE TEMP TABLE IF NOT EXISTS bronze_staging (
    record_type text NOT NULL, position int NOT NULL, source_key text, source_url text,
    payload text NOT NULL, content_hash text NOT NULL) ON COMMIT DELETE ROWS"""


def load_batch(conn: psycopg.Connection, batch: Batch, started: float) -> IngestResult:
    """Load ``batch`` in one transaction (see the module docstring) and return its result.

    When the batch carries a file-level ``failure`` (e.g. a truncated file), the salvaged records are
    committed first and :class:`IngestFailed` is raised afterwards."""
    source, file = batch.source, batch.file
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, source))
        again = previous_ingest(conn, source, file, started)  # a concurrent run may have won the race
        if again is not None:
            return again
        conn.execute(_STAGING_DDL)
        conn.execute("TRUNCATE bronze_staging")  # inside a caller's transaction ON COMMIT has not run
        with conn.cursor() as cur:
            with cur.copy(
                "COPY bronze_staging (record_type, position, source_key, source_url, payload, content_hash)"
                " FROM STDIN"
            ) as copy:
                for row in batch.rows:
                    copy.write_row(row)
            (records_new,) = fetch_one(cur.execute(
                """SELECT count(*) FROM (SELECT DISTINCT record_type, content_hash FROM bronze_staging) s
                   WHERE NOT EXISTS (SELECT 1 FROM bronze.raw_record r
                                     WHERE r.source = %s AND r.record_type = s.record_type
                                       AND r.content_hash = s.content_hash)""",
                (source,),
            ))
            (file_id,) = fetch_one(cur.execute(
                """INSERT INTO bronze.ingest_file (source, path, file_sha256, size_bytes, importer_version,
                                                   records_read, records_new, records_rejected)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING file_id""",
                (source, str(file.path), file.sha256, file.size, batch.importer_version, batch.read,
                 records_new, len(batch.rejects)),
            ))
            cur.execute(
                """INSERT INTO bronze.raw_record (source, record_type, source_key, source_url, file_id, position,
                                                  payload, content_hash, importer_version)
                   SELECT %s, record_type, source_key, source_url, %s, position, payload::jsonb, content_hash, %s
                   FROM bronze_staging ORDER BY position
                   ON CONFLICT (source, record_type, content_hash) DO NOTHING""",
                (source, file_id, batch.importer_version),
            )
            if cur.rowcount != records_new:  # impossible under the advisory lock; never store wrong counts
                raise RuntimeError(
                    f"bronze load of {file.path}: counted {records_new} new records, inserted {cur.rowcount}")
            # every record of the file, new or repeated (raw_record names only the file that brought it first)
            cur.execute(
                """INSERT INTO bronze.file_record (file_id, position, record_id)
                   SELECT %s, s.position, r.record_id FROM bronze_staging s
                   JOIN bronze.raw_record r ON r.source = %s AND r.record_type = s.record_type
                                           AND r.content_hash = s.content_hash""",
                (file_id, source),
            )
            cur.execute("INSERT INTO bronze.listed_file (file_id) VALUES (%s)", (file_id,))
            if batch.rejects:
                cur.executemany(
                    """INSERT INTO bronze.reject (source, file_id, path, position, reason, raw_text, content_hash,
                                                  importer_version)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                       ON CONFLICT (source, content_hash) DO NOTHING""",
                    [
                        (source, file_id, str(file.path), pos, reason, raw,
                         sha256_text("\x1f".join([file.sha256, str(pos), reason, raw])), batch.importer_version)
                        for pos, reason, raw in batch.rejects
                    ],
                )
    if batch.progress is not None:
        batch.progress(batch.read)
    result = IngestResult(
        source=source,
        path=str(file.path),
        file_sha256=file.sha256,
        records_read=batch.read,
        records_new=records_new,
        records_rejected=len(batch.rejects),
        already_ingested=False,
        rejects=[(pos, reason) for pos, reason, _ in batch.rejects],
        seconds=time.perf_counter() - started,
    )
    if batch.failure:
        raise IngestFailed(batch.failure, [result])
    return result


# --- text and CSV helpers shared by the CSV importers -------------------------------------------------


def decode_utf8(conn: psycopg.Connection, source: str, file: InputFile, importer_version: str) -> str:
    """The file as text (UTF-8, a BOM is dropped); anything else fails with a recorded reject."""
    try:
        return file.data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = file.data[e.start : e.start + 4]
        message = (
            f"{file.path}: not UTF-8 text: byte {e.start} ({bad!r}) is not valid UTF-8; "
            "save or export the file as UTF-8 and ingest it again"
        )
        raise fail(conn, source, file.path, importer_version, message, preview(file.data),
                   file_sha256=file.sha256) from e


def dedupe_headers(header: list[str], reserved: frozenset[str] = META_KEYS | {"_columns"}) -> list[str]:
    """Header names made unique: the second ``TRACK`` becomes ``TRACK#2``, the third ``TRACK#3``.

    Names the importers use for their own payload entries (``_line``...) count as taken."""
    taken = set(reserved)
    out = []
    for name in header:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}#{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


@dataclass(frozen=True)
class CsvRecord:
    line: int  # 1-based line where the record starts (the header is line 1)
    raw: str  # the record's text as in the file
    fields: list[str] | None  # None when the csv module could not parse the record
    error: str | None


def csv_records(text: str):
    """Each CSV record with its line number and raw text; blank lines are skipped.

    The csv reader pulls one physical line at a time, so the lines it consumed for a record are exactly
    that record's raw text (quoted fields may span lines)."""
    import csv
    import io

    consumed: list[str] = []

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines())
    start = 1
    while True:
        try:
            fields = next(reader)
            error = None
        except StopIteration:
            return
        except csv.Error as e:
            fields, error = None, str(e)
        raw = "".join(consumed)
        consumed.clear()
        if fields != []:
            yield CsvRecord(start, raw, fields, error)
        start = reader.line_num + 1


def read_csv_header(
    conn: psycopg.Connection, source: str, file: InputFile, importer_version: str
) -> tuple[list[str], Any]:
    """The de-duplicated header and an iterator over the remaining records of a CSV file."""
    text = decode_utf8(conn, source, file, importer_version)
    records = csv_records(text)
    first = next(records, None)
    if first is not None and first.fields is None:  # e.g. one 100 MB line: "field larger than field limit"
        size = len(first.raw.encode("utf-8", "surrogatepass"))
        raise fail(
            conn, source, file.path, importer_version,
            f"{file.path}: the header line cannot be read as CSV ({first.error}; the first record is {size:,} "
            "bytes long); expected a CSV file whose first line names the columns",
            preview(file.data), file_sha256=file.sha256,
        )
    if first is None or not first.fields or not any(f.strip() for f in first.fields):
        raise fail(
            conn, source, file.path, importer_version,
            f"{file.path}: empty file or no header line; expected a CSV file whose first line names the columns",
            preview(file.data), file_sha256=file.sha256,
        )
    return dedupe_headers([h.strip() for h in first.fields]), records


def field_count_reason(record: CsvRecord, expected: int) -> str | None:
    """Why a CSV record is malformed, or None."""
    if record.fields is None:
        return f"line {record.line}: unreadable CSV record ({record.error})"
    if len(record.fields) != expected:
        return f"line {record.line}: expected {expected} fields as in the header, found {len(record.fields)}"
    return None
