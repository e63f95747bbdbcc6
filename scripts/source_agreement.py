"""Measure how independent sources agree on key and tempo, and the confidences that follows from it.

Run it on a database where the shared data is loaded (the MixesDB file, both Spotify tables, the
GiantSteps keys, Beatport 2021 and the DJ libraries), e.g. after

    etl run --mode complete --mixesdb ... --features ... --rekordbox ... --traktor ... --mixxx ... --virtualdj ...

It prints (markdown) the agreement per pair of kinds of source, the consistency of the tables of one
upstream, the accuracy of each kind (triangulated, with bootstrap 95% intervals), the match factors, and
how well "Artist - Title" read from a file name reproduces the tags. ``--json OUT`` writes everything.
The figures go into docs/evaluation.md and migration 016 (enrichment.source_confidence).

Usage: python scripts/source_agreement.py [--seed 0] [--bootstrap 500] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from etl.credits import CreditSplitter  # noqa: E402
from etl.evaluation.agreement import library_name_accuracy, measure  # noqa: E402
from etl.migrate import migrate  # noqa: E402
from etl.tracklist import parse_entry  # noqa: E402
from graphsvc.pg import database_url  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bootstrap", type=int, default=500)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with psycopg.connect(database_url()) as conn:
        migrate(conn)
        report = measure(conn, seed=args.seed, bootstrap=args.bootstrap)
        splitter = CreditSplitter.from_corpus(())
        names = library_name_accuracy(conn, lambda raw: parse_entry(raw, splitter))
    print("## Agreement per pair of kinds (recordings both observed)\n")
    print("| kinds | key exact | key compatible | bpm within 2% | bpm within 2%, half/double allowed |")
    print("|---|---:|---:|---:|---:|")
    combos = sorted({(p.a, p.b) for p in report.pairs})
    for a, b in combos:
        cells = []
        for m in ("key", "key_compatible", "bpm", "bpm_octave"):
            p = report.pair(a, b, m)
            cells.append(f"{p.rate:.1%} (n={p.n})" if p and p.n else "")
        print(f"| {a} / {b} | " + " | ".join(cells) + " |")
    print("\n## Consistency inside one upstream (not evidence of accuracy)\n")
    for p in report.consistency:
        print(f"- {p.a} vs {p.b}, {p.measure}: {p.rate:.1%} of {p.n}")
    print("\n## Accuracy per kind of source\n")
    print("| kind | field | estimate | 95% interval | weight / pairs | basis |")
    print("|---|---|---:|---|---:|---|")
    for a in report.accuracy:
        print(f"| {a.kind} | {a.field} | {a.estimate:.3f} | {a.ci_low:.3f} - {a.ci_high:.3f} | {a.pairs} | {a.basis} |")
    print("\n## Match strategies\n")
    for a in report.matches:
        print(f"- {a.field}: factor {a.estimate:.3f} ({a.ci_low:.3f} - {a.ci_high:.3f}); {a.basis}")
    print("\n## Artist - Title from the file name, on library tracks that have an Artist tag\n")
    for source, n, ok in names:
        print(f"- {source}: {ok} of {n} file names read as their tags ({ok / n:.1%})" if n else f"- {source}: none")
    if args.json:
        args.json.write_text(json.dumps({
            "pairs": [{"a": p.a, "b": p.b, "measure": p.measure, "n": p.n, "rate": p.rate} for p in report.pairs],
            "consistency": [{"a": p.a, "b": p.b, "measure": p.measure, "n": p.n, "rate": p.rate}
                            for p in report.consistency],
            "accuracy": [asdict(a) for a in report.accuracy],
            "matches": [asdict(a) for a in report.matches],
            "file_names": [{"source": s, "read": n, "as_tags": ok} for s, n, ok in names],
        }, indent=2))


if __name__ == "__main__":
    main()
