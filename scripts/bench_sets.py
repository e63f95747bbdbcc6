"""Set builder on the graph the pipeline built (``DATABASE_URL`` or the embedded default): latency of
20-track sets from random keyed start tracks, tracks expanded per set, and how many hops of the best
set are transitions DJs actually played (``real_transitions`` > 0: evidence the builder's ranking did
not invent). Load the real data first (README, "Real data"), e.g. every shared library and feature
table, so that tracks carry keys and tempos.

    .venv/bin/python scripts/bench_sets.py [--sets 60] [--seed 7] [--strictness relaxed] [--step 8]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from graphsvc.graph.embedded import EmbeddedStore  # noqa: E402
from graphsvc.pg import database_url  # noqa: E402
from graphsvc.recommend.model import load_ranker  # noqa: E402
from graphsvc.setbuilder import SetRequest, build_set  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--strictness", default="relaxed")
    ap.add_argument("--step", type=float, default=8.0, help="max BPM step per hop, percent")
    args = ap.parse_args()
    with psycopg.connect(database_url()) as conn:
        store = EmbeddedStore.from_gold(conn)
        ranker = load_ranker(conn)
    keyed = sorted(t.id for t in store.tracks.values() if t.camelot is not None and t.bpm is not None)
    if not keyed:
        raise SystemExit("no track has both a key and a BPM: load DJ libraries or feature tables first")
    rng = random.Random(args.seed)
    starts = [rng.choice(keyed) for _ in range(args.sets)]
    ms, built, expansions, hops, played = [], 0, 0, 0, 0
    for t in starts:
        t0 = time.perf_counter()
        res = build_set(store, SetRequest(t, length=20, beam_width=4, alternatives=2, strictness=args.strictness,
                                          max_bpm_step_pct=args.step), ranker)
        ms.append((time.perf_counter() - t0) * 1000)
        expansions += res.expansions
        if res.sets:
            built += 1
            for h in res.sets[0].transitions:
                hops += 1
                played += h["real_transitions"] > 0
    ms.sort()
    print(f"{len(keyed):,} keyed tracks of {len(store.tracks):,}; ranker {ranker.source}")
    print(f"20-track sets (beam 4, 2 alternatives, {args.strictness}, {args.step:g} % step): {built} of {len(starts)} "
          f"built; p50 {ms[len(ms) // 2]:.1f} ms  p95 {ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]:.1f} ms; "
          f"{expansions / len(starts):.1f} tracks expanded per set; hops DJs played: {played} of {hops} "
          f"({played / max(hops, 1):.1%})")
    store.close()


if __name__ == "__main__":
    main()
