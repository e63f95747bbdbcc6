"""What the running API holds: the Postgres pool, the graph store and the admin jobs.

The graph store is swapped as a whole (one attribute assignment) when gold changed, so a request that
already holds the old store finishes on consistent data.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import ConnectionPool

from graphsvc.api.answers import AnswerCache
from graphsvc.graph.base import GraphStore
from graphsvc.pg import fetch_one
from graphsvc.recommend.model import MODEL_NAME, Ranker, load_ranker
from graphsvc.settings import Settings

if TYPE_CHECKING:
    from graphsvc.graph.embedded import EmbeddedStore  # imported when first needed (numpy, the whole store)

log = logging.getLogger(__name__)


def gold_change_seq(conn: psycopg.Connection) -> int:
    """The last change_seq handed out in gold (0 before the first build)."""
    row = fetch_one(conn.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM gold.change_seq_seq"))
    return int(row[0])


@dataclass
class Job:
    """An admin job (pipeline run or replay) running in a background thread."""

    job_id: str
    kind: str  # pipeline | replay
    mode: str | None
    status: str = "queued"  # queued | running | succeeded | failed
    started_at: float = field(default_factory=time.time)
    completed_at: float | None = None
    run_ids: list[int] = field(default_factory=list)
    replay_id: int | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    graph_refreshed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The job for the API: times in ISO 8601 UTC, as the runs of ``GET /v1/pipeline/runs``."""
        out = dict(self.__dict__)
        for name in ("started_at", "completed_at"):
            if out[name] is not None:
                out[name] = dt.datetime.fromtimestamp(out[name], dt.UTC).isoformat()
        return out


class ApiState:
    def __init__(self, settings: Settings, pool: ConnectionPool, store: GraphStore, db_url: str) -> None:
        self.settings = settings
        self.pool = pool
        self.store = store
        self.db_url = db_url
        self.answers = AnswerCache()  # encoded answers of the hot read routes, for this store only
        self.ranker = Ranker.prior()  # the next-track model (gold.ranker), see refresh_graph
        self.ranker_seq: tuple[Any, ...] | None = None  # (gold_seq, model hash) of the loaded ranker
        self.jobs: dict[str, Job] = {}
        self._job_lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    # --- graph refresh ---------------------------------------------------------------------------
    def refresh_ranker(self, conn: psycopg.Connection) -> bool:
        """Load the next-track ranker from gold.ranker when it changed (any backend). True when swapped."""
        row = conn.execute("SELECT gold_seq, md5(model::text) FROM gold.ranker WHERE name = %s",
                           (MODEL_NAME,)).fetchone()
        conn.commit()
        version = None if row is None else tuple(row)
        if version == self.ranker_seq:
            return False
        self.ranker, self.ranker_seq = load_ranker(conn), version
        conn.commit()
        self.answers = AnswerCache(self.answers.size, self.answers.max_bytes)
        return True

    def refresh_graph(self, conn: psycopg.Connection | None = None, *, force: bool = False) -> bool:
        """Reload the embedded store when gold changed since it was loaded (Neo4j is projected by the
        pipeline itself: nothing to do), and the ranker when it changed. True when a new store or ranker
        was swapped in."""
        if conn is None:
            with self.pool.connection() as c:
                return self.refresh_graph(c, force=force)
        ranker_changed = self.refresh_ranker(conn)
        if self.store.backend != "embedded":
            return ranker_changed
        from graphsvc.graph.embedded import EmbeddedStore

        with self._refresh_lock:
            return self._refresh_with(conn, force, EmbeddedStore) or ranker_changed

    def _refresh_with(self, conn: psycopg.Connection, force: bool, cls: type[EmbeddedStore]) -> bool:
        seq = gold_change_seq(conn)
        conn.commit()
        if not force and seq == getattr(self.store, "watermark", None):
            return False
        fresh = cls.from_gold(conn)
        conn.commit()
        self.store = fresh  # atomic swap; the old store is left to the garbage collector
        # swapped, not cleared: the event loop may be reading it
        self.answers = AnswerCache(self.answers.size, self.answers.max_bytes)
        log.info("graph reloaded from gold (change_seq %s)", seq)
        return True

    # --- admin jobs --------------------------------------------------------------------------------
    def running_job(self) -> Job | None:
        return next((j for j in self.jobs.values() if j.status in ("queued", "running")), None)

    def start_job(self, kind: str, mode: str | None, work: Callable[[psycopg.Connection, Job], None]) -> Job | None:
        """Start ``work`` in a thread with its own connection; None when another job is still running."""
        with self._job_lock:
            if self.running_job() is not None:
                return None
            job = Job(job_id=uuid.uuid4().hex[:12], kind=kind, mode=mode)
            self.jobs[job.job_id] = job
            if len(self.jobs) > 100:  # keep the last 100 jobs
                for old in sorted(self.jobs.values(), key=lambda j: j.started_at)[:-100]:
                    self.jobs.pop(old.job_id, None)
        threading.Thread(target=self._run_job, args=(job, work), name=f"graphsvc-{kind}-{job.job_id}",
                         daemon=True).start()
        return job

    def _run_job(self, job: Job, work: Callable[[psycopg.Connection, Job], None]) -> None:
        job.status = "running"
        try:
            with psycopg.connect(self.db_url) as conn:
                before = gold_change_seq(conn)
                conn.commit()
                work(conn, job)
                changed = gold_change_seq(conn) != before
                conn.commit()
                if changed:
                    job.graph_refreshed = self.refresh_graph(conn)
            job.status = "succeeded"
        except Exception as e:  # the job records the failure; nobody awaits the thread
            log.exception("admin job %s failed", job.job_id)
            job.status = "failed"
            job.error = f"{type(e).__name__}: {e}"
        finally:
            job.completed_at = time.time()
