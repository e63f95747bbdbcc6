"""Name normalization used for identity everywhere (artists, titles, versions).

Keys are for *matching*, never for display. The rules, in order:

1. transliterate to ASCII with anyascii (``Röyksopp`` -> ``Royksopp``, ``Âme`` -> ``Ame``) and case fold;
2. ``&`` and ``+`` become the word ``and`` (``Above & Beyond`` == ``Above and Beyond``);
3. apostrophes and dots are *deleted* so that abbreviations and contractions stay one token
   (``D.R.N.D.Y`` -> ``drndy``, ``O'Neil`` -> ``oneil``, ``Lovin'`` -> ``lovin``);
4. every other non-alphanumeric character becomes a space (``D:Ream`` and ``D-Ream`` -> ``d ream``,
   ``Instra:Mental`` -> ``instra mental``); whitespace collapses;
5. names only: a leading ``the`` is dropped (``The Chemical Brothers`` == ``Chemical Brothers``).
   Titles keep it: ``The Ending`` and ``Ending`` may be different records.

All functions are pure and cached, so repeated names (the common case in tracklists) cost one dict lookup.
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

__all__ = ["display_name", "name_key", "title_key", "track_search_keys", "version_key"]

_AMP = re.compile(r"[&+]")
_DELETE = re.compile(r"['`´’‘.]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_THE = re.compile(r"^the ")
# version words that carry no identity of their own: "Original Mix" is the same record as no version
_TRIVIAL_VERSIONS = frozenset({"", "original", "original mix", "original version", "album version", "main mix"})


_DELETE_TABLE = {ord(c): None for c in "'`´’‘."}  # the characters of _DELETE, for str.translate


def _base_key(text: str) -> str:
    s = (text if text.isascii() else anyascii(text)).lower()
    if "&" in s or "+" in s:
        s = _AMP.sub(" and ", s)
    s = s.translate(_DELETE_TABLE)  # == _DELETE.sub("", s), one C pass
    s = _NON_ALNUM.sub(" ", s)
    return s.strip()


@lru_cache(maxsize=262_144)
def name_key(name: str) -> str:
    """Identity key of an artist/label name (see module docstring)."""
    return _THE.sub("", _base_key(name), count=1)


@lru_cache(maxsize=262_144)
def title_key(title: str) -> str:
    """Identity key of a track title: like :func:`name_key` but a leading ``the`` is kept."""
    return _base_key(title)


@lru_cache(maxsize=65_536)
def version_key(version: str | None) -> str:
    """Identity key of a version; ``None``, ``Original Mix`` and friends all map to ``""``."""
    if not version:
        return ""
    key = _base_key(version)
    return "" if key in _TRIVIAL_VERSIONS else key


@lru_cache(maxsize=262_144)
def display_name(name: str) -> str:
    """Name for display: trimmed, inner whitespace collapsed, casing and accents kept."""
    return " ".join(name.split())


def track_search_keys(artists: str | None, title: str | None) -> tuple[str, str]:
    """What a track search matches, on every backend: ``(title_key(title), title_key("artists title"))``.
    A search hits a track when its key is inside the second; exact when it equals either, prefix when
    either starts with it."""
    return title_key(title or ""), title_key(f"{artists or ''} {title or ''}")
