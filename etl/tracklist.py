"""Parse one raw MixesDB tracklist entry: ``[cue] Artist - Title (Version) [Label - Cat#, Year]``.

Decisions (the hand-labelled set in ``tests/data/labelled_titles.json`` follows them):

* **cue**: the first ``[...]`` at the start, brackets stripped, as written (``05``, ``00:00``, ``0??``).
  ``cue_seconds`` only for time cues ``m:ss`` / ``mmm:ss`` / ``h:mm:ss`` with seconds < 60.
* a leading ``+`` (a track layered over the previous one) and a show-segment prefix ending in ``": "``
  (``Tune Of The Week: ``, ``Classic: ``) are removed; the prefix is kept in ``segment``.
* **label block**: the last ``[...]`` at the end. ``Label - Cat#, 1990`` -> label, catalog, year; a
  lone 4-digit year is only a year; a lone all-caps code with digits (``MIND 002``) is a catalog number;
  ``white`` / ``white label`` -> label ``"White Label"``; status words (``Unreleased``, ``Forthcoming``,
  ``Promo``, ``Dubplate``) are neither label nor catalog.
* **artist / title** split at the first ``" - "``; when there is none, at a hyphen with space on one side
  only (``Atom™- LTBCYB``, ``Callaghan -The Dream``; an en or em dash between spaces comes first: ``Melé
  — The Beyonce Track``), or at a bare hyphen right after a name the corpus knows as an artist (``Joy
  Orbison-Hyph Mngo``). File-name style entries (``Sonic_Element_-_Crossroads``) read underscores as
  spaces. No split at all -> :class:`EntryParseError`.
* **version**: the last parenthesised group of the title when it contains a version word (Mix, Remix, Edit,
  Dub, ...). Other parentheses stay in the title (``The Pressure (Pt. 1)``). A pitch note ``(at -8)`` is
  dropped.
* **credits**: primary artists (split by :class:`etl.credits.CreditSplitter`), then featured (``feat.``,
  ``ft.``, ``featuring`` in the artist part, the title or the version), then remixers taken from the version
  (``X Remix``, ``X's Mix``, ``X Edit``, ``X Rework``, ``X Dub``, ``X Bootleg``...) unless only generic
  words remain (``Extended Mix``, ``Dub Mix``, ``12" Version``).
* **gaps**: artist and title both unknown (``ID - ID``, ``? - ?``, ``ID``, ``?``, ``Unknown``) ->
  ``unidentified``; title unknown but artist known (``Spartaque - ID``) -> ``unreleased_id``; artist
  unknown but title known (``? - Keep The Fire Burning``, ``Unknown Artist - Clarinette``) ->
  ``unknown_artist``; a set segment that is no track (``Intro``, ``Outro``, ``The Anjunadeep Edition Intro``,
  ``Interlude``, ``Jingle``: one of these words last, and no artist-title separator) -> ``not_a_track``.
  Gaps still carry whatever was parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from etl.credits import FEAT_RE, CreditSplitter, split_featuring
from graphsvc.names import display_name, name_key

__all__ = ["Credit", "ParsedEntry", "EntryParseError", "parse_entry", "DEFAULT_SPLITTER"]


@dataclass(frozen=True, slots=True)
class Credit:
    name: str  # display name as written (trimmed)
    role: str  # 'primary' | 'featured' | 'remixer'


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    raw: str
    cue: str | None
    cue_seconds: int | None
    artist_text: str | None
    credits: tuple[Credit, ...]
    title: str | None
    version: str | None
    label: str | None
    catalog: str | None
    year: int | None
    is_gap: bool
    gap_reason: str | None
    segment: str | None = None  # radio-show segment prefix such as "Tune Of The Week"


class EntryParseError(ValueError):
    """The entry cannot be parsed; the message is the reject reason."""


DEFAULT_SPLITTER = CreditSplitter()  # no corpus: built-in fallback rules only

_CUE = re.compile(r"^\[([^\]]*)\]\s*")
_TIME = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_LEADING_PLUS = re.compile(r"^\+\s*")
_SEGMENT = re.compile(r"^([^\[\]:\-]{2,60}?):\s+(?=\S.*\s-\s)")
_LABEL_BLOCK = re.compile(r"\s*\[([^\[\]]*)\]\s*$")
_YEAR_TAIL = re.compile(r"(?:^|,\s*)((?:19|20)\d\d)\s*$")
_LABEL_CAT_SEP = re.compile(r"\s+-\s*|\s*-\s+")
_CATALOG_ONLY = re.compile(r"^[A-Z][A-Z0-9.]*[ -]?\d+[A-Z]?$")
_WHITE = frozenset({"white", "white label", "whitelabel", "white-label", "wl"})
_STATUS = frozenset({"unreleased", "forthcoming", "promo", "dubplate", "unknown", "n/a", "none", "tba"})
_SEP_STRICT = " - "
_SEP_LOOSE = re.compile(r"\s-(?=\S)|(?<=\S)-\s")
_SEP_DASH = re.compile(r"\s[\u2013\u2014]\s")  # an en or em dash between spaces
_BARE_HYPHEN = re.compile(r"(?<=\S)-(?=\S)")
_UNKNOWN = re.compile(r"^(?:id\??|\?+|unknown(?: artist| track)?|unidentified|tba|n/a)$", re.IGNORECASE)
# a segment of the set, not a track: the word last ("Intro", "Radio Show Intro"), no " - " in the entry
_NOT_A_TRACK = re.compile(r"^(?:.*\s)?(?:intro|introduction|outro|interlude|jingle)$", re.IGNORECASE)
_BARE_VERSION = re.compile(r"(?:\s+|_)((?:Original|Extended|Club|Dub|Radio) (?:Mix|Edit|Version)|VIP)\s*$")
_PITCH = re.compile(r"\s*\((?:at\s*|@\s*)?[+-]\s?\d+(?:[.,]\d+)?\s*%?\)")
_PAREN_FEAT = re.compile(r"\s*\((?:feat\.?|ft\.?|featuring)\s+([^()]*)\)", re.IGNORECASE)
_TAIL_FEAT = re.compile(r"\s+(?:feat\.?|ft\.|featuring)\s+([^()\[\]]+?)\s*(?=\(|$)", re.IGNORECASE)
_WORDS = re.compile(r"[a-z]+")
_VERSION_WORDS = frozenset(
    "remix remixed rmx mix edit reedit dub version rework bootleg instrumental vip vocal club extended radio "
    "original remaster remastered rerub refix remake reprise mashup acapella accapella acappella cappella live "
    "interpretation reconstruction treatment flip redub".split()  # matched with hyphens removed: Re-Rub
)
# keywords after which the preceding words name the remixer
_REMIXER_WORD = re.compile(
    r"(?i)\s+(?:re-?mix|rmx|mix|edit|re-?edit|re-?work|dub|bootleg|re-?rub|refix|remake|interpretation|"
    r"reconstruction|treatment|flip|instrumental|vip|mash-?up|re-?dub)\b"
)
_POSSESSIVE = re.compile(r"^(.+?)(?:'s|’s|s')\s")
# words that describe a version rather than name a person
_GENERIC = frozenset(
    "extended club dub vocal instrumental radio original 12 12inch 7 short long main deep dark house tribal acid "
    "techno vip re special alternative alternate alt full dj live classic remastered remaster mix remix edit "
    "version re edit rework album single clean dirty the a an and 1 2 3 4 5 6 7 8 9 10 i ii iii iv part pt "
    "bonus beat beats inch unreleased mono stereo instr intro outro reprise a side b side new old us uk "
    "piano garage disco trance breaks breakbeat electro hard soft underground late night early morning "
    "afterhours after hours peak time mixed continuous rerub re rub cut vinyl cd digital promo exclusive".split()
)


def _cue_seconds(cue: str) -> int | None:
    m = _TIME.match(cue)
    if not m:
        return None
    a, b, c = m.groups()
    if c is None:
        return int(a) * 60 + int(b)
    return int(a) * 3600 + int(b) * 60 + int(c)


def _parse_label_block(inner: str) -> tuple[str | None, str | None, int | None]:
    text = display_name(inner)
    year = None
    m = _YEAR_TAIL.search(text)
    if m:
        year = int(m.group(1))
        text = text[: m.start()].strip(" ,")
    if not text:
        return None, None, year
    low = text.lower()
    if low in _WHITE:
        return "White Label", None, year
    if low in _STATUS:
        return None, None, year
    parts = _LABEL_CAT_SEP.split(text, maxsplit=1)
    if len(parts) == 2:
        label, catalog = parts[0].strip() or None, parts[1].strip() or None
        if label and label.lower() in _WHITE:
            label = "White Label"
        if label and label.lower() in _STATUS:
            label = None
        if catalog and catalog.lower() in _STATUS:
            catalog = None
        return label, catalog, year
    if _CATALOG_ONLY.match(text):
        return None, text, year
    return text, None, year


def _remixer_text(version: str, splitter: CreditSplitter) -> str | None:
    """The remixer named in a version string, or None when the version is generic."""
    m = _POSSESSIVE.match(version)
    if m:
        cand = m.group(1).strip()
    else:
        words_found = list(_REMIXER_WORD.finditer(version))
        if not words_found:
            return None
        cand = version[: words_found[-1].start()].strip()
    words = cand.split()
    # "Extended Club" / "12"" before "Mix"
    while words and (name_key(words[-1]) in _GENERIC or not name_key(words[-1])):
        words.pop()
    if not words or all(name_key(w) in _GENERIC or not name_key(w) for w in words):
        return None
    cand = " ".join(words)
    if splitter.is_descriptive(cand):  # "Crunchy Club Mix", "Give Some Dub": no remixer named
        return None
    if len(words) == 1 and cand.endswith(".") and cand.count(".") == 1:  # "Italobros. Mix"
        cand = cand[:-1]
    if not splitter.is_known(cand) and len(words) > 1:
        # "LFO Journey Mix": prefer the longest prefix that the corpus knows as an artist
        for n in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:n])
            if splitter.is_known(prefix):
                return prefix
    return cand


def _last_paren_start(text: str) -> int:
    """Index of the "(" that opens a parenthesised group ending the text, else -1 (nesting allowed)."""
    text_end = len(text.rstrip())
    if not text_end or text[text_end - 1] != ")":
        return -1
    depth = 0
    for i in range(text_end - 1, -1, -1):
        c = text[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _clean_credit(name: str) -> str:
    """Strip a stray unmatched quote (``'Stardust``) or parenthesis (``Shungudzo and Ziezie)``, ``Fat Joe (A.K.A.
    Joey Crack`` left by a comma inside parentheses) from a credit name."""
    if ("(" in name or ")" in name) and name.count("(") != name.count(")"):
        if name.count("(") > name.count(")"):
            name = name[: name.rfind("(")].strip() or name.replace("(", "").strip()
        else:
            name = name.replace(")", "").strip()
    if "'" not in name and '"' not in name:  # the common case
        return name
    for q in "'\"":
        if name.count(q) == 1 and (name[0] == q or name[-1] == q):
            name = name.strip(q).strip()
    return name


# the artist part of an entry: "A (feat. B)", "Missing Channel (Robert Hood & Claude Young)" (members),
# "Keita Sano (Live PA)", "DANK (USA)"; a leading track number "(18) ", "(13:08] ", "01 "; "Deadmau5 Deadmau5"
_ARTIST_PAREN_FEAT = re.compile(r"\s*\((?:feat\.?|ft\.?|featuring)\s+([^()]*)\)", re.IGNORECASE)
_ARTIST_PAREN = re.compile(r"(?<=\S)\s*\([^()]*\)")
_ARTIST_OPEN_PAREN = re.compile(r"(?<=\S)\s*\([^()]*$")
_ARTIST_NUMBER_MARK = re.compile(r"^\s*[(\[]\d{1,3}(?::\d\d)?[)\]]\s*(?=\S)")
_ARTIST_PADDED_NUMBER = re.compile(r"^0\d\.?\s+(?=\S)")
_ARTIST_NUMBER = re.compile(r"^\d{1,2}\.?\s+(?=\S)")


def _clean_artist_text(text: str, splitter: CreditSplitter) -> tuple[str, list[str]]:
    """The artist part without what names no artist, and the featured names found in parentheses.

    Parenthesised notes after a name are dropped (``Keita Sano (Live PA)``, ``DANK (USA)``, the members of
    ``Missing Channel (Robert Hood & Claude Young)``, which must not split into two half-named artists), a
    parenthesised ``feat.`` becomes a featured credit; a leading track number goes: always in brackets or
    zero-padded (``(18) Ayumi Hamasaki``, ``01 NHK``), otherwise only when the corpus credits the rest
    alone at least 3 times and 3 times as often as the whole (``20 Jeff Mills``; ``808 State``, ``2
    Unlimited`` and ``4 Hero`` stay); a name
    written twice over is one (``Deadmau5 Deadmau5``, when the corpus knows ``Deadmau5``)."""
    featured: list[str] = []
    if "(" in text:
        if "(f" in text.lower():
            featured = [m.group(1).strip() for m in _ARTIST_PAREN_FEAT.finditer(text)]
            text = _ARTIST_PAREN_FEAT.sub("", text)
        text = _ARTIST_OPEN_PAREN.sub("", _ARTIST_PAREN.sub("", text))
    if text[:1] in "([":
        text = _ARTIST_NUMBER_MARK.sub("", text)
    elif text[:1].isdigit():
        m = _ARTIST_PADDED_NUMBER.match(text)
        if m:
            text = text[m.end() :]
        else:
            m = _ARTIST_NUMBER.match(text)
            if m:
                rest = splitter.standalone.get(name_key(text[m.end() :]), 0)
                if rest >= 3 and rest >= 3 * splitter.standalone.get(name_key(text), 0):
                    text = text[m.end() :]
    words = text.split()
    if len(words) >= 2 and len(words) % 2 == 0:
        half = " ".join(words[: len(words) // 2])
        if name_key(half) and name_key(half) == name_key(" ".join(words[len(words) // 2 :])) \
                and splitter.is_known(half):
            text = half
    return text.strip(), featured


def _doubled(text: str) -> bool:
    """Cheap test for a name written twice over ("Deadmau5 Deadmau5"), before the corpus is asked."""
    if " " not in text:
        return False
    words = text.lower().split()
    half = len(words) // 2
    return len(words) % 2 == 0 and words[:half] == words[half:]


def _split_artist_title(body: str, splitter: CreditSplitter) -> tuple[str, str] | None:
    idx = body.find(_SEP_STRICT)
    if idx >= 0:
        return body[:idx], body[idx + 3 :]
    m = _SEP_DASH.search(body)  # "Melé — The Beyonce Track": before the loose hyphen of "Title -Extended-"
    if m:
        return body[: m.start()], body[m.end() :]
    m = _SEP_LOOSE.search(body)
    if m:
        return body[: m.start()], body[m.end() :]
    # "Joy Orbison-Hyph Mngo": a bare hyphen right after a name the corpus knows as an artist (the
    # longest such name, so "Jay-Z-Song" splits after "Jay-Z"), of 3+ characters and followed by a word
    # ("TR-909" is a drum machine, not the artist "TR")
    best = None
    for m in _BARE_HYPHEN.finditer(body):
        left = split_featuring(body[: m.start()])[0]
        if body[m.end()].isalpha() and len(name_key(left)) >= 3 and splitter.is_known(left):
            best = m
    if best is not None:
        return body[: best.start()], body[best.end() :]
    return None


def parse_entry(raw: str, credits: CreditSplitter | None = None) -> ParsedEntry:
    """Parse one raw entry title; raises :class:`EntryParseError` with the reason when impossible."""
    splitter = credits or DEFAULT_SPLITTER
    if raw is None or not raw.strip():
        raise EntryParseError("empty entry")
    s = raw.strip()

    cue = cue_seconds = None
    if s[0] == "[":
        m = _CUE.match(s)
        if m:
            cue = m.group(1).strip() or None
            if cue and ":" in cue:
                cue_seconds = _cue_seconds(cue)
            s = s[m.end() :]
    if s[:1] == "+":
        s = _LEADING_PLUS.sub("", s)
    segment = None
    if ": " in s:
        m = _SEGMENT.match(s)
        if m:
            segment = m.group(1).strip()
            s = s[m.end() :]

    label = catalog = year = None
    if s.endswith("]"):
        m = _LABEL_BLOCK.search(s)
        if m:
            if m.start() == 0:
                raise EntryParseError("no artist or title, only a cue or label block")
            label, catalog, year = _parse_label_block(m.group(1))
            s = s[: m.start()]
    s = s.strip()
    if not s:
        raise EntryParseError("no artist or title, only a cue or label block")

    if s.startswith("- "):
        raise EntryParseError(f"empty artist before ' - ' in {s!r}")
    if s.endswith(" -"):
        raise EntryParseError(f"empty title after ' - ' in {s!r}")
    if "_-_" in s:  # file-name style: "Sonic_Element_-_Crossroads_Original_Mix"
        s = " ".join(s.replace("_", " ").split())
    split = _split_artist_title(s, splitter)
    if split is None:
        if _UNKNOWN.match(s):
            return ParsedEntry(raw, cue, cue_seconds, None, (), None, None, label, catalog, year, True,
                               "unidentified", segment)
        if _NOT_A_TRACK.match(s):
            return ParsedEntry(raw, cue, cue_seconds, None, (), display_name(s), None, label, catalog, year, True,
                               "not_a_track", segment)
        raise EntryParseError(f"no ' - ' between artist and title in {s!r}")
    artist_text, title = split[0].strip(), split[1].strip()
    if not artist_text:
        raise EntryParseError(f"empty artist before ' - ' in {s!r}")
    if not title:
        raise EntryParseError(f"empty title after ' - ' in {s!r}")

    # ---- title, version, featured from the title side
    featured: list[str] = []
    version = None
    if "(" in title:
        if "(at" in title or "(+" in title or "(-" in title:
            title = _PITCH.sub("", title)
        low = title.lower()
        if "(f" in low:
            for fm in _PAREN_FEAT.finditer(title):
                featured.append(fm.group(1).strip())
            title = _PAREN_FEAT.sub("", title)
        # the last group, and a version group right before it: "(Anthik Remix) (Coyu Edit)"
        vgroups: list[str] = []
        while len(vgroups) < 2:
            start = _last_paren_start(title)
            if start <= 0 or _VERSION_WORDS.isdisjoint(_WORDS.findall(title[start:].lower().replace("-", ""))):
                break
            vgroups.insert(0, display_name(title[start + 1 : title.rstrip().rfind(")")]))
            title = title[:start].rstrip()
        if vgroups:
            version = vgroups[0] + "".join(f" ({g})" for g in vgroups[1:]) or None
    if version is None:
        m = _BARE_VERSION.search(title)
        if m and m.start() > 0:
            version = m.group(1)
            title = title[: m.start()]
    low = title.lower()
    if "ft" in low or "feat" in low:
        tail_feat = _TAIL_FEAT.search(title)
        if tail_feat:
            featured.append(tail_feat.group(1).strip())
            title = title[: tail_feat.start()] + title[tail_feat.end() :]
    title = display_name(title)
    if version:
        vlow = version.lower()
        if "ft" in vlow or "feat" in vlow:
            vparts = FEAT_RE.split(version, maxsplit=1)
            if len(vparts) == 2:
                version, featured_v = vparts[0].strip(), vparts[1].strip()
                if featured_v:
                    featured.append(featured_v)

    artist_unknown = len(artist_text) <= 14 and _UNKNOWN.match(artist_text) is not None
    title_unknown = len(title) <= 14 and _UNKNOWN.match(title) is not None
    if artist_unknown:
        if title_unknown:
            return ParsedEntry(raw, cue, cue_seconds, None, (), None, version, label, catalog, year, True,
                               "unidentified", segment)
        return ParsedEntry(raw, cue, cue_seconds, None, (), title, version, label, catalog, year, True,
                           "unknown_artist", segment)

    # ---- credits: primary, then featured, then remixers; each (name, role) once
    primary_text, featured_a = split_featuring(artist_text)
    if "(" in primary_text or primary_text[:1].isdigit() or primary_text[:1] == "[" or _doubled(primary_text):
        primary_text, featured_p = _clean_artist_text(primary_text, splitter)
        featured_a = [*featured_p, *featured_a]
    out: list[Credit] = []
    seen: set[tuple[str, str]] = set()
    groups: list[tuple[str, list[str]]] = [("primary", splitter.split(primary_text))]
    if featured_a or featured:
        groups.append(("featured", [n for f in (*featured_a, *featured) for n in splitter.split(f)]))
    if version:
        remixers = []
        for vpart in version.split(" ("):
            rtext = _remixer_text(vpart.rstrip(")"), splitter)
            if rtext:
                remixers.extend(splitter.split(rtext))
        if remixers:
            groups.append(("remixer", remixers))
    for role, names in groups:
        for name in names:
            name = _clean_credit(name)
            if not name or _UNKNOWN.match(name):  # "Unknown vs Fedde Le Grand": drop the placeholder
                continue
            key = (name_key(name), role)
            if key[0] and key not in seen:
                seen.add(key)
                out.append(Credit(name, role))

    if title_unknown:
        return ParsedEntry(raw, cue, cue_seconds, display_name(artist_text), tuple(out), None, version, label,
                           catalog, year, True, "unreleased_id", segment)
    return ParsedEntry(raw, cue, cue_seconds, display_name(artist_text), tuple(out), title, version, label,
                       catalog, year, False, None, segment)
