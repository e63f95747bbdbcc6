"""Pipeline: runs and status (public), run and replay triggers (admin, ``X-API-Key``).

Admin work runs in a background thread with its own connection, one job at a time (409 while one runs);
the graph is reloaded after a job that changed gold.
"""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, HTTPException, Path, Query, Response
from psycopg.rows import dict_row

from graphsvc.api.deps import AdminDep, DbDep, StateDep
from graphsvc.api.public import strip_paths
from graphsvc.api.routes import INVALID
from graphsvc.api.schemas import ErrorOut, JobOut, ReplayRequest, RunRequest, RunsOut
from graphsvc.api.state import Job

router = APIRouter(prefix="/pipeline", tags=["pipeline"], responses=INVALID)

ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong X-API-Key"},
    503: {"model": ErrorOut, "description": "Admin endpoints disabled (no GRAPHSVC_API_KEY on the server)"},
    409: {"model": ErrorOut, "description": "Another admin job is still running"},
}


def _iso(v: Any) -> str | None:
    return v.isoformat() if v is not None else None


def _runs(conn: psycopg.Connection, limit: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT run_id, kind, mode, status, started_at, completed_at, error, stats FROM ops.run
               ORDER BY run_id DESC LIMIT %s""", (limit,)).fetchall()
    conn.commit()
    for r in rows:
        r["started_at"], r["completed_at"] = _iso(r["started_at"]), _iso(r["completed_at"])
        r["error"] = r["error"].splitlines()[0] if r["error"] else None
    return rows


@router.get("/runs", response_model=RunsOut, summary="The latest pipeline, replay and eval runs")
async def list_runs(db: DbDep,
                    limit: Annotated[int, Query(ge=1, le=500, description="Most runs, newest first")] = 20) -> dict:
    return {"runs": strip_paths(await db.run(lambda conn: _runs(conn, limit)))}


@router.get("/status", response_model=dict[str, Any], summary="Counts per layer and the latest runs with their steps")
async def pipeline_status(db: DbDep) -> dict:
    from etl.status import status

    return strip_paths(await db.run(status))


def _job_out(job: Job) -> dict:
    return job.as_dict()


def _started(job: Job | None, response: Response) -> dict:
    if job is None:
        raise HTTPException(409, "another pipeline job is still running; poll GET /v1/pipeline/jobs/{job_id} "
                                 "and retry when it has finished")
    response.headers["Location"] = f"/v1/pipeline/jobs/{job.job_id}"
    return _job_out(job)


@router.post("/runs", status_code=202, response_model=JobOut, dependencies=[AdminDep], responses=ADMIN_ERRORS,
             summary="Start a pipeline run (bronze_only, silver_only, gold_only, complete) in the background")
def start_run(body: RunRequest, state: StateDep, response: Response) -> dict:
    def work(conn: psycopg.Connection, job: Job) -> None:
        from etl.pipeline import Inputs, Pipeline

        summary = Pipeline(conn).run(body.mode, Inputs())
        job.run_ids.append(summary.run_id)
        job.summary = summary.as_dict()

    return _started(state.start_job("pipeline", body.mode, work), response)


@router.post("/replays", status_code=202, response_model=JobOut, dependencies=[AdminDep], responses=ADMIN_ERRORS,
             summary="Queue an enrichment replay and carry it out in the background (gold is rebuilt after)")
async def start_replay(body: ReplayRequest, state: StateDep, db: DbDep, response: Response) -> dict:
    from etl.enrichment.replay import enqueue_replay

    if state.running_job() is not None:
        raise HTTPException(409, "another pipeline job is still running; retry when it has finished")
    replay_id = await db.run(lambda conn: enqueue_replay(
        conn, fields=body.fields, reason=body.reason, track_ids=body.track_ids, filter=body.filter,
        config_run_id=body.config_run_id))

    def work(c: psycopg.Connection, job: Job) -> None:
        from etl.enrichment.config import start_run as start_ops_run
        from etl.enrichment.replay import process_replays
        from etl.pipeline import Pipeline

        job.replay_id = replay_id
        run_id = start_ops_run(c, "replay", None)
        c.commit()
        job.run_ids.append(run_id)
        results = process_replays(c, run_id)
        status = "failed" if any(r.status == "failed" for r in results) else "succeeded"
        c.execute("UPDATE ops.run SET status = %s, completed_at = now() WHERE run_id = %s", (status, run_id))
        c.commit()
        summary = Pipeline(c).run("gold_only")
        job.run_ids.append(summary.run_id)
        job.summary = {"replays": [{"replay_id": r.replay_id, "status": r.status, "tracks": r.tracks,
                                    "changed": r.changed, "error": r.error} for r in results],
                       "gold": summary.as_dict()}
        if status == "failed":
            raise RuntimeError("; ".join(r.error or "failed" for r in results if r.status == "failed"))

    job = state.start_job("replay", None, work)
    out = _started(job, response)
    out["replay_id"] = replay_id
    return out


@router.get("/jobs/{job_id}", response_model=JobOut, dependencies=[AdminDep],
            responses={**ADMIN_ERRORS, 404: {"model": ErrorOut, "description": "Unknown job"}},
            summary="An admin job: status, run ids, summary")
def get_job(job_id: Annotated[str, Path(max_length=64)], state: StateDep) -> dict:
    job = state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"job {job_id} does not exist (jobs are kept in memory for the server's lifetime)")
    return _job_out(job)
