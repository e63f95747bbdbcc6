"""The pipeline's ranker step: fit the next-track ranking model on the gold graph's own history and store
it in ``gold.ranker`` (what the API and ``etl eval`` serve; see ``graphsvc.recommend.train``).

The fit is deterministic for the same gold content, and it runs only when gold changed since the stored
model was fitted (``gold.ranker.gold_seq``), so a rerun changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from graphsvc.pg import fetch_one
from graphsvc.recommend.model import MODEL_NAME, Ranker


@dataclass
class RankerStats:
    status: str  # "fitted", "unchanged" (gold did not change), "prior" (too little history to fit)
    queries: int
    usable: int
    weights: dict[str, float]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "queries": self.queries, "usable": self.usable,
                "weights": self.weights, "seconds": round(self.seconds, 2)}


def gold_seq(conn: psycopg.Connection) -> int:
    last, called = fetch_one(conn.execute("SELECT last_value, is_called FROM gold.change_seq_seq"))
    return int(last) if called else 0


def refresh_ranker(conn: psycopg.Connection, store: Any = None, *, force: bool = False,
                   log: Callable[[str], None] = lambda _m: None) -> RankerStats:
    """Fit and store the ranker if gold changed since the stored one (or ``force``). ``store``: an
    embedded store already loaded from this gold (loaded here when None)."""
    t0 = time.perf_counter()
    seq = gold_seq(conn)
    row = conn.execute("SELECT model, gold_seq FROM gold.ranker WHERE name = %s", (MODEL_NAME,)).fetchone()
    if row is not None and row[1] == seq and not force:
        conn.commit()
        r = Ranker.from_json(row[0])
        return RankerStats("unchanged", 0, 0, r.weights, time.perf_counter() - t0)
    conn.commit()
    if store is None:
        from graphsvc.graph.embedded import EmbeddedStore

        store = EmbeddedStore.from_gold(conn)
    from graphsvc.recommend.train import fit_ranker

    ranker = fit_ranker(store, log=log)
    info = ranker.fitted_on
    with conn.transaction():
        conn.execute(
            """INSERT INTO gold.ranker (name, model, fitted_on, gold_seq) VALUES (%s, %s, %s, %s)
               ON CONFLICT (name) DO UPDATE SET model = EXCLUDED.model, fitted_on = EXCLUDED.fitted_on,
                                                gold_seq = EXCLUDED.gold_seq""",
            (MODEL_NAME, Jsonb(ranker.to_json()), Jsonb(info), seq))
    return RankerStats("fitted" if ranker.source == "fitted" else "prior", info.get("queries", 0),
                       info.get("queries_with_answer_among_candidates", 0), ranker.weights,
                       time.perf_counter() - t0)
