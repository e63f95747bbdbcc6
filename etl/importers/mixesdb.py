"""MixesDB dump (a JSON array of mixes, usually gzipped) -> bronze ``mix`` records, one per mix.

The array is decoded element by element (``json.JSONDecoder.raw_decode``) rather than in one
``json.loads``, so one broken mix becomes one reject and a truncated download still loads every
complete mix before the cut.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import psycopg

from etl import bronze
from etl.bronze import Batch, IngestFailed, IngestResult, ProgressFn
from graphsvc.settings import get_settings

SOURCE = "mixesdb"
RECORD_TYPE = "mix"
IMPORTER_VERSION = "mixesdb/1"

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16
FILE_TAIL = 2000
_WS = re.compile(r"[ \t\n\r]*")
# where a next array element may start after a broken one: "}" "," "{"
_BOUNDARY = re.compile(r"\}[ \t\n\r]*,[ \t\n\r]*(?=\{)")
_MAX_RESYNC_TRIES = 100_000
# a mix is 3 levels deep ({mix: tracklist: [{entry}]}); anything far deeper is not a mix, and past ~1000
# levels Python's JSON decoder gives up with RecursionError
MAX_DEPTH = 64
_decoder = json.JSONDecoder()


def _skip_ws(text: str, i: int) -> int:
    """The index of the first character at or after ``i`` that is not JSON whitespace."""
    m = _WS.match(text, i)  # always matches (possibly empty)
    return m.end() if m else i


def _decode_one(text: str, start: int) -> tuple[object, int]:
    """One JSON value at ``start``; nesting too deep for the decoder is a JSONDecodeError like any other
    broken JSON (one reject, the file goes on)."""
    try:
        return _decoder.raw_decode(text, start)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to decode", text, start) from None


def _depth_over(value: object, limit: int) -> bool:
    """True when ``value`` nests containers more than ``limit`` levels deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return True
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values() if isinstance(x, (dict, list)))
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v if isinstance(x, (dict, list)))
    return False
# reject reasons that mean the file itself is cut or damaged (a re-run reports them again)
FILE_PROBLEMS = ("file truncated", "file damaged")


@dataclass(frozen=True)
class Decompressed:
    data: bytes
    truncated_at: int | None  # compressed byte offset where the stream stops being readable
    problem: str | None  # "gzip stream ends early", "gzip stream is corrupt (zlib's message)", ...


def ingest_mixesdb(conn: psycopg.Connection, path: Path, *, progress: ProgressFn | None = None) -> IngestResult:
    """Load one MixesDB dump. Raises :class:`~etl.bronze.IngestFailed` (an InputError) after loading
    the complete mixes of a truncated file; InputError for a file that cannot be read at all."""
    started = time.perf_counter()
    file = bronze.read_input(conn, SOURCE, path, IMPORTER_VERSION)
    previous = bronze.previous_ingest(conn, SOURCE, file, started)
    if previous is not None:
        truncation = [reason for _, reason in previous.rejects if reason.startswith(FILE_PROBLEMS)]
        if truncation:
            complete = previous.records_read - sum(1 for pos, _ in previous.rejects if pos is not None)
            raise IngestFailed(_truncation_message(file, complete, truncation[0], again=True), [previous])
        return previous

    text, truncated = _text(conn, file)
    if truncated is None and not text.rstrip().endswith("]"):  # plain JSON cut short
        truncated = Decompressed(b"", file.size, "the JSON text ends before the array is closed")
    batch = Batch(SOURCE, IMPORTER_VERSION, file, progress)
    _decode_mixes(conn, file, text, truncated, batch)
    if truncated is not None:
        cut = [reason for _, reason, _ in batch.rejects if reason.startswith(FILE_PROBLEMS)]
        if not cut:  # e.g. a checksum error after the last byte: every mix decoded, but the data is suspect
            cut = [f"file damaged at byte {truncated.truncated_at} ({truncated.problem}): every mix before it "
                   "decoded, but the data cannot be trusted"]
            batch.note(cut[0], bronze.preview(file.data[-FILE_TAIL:]))
        batch.failure = _truncation_message(file, len(batch.rows), cut[0], again=False)
    return bronze.load_batch(conn, batch, started)


def _truncation_message(file: bronze.InputFile, complete: int, reason: str, *, again: bool) -> str:
    when = "were loaded by an earlier run" if again else "are loaded"
    return (
        f"{file.path}: {reason}. The {complete} complete mixes before the cut {when}; the incomplete tail is "
        "recorded in bronze.reject. Download the file again and re-run the ingest (mixes already loaded are not "
        "duplicated)."
    )


def _fail(conn: psycopg.Connection, file: bronze.InputFile, what: str) -> Exception:
    return bronze.fail(conn, SOURCE, file.path, IMPORTER_VERSION, f"{file.path}: {what}", bronze.preview(file.data),
                       file_sha256=file.sha256)


def _text(conn: psycopg.Connection, file: bronze.InputFile) -> tuple[str, Decompressed | None]:
    """The JSON text of the file and, when the gzip stream is cut or damaged, where."""
    raw, truncated = file.data, None
    is_gzip = raw[:2] == _GZIP_MAGIC
    if file.path.suffix.lower() == ".gz" and not is_gzip:
        raise _fail(conn, file, "not a gzip file although its name ends in .gz (it does not start with the gzip "
                                "magic bytes 1f 8b); download it again, or rename it if it is plain JSON")
    limit = get_settings().input_max_mb * 1024 * 1024
    if is_gzip:
        try:
            d = _gunzip(raw, limit)
        except TooLarge:
            raise _fail(conn, file, f"decompresses to more than {limit // (1024 * 1024)} MiB (GRAPHSVC_INPUT_MAX_MB), "
                                    "far more than a MixesDB dump (~10 MB per 4,500 mixes); not loaded. If the file "
                                    "is genuine, raise GRAPHSVC_INPUT_MAX_MB") from None
        raw = d.data
        if d.truncated_at is not None:
            truncated = d
            if not raw:
                raise _fail(conn, file, f"{d.problem} at byte {d.truncated_at} before any data could "
                                        "be decompressed; download the file again")
    if truncated is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _fail(conn, file, f"not UTF-8 JSON: byte {e.start} of the decompressed data is not valid UTF-8; "
                                    "a MixesDB dump must be UTF-8 JSON") from e
    else:  # the cut may fall inside a multi-byte character: keep what decodes
        text = raw.decode("utf-8", "ignore")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, truncated


class TooLarge(Exception):
    """The decompressed data would pass the input size limit."""


def _gunzip(raw: bytes, limit: int | None = None) -> Decompressed:
    """Decompress all complete gzip members; keep what could be decompressed when the stream is cut.
    Past ``limit`` decompressed bytes :class:`TooLarge` is raised (a gzip bomb never reaches memory whole:
    the output grows by at most one step of ``_CHUNK`` bytes beyond the limit)."""
    out: list[bytes] = []
    total = 0
    offset = 0
    while offset < len(raw):
        d = zlib.decompressobj(wbits=31)
        member_start = offset
        try:
            while offset < len(raw) and not d.eof:
                chunk = data = raw[offset : offset + _CHUNK]
                while True:  # at most _CHUNK bytes out per call, until the chunk is used up
                    piece = d.decompress(data, _CHUNK)
                    out.append(piece)
                    total += len(piece)
                    if limit is not None and total > limit:
                        raise TooLarge(total)
                    if d.eof:
                        break
                    data = d.unconsumed_tail
                    if not data and len(piece) < _CHUNK:  # input used, output not cut short: nothing pending
                        break
                if d.eof:
                    offset += len(chunk) - len(d.unused_data)
                else:
                    offset += len(chunk)
        except zlib.error as e:
            return Decompressed(b"".join(out), offset, f"gzip stream is corrupt ({e})")
        if not d.eof:
            out.append(d.flush())
            return Decompressed(b"".join(out), len(raw), "gzip stream ends early")
        rest = raw[offset:]
        if not rest.strip(b"\x00") or rest[:2] != _GZIP_MAGIC:  # padding or trailing garbage after the last member
            break
        if offset == member_start:
            break
    return Decompressed(b"".join(out), None, None)


def _looks_like_mix(value: object) -> bool:
    return isinstance(value, dict) and "tracklist" in value and "id" in value


def _add_mix(batch: Batch, position: int, mix: object, raw: str) -> None:
    if not isinstance(mix, dict):
        batch.reject(position, f"mix {position}: expected a JSON object, found {type(mix).__name__}", raw)
        return
    mix_id = mix.get("id")
    tracklist = mix.get("tracklist")
    if mix_id is None or mix_id == "":
        reason = "mix has no id"
    elif "tracklist" not in mix:
        reason = "mix has no tracklist"
    elif not isinstance(tracklist, list):
        reason = f"tracklist is a {type(tracklist).__name__}, not a list"
    elif not all(isinstance(entry, dict) for entry in tracklist):
        bad = next(i for i, entry in enumerate(tracklist) if not isinstance(entry, dict))
        reason = f"tracklist entry {bad} is a {type(tracklist[bad]).__name__}, not an object"
    elif _depth_over(mix, MAX_DEPTH):
        reason = f"nested more than {MAX_DEPTH} levels deep (a mix is 3)"
    else:
        url = mix.get("url")
        batch.add(RECORD_TYPE, position, str(mix_id), url if isinstance(url, str) and url else None, mix)
        return
    batch.reject(position, f"mix {position} ({mix_id!s:.60}): {reason}", raw)


def _resync(text: str, start: int) -> int | None:
    """Where the next mix after a broken one starts: the first ``}, {`` boundary after ``start`` from
    which a whole mix-shaped object decodes and is followed by ``,`` or ``]`` (tracklist entries are
    objects too, but have no ``tracklist``)."""
    for tries, m in enumerate(_BOUNDARY.finditer(text, start + 1)):
        if tries >= _MAX_RESYNC_TRIES:
            return None
        candidate = m.end()
        try:
            value, end = _decode_one(text, candidate)
        except json.JSONDecodeError:
            continue
        after = _skip_ws(text, end)
        if _looks_like_mix(value) and after < len(text) and text[after] in ",]":
            return candidate
    return None


def _decode_mixes(
    conn: psycopg.Connection, file: bronze.InputFile, text: str, truncated: Decompressed | None, batch: Batch
) -> None:
    n = len(text)
    i = _skip_ws(text, 0)
    if i >= n or text[i] != "[":
        found = "nothing" if i >= n else repr(text[i : i + 20])
        raise _fail(conn, file, f"not a MixesDB dump: expected a JSON array of mixes, found {found} at the start")
    i = _skip_ws(text, i + 1)
    if i < n and text[i] == "]":
        return
    position = 0
    while True:
        if i >= n:  # the array never closed
            _reject_tail(batch, position, text, i, truncated, "the JSON array is not closed (no final ']')")
            return
        start = i
        try:
            value, end = _decode_one(text, start)
        except json.JSONDecodeError as e:
            nxt = _resync(text, start)
            if nxt is None:
                _reject_tail(batch, position, text, start, truncated, f"broken JSON at character {e.pos} ({e.msg})")
                return
            raw = text[start:nxt].rstrip().rstrip(",").rstrip()
            batch.reject(position, f"mix {position}: broken JSON at character {e.pos} ({e.msg})", raw)
            position += 1
            i = nxt
            continue
        _add_mix(batch, position, value, text[start:end])
        position += 1
        i = _skip_ws(text, end)
        if i < n and text[i] == ",":
            i = _skip_ws(text, i + 1)
        elif i < n and text[i] == "]":
            rest = text[i + 1 :].strip()
            if rest:
                batch.note(f"unexpected data after the JSON array at character {i + 1}", rest)
            return
        elif i < n and text[i] == "{":  # a missing comma between two mixes: both are still whole
            continue
        elif i < n:  # garbage between elements: skip to the next mix if there is one
            nxt = _resync(text, i - 1)
            if nxt is None:
                _reject_tail(batch, position, text, i, truncated, f"unexpected {text[i]!r} at character {i}")
                return
            batch.note(f"unexpected {text[i]!r} at character {i} between mixes", text[i:nxt])
            i = nxt


def _reject_tail(batch: Batch, position: int, text: str, start: int, truncated: Decompressed | None, why: str) -> None:
    tail = text[start:]
    size = len(tail.encode("utf-8"))
    if truncated is not None:
        if tail.strip():
            reason = (f"file truncated at byte {truncated.truncated_at} ({truncated.problem}): "
                      f"last {size} bytes are an incomplete mix")
        else:
            reason = (f"file truncated at byte {truncated.truncated_at} ({truncated.problem}): "
                      "the JSON array is cut after a complete mix")
        if tail.strip():
            batch.reject(position, reason, tail)
        else:
            batch.note(reason, "(nothing after the last complete mix)")
    elif tail.strip():
        batch.reject(position, f"mix {position}: {why}; no next mix could be found, the remaining {size} bytes "
                               "are rejected", tail)
    else:
        batch.note(f"{why}: the file ends after a complete mix", "(end of file)")
