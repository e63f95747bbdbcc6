"""Split an artist credit ("A & B", "A vs B Feat. C") into collaborators, using what the corpus knows.

Collaborators are joined by ``&``, ``and``, ``,``, ``/``, ``+``, ``x``, ``with``, ``meets``, ``vs``. Real names
contain the same characters (``Above & Beyond``, ``Earth, Wind & Fire``, ``Photon, Inc.``, ``I/Y``), so a split
is decided from corpus evidence, not from the characters alone.

Evidence (all counted on :func:`graphsvc.names.name_key`):

* ``standalone[k]`` - how often ``k`` is an entire credit (or an entire ``vs`` side) somewhere in the corpus,
  e.g. ``nick warren`` alone;
* ``partners[k]`` - how many *different* names ``k`` is joined to, e.g. a part seen as ``X & Maor Levi`` and as
  ``X & Somebody Else`` is an artist in its own right even if it never appears alone.

A part is *known* when ``standalone >= 1`` or ``partners >= 2``. Splitting then works on the parts:

1. ``vs`` / ``versus`` / `` x `` / ``with`` / ``meets`` always separate (they never occur inside names here);
2. within a side, a part that is *unknown and a single word* is bound to its neighbour across ``&``/``and``/
   ``,``/``/``/``+`` (``Above & Beyond``, ``Chase & Status``, ``Earth, Wind & Fire``, ``2000 and One``,
   ``Loco & Jam``): duo names are made of single words that never stand alone. The neighbour whose joined
   text is itself a known whole credit wins; otherwise the neighbour across ``&``/``and``; otherwise the left;
3. a few suffixes (``Inc.``, ``Jr.``, ``Ltd``, ``Sr.``) always bind left - a built-in fallback only;
4. everything else is split: known parts (``Nick Warren``) and unknown multi-word parts (``Sergio Pardo``,
   a personal name) are separate artists.

Pairs are glued by evidence too: two unknown names seen together >= 3 times (``Dimitri Vegas & Like Mike``),
or a single word seen alone < 1/10 as often as inside the pair (``Kyau & Albert``). ``Photon, Inc.``-style
suffixes and a handful of famous names (``Earth, Wind & Fire``) are a built-in fallback only.

Optionally the vocabulary of track titles is kept (:meth:`CreditSplitter.is_descriptive`) so that the
tracklist parser can tell ``(Crunchy Club Mix)``-style descriptors from remixer names.

The knowledge round-trips through :meth:`CreditSplitter.to_dict` / :meth:`CreditSplitter.from_dict`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from graphsvc.names import display_name, name_key

__all__ = ["CreditSplitter", "split_featuring", "FEAT_RE"]

# "A Feat. B", "A ft. B", "A featuring B", "A Feat B"
FEAT_RE = re.compile(r"\s+(?:feat\.?|ft\.|featuring|fea\.)\s+", re.IGNORECASE)
# hard separators: never inside a name in this corpus
_HARD_SEP = re.compile(r"\s+(?:vs\.?|versus|x|with|meets|pres\.|presents)\s+", re.IGNORECASE)
# soft separators: may be inside a name
_SOFT_SEP = re.compile(r"(\s*(?:&|\+|/|,)\s*|\s+and\s+)", re.IGNORECASE)
_ANY_SEP = re.compile(r"[&+/,]|\s(?:vs|versus|x|with|meets|pres|presents|and)\b", re.IGNORECASE)
_BIND_LEFT = frozenset({"inc", "jr", "sr", "ltd", "co"})
# fallback only: famous names whose parts are common words; the corpus rules come first for everything else
_BUILTIN_WHOLE = frozenset({"earth wind and fire", "simon and garfunkel", "crosby stills nash and young",
                            "emerson lake and palmer", "peter paul and mary", "kool and gang"})
_CACHE_MAX = 200_000
_TITLE_WORD_MIN = 3  # a word in at least this many titles is vocabulary, not a name
_MIN_TOGETHER = 3  # a pair seen this often is evidence of a name
_GLUE_RATIO = 10  # ... and binds a single word seen alone less than 1/10 as often
_GLUE_SHARE = 0.8  # a part with >= 80% of its appearances next to one neighbour is not independent


def split_featuring(text: str) -> tuple[str, list[str]]:
    """``"A & B Feat. C"`` -> ``("A & B", ["C"])``; the featured part is returned unsplit."""
    if "f" not in text and "F" not in text:  # fast path: no "feat"/"ft"
        return text.strip(), []
    pieces = FEAT_RE.split(text)
    return pieces[0].strip(), [p.strip() for p in pieces[1:] if p.strip()]


class CreditSplitter:
    """Decides where a credit splits into collaborators (see module docstring for the evidence rules)."""

    __slots__ = ("standalone", "pairs", "independent", "title_words", "_cache")

    def __init__(
        self,
        standalone: dict[str, int] | None = None,
        pairs: dict[str, int] | None = None,
        independent: Iterable[str] = (),
        title_words: Iterable[str] = (),
    ):
        self.standalone: dict[str, int] = dict(standalone or {})
        self.pairs: dict[str, int] = dict(pairs or {})  # "a\tb" (sorted keys) -> times adjacent in a credit
        self.independent: frozenset[str] = frozenset(independent)
        # words common in track titles: "Crunchy Club Mix" describes a mix, "Waio Remix" names a remixer
        self.title_words: frozenset[str] = frozenset(title_words)
        self._cache: dict[str, list[str]] = {}  # split() memo; credits repeat across mixes

    # ------------------------------------------------------------------ building
    @classmethod
    def from_corpus(
        cls, artist_texts: Iterable[str | None], title_texts: Iterable[str | None] = ()
    ) -> CreditSplitter:
        """Count whole credits, adjacent pairs and partner variety over raw artist texts (``"A & B Feat. C"``).

        ``title_texts`` (optional, the title parts of the same entries) gives the vocabulary of ordinary title
        words, used by :meth:`is_descriptive` to tell ``(Crunchy Club Mix)`` from ``(Waio Remix)``."""
        whole: Counter[str] = Counter()
        sides: Counter[str] = Counter()
        for text in artist_texts:
            if not text:
                continue
            primary, featured = split_featuring(text)
            for credit in (primary, *featured):
                for side in _HARD_SEP.split(credit):
                    sides[side.strip()] += 1
        part_count: Counter[str] = Counter()
        pairs: Counter[str] = Counter()
        neighbours: dict[str, Counter[str]] = {}
        for side, n in sides.items():
            if not side:
                continue
            whole[name_key(side)] += n
            if _SOFT_SEP.search(side) is None:  # fast path: one name
                continue
            parts = [k for k in (name_key(p) for p in _SOFT_SEP.split(side)[::2]) if k]
            if len(parts) < 2:
                continue
            for k in set(parts):
                part_count[k] += n
            for a, b in pairwise(parts):
                if True:  # "W&W": a name may pair with itself
                    pairs[_pair_key(a, b)] += n
                    neighbours.setdefault(a, Counter())[b] += n
                    neighbours.setdefault(b, Counter())[a] += n
        # a part is independent when it shows up with different partners, not glued to one of them
        independent = [
            k for k, nb in neighbours.items()
            if part_count[k] >= 2 and len(nb) >= 2 and max(nb.values()) < _GLUE_SHARE * part_count[k]
        ]
        words: Counter[str] = Counter()
        for t in title_texts:
            if t:
                words.update(set(name_key(t).split()))
        return cls(dict(whole), dict(pairs), independent, (w for w, n in words.items() if n >= _TITLE_WORD_MIN))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": 2,
            "standalone": dict(self.standalone),
            "pairs": dict(self.pairs),
            "independent": sorted(self.independent),
            "title_words": sorted(self.title_words),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CreditSplitter:
        if data.get("format") != 2:
            raise ValueError(f"unsupported CreditSplitter format {data.get('format')!r}; expected 2")
        return cls(data["standalone"], data["pairs"], data["independent"], data.get("title_words", ()))

    # ------------------------------------------------------------------ evidence
    def is_known(self, name: str) -> bool:
        """True when the corpus has seen ``name`` as an artist in its own right."""
        k = name_key(name)
        return self.standalone.get(k, 0) >= 1 or k in self.independent

    def is_descriptive(self, text: str) -> bool:
        """True when ``text`` is not a known artist and every word of it is an ordinary title word."""
        if not self.title_words or self.is_known(text):
            return False
        words = name_key(text).split()
        return bool(words) and all(w in self.title_words for w in words)

    # ------------------------------------------------------------------ splitting
    def split(self, artist_text: str) -> list[str]:
        """Primary collaborators of a credit, in order, display-cleaned. Featured parts are not handled here:
        call :func:`split_featuring` first (``parse_entry`` does)."""
        hit = self._cache.get(artist_text)
        if hit is not None:
            return list(hit)
        if _ANY_SEP.search(artist_text) is None:  # fast path: a single name
            return [display_name(artist_text)] if artist_text.strip() else []
        out: list[str] = []
        for side in _HARD_SEP.split(artist_text):
            side = side.strip(" ,")
            if side:
                out.extend(self._split_side(side))
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[artist_text] = out
        return list(out)

    def _split_side(self, side: str) -> list[str]:
        if name_key(side) in _BUILTIN_WHOLE:
            return [display_name(side)]
        tokens = _SOFT_SEP.split(side)
        if len(tokens) == 1 or not tokens[0].strip():  # "&ME": a separator at the start is part of the name
            return [display_name(side)]
        groups: list[list[str]] = []  # [text, first atom key, last atom key]
        seps: list[str] = []  # seps[i] joins groups[i] and groups[i+1]
        for i in range(0, len(tokens), 2):
            part = tokens[i].strip()
            if not part:  # "A & & B", leading/trailing separator
                continue
            if groups:
                seps.append(tokens[i - 1])
            k = name_key(part)
            groups.append([part, k, k])
        i = 0
        while i < len(groups) - 1:
            if self._glued(groups[i], groups[i + 1]):
                a, b = groups[i], groups[i + 1]
                groups[i] = [a[0] + seps[i] + b[0], a[1], b[2]]
                del groups[i + 1]
                del seps[i]
                i = max(i - 1, 0)
            else:
                i += 1
        return [display_name(g[0]) for g in groups]

    def _glued(self, a: list[str], b: list[str]) -> bool:
        """Whether two neighbouring groups form one name (rules 2-4 of the module docstring)."""
        ka, kb = name_key(a[0]), name_key(b[0])
        if kb in _BIND_LEFT:
            return True
        known_a, known_b = self.is_known(a[0]), self.is_known(b[0])
        # a partly assembled name ("Earth, Wind") continues when the corpus knows the longer whole
        if ((a[1] != a[2] and not known_a) or (b[1] != b[2] and not known_b)) \
                and self.standalone.get(name_key(a[0] + " " + b[0]), 0) >= 1:
            return True
        single_a, single_b = " " not in ka, " " not in kb
        together = self.pairs.get(_pair_key(a[2], b[1]), 0)
        if (single_a and not known_a and (single_b or not known_b)) or (
            single_b and not known_b and (single_a or not known_a)
        ):
            return True
        if together < _MIN_TOGETHER:
            return False
        if not known_a and not known_b:
            return True
        # a single word seen alone a couple of times but mostly inside this pair ("Kyau & Albert")
        for single, k in ((single_a, ka), (single_b, kb)):
            if single and k not in self.independent and together > _GLUE_RATIO * self.standalone.get(k, 0):
                return True
        return False


def _pair_key(a: str, b: str) -> str:
    return f"{a}\t{b}" if a <= b else f"{b}\t{a}"
