"""How often does the Beatport key agree with the expert key? (GiantSteps key dataset, 604 EDM previews)

``giantsteps-key/sources.csv``: GLOBAL KEY (expert annotation) vs BEATPORT KEY (what Beatport shows).
Both parse with ``graphsvc.harmonic.parse_key``; Beatport "none"/unparsable is "no key given". Prints:
- agreement among the tracks where Beatport gives a key (the confidence of a Beatport-derived key, used
  in ``etl/enrichment/providers/confidence.py``) and among all tracks with an expert key;
- the confusions when they disagree: relative (same Camelot number, other mode), fifth (adjacent Camelot
  number, same mode), parallel (same tonic, other mode), other;
- a seeded bootstrap 95% interval of the agreement.

Usage: python scripts/giantsteps_agreement.py [SOURCES_CSV] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphsvc import harmonic  # noqa: E402
from graphsvc.errors import InvalidValue  # noqa: E402


def _key(text: str) -> harmonic.Key | None:
    try:
        return harmonic.parse_key(text.strip())
    except InvalidValue:
        return None


def relation(expert: harmonic.Key, beatport: harmonic.Key) -> str:
    if expert == beatport:
        return "same"
    move = harmonic.classify_move(expert, beatport)
    if move is harmonic.Move.RELATIVE:
        return "relative"
    if move is harmonic.Move.ADJACENT:
        return "fifth"
    if expert.pitch_class == beatport.pitch_class:
        return "parallel"
    return "other"


def measure(path: Path, seed: int = 0) -> dict:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        gi, bi = header.index("GLOBAL KEY"), header.index("BEATPORT KEY")  # the header repeats TRACK
        rows = [(r[gi], r[bi]) for r in reader if len(r) > max(gi, bi)]
    expert_known = [(_key(g), _key(b)) for g, b in rows if _key(g) is not None]
    with_bp = [(g, b) for g, b in expert_known if b is not None]
    rel = Counter(relation(g, b) for g, b in with_bp)
    agree = rel["same"] / len(with_bp)
    rng = random.Random(seed)
    same = [relation(g, b) == "same" for g, b in with_bp]
    boots = sorted(sum(same[rng.randrange(len(same))] for _ in same) / len(same) for _ in range(2000))
    return {
        "rows": len(rows), "expert_key": len(expert_known), "beatport_key": len(with_bp),
        "beatport_none": len(expert_known) - len(with_bp),
        "agreement": round(agree, 4), "agreement_ci95": [round(boots[50], 4), round(boots[1949], 4)],
        "agreement_all_rows": round(rel["same"] / len(expert_known), 4),
        "confusions": {k: rel[k] for k in ("same", "relative", "fifth", "parallel", "other")},
        "agreement_or_relative_or_fifth": round((rel["same"] + rel["relative"] + rel["fifth"]) / len(with_bp), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", default=str(ROOT.parent / "shared" / "data" / "giantsteps-key" / "sources.csv"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    m = measure(Path(args.path), args.seed)
    if args.json:
        print(json.dumps(m, indent=2))
        return
    c = m["confusions"]
    print(f"{m['rows']} tracks, {m['expert_key']} with an expert key, {m['beatport_key']} with a Beatport key "
          f"({m['beatport_none']} 'none')")
    print(f"Beatport key == expert key: {m['agreement']:.1%} of tracks with a Beatport key "
          f"(95% CI {m['agreement_ci95'][0]:.1%}-{m['agreement_ci95'][1]:.1%}); {m['agreement_all_rows']:.1%} of all")
    print(f"disagreements: relative {c['relative']}, fifth {c['fifth']}, parallel {c['parallel']}, other {c['other']}"
          f" (same {c['same']})")
    print(f"same, relative or fifth (harmonically 'close'): {m['agreement_or_relative_or_fifth']:.1%}")


if __name__ == "__main__":
    main()
