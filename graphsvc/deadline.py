"""Cooperative deadlines for long graph computations.

Python cannot kill a thread, so a request that timed out (504) would otherwise keep its worker thread
computing until the search ends by itself. Instead the API runs each graph call under a :class:`Deadline`
(``active(d)``) and the long loops (set builder beam search, path searches, neighbourhoods, ...) call
:func:`check` once per expansion: past the deadline, or once the request gave up (:meth:`Deadline.cancel`),
it raises :class:`DeadlineExceeded` and the computation unwinds within one loop step.

Outside an active deadline :func:`check` does nothing, so library and CLI callers are unaffected. A check
costs ~0.1 us (a context variable read and a monotonic clock read): call it per expansion, not per element
of a vectorized inner loop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from graphsvc.errors import GraphsvcError

__all__ = ["Deadline", "DeadlineExceeded", "active", "check", "remaining"]


class DeadlineExceeded(GraphsvcError):
    """A graph computation ran past its deadline, or the request waiting for it gave up."""


class Deadline:
    __slots__ = ("at", "cancelled", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.at = time.monotonic() + self.seconds
        self.cancelled = False

    def cancel(self) -> None:
        """The caller stopped waiting: the computation stops at its next check."""
        self.cancelled = True

    def remaining(self) -> float:
        return 0.0 if self.cancelled else max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return self.cancelled or time.monotonic() >= self.at

    def check(self) -> None:
        if self.expired():
            raise DeadlineExceeded(f"the graph query took longer than {self.seconds:g} s")


_current: ContextVar[Deadline | None] = ContextVar("graphsvc_deadline", default=None)


@contextmanager
def active(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Make ``deadline`` the one :func:`check` tests in this thread (context) for the block."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def check() -> None:
    """Raise :class:`DeadlineExceeded` when the active deadline has passed or was cancelled."""
    d = _current.get()
    if d is not None and (d.cancelled or time.monotonic() >= d.at):
        raise DeadlineExceeded(f"the graph query took longer than {d.seconds:g} s")


def remaining() -> float | None:
    """Seconds left of the active deadline (None without one): e.g. a server-side query timeout."""
    d = _current.get()
    return None if d is None else d.remaining()
