"""``etl export transitions``: the recommender's training data for people who train their own models.

One row per (query, candidate): a query is a consecutive pair a -> b of real sets (b is the answer), its
candidates are exactly what the served recommender considers for a, with the served features
(``graphsvc.recommend.features.FEATURES``) computed on the graph *as it was before* the query's sets, and
``label`` = 1 for b. Split by date:

- ``validation``: the latest ``VALIDATION_FRACTION`` of the dated sets; features from all earlier sets;
- ``train``: rolling cuts inside the remaining sets (``graphsvc.recommend.train.rolling_cuts``), the same
  queries the pipeline fits the served ranker on.

Queries whose answer is not among the candidates are kept with no positive row (they are the candidate
generation's misses; ``answer_in_candidates`` says which).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from graphsvc.errors import InvalidValue

VALIDATION_FRACTION = 0.2
FORMATS = ("parquet", "csv")


@dataclass
class ExportStats:
    path: str
    rows: int
    queries: dict[str, int]
    positives: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _rows(store: Any, fit_sets: list[int], held_sets: list[int], split: str, cut: int) -> list[dict[str, Any]]:
    from graphsvc.recommend.features import FEATURES
    from graphsvc.recommend.history import as_of
    from graphsvc.recommend.train import build_queries, pairs_of

    view = as_of(store, fit_sets)
    dates = [store.sets[s]["date"] for s in held_sets if store.sets[s]["date"] is not None]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    out = []
    for qi, q in enumerate(build_queries(view, pairs_of(store, held_sets, view.tracks))):
        for i, cid in enumerate(q.ids):
            row = {"split": split, "cut": cut, "query": qi, "held_from": first, "held_to": last,
                   "source_id": q.source, "target_id": q.target, "candidate_id": cid,
                   "label": int(i == q.positive), "answer_in_candidates": q.positive >= 0}
            row.update({name: float(q.X[i, j]) for j, name in enumerate(FEATURES)})
            out.append(row)
    return out


def export_transitions(conn: psycopg.Connection, out: Path, fmt: str = "parquet",
                       log: Callable[[str], None] = lambda _m: None) -> ExportStats:
    """Write the training/validation candidate pairs of the current gold graph to ``out``."""
    from graphsvc.graph.embedded import EmbeddedStore
    from graphsvc.recommend.train import rolling_cuts, split_by_date_fraction

    if fmt not in FORMATS:
        raise InvalidValue(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    store = EmbeddedStore.from_gold(conn)
    conn.commit()
    train_sets, validation_sets = split_by_date_fraction(store, VALIDATION_FRACTION)
    if not validation_sets:
        raise InvalidValue("the graph has no dated sets to split by date: load tracklists first")
    rows = _rows(store, train_sets, validation_sets, "validation", 0)
    log(f"validation: {len({r['query'] for r in rows})} queries")
    from graphsvc.recommend.history import as_of

    train_view = as_of(store, train_sets)  # the train part alone: the rolling cuts never see validation sets
    for k, (fit_sets, held_sets) in enumerate(rolling_cuts(train_view), start=1):
        got = _rows(train_view, fit_sets, held_sets, "train", k)
        log(f"train cut {k}: {len({r['query'] for r in got})} queries")
        rows += got
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), out)
    else:
        import csv

        with out.open("w", newline="", encoding="utf-8") as f:
            if rows:
                w = csv.DictWriter(f, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
    queries: dict[str, int] = {}
    positives: dict[str, int] = {}
    for split in ("train", "validation"):
        qs = {(r["cut"], r["query"]) for r in rows if r["split"] == split}
        queries[split] = len(qs)
        positives[split] = sum(r["label"] for r in rows if r["split"] == split)
    return ExportStats(str(out), len(rows), queries, positives)
