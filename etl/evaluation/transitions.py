"""``etl eval transitions``: how well each recommender predicts the next track of real DJ mixes.

1. A FRESH database (unique name, on ``DATABASE_URL``'s server or the embedded one) gets the TRAIN mixes
   only: bronze -> silver -> gold (``Pipeline`` bronze_only + silver_only, then ``build_gold``; the graph is
   the embedded store loaded from gold, so nothing is ever projected into a configured Neo4j). The database
   is dropped at the end, also on failure.
2. TEST mixes are parsed with the same parser and credit splitter (built from the TRAIN corpus, as silver
   does) and resolved READ-ONLY against the train identity tables: YouTube id via
   ``silver.track_identifier``, else the track key from train artist aliases/keys (exact, normalized, fuzzy:
   the rules of ``etl.identity``) -- an unknown artist makes the track unknown, nothing is created or
   written (the connection is switched to read-only transactions first).
3. Every consecutive pair a -> b of identified entries (adjacent tracklist items, no gap between them,
   a != b) whose tracks are both known from train is a query.
4. The recommender measured is the SERVED one: the train database runs the pipeline's own ranker step
   (``etl.ranker.refresh_ranker``: weights fitted on the train graph's own history, rolling cuts inside the
   training years), the graph and the ranker are loaded as the API loads them, and each query calls
   ``graphsvc.recommend.service.rank_ids`` with the API's defaults and ``limit=SERVED_LIMIT`` -- the code
   path of ``GET /v1/tracks/{id}/recommendations``. The target's rank is its position in that list (a miss
   when absent). Baselines rank b among ALL known tracks but a (popularity fallback), cut at the same limit.
   The test split is never seen by the fit.
"""

from __future__ import annotations

import math
import os
import random
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg

from etl.credits import CreditSplitter
from etl.evaluation import metrics
from etl.evaluation.recommenders import (
    CooccurrenceRecommender,
    MarkovCooccurrenceRecommender,
    MarkovRecommender,
    PopularityRecommender,
    RandomRecommender,
    SameArtistGreatestHitsRecommender,
    TrainView,
)
from etl.evaluation.split import read_mixes
from etl.identity import ArtistResolver, TrackResolver, track_key
from etl.tracklist import EntryParseError, parse_entry
from graphsvc.errors import InvalidValue
from graphsvc.graph.embedded import EmbeddedStore
from graphsvc.pg import fetch_one

__all__ = ["TestResolver", "consecutive_pairs", "run_transitions_eval", "markdown_table", "eval_database",
           "TIE_POLICY", "SERVED_LIMIT", "SERVED"]

TIE_POLICY = "pessimistic"
SERVED = "served"  # the served recommender's name in the report
SERVED_LIMIT = 50  # recommendations asked per query (the deepest HR@k reported)
BASELINES = ("random", "popularity", "cooccurrence", "markov", "markov+cooccurrence", "same-artist-greatest-hits")
RECOMMENDERS = (*BASELINES, SERVED)
BOOTSTRAP_SAMPLES = 1000

Log = Callable[[str], None]


# --- the fresh database ----------------------------------------------------------------------------

@dataclass
class EvalDatabase:
    admin_uri: str
    name: str
    url: str


def _admin_uri() -> str:
    from graphsvc.pg import embedded_server_uri
    from graphsvc.settings import get_settings

    settings = get_settings()
    return settings.database_url or embedded_server_uri(settings.data_dir)


def eval_database() -> EvalDatabase:
    """A new, empty database with a unique name on the configured server."""
    from graphsvc.pg import ensure_database

    admin = _admin_uri()
    name = f"graphsvc_eval_{os.getpid()}_{secrets.token_hex(4)}"
    return EvalDatabase(admin, name, ensure_database(admin, name))


def _build_train(conn: psycopg.Connection, train_path: Path, log: Log) -> dict[str, Any]:
    from etl.gold import build_gold
    from etl.migrate import migrate
    from etl.pipeline import Inputs, Pipeline

    t0 = time.perf_counter()
    migrate(conn)
    Pipeline(conn).run("bronze_only", Inputs(mixesdb=[Path(train_path)]))
    log(f"train bronze in {time.perf_counter() - t0:.1f} s")
    Pipeline(conn).run("silver_only")
    log(f"train silver in {time.perf_counter() - t0:.1f} s")
    build_gold(conn)
    conn.commit()
    log(f"train gold in {time.perf_counter() - t0:.1f} s")
    from etl.ranker import refresh_ranker

    fit = refresh_ranker(conn, log=log)
    conn.commit()
    log(f"train ranker ({fit.status}) in {time.perf_counter() - t0:.1f} s")
    mixes, entries = fetch_one(conn.execute(
        "SELECT (SELECT count(*) FROM silver.dj_set), (SELECT count(*) FROM silver.set_entry)"))
    conn.commit()
    return {"mixes": mixes, "entries": entries, "build_seconds": round(time.perf_counter() - t0, 1)}


# --- test-side resolution ------------------------------------------------------------------------

class TestResolver:
    """Resolves test entries to TRAIN tracks without creating or writing anything."""

    __test__ = False  # not a pytest class

    def __init__(self, conn: psycopg.Connection) -> None:
        from etl.silver import SilverBuilder

        self.artists = ArtistResolver.load(conn)
        self.tracks = TrackResolver.load(conn)
        # the credit splitter is built from the TRAIN bronze corpus exactly as silver builds it
        self.splitter = CreditSplitter.from_corpus(*SilverBuilder(conn, run_id=0).corpus_texts())
        conn.commit()

    def artist(self, name: str) -> int | None:
        """The train artist id of a spelling (the silver rules: alias, normalized key, fuzzy), else None.

        ``ArtistResolver.resolve`` mints an in-memory id for a new name; such a name is not a train artist,
        so None is returned. Minted rows are drained and dropped: nothing reaches the database.
        """
        known_before = len(self.artists.by_key)
        found = self.artists.resolve(name, record_id=0)
        new_artists, _ = self.artists.drain()
        if new_artists or len(self.artists.by_key) != known_before:
            return None
        return found

    def entry(self, raw: Any, youtube_id: Any) -> tuple[str, int | None]:
        """(status, train track id): status 'known', 'unknown' (identified, not in train), 'gap' or 'reject'."""
        if not isinstance(raw, str) or not raw.strip():
            return "reject", None
        try:
            p = parse_entry(raw, self.splitter)
        except EntryParseError:
            return "reject", None
        if p.is_gap:
            return "gap", None
        primaries = [c for c in p.credits if c.role == "primary"]
        if not primaries or not p.title:
            return "reject", None
        idents = [("youtube", youtube_id)] if isinstance(youtube_id, str) and youtube_id else []
        ids = []
        for c in primaries:
            a = self.artist(c.name)
            if a is None:
                break
            ids.append(a)
        key = track_key(ids, p.title, p.version) if len(ids) == len(primaries) else "\x00no-key"
        found = self.tracks.find(key, idents)
        return ("known", found) if found is not None else ("unknown", None)

    def mix(self, mix: Any) -> list[tuple[str, int | None]]:
        tracklist = mix.get("tracklist") if isinstance(mix, dict) else None
        if not isinstance(tracklist, list):
            return []
        return [self.entry(item.get("title"), item.get("id")) if isinstance(item, dict) else ("reject", None)
                for item in tracklist]


def consecutive_pairs(resolved: list[tuple[str, int | None]]) -> tuple[list[tuple[int, int]], dict[str, int]]:
    """Pairs (a, b) of adjacent identified entries with both known; counts of every kind of adjacent pair."""
    counts = {"adjacent": 0, "identified": 0, "self": 0, "known": 0}
    pairs = []
    for (s1, t1), (s2, t2) in pairwise(resolved):
        counts["adjacent"] += 1
        if s1 not in ("known", "unknown") or s2 not in ("known", "unknown"):
            continue
        if s1 == s2 == "known" and t1 == t2:
            counts["self"] += 1
            continue
        counts["identified"] += 1
        if s1 == s2 == "known":
            counts["known"] += 1
            if t1 is not None and t2 is not None:  # always: a known entry names its track
                pairs.append((t1, t2))
    return pairs, counts


# --- evaluation ----------------------------------------------------------------------------------

def _by_source(pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for a, b in pairs:
        out[a].append(b)
    return out


def evaluate(view: TrainView, pairs: list[tuple[int, int]], recommender: Any, *, seed: int = 0,
             policy: str = TIE_POLICY, limit: int = SERVED_LIMIT) -> list[float]:
    """The rank of every pair's target (pairs in the given order) under a baseline, among all known tracks;
    a rank beyond ``limit`` is a miss (``math.inf``)."""
    if isinstance(recommender, RandomRecommender):
        n_candidates = view.known - 1
        drawn = [recommender.draw_rank(n_candidates) for _ in pairs]
        return [r if r <= limit else math.inf for r in drawn]
    plays = view.plays
    sorted_pops = sorted(plays.values())
    ranks: dict[tuple[int, int], float] = {}
    for a, targets in _by_source(pairs).items():
        scores = recommender.scores(a)
        for b in set(targets):
            r = metrics.rank_target(b, scores, plays, sorted_pops, exclude=(a,), policy=policy)
            ranks[a, b] = r if r <= limit else math.inf
    return [ranks[p] for p in pairs]


def evaluate_served(store: EmbeddedStore, ranker: Any, pairs: list[tuple[int, int]],
                    limit: int = SERVED_LIMIT) -> list[float]:
    """The target's position in what the API answers (its defaults, ``limit``), ``math.inf`` when absent."""
    from graphsvc.recommend.service import rank_ids

    ranks = []
    cache: dict[int, dict[int, int]] = {}
    for a, b in pairs:
        got = cache.get(a)
        if got is None:
            got = cache[a] = {c: i for i, c in enumerate(rank_ids(store, ranker, a, limit=limit), start=1)}
        ranks.append(float(got.get(b, math.inf)))
    return ranks


def run_transitions_eval(train_path: Path, test_path: Path, *, k: int = 10, seed: int = 0,
                         log: Log = lambda _m: None,
                         on_built: Callable[[psycopg.Connection, str], None] | None = None) -> dict[str, Any]:
    """Build train in a fresh database, evaluate the served recommender and the baselines on the test pairs,
    drop the database.

    ``on_built(conn, dbname)`` is called once the train data is built (tests inspect the database there).
    Returns the report (see :func:`markdown_table`); raises InputError for unreadable files.
    """
    from graphsvc.pg import drop_database
    from graphsvc.recommend.model import load_ranker
    from graphsvc.recommend.service import DEFAULTS

    if not 1 <= int(k) <= SERVED_LIMIT:
        raise InvalidValue(f"k must be between 1 and {SERVED_LIMIT}, got {k!r}")
    t0 = time.perf_counter()
    user_log = log
    log = lambda m: user_log(f"[{time.perf_counter() - t0:6.1f} s] {m}")  # noqa: E731
    test_mixes = read_mixes(Path(test_path))  # fail on a bad test file before the long build
    train_mixes = len(read_mixes(Path(train_path)))
    db = eval_database()
    log(f"fresh database {db.name}")
    try:
        with psycopg.connect(db.url) as conn:
            train = _build_train(conn, Path(train_path), log)
            if on_built is not None:
                on_built(conn, db.name)
                conn.commit()
            conn.read_only = True  # from here on nothing can be written to the train data
            store = EmbeddedStore.from_gold(conn)  # the graph and the ranker, loaded as the API loads them
            ranker = load_ranker(conn)
            row = conn.execute("SELECT fitted_on FROM gold.ranker").fetchone()
            fitted_on = row[0] if row else None
            conn.commit()
            resolver = TestResolver(conn)
            pairs: list[tuple[int, int]] = []
            counts = {"adjacent": 0, "identified": 0, "self": 0, "known": 0}
            test_entries = 0
            status_counts: dict[str, int] = defaultdict(int)
            for mix in test_mixes:
                resolved = resolver.mix(mix)
                test_entries += len(resolved)
                for st, _ in resolved:
                    status_counts[st] += 1
                got, c = consecutive_pairs(resolved)
                pairs.extend(got)
                for key, v in c.items():
                    counts[key] += v
            conn.commit()
    finally:
        drop_database(db.admin_uri, db.name)
    log(f"test resolved: {counts['known']} of {counts['identified']} pairs known")
    view = TrainView.from_store(store)
    cooc = CooccurrenceRecommender(view)
    recs: dict[str, Any] = {
        "random": RandomRecommender(seed), "popularity": PopularityRecommender(view), "cooccurrence": cooc,
        "markov": MarkovRecommender(view), "markov+cooccurrence": MarkovCooccurrenceRecommender(view, cooc),
        "same-artist-greatest-hits": SameArtistGreatestHitsRecommender(view),
    }
    hr_ks = tuple(sorted({1, int(k), SERVED_LIMIT}))
    results: dict[str, dict[str, Any]] = {}
    all_ranks = {}
    for name in RECOMMENDERS:
        t1 = time.perf_counter()
        ranks = (evaluate_served(store, ranker, pairs) if name == SERVED
                 else evaluate(view, pairs, recs[name], seed=seed))
        all_ranks[name] = ranks
        results[name] = {m: (round(v, 4) if m != "n" else v) for m, v in metrics.summarize(ranks, hr_ks, k).items()}
        results[name][f"HR@{k} ci95"] = bootstrap_ci([metrics.hit_at(r, k) for r in ranks], seed)
        log(f"{name}: {results[name]} in {time.perf_counter() - t1:.1f} s")
    return {
        "train": {"path": str(train_path), "mixes_in_file": train_mixes, "mixes": train["mixes"],
                  "entries": train["entries"], "known_tracks": view.known, "build_seconds": train["build_seconds"]},
        "test": {"path": str(test_path), "mixes": len(test_mixes), "entries": test_entries,
                 "entries_by_status": dict(sorted(status_counts.items())),
                 "pairs_adjacent": counts["adjacent"], "pairs_identified": counts["identified"],
                 "pairs_self": counts["self"], "pairs_evaluated": counts["known"],
                 "coverage": round(counts["known"] / counts["identified"], 4) if counts["identified"] else 0.0},
        "k": int(k), "seed": seed, "tie_policy": TIE_POLICY, "candidates_per_query": view.known - 1,
        "served": {"limit": SERVED_LIMIT, "defaults": dict(DEFAULTS.__dict__), "ranker": ranker.source,
                   "weights": ranker.weights, "fitted_on": fitted_on},
        "results": results,
        "served_vs_best_baseline": compare_to_best(all_ranks, k, seed),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def bootstrap_ci(hits: list[float], seed: int = 0, samples: int = BOOTSTRAP_SAMPLES) -> list[float] | None:
    """Percentile bootstrap 95% interval of a mean over the queries."""
    n = len(hits)
    if not n:
        return None
    rng = random.Random(seed)
    means = sorted(sum(hits[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    return [round(means[int(0.025 * samples)], 4), round(means[int(0.975 * samples) - 1], 4)]


def compare_to_best(ranks: Mapping[str, list[float]], k: int, seed: int = 0) -> dict[str, Any]:
    """Relative HR@k gain of the served recommender over the best baseline (by HR@k), with a paired
    bootstrap 95% interval over the test pairs (resamples where the baseline scores 0 are counted as gains
    of +inf, i.e. they push the interval up; their number is reported)."""
    hr = {name: [metrics.hit_at(r, k) for r in rs] for name, rs in ranks.items()}
    n = len(hr.get(SERVED, []))
    base = max(BASELINES, key=lambda b: (sum(hr[b]), b == "markov+cooccurrence"))
    g, b = sum(hr[SERVED]), sum(hr[base])
    out: dict[str, Any] = {"best_baseline": base, "metric": f"HR@{k}", "pairs": n, "hits": g, "baseline_hits": b,
                           "ratio": round(g / b, 4) if b else None,
                           "relative_gain": round(g / b - 1, 4) if b else None}
    if not n:
        return out
    rng = random.Random(seed)
    gains, zero = [], 0
    for _ in range(BOOTSTRAP_SAMPLES):
        idx = [rng.randrange(n) for _ in range(n)]
        gb, bb = sum(hr[SERVED][i] for i in idx), sum(hr[base][i] for i in idx)
        if bb:
            gains.append(gb / bb - 1)
        else:
            zero += 1
            gains.append(float("inf") if gb else 0.0)
    gains.sort()
    lo, hi = gains[int(0.025 * len(gains))], gains[int(0.975 * len(gains)) - 1]
    out.update(ci95=[round(lo, 4), None if hi == float("inf") else round(hi, 4)], resamples=BOOTSTRAP_SAMPLES,
               resamples_baseline_zero=zero)
    return out


def markdown_table(report: Mapping[str, Any]) -> str:
    """The results as a markdown table (one row per recommender) with the dataset sizes above it."""
    k = report["k"]
    cols = [c for c in next(iter(report["results"].values())) if c != "n" and not c.endswith("ci95")]
    ci_col = f"HR@{k} ci95"
    tr, te = report["train"], report["test"]
    lines = [
        f"train: {tr['mixes']} mixes, {tr['entries']} entries, {tr['known_tracks']} known tracks; "
        f"test: {te['mixes']} mixes, {te['entries']} entries, {te['pairs_evaluated']} of "
        f"{te['pairs_identified']} identified consecutive pairs evaluated (coverage {te['coverage']:.1%}); "
        f"served: the API's defaults, limit {report['served']['limit']}, ranker {report['served']['ranker']}; "
        f"baselines rank among {report['candidates_per_query']} candidates, ties {report['tie_policy']}, k={k}",
        "",
        "| recommender | " + " | ".join(cols) + f" | {ci_col} |",
        "|---|" + "---:|" * len(cols) + "---|",
    ]
    for name, m in report["results"].items():
        ci = m.get(ci_col)
        lines.append(f"| {name} | " + " | ".join(f"{m[c]:.4f}" for c in cols)
                     + (f" | {ci[0]:.4f} - {ci[1]:.4f} |" if ci else " | |"))
    cmp_ = report.get("served_vs_best_baseline") or {}
    if cmp_.get("relative_gain") is not None:
        ci = cmp_.get("ci95")
        lines += ["", f"served vs best baseline ({cmp_['best_baseline']}) on {cmp_['metric']}: "
                      f"{cmp_['hits']:g} vs {cmp_['baseline_hits']:g} hits, x{cmp_['ratio']:.2f}, "
                      f"{cmp_['relative_gain']:+.1%}"
                      + (f" (paired bootstrap 95% interval {ci[0]:+.1%} .. "
                         f"{'+inf' if ci[1] is None else format(ci[1], '+.1%')})" if ci else "")]
    return "\n".join(lines)
