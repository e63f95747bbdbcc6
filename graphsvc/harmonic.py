"""The Camelot wheel and all key/BPM math: the single source of truth for musical keys in graphsvc.

Wheel layout (standard Camelot / Mixed In Key): A = minor, B = major; 8A = A minor, 8B = C major,
1A = Ab minor, 1B = B major. One step clockwise (+1) is a fifth up (+7 semitones), so one semitone up
is +7 steps on the wheel. Open Key (Traktor) is the same wheel rotated so that 1d = C major = 8B and
1m = A minor = 8A: ``open = (camelot + 4) % 12 + 1`` (i.e. camelot + 5 wrapped into 1..12), m = minor, d = major.

Everything is pure Python and table-driven: ``parse_key`` is called ~100k times per ETL run, so the
common spellings are answered from a precomputed dict and everything else from an LRU cache.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, get_args

from graphsvc.errors import InvalidValue

__all__ = [
    "Key",
    "parse_key",
    "parse_bpm",
    "parse_energy",
    "ALL_KEYS",
    "Move",
    "classify_move",
    "compatible_keys",
    "MOVES",
    "STRICTNESS",
    "semitone_shift_for_bpm",
    "shift_key",
    "bpm_distance_pct",
    "TransitionScore",
    "transition_score",
    "TransitionScorer",
    "BPM_MIN",
    "BPM_MAX",
    "BPM_CAP_PCT",
    "ENERGY_CAP",
    "DEFAULT_WEIGHTS",
]

MINOR, MAJOR = 0, 1

# One spelling per pitch class, used for output (``Key.name``); parsing accepts every enharmonic.
PITCH_NAMES: tuple[str, ...] = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Camelot number n (1..12) -> pitch class; each step is a fifth (+7 semitones).
_MINOR_PC_OF_NUMBER = tuple((8 + 7 * (n - 1)) % 12 for n in range(1, 13))  # 1A = Ab minor
_MAJOR_PC_OF_NUMBER = tuple((11 + 7 * (n - 1)) % 12 for n in range(1, 13))  # 1B = B major
# [mode][pitch_class] -> Camelot number
_NUMBER_OF: tuple[tuple[int, ...], tuple[int, ...]] = (
    tuple(_MINOR_PC_OF_NUMBER.index(pc) + 1 for pc in range(12)),
    tuple(_MAJOR_PC_OF_NUMBER.index(pc) + 1 for pc in range(12)),
)


def _open_number(camelot_number: int) -> int:
    return (camelot_number + 4) % 12 + 1


def _camelot_number_from_open(open_number: int) -> int:
    return (open_number + 6) % 12 + 1


@dataclass(frozen=True, order=True, slots=True)
class Key:
    """A musical key. ``pitch_class`` 0=C .. 11=B, ``mode`` 1 major / 0 minor.

    Ordering is by (pitch_class, mode); use ``ALL_KEYS`` for wheel order.
    """

    pitch_class: int
    mode: int

    def __post_init__(self) -> None:
        if type(self.pitch_class) is not int or not 0 <= self.pitch_class <= 11:
            raise InvalidValue(f"pitch class {self.pitch_class!r} is not an integer 0-11")
        if type(self.mode) is not int or self.mode not in (0, 1):
            raise InvalidValue(f"mode {self.mode!r} is not 1 (major) or 0 (minor)")

    # --- notations -------------------------------------------------------------------------
    @property
    def camelot_number(self) -> int:
        return _NUMBER_OF[self.mode][self.pitch_class]

    @property
    def camelot_letter(self) -> str:
        return "B" if self.mode else "A"

    @property
    def camelot(self) -> str:
        """'8A' for A minor, '8B' for C major."""
        return _CAMELOT_STR[self.mode][self.pitch_class]

    @property
    def open_key(self) -> str:
        """Open Key notation: '1m' for A minor, '1d' for C major."""
        return _OPEN_STR[self.mode][self.pitch_class]

    @property
    def name(self) -> str:
        """'A minor', 'C major', 'F# minor', 'Bb major' (spelling from ``PITCH_NAMES``)."""
        return f"{PITCH_NAMES[self.pitch_class]} {'major' if self.mode else 'minor'}"

    @property
    def short_name(self) -> str:
        """'Am', 'C', 'F#m', 'Bb'."""
        return PITCH_NAMES[self.pitch_class] + ("" if self.mode else "m")

    def relative(self) -> Key:
        """The relative major/minor: same Camelot number, other letter (A minor <-> C major)."""
        if self.mode == MINOR:
            return _KEY[MAJOR][(self.pitch_class + 3) % 12]
        return _KEY[MINOR][(self.pitch_class - 3) % 12]

    def __str__(self) -> str:
        return self.camelot

    # --- constructors ------------------------------------------------------------------------
    @classmethod
    def from_camelot(cls, value: str) -> Key:
        """'8A', '08a', '8 A' -> Key. Anything that is not Camelot raises InvalidValue."""
        if isinstance(value, str):
            m = _CAMELOT_RE.fullmatch(value.strip())
            if m:
                return _camelot_key(int(m.group(1)), m.group(2), value)
        raise InvalidValue(f"key {_show(value)} is not a Camelot key (1A-12B)")

    @classmethod
    def from_open_key(cls, value: str) -> Key:
        """'1m', '1d', '12 m' -> Key. Anything that is not Open Key raises InvalidValue."""
        if isinstance(value, str):
            m = _OPEN_RE.fullmatch(value.strip())
            if m:
                return _open_key(int(m.group(1)), m.group(2), value)
        raise InvalidValue(f"key {_show(value)} is not an Open Key key (1m-12d)")

    @classmethod
    def from_spotify(cls, key: int | float, mode: int | float) -> Key:
        """Spotify audio features: ``key`` pitch class 0..11 (-1 = unknown), ``mode`` 1 major / 0 minor.

        Integral floats (``7.0``, as in CSV exports) are accepted; -1, NaN and anything else raise.
        """
        pc, md = _spotify_int(key, "key"), _spotify_int(mode, "mode")
        if pc == -1:
            raise InvalidValue("spotify key -1 means the key is unknown")
        if not 0 <= pc <= 11:
            raise InvalidValue(f"spotify key {key!r} is not a pitch class 0-11")
        if md not in (0, 1):
            raise InvalidValue(f"spotify mode {mode!r} is not 1 (major) or 0 (minor)")
        return _KEY[md][pc]


def _spotify_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValue(f"spotify {what} {value!r} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InvalidValue(f"spotify {what} {value!r} is not a whole number")
        return int(value)
    return value


# Canonical instances: parsing and wheel math return these, so no Key is allocated per call.
_KEY: tuple[tuple[Key, ...], tuple[Key, ...]] = (
    tuple(Key(pc, MINOR) for pc in range(12)),
    tuple(Key(pc, MAJOR) for pc in range(12)),
)
_CAMELOT_STR = tuple(tuple(f"{_NUMBER_OF[m][pc]}{'AB'[m]}" for pc in range(12)) for m in (0, 1))
_OPEN_STR = tuple(tuple(f"{_open_number(_NUMBER_OF[m][pc])}{'md'[m]}" for pc in range(12)) for m in (0, 1))

ALL_KEYS: tuple[Key, ...] = tuple(
    key
    for minor_pc, major_pc in zip(_MINOR_PC_OF_NUMBER, _MAJOR_PC_OF_NUMBER, strict=True)
    for key in (_KEY[MINOR][minor_pc], _KEY[MAJOR][major_pc])
)  # 1A, 1B, 2A, ..., 12B


# --- parsing ---------------------------------------------------------------------------------
_CAMELOT_RE = re.compile(r"0*(\d{1,2})\s*([ABab])")
_OPEN_RE = re.compile(r"0*(\d{1,2})\s*([mdMD])")
# note letter, optional accidental, optional separator, optional mode word
# (an uppercase 'B' is a flat only when a mode word follows: 'EB MINOR' yes, 'EB' no)
_NAME_RE = re.compile(
    r"([A-Ga-g])(#|b|B(?=\s*[-_]?\s*[A-Za-z])|\s*(?i:sharp|flat))?\s*[-_]?\s*([A-Za-z]*)"
)
_MINOR_WORDS = frozenset({"m", "min", "minor"})
_MAJOR_WORDS = frozenset({"maj", "major"})
_EXPECTED = "expected Camelot (8A), Open Key (1m) or a name (A minor, Am, F#m, C)"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _camelot_key(number: int, letter: str, raw: Any) -> Key:
    if not 1 <= number <= 12:
        raise InvalidValue(f"key {_show(raw)} is not a Camelot key (1A-12B)")
    if letter in "Bb":
        return _KEY[MAJOR][_MAJOR_PC_OF_NUMBER[number - 1]]
    return _KEY[MINOR][_MINOR_PC_OF_NUMBER[number - 1]]


def _open_key(number: int, letter: str, raw: Any) -> Key:
    if not 1 <= number <= 12:
        raise InvalidValue(f"key {_show(raw)} is not an Open Key key (1m-12d)")
    return _camelot_key(_camelot_number_from_open(number), "B" if letter in "dD" else "A", raw)


def _parse_uncached(raw: str) -> Key | str:
    """Parse one string; returns the Key or the reject reason (so rejects can be cached too)."""
    s = raw.strip().replace("\u266f", "#").replace("\u266d", "b")
    if not s:
        return f"key {_show(raw)} is empty"
    try:
        if s[0].isdigit():
            m = _CAMELOT_RE.fullmatch(s)
            if m:
                return _camelot_key(int(m.group(1)), m.group(2), raw)
            m = _OPEN_RE.fullmatch(s)
            if m:
                return _open_key(int(m.group(1)), m.group(2), raw)
            return f"key {_show(raw)} is not a Camelot (1A-12B) or Open Key (1m-12d) key"
    except InvalidValue as e:
        return str(e)
    m = _NAME_RE.fullmatch(s)
    if not m:
        return f"key {_show(raw)} is not a key name; {_EXPECTED}"
    letter, accidental, word = m.groups()
    if word == "M":
        note = letter.upper() + ("" if not accidental else "#" if accidental.strip().lower() in ("#", "sharp") else "b")
        return f"key {_show(raw)} is ambiguous ('M'): write '{note} major' or '{note}m'"
    word = word.lower()
    if word in _MINOR_WORDS:
        mode = MINOR
    elif word in _MAJOR_WORDS:
        mode = MAJOR
    elif word == "":
        # no mode word: lowercase note = minor ('a', 'f#'), uppercase = major ('A', 'F#')
        mode = MINOR if letter.islower() else MAJOR
    else:
        return f"key {_show(raw)} is not a key name; {_EXPECTED}"
    pc = _LETTER_PC[letter.upper()]
    if accidental:
        acc = accidental.strip().lower()
        pc += 1 if acc in ("#", "sharp") else -1
    return _KEY[mode][pc % 12]


_parse_cached = lru_cache(maxsize=16384)(_parse_uncached)


def _common_spellings() -> Iterable[str]:
    for n in range(1, 13):
        for letter in "ABab":
            yield f"{n}{letter}"
            yield f"{n:02d}{letter}"
            yield f"{n} {letter}"
        for letter in "md":
            yield f"{n}{letter}"
            yield f"{n:02d}{letter}"
    for base in ("C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B"):
        for note in {base, base.replace("#", "\u266f").replace("b", "\u266d") if len(base) == 2 else base}:
            for suffix in ("", "m", "min", "maj", " min", " maj", " minor", " major", " Minor", " Major"):
                yield note + suffix
            yield note[0].lower() + note[1:]


# Fast path: common spellings answered with one dict lookup. Built through the same parser,
# so it cannot disagree with it.
_FAST: dict[str, Key] = {s: k for s in _common_spellings() if isinstance(k := _parse_uncached(s), Key)}


def parse_key(value: Any) -> Key:
    """Parse a key in any common notation; raise InvalidValue naming the value otherwise.

    Accepts Camelot ('8A', '08a', '8 A'), Open Key ('1m', '12 d'), names ('A minor', 'A min', 'Am',
    'F#m', 'Gbm', 'F♯ minor', 'C', 'Cmaj', 'F sharp minor') and rekordbox Tonality in any display
    setting. Without a mode word a lowercase note is minor ('a', 'f#') and an uppercase one major.
    'CM' is rejected as ambiguous, and nothing is guessed ('H minor', 'ID', '?', '' are rejected).
    A ``Key`` is returned unchanged. Spotify integers go through ``Key.from_spotify``.
    """
    if type(value) is str:
        key = _FAST.get(value)
        if key is not None:
            return key
        result = _parse_cached(value)
        if type(result) is Key:
            return result
        raise InvalidValue(result)
    if isinstance(value, Key):
        return value
    if value is None:
        raise InvalidValue("key is missing (None)")
    if isinstance(value, str):  # str subclass
        return parse_key(str(value))
    hint = "; use Key.from_spotify() for Spotify pitch classes" if isinstance(value, (int, float, tuple)) else ""
    raise InvalidValue(f"key {_show(value)} ({type(value).__name__}) is not a key string{hint}")


BPM_MIN, BPM_MAX = 40.0, 250.0


def _parse_number(value: Any, what: str) -> float:
    if type(value) is float:  # the common case (float(value) would return it unchanged)
        if not math.isfinite(value):
            raise InvalidValue(f"{what} {_show(value)} is not a finite number")
        return value
    if isinstance(value, bool) or value is None:
        raise InvalidValue(f"{what} {_show(value)} is not a number")
    if isinstance(value, str):
        text = value.strip()
        if "," in text:
            if "." in text or text.count(",") > 1:
                raise InvalidValue(f"{what} {_show(value)} is not a number (mixed or repeated separators)")
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise InvalidValue(f"{what} {_show(value)} is not a number") from None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidValue(f"{what} {_show(value)} is not a number") from None
    if not math.isfinite(number):
        raise InvalidValue(f"{what} {_show(value)} is not a finite number")
    return number


def parse_bpm(value: Any) -> float:
    """A tempo in the plausible DJ range [40, 250], rounded to 2 decimals ('128,00' is accepted)."""
    bpm = _parse_number(value, "bpm")
    if not BPM_MIN <= bpm <= BPM_MAX:
        raise InvalidValue(f"bpm {bpm:g} is outside {BPM_MIN:g}-{BPM_MAX:g}")
    return round(bpm, 2)


def parse_energy(value: Any) -> float:
    """An energy level as a fraction in [0, 1]. 1-10 ratings are rejected, not rescaled (no guessing)."""
    energy = _parse_number(value, "energy")
    if not 0.0 <= energy <= 1.0:
        raise InvalidValue(f"energy {energy:g} is outside 0-1 (a 0..1 fraction; 1-10 ratings are not accepted)")
    return energy


# --- moves -------------------------------------------------------------------------------------
class Move(enum.StrEnum):
    """How two keys relate on the Camelot wheel. Values are JSON-ready strings."""

    SAME_KEY = "same_key"  # identical key
    ADJACENT = "adjacent"  # +-1, same letter (a fifth up/down: 6 of 7 scale notes shared)
    RELATIVE = "relative"  # same number, other letter (relative major/minor: same 7 notes)
    TWO_STEP = "two_step"  # +-2, same letter (a whole tone on the circle of fifths: 5 of 7 shared)
    DIAGONAL = "diagonal"  # nA -> (n+1)B and nB -> (n-1)A (mood change, 6 of 7 shared)
    SEMITONE = "semitone"  # +-7, same letter: one semitone up/down (the "energy boost" modulation)
    CLASH = "clash"  # anything else


# Default score per move, reasoning: keys sharing all 7 notes (same, relative) and 6 of 7 notes
# (adjacent) are the textbook safe mixes; relative changes the mood so it ranks just below same key.
# Diagonal also shares 6 notes but swaps mode and tonal centre, which is more audible. Two-step shares
# 5 notes: works with care. Semitone shares only 2 notes, so it is not consonant but is a standard
# deliberate energy lift, so it is allowed at "relaxed" with a middling score. Clash: no support.
MOVES: dict[Move, float] = {
    Move.SAME_KEY: 1.0,
    Move.RELATIVE: 0.9,
    Move.ADJACENT: 0.9,
    Move.DIAGONAL: 0.7,
    Move.TWO_STEP: 0.6,
    Move.SEMITONE: 0.5,
    Move.CLASH: 0.0,
}

#: the strictness levels, by name (the keys of STRICTNESS)
Strictness = Literal["strict", "normal", "relaxed", "any"]
STRICTNESS: dict[str, frozenset[Move]] = {
    "strict": frozenset({Move.SAME_KEY, Move.ADJACENT, Move.RELATIVE}),
    "normal": frozenset({Move.SAME_KEY, Move.ADJACENT, Move.RELATIVE, Move.DIAGONAL}),
    "relaxed": frozenset(
        {Move.SAME_KEY, Move.ADJACENT, Move.RELATIVE, Move.DIAGONAL, Move.TWO_STEP, Move.SEMITONE}
    ),
    "any": frozenset(Move),
}
assert set(get_args(Strictness)) == set(STRICTNESS), "Strictness names the levels of STRICTNESS"

# delta = (number(b) - number(a)) mod 12
_SAME_LETTER_MOVES = {
    0: Move.SAME_KEY,
    1: Move.ADJACENT, 11: Move.ADJACENT,
    2: Move.TWO_STEP, 10: Move.TWO_STEP,
    7: Move.SEMITONE, 5: Move.SEMITONE,  # +7 = one semitone up, -7 (= +5) one semitone down
}


def _classify(a: Key, b: Key) -> Move:
    delta = (_NUMBER_OF[b.mode][b.pitch_class] - _NUMBER_OF[a.mode][a.pitch_class]) % 12
    if a.mode == b.mode:
        return _SAME_LETTER_MOVES.get(delta, Move.CLASH)
    if delta == 0:
        return Move.RELATIVE
    # A -> B one step clockwise (8A -> 9B), B -> A one step anticlockwise (8B -> 7A)
    if delta == (1 if a.mode == MINOR else 11):
        return Move.DIAGONAL
    return Move.CLASH


_MOVE_TABLE: dict[tuple[Key, Key], Move] = {(a, b): _classify(a, b) for a in ALL_KEYS for b in ALL_KEYS}


def classify_move(a: Key, b: Key) -> Move:
    """The move from key ``a`` to key ``b``.

    Every move is symmetric: ``classify_move(a, b) == classify_move(b, a)``. Diagonal is defined as
    nA -> (n+1)B and nB -> (n-1)A, which are each other's reverse (8A -> 9B and 9B -> 8A); the mirror
    diagonal nA -> (n-1)B (8A -> 7B) is not a diagonal and classifies as CLASH in both directions.
    SEMITONE covers +7 (one semitone up) and -7 (one semitone down).
    """
    try:
        return _MOVE_TABLE[a, b]
    except (KeyError, TypeError):
        raise InvalidValue(f"classify_move needs two Key values, got {_show(a)} and {_show(b)}") from None


def _check_strictness(strictness: str) -> frozenset[Move]:
    try:
        return STRICTNESS[strictness]
    except (KeyError, TypeError):
        raise InvalidValue(
            f"strictness {_show(strictness)} is not one of {', '.join(STRICTNESS)}"
        ) from None


@lru_cache(maxsize=128)
def _compatible(key: Key, strictness: str) -> tuple[tuple[Key, Move, float], ...]:
    allowed = _check_strictness(strictness)
    rows = [(k, move, MOVES[move]) for k in ALL_KEYS if (move := _MOVE_TABLE[key, k]) in allowed]
    order = {k: i for i, k in enumerate(ALL_KEYS)}
    rows.sort(key=lambda r: (-r[2], order[r[0]]))
    return tuple(rows)


def compatible_keys(key: Key, strictness: str = "normal") -> list[tuple[Key, Move, float]]:
    """Keys reachable from ``key`` at ``strictness`` (incl. the key itself), best score first,
    ties in wheel order."""
    if not isinstance(key, Key):
        key = parse_key(key)
    _check_strictness(strictness)
    return list(_compatible(key, strictness))


# --- pitch and tempo ---------------------------------------------------------------------------
def _positive(value: Any, what: str) -> float:
    number = _parse_number(value, what)
    if number <= 0:
        raise InvalidValue(f"{what} {number:g} must be greater than 0")
    return number


def semitone_shift_for_bpm(native_bpm: float, target_bpm: float) -> int:
    """Semitones a track moves when played at ``target_bpm`` without key lock:
    round(12 * log2(target / native)). +6% tempo is about +1 semitone."""
    native, target = _positive(native_bpm, "native bpm"), _positive(target_bpm, "target bpm")
    return round(12 * math.log2(target / native))


def shift_key(key: Key, semitones: int) -> Key:
    """The key ``semitones`` up (negative: down). Each semitone is +7 on the wheel; mode unchanged."""
    if not isinstance(key, Key):
        key = parse_key(key)
    return _KEY[key.mode][(key.pitch_class + semitones) % 12]


def bpm_distance_pct(a: float, b: float, allow_half_double: bool = True) -> float:
    """Tempo difference in percent of ``a`` (the track you mix *from*): |b - a| / a * 100.

    With ``allow_half_double`` the minimum over b, 2b and b/2 is used, so 128 vs 64 is 0%. The base
    is ``a``, so the measure is not exactly symmetric (128->120 is 6.25%, 120->128 is 6.67%).
    """
    a, b = _positive(a, "bpm"), _positive(b, "bpm")
    if allow_half_double:
        return min(abs(b - a), abs(2 * b - a), abs(b / 2 - a)) / a * 100.0
    return abs(b - a) / a * 100.0


# --- transition score --------------------------------------------------------------------------
BPM_CAP_PCT = 8.0  # bpm axis falls linearly from 1 at 0% to 0 at this difference (beyond pitch-fader reach)
ENERGY_CAP = 0.5  # energy axis falls linearly from 1 at delta 0 to 0 at this |delta|
EVIDENCE_SCALE = 2.0  # evidence confidence = 1 - exp(-count / EVIDENCE_SCALE)
AXES = ("key", "bpm", "energy", "genre", "evidence")
DEFAULT_WEIGHTS: dict[str, float] = {"key": 0.35, "bpm": 0.25, "energy": 0.15, "genre": 0.10, "evidence": 0.15}


@dataclass(frozen=True)
class TransitionScore:
    """How well track b follows track a.

    ``score`` = sum(weights[x] * axes[x]) / sum(weights) over the axes present in ``axes`` (axes where
    both tracks have data); 0.0 when no axis has data. ``weights`` are the weights actually used.
    """

    score: float
    axes: dict[str, float]
    weights: dict[str, float]
    move: Move | None = None
    bpm_pct: float | None = None
    energy_delta: float | None = None
    evidence_count: int = 0
    missing: tuple[str, ...] = field(default=())

    def explain(self) -> dict[str, Any]:
        """JSON-ready breakdown: per axis value, weight and contribution to the score."""
        total = sum(self.weights.values())
        return {
            "score": round(self.score, 4),
            "move": None if self.move is None else self.move.value,
            "bpm_pct": None if self.bpm_pct is None else round(self.bpm_pct, 2),
            "energy_delta": None if self.energy_delta is None else round(self.energy_delta, 4),
            "evidence_count": self.evidence_count,
            "axes": {
                name: {
                    "value": round(value, 4),
                    "weight": round(self.weights[name], 4),
                    "contribution": round(self.weights[name] * value / total, 4) if total else 0.0,
                }
                for name, value in self.axes.items()
            },
            "missing": list(self.missing),
        }


def _get(track: Any, name: str) -> Any:
    if type(track) is dict or isinstance(track, Mapping):
        return track.get(name)
    return getattr(track, name, None)


_GENRE_CACHE: dict[tuple, frozenset[str]] = {}  # genre list (as a tuple of strings) -> _genres of it


def _genres(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if type(value) is list or type(value) is tuple:
        # memoized: the same few genre lists are scored again and again (only all-str lists are cached,
        # so the key is hashable and the result depends on the strings alone)
        key = tuple(value)
        plain = all(type(g) is str for g in key)
        got = _GENRE_CACHE.get(key) if plain else None
        if got is None:
            got = frozenset(g.strip().casefold() for g in value if isinstance(g, str) and g.strip())
            if plain and len(_GENRE_CACHE) < 100_000:
                _GENRE_CACHE[key] = got
        return got
    if isinstance(value, str):
        raise InvalidValue(f"genres {_show(value)} must be a set of strings, not one string")
    return frozenset(g.strip().casefold() for g in value if isinstance(g, str) and g.strip())


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    if weights is None:
        return DEFAULT_WEIGHTS
    merged = dict(DEFAULT_WEIGHTS)
    for name, w in weights.items():
        if name not in DEFAULT_WEIGHTS:
            raise InvalidValue(f"weight {name!r} is not an axis ({', '.join(AXES)})")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise InvalidValue(f"weight {name}={w!r} must be a finite number >= 0")
        merged[name] = float(w)
    return merged


def transition_score(
    a: Any,
    b: Any,
    *,
    weights: Mapping[str, float] | None = None,
    evidence_count: int | None = 0,
    strictness: str = "any",
) -> TransitionScore:
    """Score the transition a -> b in [0, 1]. ``a``/``b`` are dicts or objects with optional
    ``key`` (Key or key string), ``bpm``, ``energy`` (0..1) and ``genres`` (set of strings).

    Axes (each in [0, 1], present only when both tracks have the data):
      key      MOVES[move]; 0 when the move is outside ``strictness`` (default "any": graded scores).
      bpm      1 - pct / BPM_CAP_PCT (clipped at 0), pct from ``bpm_distance_pct`` with half/double time.
      energy   1 - |b - a| / ENERGY_CAP (clipped at 0).
      genre    Jaccard similarity of the case-folded genre sets (an empty set is no data).
      evidence present only when ``evidence_count`` > 0 real DJ transitions a -> b were seen. Its value
               is 1.0 (the transition is known to work) and its weight is weights["evidence"] scaled by
               the confidence 1 - exp(-count / 2), so more evidence pulls the score further up.
               Zero transitions is "no data", never a penalty, and evidence never lowers the score.
    Missing data is never penalized: it leaves the axis out of the weighted mean.
    """
    return TransitionScorer(a, weights=weights, strictness=strictness).score(b, evidence_count)


class TransitionScorer:
    """``transition_score`` with track ``a``, the weights and the strictness fixed: a's fields are parsed
    once, so ranking many candidates after one track does only the per-candidate work.
    ``transition_score(a, b, ...)`` is ``TransitionScorer(a, ...).score(b, ...)``: one implementation.

    A field of ``a`` that does not parse raises only when ``b`` has that field too (as the axis is then
    computed), in the same order as the axes, so an error names the first axis that needs it."""

    __slots__ = ("allowed", "w", "_key", "_bpm", "_energy", "_genres")

    def __init__(self, a: Any, *, weights: Mapping[str, float] | None = None, strictness: str = "any") -> None:
        self.allowed = _check_strictness(strictness)
        self.w = _weights(weights)
        self._key = self._parsed(parse_key, _get(a, "key"))
        self._bpm = self._parsed(parse_bpm, _get(a, "bpm"))
        self._energy = self._parsed(parse_energy, _get(a, "energy"))
        self._genres = self._parsed(_genres, _get(a, "genres"))

    @staticmethod
    def _parsed(parse: Callable[[Any], Any], value: Any) -> Any:
        """parse(value); None for a missing value; the exception itself when it does not parse."""
        if value is None:
            return None
        try:
            return parse(value)
        except InvalidValue as e:
            return e

    def score(self, b: Any, evidence_count: int | None = 0) -> TransitionScore:
        """Score a -> ``b`` (a dict or object with optional key, bpm, energy, genres)."""
        return self.score_fields(_get(b, "key"), _get(b, "bpm"), _get(b, "energy"), _get(b, "genres"),
                                 evidence_count)

    def score_fields(self, key: Any, bpm: Any, energy: Any, genres: Any,
                     evidence_count: int | None = 0) -> TransitionScore:
        """Score a -> a track with these fields (None: no data)."""
        axes: dict[str, float] = {}
        move = bpm_pct = energy_delta = None

        ka = self._key
        if ka is not None and key is not None:
            if isinstance(ka, InvalidValue):
                raise ka
            move = _MOVE_TABLE[ka, parse_key(key)]
            axes["key"] = MOVES[move] if move in self.allowed else 0.0

        ba = self._bpm
        if ba is not None and bpm is not None:
            if isinstance(ba, InvalidValue):
                raise ba
            # bpm_distance_pct(a, b) of two parsed tempi (both in 40-250, so positive)
            bb = parse_bpm(bpm)
            bpm_pct = min(abs(bb - ba), abs(2 * bb - ba), abs(bb / 2 - ba)) / ba * 100.0
            axes["bpm"] = max(0.0, 1.0 - bpm_pct / BPM_CAP_PCT)

        ea = self._energy
        if ea is not None and energy is not None:
            if isinstance(ea, InvalidValue):
                raise ea
            energy_delta = parse_energy(energy) - ea
            axes["energy"] = max(0.0, 1.0 - abs(energy_delta) / ENERGY_CAP)

        ga = self._genres
        if isinstance(ga, InvalidValue):
            raise ga
        gb = _genres(genres)
        if ga and gb:
            axes["genre"] = len(ga & gb) / len(ga | gb)

        count = 0 if evidence_count is None else evidence_count
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidValue(f"evidence_count {evidence_count!r} must be an integer >= 0")
        w = self.w
        used = {name: w[name] for name in axes}
        if count > 0:
            axes["evidence"] = 1.0
            used["evidence"] = w["evidence"] * (1.0 - math.exp(-count / EVIDENCE_SCALE))

        total = sum(used.values())
        score = sum(used[n] * axes[n] for n in axes) / total if total > 0 else 0.0
        score = min(1.0, max(0.0, score))
        return TransitionScore(
            score=score,
            axes=axes,
            weights=used,
            move=move,
            bpm_pct=bpm_pct,
            energy_delta=energy_delta,
            evidence_count=count,
            missing=tuple(n for n in AXES if n not in axes),
        )
