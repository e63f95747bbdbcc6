"""The ``etl eval`` sub-commands (registered in ``etl/cli.py``): ``transitions``, ``folds`` and ``split``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graphsvc.errors import GraphsvcError

eval_app = typer.Typer(help="Offline evaluation of recommendations on real DJ mixes.", no_args_is_help=True)

console = Console(stderr=True)


def _fail(e: Exception) -> None:
    console.print(f"[bold red]error:[/] {e}")
    raise typer.Exit(1)


def _need_files(*paths: Path) -> None:
    """Exit 2 with one line when an input file is missing."""
    for p in paths:
        if not p.is_file():
            console.print(f"[bold red]error:[/] {p} does not exist or is not a file")
            raise typer.Exit(2)


def _report(text: str, report: dict, json_out: Path | None) -> None:
    """The markdown table on stdout, and the figures as JSON at ``json_out`` when given."""
    sys.stdout.write(text + "\n")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report, indent=2, default=str) + "\n")


@eval_app.command("transitions")
def transitions(
    train: Annotated[Path, typer.Option(help="MixesDB JSON(.gz) of the training mixes")],
    test: Annotated[Path, typer.Option(help="MixesDB JSON(.gz) of the test mixes")],
    k: Annotated[int, typer.Option(help="cut-off of the headline HR@k / NDCG@k (1-50)")] = 10,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the figures as JSON here")] = None,
    seed: Annotated[int, typer.Option(help="seed of the random baseline, the fit's sample and the bootstrap")] = 0,
) -> None:
    """Next-track quality (HR@1/k/50, MRR, NDCG@k, bootstrap intervals) of the SERVED recommender (the API's
    code path and defaults, 50 recommendations per query, ranker fitted on train only) against random,
    popularity, co-occurrence, Markov, Markov + co-occurrence and same-artist greatest hits. Train is built
    in a fresh database (dropped afterwards)."""
    from etl.evaluation.transitions import markdown_table, run_transitions_eval

    _need_files(train, test)
    try:
        report = run_transitions_eval(train, test, k=k, seed=seed, log=lambda m: console.print(m, highlight=False))
    except GraphsvcError as e:
        _fail(e)
    _report(markdown_table(report), report, json_out)


@eval_app.command("folds")
def folds(
    train: Annotated[Path, typer.Option(help="MixesDB JSON(.gz) of the training mixes")],
    years: Annotated[str, typer.Option(
        help="cut years Y (train <= Y, test Y + 1), comma-separated")] = "2012,2013,2014,2015",
    k: Annotated[int, typer.Option(help="cut-off of the headline HR@k (1-50)")] = 10,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the figures as JSON here")] = None,
) -> None:
    """Rolling temporal folds inside the training years (where the recommender is tuned): per cut year,
    the served recommender fitted on that year's history against the baselines."""
    from etl.evaluation.folds import markdown, run_folds

    _need_files(train)
    try:
        cut_years = [int(y) for y in years.split(",") if y.strip()]
    except ValueError:
        console.print(f"[bold red]error:[/] --years must be comma-separated years, got {years!r}")
        raise typer.Exit(2) from None
    if not cut_years or not 1 <= k <= 50:
        console.print("[bold red]error:[/] give at least one cut year and 1 <= k <= 50")
        raise typer.Exit(2)
    try:
        report = run_folds(train, cut_years, k=k, log=lambda m: console.print(m, highlight=False))
    except GraphsvcError as e:
        _fail(e)
    _report(markdown(report), report, json_out)


@eval_app.command("split")
def split(
    input: Annotated[Path, typer.Option("--input", help="MixesDB JSON(.gz) to split")],
    train_until: Annotated[int, typer.Option(help="last year of the training mixes (title date)")],
    train: Annotated[Path, typer.Option(help="where to write the training mixes (.json or .json.gz)")],
    test: Annotated[Path, typer.Option(help="where to write the test mixes (.json or .json.gz)")],
    test_until: Annotated[int | None, typer.Option(help="last year of the test mixes (default: all later)")] = None,
    max_train: Annotated[int | None, typer.Option(help="keep only the latest N training mixes")] = None,
    max_test: Annotated[int | None, typer.Option(help="keep only the earliest N test mixes")] = None,
) -> None:
    """Temporal split by the date that starts each mix title: train <= --train-until < test."""
    from etl.evaluation.split import write_split

    try:
        stats = write_split(input, train_until, train, test, test_until=test_until, max_train=max_train,
                            max_test=max_test)
    except GraphsvcError as e:
        _fail(e)
    sys.stdout.write(json.dumps(stats.as_dict(), ensure_ascii=False) + "\n")
