"""The ``graphsvc`` command: ``serve`` the API, or run a self-contained ``demo``.

``graphsvc demo`` needs nothing running: it starts the embedded PostgreSQL (unless ``DATABASE_URL`` is set),
generates a seeded demo dataset (or imports ``--mixesdb PATH``), runs the whole pipeline with progress
bars, prints the URL and example calls with real ids, and serves the API.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from graphsvc.errors import GraphsvcError

app = typer.Typer(help="graphsvc: graph-native recommendations for DJs (HTTP API and demo).",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


def _on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM (systemd, docker, kill) ends the process through SystemExit, so atexit handlers run and the
    embedded PostgreSQL this process started is stopped with it. After uvicorn's own graceful shutdown
    (it re-raises the signal it handled once the app's lifespan ended) the exit status is 0, otherwise
    128 + 15 (e.g. the demo stopped while it loads its data)."""
    app_module = sys.modules.get("graphsvc.api.app")
    ended = app_module is not None and app_module.LIFESPAN_ENDED.is_set()
    raise SystemExit(0 if ended else 128 + signum)


def _handle_sigterm() -> None:
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)


def _fail(e: Exception) -> None:
    console.print(f"[bold red]error:[/] {e}", soft_wrap=True, highlight=False)
    raise typer.Exit(1)


@contextmanager
def _progress() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, disable=not console.is_terminal)

    def task(description: str, total: int | None) -> Callable[[int], None]:
        tid = progress.add_task(description, total=total)
        return lambda n: progress.advance(tid, n)

    with progress:
        yield task


def _server_options(access_log: bool) -> dict:
    """uvicorn's fastest stack when installed (``uvicorn[standard]`` brings both): httptools parses
    HTTP, uvloop runs the event loop. The access log costs ~10% of a cheap request's CPU, so it is off
    unless asked for."""
    import importlib.util

    fast = {name: importlib.util.find_spec(name) is not None for name in ("httptools", "uvloop")}
    return {"http": "httptools" if fast["httptools"] else "auto", "loop": "uvloop" if fast["uvloop"] else "auto",
            "access_log": access_log}


def _serve(host: str, port: int, workers: int, log_level: str, settings=None, access_log: bool = False) -> None:
    import uvicorn

    options = _server_options(access_log)
    if workers > 1:
        # each worker builds its own app (and graph) from the environment's settings
        uvicorn.run("graphsvc.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, **options)
        return
    from graphsvc.api import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, **options)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(
        help="Interface to bind (default: GRAPHSVC_API_HOST or 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: GRAPHSVC_API_PORT or 8000)")] = None,
    workers: Annotated[int | None, typer.Option(
        help="uvicorn worker processes (default: GRAPHSVC_API_WORKERS)")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log",
                                             help="Log every request (off by default: it costs throughput)")] = False,
) -> None:
    """Serve the HTTP API (migrations are applied at startup; the graph loads from gold)."""
    from graphsvc.settings import get_settings

    _handle_sigterm()
    s = get_settings()
    try:
        _serve(host or s.api_host, port or s.api_port, workers or s.api_workers, log_level, access_log=access_log)
    except GraphsvcError as e:
        _fail(e)


def _base_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def example_calls(base: str, ids: dict[str, int | None]) -> list[str]:
    """Three ``curl`` lines with real ids (recommendations, collaboration network, a path)."""
    t, a, b = ids.get("track_id"), ids.get("artist_id"), ids.get("other_artist_id")
    calls = []
    if t is not None:
        calls.append(f"curl '{base}/v1/tracks/{t}/recommendations?limit=5'")
    if a is not None:
        calls.append(f"curl '{base}/v1/artists/{a}/collaborations?depth=2&limit=50&format=d3'")
    if a is not None and b is not None:
        calls.append(f"curl '{base}/v1/artists/{a}/collaborations/path/{b}?k=3'")
    elif ids.get("set_id") is not None:
        calls.append(f"curl '{base}/v1/sets/{ids['set_id']}/analytics'")
    while len(calls) < 3:
        calls.append(f"curl '{base}/v1/camelot/8A'")
    return calls


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    mixesdb: Annotated[Path | None, typer.Option(help="Import this MixesDB JSON(.gz) instead of generated data",
                                                    exists=True, dir_okay=False)] = None,
    tracks: Annotated[int, typer.Option(min=50, max=20_000, help="Tracks in the generated catalogue")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the generator (same seed, same data)")] = 7,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after loading and printing the examples")] = False,
) -> None:
    """Load a demo dataset through the full pipeline and serve the API: no servers or data needed."""
    import psycopg

    from etl.migrate import migrate
    from etl.pipeline import Inputs, Pipeline
    from graphsvc import demo as demo_data
    from graphsvc.pg import demo_database_url, fetch_one
    from graphsvc.settings import get_settings

    _handle_sigterm()
    settings = get_settings()
    try:
        if not settings.database_url:
            console.print(f"starting the embedded PostgreSQL under {settings.data_dir / 'pg'}")
        url = demo_database_url(settings)
        console.print(f"the demo loads into its own database {settings.demo_database_name!r} (emptied first) and "
                      "the embedded graph; your main database and graph are not touched")
        # the demo's own database, and the embedded graph even when NEO4J_URI is set
        demo_settings = settings.model_copy(update={"database_url": url, "neo4j_uri": None})
        if mixesdb is not None:
            inputs = Inputs(mixesdb=[mixesdb])
        else:
            folder = settings.data_dir / "demo" / f"seed{seed}-tracks{tracks}"
            console.print(f"generating the demo dataset (seed {seed}, {tracks} tracks) in {folder}")
            files = demo_data.generate(folder, tracks=tracks, seed=seed)
            inputs = Inputs(mixesdb=[files.mixesdb], tracklists1001=[files.tracklists1001],
                            rekordbox=[files.rekordbox])
        with psycopg.connect(url) as conn:
            migrate(conn)
            with _progress() as progress:
                summary = Pipeline(conn, progress=progress, settings=demo_settings).run("complete", inputs)
            ids = demo_data.example_ids(conn)
            counts = fetch_one(conn.execute(
                "SELECT (SELECT count(*) FROM gold.track), (SELECT count(*) FROM gold.artist),"
                " (SELECT count(*) FROM gold.set), (SELECT count(*) FROM gold.transitions_to)"))
    except GraphsvcError as e:
        _fail(e)
    console.print(f"pipeline run {summary.run_id}: {summary.status} in {summary.seconds:.1f} s - "
                  f"{counts[0]} tracks, {counts[1]} artists, {counts[2]} sets, {counts[3]} transitions")
    base = _base_url(host, port)
    print(f"API: {base}/v1  (docs: {base}/docs)")
    print(f"Explorer: {base}/  (search an artist or a track, open its network, build a set)")
    for line in example_calls(base, ids):
        print(line)
    sys.stdout.flush()
    if no_serve:
        return
    try:
        _serve(host, port, 1, "info", demo_settings, access_log=True)  # the demo shows the calls it gets
    except GraphsvcError as e:
        _fail(e)


@app.command()
def schedule(
    run_now: Annotated[str | None, typer.Option(
        "--run-now", help="run this job (bronze, silver or gold) once now and exit, instead of scheduling")] = None,
) -> None:
    """Run the pipeline on its daily schedule (UTC): bronze 02:00, silver 02:30, gold 03:00 by default
    (GRAPHSVC_SCHEDULE_*); overlapping runs are refused by the processing lock and logged as skipped."""
    import logging

    from graphsvc import schedule as sched
    from graphsvc.settings import get_settings

    _handle_sigterm()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if run_now is not None:
        if run_now not in sched.JOBS:
            console.print(f"[bold red]error:[/] unknown job {run_now!r}; jobs are {', '.join(sched.JOBS)}")
            raise typer.Exit(2)
        outcome = sched.run_job(run_now, settings)
        console.print(f"job {outcome.job}: {outcome.status}"
                      + (f" (run {outcome.run_id})" if outcome.run_id else "")
                      + (f": {outcome.message}" if outcome.message else ""), soft_wrap=True, highlight=False)
        raise typer.Exit({"succeeded": 0, "skipped": 75}.get(outcome.status, 1))  # 75: EX_TEMPFAIL, retry later
    try:
        scheduler = sched.build_scheduler(settings)
    except GraphsvcError as e:
        _fail(e)
    for job, when in sched.next_runs(scheduler).items():
        console.print(f"job {job}: next run {when:%Y-%m-%d %H:%M} UTC", highlight=False)
    with suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def main() -> None:
    import psycopg

    from graphsvc.pg import describe_error

    try:
        app()
    except psycopg.Error as e:  # a lost connection, a full disk...: one line, not a traceback
        console.print(f"[bold red]error:[/] {describe_error(e)}", soft_wrap=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
