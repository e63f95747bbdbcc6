"""Tracklist entries parsed in worker processes while the silver builder resolves identities.

Parsing an entry (:func:`etl.tracklist.parse_entry`) is a pure function of its raw text and the run's
:class:`~etl.credits.CreditSplitter`, and it is the largest single piece of the silver build's Python
work. The builder hands the entry texts of the *next* chunk to this pool and resolves the current
chunk meanwhile, so parsing runs on the second core beside the builder (one Python process cannot:
the GIL). Identity resolution stays in the builder, in bronze order, so the result is exactly that of
a serial build.

Workers are forked from the builder after the splitter is built, so they inherit it instead of
receiving it; they never touch the builder's database connections. Results travel back as plain
tuples (pickling the ``ParsedEntry`` dataclasses costs as much as parsing them); a text that does not
parse comes back as the reason string, raised again in the builder as :class:`EntryParseError`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from etl.credits import CreditSplitter
from etl.tracklist import Credit, EntryParseError, ParsedEntry, parse_entry
from graphsvc.errors import GraphsvcError

__all__ = ["Packed", "ParsePool", "ParseWorkerDied", "unpack"]

# (cue, cue_seconds, artist_text, ((name, role), ...), title, version, label, catalog, year, is_gap,
#  gap_reason, segment), or the reason why the text does not parse
Packed = tuple | str

_splitter: CreditSplitter | None = None  # the run's splitter, set before the workers are forked


class ParseWorkerDied(GraphsvcError):
    """A worker process of the pool ended without answering (killed, out of memory)."""


def _pack(p: ParsedEntry) -> tuple:
    return (p.cue, p.cue_seconds, p.artist_text, tuple((c.name, c.role) for c in p.credits), p.title, p.version,
            p.label, p.catalog, p.year, p.is_gap, p.gap_reason, p.segment)


def unpack(raw: str, packed: Packed) -> ParsedEntry:
    """The ``ParsedEntry`` of ``raw`` from a worker's result; raises :class:`EntryParseError` when the
    worker found that ``raw`` does not parse."""
    if isinstance(packed, str):
        raise EntryParseError(packed)
    (cue, cue_s, artist_text, credits, title, version, label, catalog, year, is_gap, gap_reason, segment) = packed
    return ParsedEntry(raw, cue, cue_s, artist_text, tuple(Credit(n, r) for n, r in credits), title, version,
                       label, catalog, year, is_gap, gap_reason, segment)


def _worker_init(parent: int) -> None:
    """Worker initializer. Ctrl-C reaches the whole process group: the builder handles it and shuts the
    pool down, so a worker ignores it instead of dying with a traceback of its own. And a worker ends
    when the builder is gone: a builder killed with SIGKILL cannot shut its pool down, and a worker
    blocked on the task queue would otherwise live on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _parse_batch(raws: list[str]) -> list[Packed]:
    out: list[Packed] = []
    for raw in raws:
        try:
            out.append(_pack(parse_entry(raw, _splitter)))
        except EntryParseError as e:
            out.append(str(e))
    return out


class ParsePool:
    """``workers`` forked processes parsing with ``splitter``. Create it before any thread is started
    (fork copies only the calling thread) and close it when the build ends."""

    def __init__(self, splitter: CreditSplitter, workers: int) -> None:
        global _splitter
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        _splitter = splitter
        self.workers = workers
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_worker_init, initargs=(os.getpid(),))
        gc.freeze()  # the inherited objects stay out of the workers' collections: no copy-on-write of them
        try:
            self._pool.submit(int).result()  # forks every worker now (fork pools start them all at once)
        finally:
            gc.unfreeze()

    def submit(self, raws: list[str]) -> list[tuple[list[str], Future]]:
        """Start parsing ``raws`` (one slice per worker); collect with :meth:`collect`."""
        if not raws:
            return []
        step = -(-len(raws) // self.workers)
        return [(part, self._pool.submit(_parse_batch, part))
                for part in (raws[i:i + step] for i in range(0, len(raws), step))]

    @staticmethod
    def collect(pending: list[tuple[list[str], Future]]) -> dict[str, Packed]:
        """raw text -> packed parse of everything one :meth:`submit` started (waits for it)."""
        out: dict[str, Packed] = {}
        for part, fut in pending:
            try:
                out.update(zip(part, fut.result(), strict=True))
            except BrokenProcessPool as e:
                raise ParseWorkerDied(
                    "a parse worker process ended abruptly (killed, or out of memory); nothing of this chunk"
                    " was written, and the next run continues from it (GRAPHSVC_ETL_PARSE_WORKERS=0 parses in"
                    " the main process)") from e
        return out

    def close(self) -> None:
        global _splitter
        self._pool.shutdown(wait=True, cancel_futures=True)
        _splitter = None
