"""The ``etl`` command: ingest, run, replay, status, reconcile.

Every command connects to ``DATABASE_URL`` or starts the embedded PostgreSQL, applies pending
migrations, does its work with progress bars, and ends with a summary. Errors a user can act on are
printed as one clear line and exit with status 1 (2 for bad usage).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl.migrate import migrate
from graphsvc.errors import GraphsvcError
from graphsvc.pg import database_url

app = typer.Typer(help="graphsvc ETL: bronze ingestion, silver enrichment, gold and graph projection.",
                  no_args_is_help=True, add_completion=False)
ingest_app = typer.Typer(help="Load a source file into bronze (raw, append-only).", no_args_is_help=True)
config_app = typer.Typer(help="Show or change the waterfall enrichment config.", no_args_is_help=True)
export_app = typer.Typer(help="Write data back out: sets for the decks (rekordbox XML, Traktor NML, M3U8) and the "
                              "recommender's training data for your own models.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(config_app, name="config")
app.add_typer(export_app, name="export")

from etl.evaluation.cli import eval_app  # noqa: E402  (etl eval transitions | split)

app.add_typer(eval_app, name="eval")

console = Console(stderr=True)
out = Console()


@contextmanager
def _db() -> Iterator[psycopg.Connection]:
    conn = psycopg.connect(database_url())
    try:
        migrate(conn)
        yield conn
    finally:
        conn.close()


@contextmanager
def _progress() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False, disable=not console.is_terminal)

    def task(description: str, total: int | None) -> Callable[[int], None]:
        tid = progress.add_task(description, total=total)
        return lambda n: progress.advance(tid, n)

    with progress:
        yield task


def _fail(e: Exception) -> None:
    console.print(f"[bold red]error:[/] {e}", soft_wrap=True, highlight=False)
    raise typer.Exit(1)


def _interrupted() -> None:
    console.print("[bold yellow]interrupted:[/] the run is marked failed; what it committed stays, and the "
                  "next run continues from there")
    raise typer.Exit(130)


def _ingest(source: str, paths: list[Path], **options: Any) -> None:
    """Ingest ``paths`` into bronze; ``options`` are further :class:`~etl.pipeline.Inputs` fields."""
    from etl.pipeline import Inputs, Pipeline

    field = {"mixesdb": "mixesdb", "1001tracklists": "tracklists1001", "rekordbox": "rekordbox",
             "features": "features", "traktor": "traktor", "mixxx": "mixxx", "virtualdj": "virtualdj"}[source]
    inputs: dict[str, Any] = {field: list(paths), **options}
    try:
        with _db() as conn, _progress() as progress:
            summary = Pipeline(conn, progress=progress).run("bronze_only", Inputs(**inputs))
    except GraphsvcError as e:
        _fail(e)
    except KeyboardInterrupt:
        _interrupted()
    table = Table(title=f"bronze ingest (run {summary.run_id})")
    for col in ("file", "read", "new", "rejected", "note"):
        table.add_column(col)
    for s in summary.steps:
        d = s.detail
        table.add_row(Path(d["path"]).name, str(d["read"]), str(d["new"]), str(d["rejected"]),
                      "already ingested: nothing added" if d["already_ingested"] else "")
    out.print(table)
    for s in summary.steps:
        for pos, reason in s.detail["rejects"][:10]:
            out.print(f"  [yellow]rejected[/] {Path(s.detail['path']).name} record {pos}: {reason}")
    out.print(f"done in {summary.seconds:.2f} s")


@ingest_app.command("mixesdb")
def ingest_mixesdb(path: Path) -> None:
    """A DJ Mix Dataset / MixesDB JSON file (.json or .json.gz)."""
    _ingest("mixesdb", [path])


@ingest_app.command("1001tracklists")
def ingest_1001(paths: list[Path]) -> None:
    """One or more 1001Tracklists CSV exports."""
    _ingest("1001tracklists", paths)


@ingest_app.command("rekordbox")
def ingest_rekordbox(
    path: Path,
    library: Annotated[str | None, typer.Option(
        help="name of the DJ library this export comes from (TrackIDs and playlists are scoped to it); "
             "default: the file name without extension")] = None,
) -> None:
    """A rekordbox XML collection export (File > Export Collection in xml format)."""
    from etl.importers.rekordbox import library_name

    try:
        name = library_name(path, library)  # a bad name fails before any database work
    except GraphsvcError as e:
        _fail(e)
    _ingest("rekordbox", [path], rekordbox_library=name)


@ingest_app.command("features")
def ingest_features(
    path: Path,
    kind: Annotated[str | None, typer.Option(
        help="kind of table, for the confidence of its values: spotify | giantsteps | essentia | beatport | "
             "generic (default: detected from the columns)")] = None,
) -> None:
    """A CSV (.csv or .csv.gz) of track features: artist/title (or an id) plus any of bpm, key, mode, energy."""
    _ingest("features", [path], features_kind=kind)


_LIBRARY_HELP = ("name of the DJ library this file comes from (its track ids and playlists are scoped to it); "
                 "default: the file name without extension")


def _ingest_library(source: str, program: str, path: Path, library: str | None) -> None:
    from etl.importers.library import library_name

    try:
        library_name(path, library, program)  # a bad name fails before any database work
    except GraphsvcError as e:
        _fail(e)
    _ingest(source, [path], library=library)


@ingest_app.command("traktor")
def ingest_traktor(path: Path, library: Annotated[str | None, typer.Option(help=_LIBRARY_HELP)] = None) -> None:
    """A Traktor collection (collection.nml, or File > Export Collection): tracks and playlists."""
    _ingest_library("traktor", "Traktor", path, library)


@ingest_app.command("mixxx")
def ingest_mixxx(path: Path, library: Annotated[str | None, typer.Option(help=_LIBRARY_HELP)] = None) -> None:
    """A Mixxx library database (mixxxdb.sqlite): tracks, playlists, set logs and crates."""
    _ingest_library("mixxx", "Mixxx", path, library)


@ingest_app.command("virtualdj")
def ingest_virtualdj(path: Path, library: Annotated[str | None, typer.Option(help=_LIBRARY_HELP)] = None) -> None:
    """A VirtualDJ database (database.xml): tracks with their tags and VirtualDJ's analysis."""
    _ingest_library("virtualdj", "VirtualDJ", path, library)


def _run_summary(summary: Any) -> None:
    table = Table(title=f"run {summary.run_id} ({summary.mode}): {summary.status} in {summary.seconds:.2f} s")
    for col in ("layer", "table", "status", "rows in", "rows out", "rejected", "seconds"):
        table.add_column(col)
    for s in summary.steps:
        table.add_row(s.layer, s.table, s.status, str(s.records_in), str(s.records), str(s.rejected),
                      f"{s.seconds:.2f}")
    out.print(table)


@app.command()
def run(
    mode: Annotated[str, typer.Option(help="complete | bronze_only | silver_only | gold_only")] = "complete",
    mixesdb: Annotated[list[Path] | None, typer.Option(help="MixesDB JSON(.gz) to ingest first")] = None,
    tracklists: Annotated[list[Path] | None, typer.Option("--1001tracklists", help="1001Tracklists CSV")] = None,
    rekordbox: Annotated[list[Path] | None, typer.Option(help="rekordbox XML collection")] = None,
    library: Annotated[str | None, typer.Option(
        help="library name of the --rekordbox, --traktor, --mixxx and --virtualdj files (default: each file name "
         "without extension)")] = None,
    features: Annotated[list[Path] | None, typer.Option(help="feature CSV (bpm/key/energy)")] = None,
    traktor: Annotated[list[Path] | None, typer.Option(help="Traktor collection.nml")] = None,
    mixxx: Annotated[list[Path] | None, typer.Option(help="Mixxx mixxxdb.sqlite")] = None,
    virtualdj: Annotated[list[Path] | None, typer.Option(help="VirtualDJ database.xml")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the run summary as JSON")] = False,
) -> None:
    """Run the pipeline in a processing mode; incremental and idempotent."""
    from etl.importers.rekordbox import library_name
    from etl.pipeline import MODES, Inputs, Pipeline

    if mode not in MODES:
        console.print(f"[bold red]error:[/] unknown mode {mode!r}; modes are {', '.join(MODES)}")
        raise typer.Exit(2)
    try:
        for path in [*(rekordbox or []), *(traktor or []), *(mixxx or []), *(virtualdj or [])]:
            library_name(path, library)  # a bad name fails before any database work
    except GraphsvcError as e:
        _fail(e)
    inputs = Inputs(mixesdb or [], tracklists or [], rekordbox or [], features or [], rekordbox_library=library,
                    traktor=traktor or [], mixxx=mixxx or [], virtualdj=virtualdj or [], library=library)
    try:
        with _db() as conn, _progress() as progress:
            summary = Pipeline(conn, progress=progress).run(mode, inputs)
    except GraphsvcError as e:
        _fail(e)
    except KeyboardInterrupt:
        _interrupted()
    if json_out:
        out.print_json(json.dumps(summary.as_dict(), default=str))
    else:
        _run_summary(summary)


@app.command()
def replay(
    fields: Annotated[str, typer.Option(help="comma-separated fields, e.g. bpm,key")],
    reason: Annotated[str, typer.Option(help="why this replay is needed (kept in the queue)")],
    track_id: Annotated[list[int] | None, typer.Option("--track-id", help="tracks to replay")] = None,
    filter_json: Annotated[str | None, typer.Option(
        "--filter", help='JSON filter, e.g. {"provider": "features"}')] = None,
    config_run: Annotated[int | None, typer.Option(help="use the config snapshot of this historical run")] = None,
) -> None:
    """Re-run enrichment of some fields under the current or a historical config; prints old vs new."""
    from etl.enrichment.config import start_run
    from etl.enrichment.replay import enqueue_replay, process_replays

    try:
        flt = json.loads(filter_json) if filter_json else None
    except json.JSONDecodeError as e:
        console.print(f"[bold red]error:[/] --filter is not valid JSON: {e}")
        raise typer.Exit(2) from None
    try:
        with _db() as conn:
            replay_id = enqueue_replay(conn, fields=[f.strip() for f in fields.split(",") if f.strip()],
                                       reason=reason, track_ids=track_id, filter=flt, config_run_id=config_run)
            conn.commit()
            run_id = start_run(conn, "replay", None)
            conn.commit()
            results = process_replays(conn, run_id)
            conn.execute("UPDATE ops.run SET status = %s, completed_at = now() WHERE run_id = %s",
                         ("failed" if any(getattr(r, "error", None) for r in results) else "succeeded", run_id))
            conn.commit()
            diffs = conn.execute(
                """SELECT entity_id, field, old_value, new_value, old_provider, new_provider, changed
                   FROM enrichment.replay_diff WHERE replay_id = %s ORDER BY entity_id, field""",
                (replay_id,)).fetchall()
    except GraphsvcError as e:
        _fail(e)
    table = Table(title=f"replay {replay_id} (run {run_id})")
    for col in ("track", "field", "old", "new", "old provider", "new provider", "changed"):
        table.add_column(col)
    for d in diffs[:200]:
        table.add_row(*(str(x) for x in d))
    out.print(table)
    changed = sum(1 for d in diffs if d[-1])
    out.print(f"{len(diffs)} field values replayed, {changed} changed")
    for r in results:
        out.print(f"replay {r.replay_id}: {r.status}, {r.tracks} tracks, {r.changed} changed"
                  + (f", error: {r.error}" if r.error else ""))
    if changed:
        out.print("run `etl run --mode gold_only` to carry the new values into gold and the graph")


@app.command()
def status(json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """Counts per layer (mixes, entries, tracks, artists, gaps, rejects) and the latest runs."""
    from etl.status import status as get_status

    try:
        with _db() as conn:
            st = get_status(conn)
    except GraphsvcError as e:
        _fail(e)
    if json_out:
        sys.stdout.write(json.dumps(st, default=str, indent=2) + "\n")
        return
    for layer in ("bronze", "silver", "enrichment", "gold"):
        if layer in st:
            table = Table(title=layer)
            table.add_column("what")
            table.add_column("count", justify="right")
            for k, v in st[layer].items():
                if isinstance(v, dict):  # e.g. silver validation: one row per status, not a dict in a cell
                    for sub, n in v.items():
                        table.add_row(f"{k}: {sub}", str(n))
                else:
                    table.add_row(k, str(v))
            out.print(table)
    if st.get("sources"):
        table = Table(title="keys and BPMs per source (tracks observed; for provider:X, tracks whose value X gave)")
        for col in ("source", "tracks", "with key", "with BPM", "with both", "key won", "BPM won"):
            table.add_column(col, justify="right" if col != "source" else "left")
        for name, row in st["sources"].items():
            table.add_row(name, *(str(row.get(k, "")) for k in ("tracks", "with_key", "with_bpm", "with_key_and_bpm",
                                                                  "key_won", "bpm_won")))
        out.print(table)
    for r in st["runs"]:
        out.print(f"run {r['run_id']} {r['kind']}/{r['mode']}: {r['status']} {r['started_at']}"
                  + (f" error: {r['error']}" if r["error"] else ""))


@app.command()
def checksum(schema: Annotated[list[str] | None, typer.Option(help="schemas to include")] = None) -> None:
    """Row counts and a content checksum per table (JSON), to compare two databases or two runs."""
    from etl.checksum import LAYERS, table_checksums

    with _db() as conn:
        sums = table_checksums(conn, tuple(schema or LAYERS))
    sys.stdout.write(json.dumps(sums, indent=2) + "\n")


@app.command()
def reconcile() -> None:
    """Compare ids and counts per label/relationship type between gold and the graph; exit 1 on drift."""
    from etl.reconcile import open_graph
    from etl.reconcile import reconcile as run_reconcile

    try:
        with _db() as conn:
            store = open_graph(conn)
            try:
                drifts = run_reconcile(conn, store)
            finally:
                store.close()
    except GraphsvcError as e:
        _fail(e)
    table = Table(title=f"gold vs graph ({store.backend})")
    for col in ("label/type", "gold", "graph", "missing in graph", "extra in graph", "sample ids"):
        table.add_column(col)
    for d in drifts:
        sample = ", ".join(map(str, (d.sample_missing + d.sample_extra)[:3]))
        style = "red" if d.drifted else None
        table.add_row(d.kind, str(d.gold), str(d.graph), str(d.missing), str(d.extra), sample, style=style)
    out.print(table)
    bad = [d.kind for d in drifts if d.drifted]
    if bad:
        out.print(f"drift in {len(bad)} of {len(drifts)}: {', '.join(bad)}")
        raise typer.Exit(1)
    out.print("no drift")


@app.command("reset")
def reset_cmd(
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation (scripts)")] = False,
) -> None:
    """Delete ALL data: every layer (bronze included) and the graph, then an empty, migrated database."""
    from etl.reset import reset
    from graphsvc.settings import get_settings

    settings = get_settings()
    where = ("DATABASE_URL" if settings.database_url
             else f"database {settings.database_name!r} under {settings.data_dir}")
    if not yes:
        confirmed = typer.confirm(
            f"This deletes every layer of {where} (bronze, silver, enrichment, gold, runs) and the graph. "
            "Bronze cannot be rebuilt without the input files. Continue?", default=False, err=True)
        if not confirmed:
            console.print("nothing deleted")
            raise typer.Exit(1)
    try:
        with psycopg.connect(database_url()) as conn:
            result = reset(conn, settings)
    except GraphsvcError as e:
        _fail(e)
    out.print(f"reset: {result.records_dropped} bronze records and everything built from them deleted; "
              f"{result.graph}", soft_wrap=True)


@app.command("migrate")
def migrate_cmd() -> None:
    """Apply pending schema migrations."""
    try:
        with psycopg.connect(database_url()) as conn:
            applied = migrate(conn)
    except GraphsvcError as e:
        _fail(e)
    out.print(f"applied {applied}" if applied else "schema is up to date")


@config_app.command("show")
def config_show() -> None:
    """The waterfall config: per field, providers in priority order with their thresholds."""
    from etl.enrichment.config import load_config

    with _db() as conn:
        rows = load_config(conn)
    table = Table(title="metadata_enrichment_config")
    for col in ("field", "priority", "provider", "min_confidence", "enabled"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.field, str(r.priority), r.provider, f"{r.min_confidence:g}", str(r.enabled))
    out.print(table)


@config_app.command("set")
def config_set(
    field: str, provider: str,
    priority: Annotated[int | None, typer.Option()] = None,
    min_confidence: Annotated[float | None, typer.Option()] = None,
    enabled: Annotated[bool | None, typer.Option("--enabled/--disabled")] = None,
) -> None:
    """Change one (field, provider) row; the next run snapshots the new config."""
    from etl.enrichment.config import set_config

    try:
        with _db() as conn:
            row = set_config(conn, field, provider, priority=priority, min_confidence=min_confidence, enabled=enabled)
            conn.commit()
    except GraphsvcError as e:
        _fail(e)
    out.print(f"{row}")


@export_app.command("set")
def export_set(
    set_id: Annotated[int | None, typer.Argument(help="a stored set (silver / gold set id)")] = None,
    tracks: Annotated[str | None, typer.Option(help="instead of a stored set: track ids in order, comma-separated "
                                                       "(a set from POST /v1/sets)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="rekordbox | traktor | m3u8")] = "rekordbox",
    out_path: Annotated[Path | None, typer.Option("--out", help="file to write (default: standard output)")] = None,
    library: Annotated[str | None, typer.Option(help="prefer this DJ library's files and ids")] = None,
    name: Annotated[str | None, typer.Option(help="playlist name (default: the set's title)")] = None,
) -> None:
    """Export a stored or built set as a playlist the DJ software loads."""
    from etl.exporters import FORMATS, export, stored_set

    if fmt not in FORMATS:
        console.print(f"[bold red]error:[/] unknown export format {fmt!r}; formats are {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if (set_id is None) == (tracks is None):
        console.print("[bold red]error:[/] give either a SET_ID or --tracks ID,ID,...")
        raise typer.Exit(2)
    try:
        ids = [int(x) for x in tracks.split(",") if x.strip()] if tracks is not None else []
    except ValueError:
        console.print("[bold red]error:[/] --tracks takes track ids separated by commas")
        raise typer.Exit(2) from None
    try:
        with _db() as conn:
            title = name or "graphsvc set"
            if set_id is not None:
                stored_title, ids = stored_set(conn, set_id)
                title = name or stored_title
            result = export(conn, ids, fmt, title, library=library)
    except GraphsvcError as e:
        _fail(e)
    if out_path is None:
        sys.stdout.write(result.text)
    else:
        out_path.write_text(result.text, encoding="utf-8")
        console.print(f"wrote {out_path}: {result.tracks} tracks")
    for label in result.missing:
        console.print(f"[yellow]no file in your libraries:[/] {label}")


def main() -> None:
    from graphsvc.pg import describe_error

    try:
        app()
    except psycopg.Error as e:  # a lost connection, a full disk...: one line, not a traceback
        console.print(f"[bold red]error:[/] {describe_error(e)}", soft_wrap=True, highlight=False)
        sys.exit(1)


@export_app.command("transitions")
def export_transitions_cmd(
    out_path: Annotated[Path, typer.Argument(metavar="OUT", help="file to write (.parquet or .csv)")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
) -> None:
    """The recommender's candidate pairs with their features and labels, split by date into train (rolling
    cuts) and validation (the latest 20 % of the sets): one row per (query, candidate)."""
    from etl.export import FORMATS, export_transitions

    if fmt not in FORMATS:
        console.print(f"[bold red]error:[/] --format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        raise typer.Exit(2)
    try:
        with _db() as conn:
            stats = export_transitions(conn, out_path, fmt, log=lambda m: console.print(m, highlight=False))
    except GraphsvcError as e:
        console.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(1) from None
    out.print_json(json.dumps(stats.as_dict()))


if __name__ == "__main__":
    main()
