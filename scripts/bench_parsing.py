"""Benchmark: parsing speed of keys and tracklist entries on the real MixesDB corpus. Prints figures."""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import time
import timeit
from pathlib import Path

from etl.credits import CreditSplitter
from etl.tracklist import EntryParseError, parse_entry
from graphsvc.harmonic import parse_key

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "mixesdb" / "djmix-mixes-upto-2018.json.gz"
_ARTIST_TITLE = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(.+?)\s+-\s+(.*)$")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    inputs = ["8A", "Am", "A minor", "F#m", "1m", "Eb minor", "11B", "Db", "C major", "Bbm"] * 100
    best = min(timeit.repeat(lambda: [parse_key(t) for t in inputs], number=10, repeat=5))
    print(f"load {os.getloadavg()[0]:.2f}; parse_key: {best / (10 * len(inputs)) * 1e6:.2f} us per call")

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        titles = [t["title"] for m in json.load(fh) for t in m["tracklist"]]
    pairs = [m.groups() for m in map(_ARTIST_TITLE.match, titles) if m]
    t0 = time.process_time()
    splitter = CreditSplitter.from_corpus([a for a, _ in pairs], [t for _, t in pairs])
    t1 = time.process_time()
    errors = 0
    for raw in titles:
        try:
            parse_entry(raw, splitter)
        except EntryParseError:
            errors += 1
    t2 = time.process_time()
    print(f"CreditSplitter.from_corpus over {len(pairs)} credits: {t1 - t0:.2f} s CPU")
    print(f"parse_entry: {len(titles)} entries in {t2 - t1:.2f} s CPU = {len(titles) / (t2 - t1):,.0f}/s, "
          f"{errors} rejected")


if __name__ == "__main__":
    main()
