"""``etl eval folds``: rolling temporal folds INSIDE the training years, where the recommender's design
(features, caps, the model class, its regularisation) is chosen -- never on the validation split.

The training mixes are built once in a fresh database (as ``etl eval transitions`` does; dropped after).
For each cut year Y the graph as of the sets dated <= Y (``graphsvc.recommend.history.as_of``) is the
"train" graph: the served ranker is fitted on ITS history exactly as the pipeline fits it
(``fit_ranker``), and every consecutive pair of the sets dated Y + 1 whose tracks are both known then is
a query, ranked by the served code path (API defaults, limit 50) and by the baselines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from etl.evaluation import metrics
from etl.evaluation.recommenders import (
    CooccurrenceRecommender,
    MarkovCooccurrenceRecommender,
    MarkovRecommender,
    PopularityRecommender,
    SameArtistGreatestHitsRecommender,
    TrainView,
)
from etl.evaluation.transitions import SERVED_LIMIT, _build_train, eval_database, evaluate, evaluate_served

Log = Callable[[str], None]
FOLD_BASELINES = ("popularity", "cooccurrence", "markov", "markov+cooccurrence", "same-artist-greatest-hits")


def fold_report(store: Any, years: list[int], *, k: int = 10, log: Log = lambda _m: None) -> dict[str, Any]:
    """Per cut year: queries, and HR@1/k/50, MRR of the served recommender (fitted on the fold's own
    history) and the baselines; plus the pooled figures over all folds."""
    from graphsvc.recommend.history import as_of
    from graphsvc.recommend.train import fit_ranker, pairs_of, split_at_year

    out: dict[str, Any] = {"k": k, "folds": {}, "pooled": {}}
    pooled: dict[str, list[float]] = {}
    for y in years:
        t0 = time.perf_counter()
        fit_sets, held = split_at_year(store, y)
        view = as_of(store, fit_sets)
        pairs = pairs_of(store, held, view.tracks)
        if not pairs:
            log(f"fold {y}: no queries, skipped")
            continue
        ranker = fit_ranker(view)
        tv = TrainView.from_store(view)
        cooc = CooccurrenceRecommender(tv)
        recs: dict[str, Any] = {
            "popularity": PopularityRecommender(tv), "cooccurrence": cooc, "markov": MarkovRecommender(tv),
            "markov+cooccurrence": MarkovCooccurrenceRecommender(tv, cooc),
            "same-artist-greatest-hits": SameArtistGreatestHitsRecommender(tv),
        }
        ranks = {name: evaluate(tv, pairs, rec) for name, rec in recs.items()}
        ranks["served"] = evaluate_served(view, ranker, pairs)
        fold: dict[str, Any] = {"queries": len(pairs), "ranker": ranker.source,
                                "fitted_queries": ranker.fitted_on.get("queries_with_answer_among_candidates")}
        for name, r in ranks.items():
            fold[name] = {m: round(v, 4) for m, v in metrics.summarize(r, (1, k, SERVED_LIMIT), k).items() if m != "n"}
            pooled.setdefault(name, []).extend(r)
        out["folds"][y] = fold
        log(f"fold {y}: {len(pairs)} queries, served HR@{k} {fold['served'][f'HR@{k}']}, markov+cooccurrence "
            f"{fold['markov+cooccurrence'][f'HR@{k}']} ({time.perf_counter() - t0:.1f} s)")
    for name, r in pooled.items():
        out["pooled"][name] = {m: round(v, 4) for m, v in metrics.summarize(r, (1, k, SERVED_LIMIT), k).items()}
    return out


def run_folds(train_path: Path, years: list[int], *, k: int = 10, log: Log = lambda _m: None) -> dict[str, Any]:
    from graphsvc.graph.embedded import EmbeddedStore
    from graphsvc.pg import drop_database

    db = eval_database()
    try:
        with psycopg.connect(db.url) as conn:
            _build_train(conn, Path(train_path), log)
            store = EmbeddedStore.from_gold(conn)
            conn.commit()
    finally:
        drop_database(db.admin_uri, db.name)
    return fold_report(store, years, k=k, log=log)


def markdown(report: dict[str, Any]) -> str:
    k = report["k"]
    names = ["served", *FOLD_BASELINES]
    lines = ["| fold (train <= Y, test Y+1) | queries | " + " | ".join(names) + " |",
             "|---|---:|" + "---:|" * len(names)]
    for y, fold in report["folds"].items():
        lines.append(f"| {y} | {fold['queries']} | " + " | ".join(f"{fold[n][f'HR@{k}']:.3f}" for n in names) + " |")
    if report["pooled"]:
        p = report["pooled"]
        n = int(p["served"]["n"])
        lines.append(f"| pooled | {n} | " + " | ".join(f"**{p[x][f'HR@{k}']:.3f}**" if x == "served" else
                                                     f"{p[x][f'HR@{k}']:.3f}" for x in names) + " |")
        best = max(FOLD_BASELINES, key=lambda x: p[x][f"HR@{k}"])
        ratio = p["served"][f"HR@{k}"] / p[best][f"HR@{k}"] if p[best][f"HR@{k}"] else math.inf
        lines += ["", f"HR@{k}; pooled served vs best baseline ({best}): x{ratio:.2f}"]
    return "\n".join(lines)
