"""Harmonic reality check: are real DJ transitions Camelot-compatible more often than chance?

Data: the 1001Tracklists sets with Spotify audio features (``../shared/data/1001tracklists/*.csv``): Spotify
``key`` is a pitch class 0-11 (-1 unknown), ``mode`` 1 major / 0 minor. The played order is the numbered
rows sorted by ``track_number``; mashup component rows (a ``mashup_name``, no number) and "w/" rows (played
together with the previous track) are not part of it. A real transition is two consecutive numbered rows
(n, n+1) whose keys are both known. A random pair is two distinct keyed rows of the same set.

Compatible = ``graphsvc.harmonic.classify_move`` is in the 'normal' strictness (same key, adjacent, relative,
diagonal). Prints the share for real transitions and for random same-set pairs (the exact mean over every
ordered pair, and per bootstrap replicate one random same-set partner per resampled transition), with
seeded bootstrap 95% intervals (2,000 replicates over transitions).

Usage: python scripts/harmonic_reality.py [DATA_DIR] [--seed N] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphsvc import harmonic  # noqa: E402
from graphsvc.errors import InvalidValue  # noqa: E402

STRICTNESS = "normal"
REPLICATES = 2000


def _key(row: dict) -> harmonic.Key | None:
    try:
        return harmonic.Key.from_spotify(float(row.get("key") or "nan"), float(row.get("mode") or "nan"))
    except (InvalidValue, ValueError):
        return None


def load_sets(folder: Path) -> dict[str, list[harmonic.Key | None]]:
    """Set name -> keys of its numbered rows in played order (None where the key is unknown)."""
    sets = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        numbered = []
        for r in rows:
            num = (r.get("track_number") or "").strip()
            if (r.get("mashup_name") or "").strip() or not num.isdigit():
                continue  # mashup component or "w/" row
            numbered.append((int(num), _key(r)))
        numbered.sort(key=lambda p: p[0])
        sets[path.stem] = [k for _, k in numbered]
    return sets


def compatible(a: harmonic.Key, b: harmonic.Key) -> bool:
    return harmonic.classify_move(a, b) in harmonic.STRICTNESS[STRICTNESS]


def measure(folder: Path, seed: int = 0) -> dict:
    sets = load_sets(folder)
    real: list[tuple[str, bool]] = []
    rnd_all = rnd_ok = 0
    keyed: dict[str, list[harmonic.Key]] = {}
    per_set = {}
    for name, keys in sets.items():
        pairs = [(a, b) for a, b in zip(keys, keys[1:]) if a is not None and b is not None]
        real += [(name, compatible(a, b)) for a, b in pairs]
        ks = keyed[name] = [k for k in keys if k is not None]
        n_all = sum(1 for i in range(len(ks)) for j in range(len(ks)) if i != j)
        n_ok = sum(compatible(ks[i], ks[j]) for i in range(len(ks)) for j in range(len(ks)) if i != j)
        rnd_all += n_all
        rnd_ok += n_ok
        per_set[name] = {"rows": len(keys), "keyed": len(ks), "transitions": len(pairs),
                         "real_share": round(sum(compatible(a, b) for a, b in pairs) / len(pairs), 4) if pairs else None,
                         "random_share": round(n_ok / n_all, 4) if n_all else None}
    if not real:
        raise SystemExit(f"no keyed consecutive rows in {folder}")
    rng = random.Random(seed)
    real_s, rand_s, diff_s = [], [], []
    for _ in range(REPLICATES):
        sample = [real[rng.randrange(len(real))] for _ in real]
        r = sum(ok for _, ok in sample) / len(sample)
        hits = 0
        for name, _ in sample:
            ks = keyed[name]
            i, j = rng.sample(range(len(ks)), 2)
            hits += compatible(ks[i], ks[j])
        q = hits / len(sample)
        real_s.append(r)
        rand_s.append(q)
        diff_s.append(r - q)

    def ci(xs: list[float]) -> list[float]:
        xs = sorted(xs)
        return [round(xs[int(0.025 * len(xs))], 4), round(xs[int(0.975 * len(xs)) - 1], 4)]

    real_share = sum(ok for _, ok in real) / len(real)
    return {
        "strictness": STRICTNESS, "sets": len(sets), "transitions": len(real),
        "real_share": round(real_share, 4), "real_ci95": ci(real_s),
        "random_share": round(rnd_ok / rnd_all, 4), "random_ci95": ci(rand_s),
        "difference": round(real_share - rnd_ok / rnd_all, 4), "difference_ci95": ci(diff_s),
        "replicates": REPLICATES, "seed": seed, "per_set": per_set,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir", nargs="?", default=str(ROOT.parent / "shared" / "data" / "1001tracklists"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    m = measure(Path(args.data_dir), args.seed)
    if args.json:
        print(json.dumps(m, indent=2))
        return
    print(f"{m['transitions']} real transitions with both Spotify keys in {m['sets']} sets ({STRICTNESS} strictness)")
    print(f"real transitions Camelot-compatible: {m['real_share']:.1%} (95% CI {m['real_ci95'][0]:.1%}-{m['real_ci95'][1]:.1%})")
    print(f"random same-set pairs compatible:    {m['random_share']:.1%} (95% CI {m['random_ci95'][0]:.1%}-{m['random_ci95'][1]:.1%})")
    print(f"difference: {m['difference']:+.1%} (95% CI {m['difference_ci95'][0]:+.1%} .. {m['difference_ci95'][1]:+.1%})")
    for name, s in m["per_set"].items():
        print(f"  {name}: {s}")


if __name__ == "__main__":
    main()
