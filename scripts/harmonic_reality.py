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

``--silver`` measures on the sets in silver instead (the database of ``DATABASE_URL`` / the embedded one):
every MixesDB mix and 1001Tracklists set, with the keys and tempos the waterfall gave their tracks. A
real transition is two consecutive set positions (no gap between) whose tracks both have a key. There
the bootstrap resamples whole SETS (transitions of one mix are not independent), and the tempo step
between consecutive tracks with both BPMs is compared with Kim et al. (ISMIR 2020): 86.1% of tracks are
played within 5% of their tempo, 94.5% within 10%. (Their figure is the change a DJ applied to a track;
the step between two tracks' own tempos is what beatmatching them asks for, an upper bound of it.)

Usage: python scripts/harmonic_reality.py [DATA_DIR] [--seed N] [--json] [--silver]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from itertools import pairwise
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
    return measure_sets(load_sets(folder), seed)


def load_silver_sets(conn) -> tuple[dict[str, list[harmonic.Key | None]], list[tuple[float, float]]]:
    """Silver: set -> keys in played order (None: unknown key or a gap), and (bpm, next bpm) of every pair of
    consecutive tracks with both tempos."""
    rows = conn.execute(
        """SELECT s.set_id, x.position, t.key_pitch_class, t.key_mode, t.bpm::float8 FROM silver.dj_set s
           JOIN (SELECT set_id, position, track_id FROM silver.set_entry
                 UNION ALL SELECT set_id, position, NULL FROM silver.set_gap) x USING (set_id)
           LEFT JOIN silver.track t ON t.track_id = x.track_id
           WHERE s.source IN ('mixesdb', '1001tracklists') ORDER BY s.set_id, x.position""").fetchall()
    conn.commit()
    sets: dict[str, list[harmonic.Key | None]] = {}
    bpms: list[tuple[float, float]] = []
    prev: tuple | None = None
    for set_id, position, pc, mode, bpm in rows:
        key = harmonic.Key(pc, mode) if pc is not None and mode is not None else None
        sets.setdefault(str(set_id), []).append(key)
        if prev is not None and prev[0] == set_id and prev[1] == position - 1 and prev[2] and bpm:
            bpms.append((prev[2], bpm))
        prev = (set_id, position, bpm)
    return sets, bpms


def bpm_steps(pairs: list[tuple[float, float]], seed: int = 0) -> dict:
    """Shares of consecutive tracks whose tempos differ by < 5% and < 10% (also allowing half/double)."""
    def step(a: float, b: float, octave: bool) -> float:
        factors = (1.0, 2.0, 0.5) if octave else (1.0,)
        return min(abs(b * f - a) / a for f in factors) * 100

    rng = random.Random(seed)
    out: dict = {"pairs": len(pairs)}
    for octave in (False, True):
        steps = [step(a, b, octave) for a, b in pairs]
        for cap in (5, 10):
            flags = [s < cap for s in steps]
            share = sum(flags) / len(flags) if flags else float("nan")
            reps = (sorted(sum(rng.choices(flags, k=len(flags))) / len(flags) for _ in range(REPLICATES)) if flags
                    else [])
            ci = [round(reps[int(0.025 * len(reps))], 4), round(reps[int(0.975 * len(reps)) - 1], 4)] if reps else None
            out[f"within_{cap}pct{'_half_double' if octave else ''}"] = {"share": round(share, 4), "ci95": ci}
        steps.sort()
        median = round(steps[len(steps) // 2], 2) if steps else None
        out["median_step_pct" + ("_half_double" if octave else "")] = median
    return out


def measure_sets(sets: dict[str, list[harmonic.Key | None]], seed: int = 0, by_set: bool = False) -> dict:
    real: list[tuple[str, bool]] = []
    rnd_all = rnd_ok = 0
    keyed: dict[str, list[harmonic.Key]] = {}
    per_set = {}
    for name, keys in sets.items():
        pairs = [(a, b) for a, b in pairwise(keys) if a is not None and b is not None]
        real += [(name, compatible(a, b)) for a, b in pairs]
        ks = keyed[name] = [k for k in keys if k is not None]
        n_all = sum(1 for i in range(len(ks)) for j in range(len(ks)) if i != j)
        n_ok = sum(compatible(ks[i], ks[j]) for i in range(len(ks)) for j in range(len(ks)) if i != j)
        rnd_all += n_all
        rnd_ok += n_ok
        per_set[name] = {"rows": len(keys), "keyed": len(ks), "transitions": len(pairs),
                         "real_share": (round(sum(compatible(a, b) for a, b in pairs) / len(pairs), 4) if pairs
                                        else None),
                         "random_share": round(n_ok / n_all, 4) if n_all else None}
    if not real:
        raise SystemExit("no keyed consecutive tracks")
    rng = random.Random(seed)
    real_s, rand_s, diff_s = [], [], []
    by_name: dict[str, list[tuple[str, bool]]] = {}
    for item in real:
        by_name.setdefault(item[0], []).append(item)
    names = sorted(by_name)
    for _ in range(REPLICATES):
        if by_set:  # resample whole sets: a mix's transitions are not independent
            sample = [item for n in rng.choices(names, k=len(names)) for item in by_name[n]]
        else:
            sample = [real[rng.randrange(len(real))] for _ in real]
        r = sum(ok for _, ok in sample) / len(sample)
        hits = 0
        for name, _ in sample:
            ks = keyed[name]
            if len(ks) < 2:
                continue
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
        "strictness": STRICTNESS, "sets": len(by_name), "transitions": len(real),
        "bootstrap": "sets" if by_set else "transitions",
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
    ap.add_argument("--silver", action="store_true", help="measure on the sets in silver (see the docstring)")
    args = ap.parse_args()
    if args.silver:
        import psycopg

        from graphsvc.pg import database_url

        with psycopg.connect(database_url()) as conn:
            sets, bpms = load_silver_sets(conn)
        m = measure_sets(sets, args.seed, by_set=True)
        m["per_set"] = {}
        m["bpm"] = bpm_steps(bpms, args.seed)
    else:
        m = measure(Path(args.data_dir), args.seed)
    if args.json:
        print(json.dumps(m, indent=2))
        return
    what = "keys known" if "bpm" in m else "Spotify keys"
    print(f"{m['transitions']} real transitions with both {what} in {m['sets']} sets ({STRICTNESS} strictness)")
    print(f"real transitions Camelot-compatible: {m['real_share']:.1%} "
          f"(95% CI {m['real_ci95'][0]:.1%}-{m['real_ci95'][1]:.1%})")
    print(f"random same-set pairs compatible:    {m['random_share']:.1%} "
          f"(95% CI {m['random_ci95'][0]:.1%}-{m['random_ci95'][1]:.1%})")
    print(f"difference: {m['difference']:+.1%} "
          f"(95% CI {m['difference_ci95'][0]:+.1%} .. {m['difference_ci95'][1]:+.1%})")
    for name, s in m["per_set"].items():
        print(f"  {name}: {s}")
    if "bpm" in m:
        print(f"tempo steps between consecutive tracks: {json.dumps(m['bpm'])}")


if __name__ == "__main__":
    main()
