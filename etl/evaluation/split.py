"""Temporal split of a MixesDB (DJ Mix Dataset) file by the date that starts each mix title.

A title starts with its date: ``2016-08-06 - Daniel Avery @ ...``, ``2011-0X - ...``, ``200X - ...``. The
year is read from the first four characters; a trailing ``X`` is a decade (``200X`` = 2000-2009). A mix goes
to *train* when its latest possible year is <= ``train_until``, to *test* when its earliest possible year is
> ``train_until`` (and <= ``test_until`` when given); anything else (no date, ``201X`` straddling the cut) is
left out and counted, never guessed.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphsvc.errors import InputError

__all__ = ["year_range", "SplitStats", "split_mixes", "read_mixes", "write_mixes", "write_split"]

_YEAR = re.compile(r"^\s*(\d{3})([\dX])")


def year_range(title: Any) -> tuple[int, int] | None:
    """(earliest, latest) possible year of a mix from its title, or None when it carries no date."""
    if not isinstance(title, str):
        return None
    m = _YEAR.match(title)
    if not m:
        return None
    if m.group(2) == "X":
        decade = int(m.group(1)) * 10
        return decade, decade + 9
    year = int(m.group(1) + m.group(2))
    return year, year


@dataclass
class SplitStats:
    train: int = 0
    test: int = 0
    skipped: int = 0
    skipped_titles: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"train": self.train, "test": self.test, "skipped": self.skipped,
                "skipped_titles": self.skipped_titles[:20]}


def split_mixes(mixes: list[dict], train_until: int, test_until: int | None = None
                ) -> tuple[list[dict], list[dict], SplitStats]:
    """Partition mixes (input order kept) into train and test by year; see the module docstring."""
    train: list[dict] = []
    test: list[dict] = []
    stats = SplitStats()
    for mix in mixes:
        years = year_range(mix.get("title") if isinstance(mix, dict) else None)
        if years is not None and years[1] <= train_until:
            train.append(mix)
        elif years is not None and years[0] > train_until and (test_until is None or years[1] <= test_until):
            test.append(mix)
        else:
            stats.skipped += 1
            stats.skipped_titles.append(str(mix.get("title") if isinstance(mix, dict) else mix)[:80])
    stats.train, stats.test = len(train), len(test)
    return train, test, stats


def read_mixes(path: Path) -> list[dict]:
    """A MixesDB JSON array (.json or .json.gz) as a list of mix dicts."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (OSError, EOFError, ValueError) as e:
        raise InputError(f"{path} is not a readable MixesDB JSON(.gz) file: {e}") from None
    if not isinstance(data, list):
        raise InputError(f"{path} must hold a JSON array of mixes, found {type(data).__name__}")
    return data


def write_mixes(path: Path, mixes: list[dict]) -> None:
    """Write mixes as a JSON array; gzipped when the name ends with .gz (mtime 0: same bytes every time)."""
    path = Path(path)
    data = json.dumps(mixes, ensure_ascii=False).encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_split(input_path: Path, train_until: int, train_out: Path, test_out: Path, *,
                test_until: int | None = None, max_train: int | None = None,
                max_test: int | None = None) -> SplitStats:
    """Split ``input_path`` and write both halves. ``max_train`` keeps the latest train mixes (those nearest
    the cut) and ``max_test`` the earliest test mixes, ordered by (title, id): small but adjacent samples."""
    train, test, stats = split_mixes(read_mixes(input_path), train_until, test_until)
    order = lambda m: (str(m.get("title")), str(m.get("id")))  # noqa: E731
    if max_train is not None:
        train = sorted(train, key=order)[-max_train:] if max_train > 0 else []
    if max_test is not None:
        test = sorted(test, key=order)[:max_test]
    stats.train, stats.test = len(train), len(test)
    write_mixes(train_out, train)
    write_mixes(test_out, test)
    return stats
