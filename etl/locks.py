"""The processing lock: one pipeline run past bronze at a time per database.

Two silver builds over the same pending bronze would both write the same deterministic rows, and the
second dies on a unique violation deep in a COPY; two gold builds would race on change sequences. So
every pipeline run that goes past bronze holds a session-level Postgres advisory lock (it is released
when the run ends, and by the server if the process dies, so a killed run never leaves it behind) and a
second run fails after a few seconds with :class:`~graphsvc.errors.Busy`, saying who holds it. Bronze
ingests take their own per-source locks and may run alongside (the builder only takes records that were
committed when it started). Replays use ``FOR UPDATE SKIP LOCKED`` on their queue and need no lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from graphsvc.errors import Busy

PROCESSING_LOCK = (0x70697065, 1)  # ("pipe", 1): the two int4 keys of pg_advisory_lock


#: How long a run waits for the lock before giving up: long enough for the server to notice that a killed
#: holder's connection is gone, short enough to tell a user at once that a real run is in progress.
WAIT_S = 5.0


@contextmanager
def processing_lock(conn: psycopg.Connection, what: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold the processing lock for the block; :class:`Busy` when another session still holds it after
    ``wait_s`` seconds (default :data:`WAIT_S`)."""
    wait_s = WAIT_S if wait_s is None else wait_s
    conn.commit()
    try:
        with conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{max(1, int(wait_s * 1000))}ms",))
            conn.execute("SELECT pg_advisory_lock(%s, %s)", PROCESSING_LOCK)  # session lock: outlives the tx
    except psycopg.errors.LockNotAvailable:
        raise Busy(_busy_message(conn, what)) from None
    conn.commit()
    try:
        yield
    finally:
        try:
            conn.rollback()  # (a failed transaction would refuse the unlock)
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", PROCESSING_LOCK)
            conn.commit()
        except psycopg.Error:
            pass  # a broken connection: the server released the session's locks with it


def _busy_message(conn: psycopg.Connection, what: str) -> str:
    holder = conn.execute(
        """SELECT a.pid, a.backend_start FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2""",
        PROCESSING_LOCK).fetchone()
    run = conn.execute(
        "SELECT run_id, kind, mode, started_at FROM ops.run WHERE status = 'running' ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    conn.commit()
    who = f"server process {holder[0]}, connected since {holder[1]:%Y-%m-%d %H:%M:%S}" if holder else "another session"
    latest = (f"; the latest run marked running is run {run[0]} ({run[1]}"
              f"{' ' + run[2] if run[2] else ''}, started {run[3]:%Y-%m-%d %H:%M:%S})") if run else ""
    return (f"cannot start {what}: another pipeline run is processing this database ({who}{latest}). "
            "Wait for it to finish (etl status shows the runs), then try again.")
