"""Set builder and harmonic paths on the graph the pipeline built (``DATABASE_URL`` or the embedded
default). Load the real data first (README, "Real data"), e.g. every shared library and feature table, so
that tracks carry keys and tempos.

Sets: latency of 20-track sets from random keyed start tracks, tracks expanded per set, and how many hops
of the best set are transitions DJs actually played (``real_transitions`` > 0: evidence the builder's
ranking did not invent).

Paths: pairs (a, b) of keyed tracks 2-5 places apart in one DJ's set ("how do I get from a to b?"),
``GET /v1/tracks/{a}/harmonic-path/{b}``'s defaults but the strictness and step below; the best path as
the path search orders it (rule-3 hop scores) and as the API serves it (the recommender,
``graphsvc.recommend.ranked_paths``): latency, paths found, how often the first path differs, the hops
DJs played, and the inner tracks of the first path that the DJ played in that set.

    .venv/bin/python scripts/bench_sets.py [--sets 60] [--paths 60] [--seed 7] [--strictness relaxed] [--step 8]
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
from graphsvc.recommend.ranked_paths import ranked_paths  # noqa: E402
from graphsvc.setbuilder import SetRequest, build_set  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", type=int, default=60)
    ap.add_argument("--paths", type=int, default=60)
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
    print(f"{len(keyed):,} keyed tracks of {len(store.tracks):,}; ranker {ranker.source}")
    if starts:
        print(f"20-track sets (beam 4, 2 alternatives, {args.strictness}, {args.step:g} % step): {built} of "
              f"{len(starts)} built; p50 {pct(ms, .5):.1f} ms  p95 {pct(ms, .95):.1f} ms; "
              f"{expansions / len(starts):.1f} tracks expanded per set; hops DJs played: {played} of {hops} "
              f"({played / max(hops, 1):.1%})")
    paths(store, ranker, rng, args)
    store.close()


def pct(ms: list[float], q: float) -> float:
    ms = sorted(ms)
    return ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]


def paths(store: EmbeddedStore, ranker, rng: random.Random, args: argparse.Namespace) -> None:
    tracks = store.tracks
    pairs = []
    for sid in sorted(store.set_entries):
        keyed = [t for _, t in store.set_entries[sid] if tracks[t].camelot is not None and tracks[t].bpm is not None]
        pairs += [(a, b, sid) for i, a in enumerate(keyed) for b in keyed[i + 2:i + 6] if a != b]
    if not pairs:
        return
    picks = rng.sample(pairs, min(args.paths, len(pairs)))
    kw = {"k": 3, "max_len": 6, "strictness": args.strictness, "bpm_window_pct": args.step}
    old_ms, new_ms, found, differ, hops = [], [], 0, 0, 0
    played = {"rule 3": 0, "recommender": 0}
    in_set = {"rule 3": 0, "recommender": 0}  # inner tracks of the best path that the same set played
    inner = 0
    for a, b, sid in picks:
        t0 = time.perf_counter()
        old = store.harmonic_paths(a, b, **kw)
        old_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        new, _ = ranked_paths(store, ranker, a, b, **kw)
        new_ms.append((time.perf_counter() - t0) * 1000)
        if not new:
            continue
        found += 1
        differ += [c.track_id for c in old[0]] != new[0].track_ids
        hops += len(new[0].hops)
        played["rule 3"] += sum(c.transitions > 0 for c in old[0][1:])
        played["recommender"] += sum(h.hop.transitions > 0 for h in new[0].hops)
        dj = {t for _, t in store.set_entries[sid]}
        inner += len(new[0].hops) - 1
        in_set["rule 3"] += sum(c.track_id in dj for c in old[0][1:-1])
        in_set["recommender"] += sum(t in dj for t in new[0].track_ids[1:-1])
    print(f"harmonic paths (k 3, max_len 6, {args.strictness}, {args.step:g} % step) between tracks 2-5 places apart "
          f"in one set: {found} of {len(picks)} pairs linked; first path differs in {differ}; hops DJs played "
          f"(best path, {hops} hops): rule 3 {played['rule 3']}, recommender {played['recommender']}; inner tracks "
          f"the same set played (of {inner}): rule 3 {in_set['rule 3']}, recommender {in_set['recommender']}")
    print(f"  path search alone  p50 {pct(old_ms, .5):7.1f} ms  p95 {pct(old_ms, .95):7.1f} ms")
    print(f"  ordered by the recommender (served)  p50 {pct(new_ms, .5):7.1f} ms  p95 {pct(new_ms, .95):7.1f} ms")


if __name__ == "__main__":
    main()
