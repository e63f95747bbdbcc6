"""``graphsvc schedule``: the pipeline on the seed's daily schedule (bronze 02:00, silver 02:30, gold 03:00 UTC).

APScheduler (a well-kept in-process scheduler: cron triggers, misfire handling, one instance per job) runs
three jobs in one long-running process:

- ``bronze`` (``GRAPHSVC_SCHEDULE_BRONZE``): ``bronze_only`` over the files named by ``GRAPHSVC_INPUT_*``
  (a file already ingested adds nothing, so re-exported files are picked up and the rest is a no-op);
- ``silver`` (``GRAPHSVC_SCHEDULE_SILVER``): ``silver_only`` (parse, resolve, enrich what bronze got);
- ``gold`` (``GRAPHSVC_SCHEDULE_GOLD``): ``gold_only`` (gold and the graph projection).

Overlap: a job never runs twice at once in the scheduler (``max_instances=1``, late runs coalesced), and a
silver or gold job that finds another run past bronze in progress (a slow silver still running at 03:00, an
operator's ``etl run``, another scheduler) is refused by the processing lock (:mod:`etl.locks`): it is
logged as skipped and the next day's run picks up the work. Missed runs (the process was down) run when it
comes back within ``MISFIRE_GRACE_S``.

Cron expressions are UTC, five fields (minute hour day month weekday). Where a platform scheduler fits the
deployment better (systemd timers, Kubernetes CronJobs, crontab), ``docs/operations.md`` has the recipes;
they call ``etl run --mode ...`` and rely on the same lock.
"""

from __future__ import annotations

import datetime as dt
import logging
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphsvc.errors import Busy, GraphsvcError
from graphsvc.settings import Settings

log = logging.getLogger("graphsvc.schedule")

#: job name -> (pipeline mode, settings field of its cron expression)
JOBS: dict[str, tuple[str, str]] = {
    "bronze": ("bronze_only", "schedule_bronze"),
    "silver": ("silver_only", "schedule_silver"),
    "gold": ("gold_only", "schedule_gold"),
}
MISFIRE_GRACE_S = 3600


@dataclass
class JobOutcome:
    job: str
    status: str  # succeeded | skipped | failed
    run_id: int | None = None
    message: str = ""


def scheduled_inputs(settings: Settings) -> Any:
    """The files the bronze job ingests: ``GRAPHSVC_INPUT_*`` (space-separated, shell-quoted paths)."""
    from etl.pipeline import Inputs

    def paths(value: str) -> list[Path]:
        return [Path(p) for p in shlex.split(value or "")]

    return Inputs(mixesdb=paths(settings.input_mixesdb), tracklists1001=paths(settings.input_1001tracklists),
                  rekordbox=paths(settings.input_rekordbox), features=paths(settings.input_features))


def run_job(name: str, settings: Settings) -> JobOutcome:
    """Run one scheduled job now; never raises (a scheduler thread has nobody to raise to): the outcome says
    what happened and the log has it."""
    import psycopg

    from etl.migrate import migrate
    from etl.pipeline import Inputs, Pipeline
    from graphsvc.pg import database_url, describe_error

    if name not in JOBS:
        raise ValueError(f"unknown job {name!r}; jobs are {', '.join(JOBS)}")
    mode = JOBS[name][0]
    inputs = scheduled_inputs(settings) if name == "bronze" else Inputs()
    if name == "bronze" and inputs.empty():
        msg = "no input files configured (GRAPHSVC_INPUT_MIXESDB, _1001TRACKLISTS, _REKORDBOX, _FEATURES)"
        log.info("job %s: skipped: %s", name, msg)
        return JobOutcome(name, "skipped", message=msg)
    log.info("job %s: starting a %s run", name, mode)
    try:
        with psycopg.connect(database_url(settings)) as conn:
            migrate(conn)
            summary = Pipeline(conn, settings=settings).run(mode, inputs)
    except Busy as e:
        log.warning("job %s: skipped: %s", name, e)
        return JobOutcome(name, "skipped", message=str(e))
    except GraphsvcError as e:
        log.error("job %s: failed: %s", name, e)
        return JobOutcome(name, "failed", message=str(e))
    except psycopg.Error as e:
        log.error("job %s: failed: %s", name, describe_error(e, settings))
        return JobOutcome(name, "failed", message=describe_error(e, settings))
    except Exception as e:  # logged with its traceback; the scheduler goes on
        log.exception("job %s: failed", name)
        return JobOutcome(name, "failed", message=f"{type(e).__name__}: {e}")
    log.info("job %s: run %s %s in %.1f s", name, summary.run_id, summary.status, summary.seconds)
    return JobOutcome(name, summary.status, summary.run_id)


def build_scheduler(settings: Settings, scheduler_cls: Any = None) -> Any:
    """A scheduler (APScheduler ``BlockingScheduler`` unless another class is given) with the three jobs."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = (scheduler_cls or BlockingScheduler)(timezone=dt.UTC)
    for name, (_, field) in JOBS.items():
        expr = getattr(settings, field)
        try:
            trigger = CronTrigger.from_crontab(expr, timezone=dt.UTC)
        except ValueError as e:
            raise GraphsvcError(f"GRAPHSVC_{field.upper()}={expr!r} is not a cron expression "
                                f"(minute hour day month weekday): {e}") from e
        scheduler.add_job(run_job, trigger, args=(name, settings), id=name, name=f"{name} ({expr} UTC)",
                          max_instances=1, coalesce=True, misfire_grace_time=MISFIRE_GRACE_S)
    return scheduler


def next_runs(scheduler: Any, now: dt.datetime | None = None) -> dict[str, dt.datetime | None]:
    """When each job fires next after ``now`` (default: the current time)."""
    now = now or dt.datetime.now(dt.UTC)
    return {job.id: job.trigger.get_next_fire_time(None, now) for job in scheduler.get_jobs()}
