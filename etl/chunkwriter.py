"""A background writer: chunks written on a second connection in a thread, one transaction per chunk.

The silver builder and the enrichment waterfall compute chunk N+1 in Python while this thread COPYs
chunk N, so the Postgres server's work and the Python work run on two cores at once. At most one
chunk waits in the queue (memory stays bounded); chunks commit in order and whole, so a killed run
loses only chunks not yet committed, which the next run redoes. The first error stops the writing
and is raised to the producer by :meth:`submit` / :meth:`drain`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import psycopg

T = TypeVar("T")


class ChunkWriter(Generic[T]):
    def __init__(self, conninfo: str, write: Callable[[psycopg.Connection, T], None], *, name: str,
                 prepare: Callable[[psycopg.Connection], None] | None = None) -> None:
        self.conn = psycopg.connect(conninfo)
        # a commit lost in a server crash is redone by the next run: its processed marks or cleared
        # enrichment flags are lost with it
        self.conn.execute("SET synchronous_commit = off")
        self.conn.commit()
        if prepare is not None:
            prepare(self.conn)
            self.conn.commit()
        self._write = write
        self.seconds = 0.0  # time spent writing
        self.error: BaseException | None = None
        self._queue: queue.Queue[T | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    t0 = time.perf_counter()
                    with self.conn.transaction():
                        self._write(self.conn, item)
                    self.seconds += time.perf_counter() - t0
            except BaseException as e:  # noqa: BLE001 - handed to the producer, which raises it
                self.error = e
            finally:
                self._queue.task_done()

    def submit(self, item: T) -> None:
        self.check()
        self._queue.put(item)

    def drain(self) -> None:
        """Wait until every submitted chunk is committed (or failed)."""
        self._queue.join()
        self.check()

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self.conn.close()
