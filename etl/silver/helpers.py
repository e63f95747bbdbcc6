"""Small helpers the silver sources share."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from etl.tracklist import Credit, ParsedEntry


def dumps_json(obj: Any) -> str:
    """A jsonb value for COPY text (the server parses it)."""
    return json.dumps(obj, ensure_ascii=False, default=str)


def artists_display(credits: tuple[Credit, ...]) -> str:
    if len(credits) == 1 and credits[0].role == "primary":  # the common case
        return credits[0].name
    primary = [c.name for c in credits if c.role == "primary"]
    featured = [c.name for c in credits if c.role == "featured"]
    text = " & ".join(primary)
    if featured:
        text += " feat. " + " & ".join(featured)
    return text


def with_credits(p: ParsedEntry, credits: tuple[Credit, ...]) -> ParsedEntry:
    return replace(p, credits=credits)


def int_or(value: Any, default: Any) -> Any:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def float_or(value: Any) -> float | None:
    try:
        f = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None
