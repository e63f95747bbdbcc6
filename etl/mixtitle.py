"""Parse a MixesDB mix title: ``DATE - DJ[, DJ] @ Venue[, City] (extra)`` or ``DATE - DJ - Show 123``.

Examples and the decisions taken:

* ``1988-06 - Paul Oakenfold @ Spectrum, London (Test Pressing 354, 2014-06-13)``: month precision (date is
  the 1st), venue ``Spectrum`` (the part before the first comma), show ``Test Pressing`` (a parenthesised
  extra that matches a tag).
* ``1993-08-13 - Paul Oakenfold @ Universe - Big Love, Lower Pertwood Farm, Wiltshire``: the first place
  part holds ``" - "`` so it names an event; the next part is the venue.
* ``2016-08-06 - Daniel Avery @ Boiler Room - Dekmantel Festival Day 2, Amsterdam``: the left side of
  ``" - "`` is a show tag, so show ``Boiler Room`` and event ``Dekmantel Festival Day 2``.
* ``2016-12-02 - Nina Kraviz - Essential Mix`` (no ``@``): what follows the DJs is a show; the matching tag
  gives its canonical name, otherwise the text without a trailing episode number or ``, Station``.
* DJs are split at ``", "``, ``b2b``, ``vs``; an ``&`` splits only when both sides are tags (``Handy & Kred``)
  and never when the whole is a tag (``Above & Beyond``); without tags ``&`` splits only between two
  multi-word names.
* Year-only dates are Jan 1 with precision ``year``; month-only the 1st with ``month``; ``2011-0X`` -> year;
  ``2016-06-1X`` -> month; ``200X`` -> no date (the prefix is still removed).

``tags`` are MixesDB category names (``"Category:Essential Mix"`` or ``"Essential Mix"``; dicts with a
``key`` are accepted too since that is how the raw file stores them).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphsvc.names import display_name, name_key

__all__ = ["MixInfo", "parse_mix_title"]


@dataclass(frozen=True)
class MixInfo:
    date: datetime.date | None
    date_precision: str | None  # 'day' | 'month' | 'year'
    djs: tuple[str, ...]
    dj_display: str | None
    venue: str | None
    event: str | None
    show: str | None


_DATE = re.compile(r"^\s*(\d{3}[\dxX?])(?:-(\d\d|\d?[xX?]+))?(?:-(\d\d|\d?[xX?]+))?\s+-\s+")
_DJ_SEP = re.compile(r"\s*,\s*|\s+(?:b2b|b3b|vs\.?|versus)\s+", re.IGNORECASE)
_AMP = re.compile(r"\s+(?:&|and)\s+")
_TRAILING_PAREN = re.compile(r"\s*\(([^()]*)\)\s*$")
_EPISODE_TAIL = re.compile(r"\s*(?:#|Episode\s+|Ep\.?\s*|Vol\.?\s*|Part\s+)?\d+[\w.-]*\s*$", re.IGNORECASE)
_EVENT_WORDS = re.compile(
    r"(?i)\b(?:tour|festival|fest|party|weekender|open air|showcase|anniversary|night|day \d|stage|presents|"
    r"closing|opening|nye|new year)\b"
)
_TAG_DISAMBIG = re.compile(r"\s*\([^()]*\)\s*$")


def _tag_names(tags: Sequence[Any]) -> list[str]:
    out = []
    for t in tags:
        name = t.get("key", "") if isinstance(t, dict) else str(t)
        if name.startswith("Category:"):
            name = name[len("Category:") :]
        name = _TAG_DISAMBIG.sub("", name).strip()
        if name:
            out.append(name)
    return out


def _parse_date(m: re.Match[str]) -> tuple[datetime.date | None, str | None]:
    if not m.group(1).isdigit():  # "200X": a decade is not a date
        return None, None
    year = int(m.group(1))
    month, day = m.group(2), m.group(3)
    try:
        if month and month.isdigit():
            if day and day.isdigit():
                return datetime.date(year, int(month), int(day)), "day"
            return datetime.date(year, int(month), 1), "month"
        return datetime.date(year, 1, 1), "year"
    except ValueError:  # "2011-13-40": keep what is valid
        try:
            return datetime.date(year, 1, 1), "year"
        except ValueError:
            return None, None


_ANY_PAREN = re.compile(r"\s*\([^()]*\)")


def _split_djs(text: str, tag_keys: set[str]) -> list[str]:
    djs: list[str] = []
    # "Paula Temple (Movement Festival, Detroit)": a note in parentheses may hold the separators themselves
    text = _ANY_PAREN.sub("", text) or text
    for piece in _DJ_SEP.split(text):
        # "Carl Cox (UMF)", "Sasha (Pacha)": the place or event in parentheses is no part of the DJ's name
        piece = display_name(_TRAILING_PAREN.sub("", piece) or piece)
        if not piece:
            continue
        halves = _AMP.split(piece)
        if len(halves) > 1 and name_key(piece) not in tag_keys and (
            all(name_key(h) in tag_keys for h in halves)
            or (not tag_keys & {name_key(piece)} and all(" " in h.strip() for h in halves))
        ):
            djs.extend(display_name(h) for h in halves)
            continue
        djs.append(piece)
    return djs


def _match_tag(text: str, tags: list[str]) -> str | None:
    """The longest tag that ``text`` starts with (compared on name keys, on word boundaries)."""
    key = name_key(text)
    best = None
    for tag in tags:
        tk = name_key(tag)
        if tk and (key == tk or key.startswith(tk + " ")) and (best is None or len(tk) > len(name_key(best))):
            best = tag
    return best


def parse_mix_title(title: str, tags: Sequence[Any] = ()) -> MixInfo:
    """Parse a mix title (see module docstring); never raises, unknown parts are None."""
    text = display_name(title or "")
    tag_list = _tag_names(tags)
    tag_keys = {name_key(t) for t in tag_list}

    date = precision = None
    m = _DATE.match(text)
    if m:
        date, precision = _parse_date(m)
        text = text[m.end() :]

    venue = event = show = None
    if " @ " in text:
        dj_part, place = text.split(" @ ", 1)
        extras: list[str] = []
        while (pm := _TRAILING_PAREN.search(place)) and pm.start() > 0:
            extras.insert(0, pm.group(1))
            place = place[: pm.start()]
        for extra in extras:
            for piece in extra.split(","):
                hit = _match_tag(piece.strip(), tag_list)
                if hit and name_key(hit) not in {name_key(d) for d in _DJ_SEP.split(dj_part)}:
                    show = show or hit
        parts = [p.strip() for p in place.split(", ") if p.strip()]
        first = parts[0] if parts else ""
        if " - " in first:
            left, right = (s.strip() for s in first.split(" - ", 1))
            if _match_tag(left, tag_list) and name_key(_match_tag(left, tag_list) or "") == name_key(left):
                show, event = left, right
            else:
                event = first
        elif _EVENT_WORDS.search(first):
            event = first
        else:
            venue = first or None
        if event and venue is None and len(parts) >= 3:
            venue = parts[1]
    elif " - " in text:
        dj_part, show_part = text.split(" - ", 1)
        hit = _match_tag(show_part, tag_list)
        if hit:
            show = hit
        else:
            s = show_part.split(", ")[0]
            s = _TRAILING_PAREN.sub("", s)
            s = _EPISODE_TAIL.sub("", s).strip()
            show = s or None
    else:
        dj_part = text

    djs = tuple(_split_djs(dj_part, tag_keys))
    return MixInfo(
        date=date,
        date_precision=precision,
        djs=djs,
        dj_display=display_name(dj_part) or None,
        venue=venue,
        event=event,
        show=show,
    )
