"""Next-track quality measured through the PUBLIC API only, as an outside evaluator would run it on mixes
the project never saw: every tracklist entry is resolved with the search route, and each consecutive pair
of resolved entries asks the recommendations route with its default parameters and ``limit=50``.

    .venv/bin/python scripts/eval_api.py --url http://127.0.0.1:8000 --test mixes.json.gz [--max-mixes N]

Resolution: ``GET /v1/tracks?q=<artists title>`` and the first hit whose match is ``exact``; entries
without one are unknown. Prints the number of pairs and HR@1/10/50 and MRR (a miss beyond 50 counts 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import pairwise
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.evaluation.split import read_mixes  # noqa: E402
from etl.tracklist import EntryParseError, parse_entry  # noqa: E402

LIMIT = 50


def resolve(client: httpx.Client, raw: str, cache: dict[str, str | None]) -> str | None:
    try:
        p = parse_entry(raw)
    except EntryParseError:
        return None
    if p.is_gap or not p.title:
        return None
    artists = " ".join(c.name for c in p.credits if c.role == "primary")
    q = f"{artists} {p.title}".strip()[:200]
    if q in cache:
        return cache[q]
    r = client.get("/v1/tracks", params={"q": q, "limit": 5})
    hit = None
    if r.status_code == 200:
        hit = next((str(t["id"]) for t in r.json()["results"] if t.get("match") == "exact"), None)
    cache[q] = hit
    return hit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--test", type=Path, required=True)
    ap.add_argument("--max-mixes", type=int, default=None)
    args = ap.parse_args()
    mixes = read_mixes(args.test)[: args.max_mixes]
    cache: dict[str, str | None] = {}
    recs: dict[str, list[str]] = {}
    ranks: list[float] = []
    with httpx.Client(base_url=args.url, timeout=30) as client:
        for mix in mixes:
            ids = [resolve(client, e.get("title") or "", cache) if isinstance(e, dict) else None
                   for e in mix.get("tracklist") or []]
            for a, b in pairwise(ids):
                if a is None or b is None or a == b:
                    continue
                if a not in recs:
                    r = client.get(f"/v1/tracks/{a}/recommendations", params={"limit": LIMIT})
                    r.raise_for_status()
                    recs[a] = [str(x["track"]["id"]) for x in r.json()["recommendations"]]
                got = recs[a]
                ranks.append(float(got.index(b) + 1) if b in got else float("inf"))
    n = len(ranks)
    out = {"mixes": len(mixes), "pairs": n, "resolved_entries": sum(v is not None for v in cache.values())}
    if n:
        out.update({f"HR@{k}": round(sum(r <= k for r in ranks) / n, 4) for k in (1, 10, 50)})
        out["MRR"] = round(sum(1 / r for r in ranks) / n, 4)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
