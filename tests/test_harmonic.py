"""The Camelot wheel, key parsing, move classification, tempo math and the transition score."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphsvc.errors import InvalidValue
from graphsvc.harmonic import (
    ALL_KEYS,
    MOVES,
    STRICTNESS,
    Key,
    Move,
    TransitionScore,
    TransitionScorer,
    bpm_distance_pct,
    classify_move,
    compatible_keys,
    parse_bpm,
    parse_energy,
    parse_key,
    semitone_shift_for_bpm,
    shift_key,
    transition_score,
)

keys = st.sampled_from(ALL_KEYS)
any_keys = st.builds(Key, st.integers(0, 11), st.integers(0, 1))
bpms = st.floats(40, 250, allow_nan=False)
energies = st.floats(0, 1, allow_nan=False)
genre_sets = st.frozensets(st.sampled_from(["techno", "house", "trance", "dnb", "edm"]), min_size=1)
SYMMETRIC = set(Move)  # every move is symmetric with the documented diagonal definition


def K(text: str) -> Key:
    return parse_key(text)


# --- the wheel ----------------------------------------------------------------------------------
def test_exactly_24_distinct_keys_in_wheel_order():
    assert len(ALL_KEYS) == 24 and len(set(ALL_KEYS)) == 24
    assert [k.camelot for k in ALL_KEYS] == [f"{n}{letter}" for n in range(1, 13) for letter in "AB"]
    assert {(k.pitch_class, k.mode) for k in ALL_KEYS} == {(pc, m) for pc in range(12) for m in (0, 1)}


@pytest.mark.parametrize(
    ("camelot", "name", "short", "open_key"),
    [
        ("8A", "A minor", "Am", "1m"),
        ("8B", "C major", "C", "1d"),
        ("1A", "Ab minor", "Abm", "6m"),
        ("1B", "B major", "B", "6d"),
        ("11A", "F# minor", "F#m", "4m"),
        ("2B", "F# major", "F#", "7d"),
        ("12A", "Db minor", "Dbm", "5m"),
        ("12B", "E major", "E", "5d"),
        ("5A", "C minor", "Cm", "10m"),
        ("6B", "Bb major", "Bb", "11d"),
    ],
)
def test_standard_wheel_positions(camelot, name, short, open_key):
    key = Key.from_camelot(camelot)
    assert (key.camelot, key.name, key.short_name, key.open_key) == (camelot, name, short, open_key)
    assert Key.from_open_key(open_key) == key
    assert str(key) == camelot


@given(any_keys)
def test_every_notation_round_trips(key):
    assert Key.from_camelot(key.camelot) == key
    assert Key.from_open_key(key.open_key) == key
    for text in (key.camelot, key.open_key, key.name, key.short_name, key.camelot.lower(), key.name.upper()):
        assert parse_key(text) == key, text
    assert key.camelot == f"{key.camelot_number}{key.camelot_letter}"
    assert 1 <= key.camelot_number <= 12 and key.camelot_letter == ("B" if key.mode else "A")


@given(keys)
def test_relative_is_an_involution_that_changes_only_the_letter(key):
    rel = key.relative()
    assert rel.relative() == key
    assert rel.camelot_number == key.camelot_number and rel.camelot_letter != key.camelot_letter
    assert classify_move(key, rel) is Move.RELATIVE


def test_wheel_wraps_12_to_1():
    assert classify_move(K("12A"), K("1A")) is Move.ADJACENT
    assert classify_move(K("1B"), K("12B")) is Move.ADJACENT
    assert classify_move(K("11A"), K("1A")) is Move.TWO_STEP
    assert classify_move(K("12A"), K("1B")) is Move.DIAGONAL
    assert classify_move(K("1B"), K("12A")) is Move.DIAGONAL
    assert shift_key(K("6A"), 1) == K("1A")  # 6 + 7 = 13 -> 1


def test_key_validates_its_fields():
    with pytest.raises(InvalidValue, match="pitch class 12"):
        Key(12, 0)
    with pytest.raises(InvalidValue, match="mode 2"):
        Key(0, 2)
    assert Key(9, 0) == K("8A") and hash(Key(9, 0)) == hash(K("8A"))
    assert sorted([Key(2, 1), Key(0, 1), Key(0, 0)]) == [Key(0, 0), Key(0, 1), Key(2, 1)]


# --- parsing ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("texts", "camelot"),
    [
        (["8A", "08A", "8a", "8 A", " 8A ", "1m", "1M", "01m"], "8A"),
        (["A minor", "A min", "Am", "a", "A Minor", "a-minor", "Amin", "A_min", "A\tminor"], "8A"),
        (["8B", "1d", "C", "Cmaj", "C major", "c major", "C Major", "CMAJ"], "8B"),
        (["F#m", "Gbm", "11A", "F# minor", "F♯m", "G♭ minor", "f#", "gb", "F sharp minor", "4m"], "11A"),
        (["Gb major", "F#", "Gb", "2B", "G♭"], "2B"),
        (["Bbm", "A#m", "bb", "a#", "3A", "Bb minor"], "3A"),
        (["Eb minor", "D#m", "eb", "2A", "E♭ minor", "d# minor"], "2A"),  # GiantSteps spelling
        (["Db", "C#", "3B", "Db major", "C# maj"], "3B"),  # rekordbox classic Tonality
        (["12 m", "12m", "7A", "Dm"], "7A"),
        (["Cb", "B", "1B"], "1B"),  # enharmonic spellings are accepted
        (["E#m", "Fm", "4A"], "4A"),
    ],
)
def test_parse_key_accepts_notations(texts, camelot):
    for text in texts:
        assert parse_key(text) == Key.from_camelot(camelot), text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("13A", "key '13A' is not a Camelot key (1A-12B)"),
        ("0B", "key '0B' is not a Camelot key (1A-12B)"),
        ("13m", "key '13m' is not an Open Key key (1m-12d)"),
        ("H minor", "key 'H minor' is not a key name"),
        ("Cbm?", "key 'Cbm?' is not a key name"),
        ("", "key '' is empty"),
        ("   ", "key '   ' is empty"),
        ("ID", "key 'ID' is not a key name"),
        ("?", "key '?' is not a key name"),
        ("CM", "key 'CM' is ambiguous"),
        ("Amaj7", "key 'Amaj7' is not a key name"),
        ("8C", "key '8C' is not a Camelot"),
        ("A b", "key 'A b' is not a key name"),
        (None, "key is missing (None)"),
        (9, "use Key.from_spotify()"),
        ((9, 0), "use Key.from_spotify()"),
    ],
)
def test_parse_key_rejects_with_the_value_in_the_message(value, message):
    with pytest.raises(InvalidValue) as info:
        parse_key(value)
    assert message in str(info.value)


def test_parse_key_rejects_repeatedly_and_returns_keys_unchanged():
    for _ in range(3):  # rejects are cached; they must keep raising
        with pytest.raises(InvalidValue, match="'ID'"):
            parse_key("ID")
    key = K("8A")
    assert parse_key(key) is key
    assert isinstance(InvalidValue("x"), ValueError)


def test_from_camelot_and_open_key_reject_other_notations():
    with pytest.raises(InvalidValue, match="'Am' is not a Camelot key"):
        Key.from_camelot("Am")
    with pytest.raises(InvalidValue, match="'8A' is not an Open Key key"):
        Key.from_open_key("8A")


@pytest.mark.parametrize(
    ("spotify", "camelot"), [((9, 0), "8A"), ((0, 1), "8B"), ((7.0, 0.0), "6A"), ((1, 1), "3B"), ((11, 0), "10A")]
)
def test_from_spotify(spotify, camelot):
    assert Key.from_spotify(*spotify) == Key.from_camelot(camelot)


@pytest.mark.parametrize(
    ("spotify", "message"),
    [((-1, 0), "-1 means the key is unknown"), ((12, 1), "not a pitch class"), ((3, 2), "mode 2"),
     ((float("nan"), 1), "not a whole number"), ((7.5, 1), "not a whole number"), ((None, 1), "not a number")],
)
def test_from_spotify_rejects(spotify, message):
    with pytest.raises(InvalidValue, match=message):
        Key.from_spotify(*spotify)


def test_parse_key_handles_every_giantsteps_annotation(shared_data):
    import csv

    with open(shared_data / "giantsteps-key" / "giantsteps_key_annotations.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) > 100
    for row in rows:
        key = parse_key(row["key"])
        tonic, mode = row["key"].split()
        assert key.mode == (1 if mode == "major" else 0)
        assert parse_key(key.name) == key and parse_key(tonic + ("m" if mode == "minor" else "")) == key


# --- BPM and energy ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [("128,5", 128.5), ("128,00", 128.0), (128, 128.0), ("127.995", 128.0), (" 95.1234 ", 95.12), (40, 40.0),
     (250.0, 250.0)],
)
def test_parse_bpm_accepts(value, expected):
    assert parse_bpm(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "bpm 0 is outside 40-250"), ("999", "bpm 999 is outside 40-250"), (-5, "bpm -5 is outside 40-250"),
     ("NaN", "bpm 'NaN' is not a finite number"), ("inf", "bpm 'inf' is not a finite number"),
     (float("nan"), "bpm nan is not a finite number"), ("abc", "bpm 'abc' is not a number"),
     ("1.280,00", "not a number"), (None, "bpm None is not a number"), (True, "not a number"),
     (39.99, "outside 40-250")],
)
def test_parse_bpm_rejects(value, message):
    with pytest.raises(InvalidValue) as info:
        parse_bpm(value)
    assert message in str(info.value)


def test_parse_energy():
    assert parse_energy("0,75") == 0.75 and parse_energy(0) == 0.0 and parse_energy(1) == 1.0
    for bad in (7, 1.01, -0.1, "nan", "high", None):
        with pytest.raises(InvalidValue, match="energy"):
            parse_energy(bad)
    with pytest.raises(InvalidValue, match="1-10 ratings are not accepted"):
        parse_energy(7)


# --- moves ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "move"),
    [
        ("8A", "8A", Move.SAME_KEY), ("8A", "9A", Move.ADJACENT), ("8A", "7A", Move.ADJACENT),
        ("12A", "1A", Move.ADJACENT),
        ("8A", "8B", Move.RELATIVE), ("8A", "10A", Move.TWO_STEP), ("8A", "6A", Move.TWO_STEP),
        ("8A", "9B", Move.DIAGONAL), ("8B", "7A", Move.DIAGONAL), ("8A", "7B", Move.CLASH),
        ("8B", "9A", Move.CLASH), ("8A", "3A", Move.SEMITONE), ("8A", "1A", Move.SEMITONE),
        ("8A", "2A", Move.CLASH), ("8A", "4B", Move.CLASH),
        ("Am", "Bbm", Move.SEMITONE), ("C", "Db", Move.SEMITONE),
    ],
)
def test_classify_move_table(a, b, move):
    assert classify_move(K(a), K(b)) is move


@given(keys, keys)
def test_classify_move_is_symmetric(a, b):
    move = classify_move(a, b)
    if move in SYMMETRIC:
        assert classify_move(b, a) is move


@given(keys)
def test_move_counts_per_key(key):
    counts = dict.fromkeys(Move, 0)
    for other in ALL_KEYS:
        counts[classify_move(key, other)] += 1
    assert counts == {Move.SAME_KEY: 1, Move.RELATIVE: 1, Move.ADJACENT: 2, Move.TWO_STEP: 2,
                      Move.DIAGONAL: 1, Move.SEMITONE: 2, Move.CLASH: 15}


@given(keys, st.integers(-30, 30))
def test_semitone_move_is_a_one_semitone_shift(key, s):
    shifted = shift_key(key, s)
    if s % 12 in (1, 11):
        assert classify_move(key, shifted) is Move.SEMITONE


def test_moves_scores_and_strictness_levels():
    assert set(MOVES) == set(Move) and all(0 <= v <= 1 for v in MOVES.values())
    assert MOVES[Move.SAME_KEY] == 1.0 and MOVES[Move.CLASH] == 0.0
    assert STRICTNESS["strict"] == {Move.SAME_KEY, Move.ADJACENT, Move.RELATIVE}
    assert STRICTNESS["normal"] == STRICTNESS["strict"] | {Move.DIAGONAL}
    assert STRICTNESS["relaxed"] == STRICTNESS["normal"] | {Move.TWO_STEP, Move.SEMITONE}
    assert STRICTNESS["any"] == set(Move)


def test_compatible_keys():
    got = compatible_keys(K("8A"))
    assert [(k.camelot, m) for k, m, _ in got] == [
        ("8A", Move.SAME_KEY),
        ("7A", Move.ADJACENT),
        ("8B", Move.RELATIVE),
        ("9A", Move.ADJACENT),
        ("9B", Move.DIAGONAL),
    ]
    assert [s for _, _, s in got] == [1.0, 0.9, 0.9, 0.9, 0.7]
    assert len(compatible_keys(K("8A"), "strict")) == 4
    assert len(compatible_keys(K("8A"), "relaxed")) == 9
    assert len(compatible_keys(K("8A"), "any")) == 24
    got.clear()  # callers get their own list
    assert len(compatible_keys(K("8A"))) == 5
    with pytest.raises(InvalidValue, match="strictness 'loose' is not one of strict, normal, relaxed, any"):
        compatible_keys(K("8A"), "loose")


@given(keys, st.sampled_from(sorted(STRICTNESS)))
def test_compatible_keys_match_classify_move(key, level):
    got = compatible_keys(key, level)
    assert {k for k, _, _ in got} == {k for k in ALL_KEYS if classify_move(key, k) in STRICTNESS[level]}
    assert all(m is classify_move(key, k) and s == MOVES[m] for k, m, s in got)
    assert [s for _, _, s in got] == sorted((s for _, _, s in got), reverse=True)


# --- pitch and tempo -----------------------------------------------------------------------------
@given(any_keys, st.integers(-100, 100))
def test_shift_key_properties(key, s):
    assert shift_key(key, 12) == key
    assert shift_key(shift_key(key, s), -s) == key
    assert shift_key(key, s + 12) == shift_key(key, s)
    assert shift_key(key, s).mode == key.mode
    one_up = shift_key(key, 1)
    assert one_up.camelot_number == (key.camelot_number + 6) % 12 + 1  # +7 on the wheel
    assert one_up.camelot_letter == key.camelot_letter


@given(bpms)
def test_semitone_shift_for_bpm_ratio(bpm):
    assert semitone_shift_for_bpm(bpm, 2 * bpm) == 12
    assert semitone_shift_for_bpm(2 * bpm, bpm) == -12
    assert semitone_shift_for_bpm(bpm, bpm) == 0


def test_semitone_shift_examples_and_rejects():
    assert semitone_shift_for_bpm(120, 127.14) == 1  # +5.95% ~ one semitone
    assert semitone_shift_for_bpm(128, 126) == 0
    with pytest.raises(InvalidValue, match="greater than 0"):
        semitone_shift_for_bpm(0, 128)


@given(bpms, bpms)
def test_bpm_distance_pct_properties(a, b):
    d = bpm_distance_pct(a, b)
    assert 0 <= d <= bpm_distance_pct(a, b, allow_half_double=False)
    assert math.isclose(bpm_distance_pct(a, a), 0.0)
    assert bpm_distance_pct(a, 2 * a) == 0.0 and bpm_distance_pct(a, a / 2) == 0.0


def test_bpm_distance_pct_examples():
    assert bpm_distance_pct(128, 64) == 0.0
    assert bpm_distance_pct(128, 64, allow_half_double=False) == 50.0
    assert bpm_distance_pct(128, 120) == 6.25  # base is a
    assert math.isclose(bpm_distance_pct(120, 128), 6.666666, rel_tol=1e-5)
    assert bpm_distance_pct(87, 172) == pytest.approx(1.149, abs=1e-3)  # dnb half time
    with pytest.raises(InvalidValue, match="bpm"):
        bpm_distance_pct(-1, 128)


# --- transition score ----------------------------------------------------------------------------
tracks = st.fixed_dictionaries(
    {},
    optional={"key": keys, "bpm": bpms, "energy": energies, "genres": genre_sets},
)


@given(tracks, tracks, st.integers(0, 50), st.sampled_from(sorted(STRICTNESS)))
def test_transition_score_in_unit_interval_and_consistent(a, b, evidence, level):
    result = transition_score(a, b, evidence_count=evidence, strictness=level)
    assert 0.0 <= result.score <= 1.0
    assert set(result.axes) == set(result.weights)
    assert all(0.0 <= v <= 1.0 for v in result.axes.values())
    total = sum(result.weights.values())
    if total:
        expected = sum(result.weights[n] * v for n, v in result.axes.items()) / total
        assert math.isclose(result.score, expected, abs_tol=1e-12)
    assert ("evidence" in result.axes) == (evidence > 0)
    json.dumps(result.explain())


@given(tracks, tracks, st.sampled_from(["key", "bpm", "energy", "genres"]))
def test_missing_axis_is_neutral_never_a_penalty(a, b, field_name):
    """Dropping an axis leaves the score between the same pair with that axis at its worst and at
    perfect agreement; with every known axis perfect, missing axes still give 1.0."""
    a, b = dict(a), dict(b)
    probes = {"key": ("8A", "8A", "3B"), "bpm": (128, 128, 64 * 1.5), "energy": (0.5, 0.5, 1.0),
              "genres": ({"techno"}, {"techno"}, {"polka"})}
    va, perfect_b, worst_b = probes[field_name]
    missing = transition_score({**a, field_name: None}, b).score
    perfect = transition_score({**a, field_name: va}, {**b, field_name: perfect_b}).score
    worst = transition_score({**a, field_name: va}, {**b, field_name: worst_b}).score
    assert worst - 1e-12 <= missing <= perfect + 1e-12


@given(tracks.filter(lambda t: "key" not in t))
def test_all_known_axes_perfect_scores_one_regardless_of_missing(track):
    assert transition_score(track, track).score == (1.0 if track else 0.0)
    assert transition_score({**track, "key": "5A"}, {**track, "key": "5A"}).score == 1.0


@given(keys, keys)
def test_score_equals_key_axis_when_only_keys_known(ka, kb):
    result = transition_score({"key": ka}, {"key": kb})
    assert result.score == MOVES[classify_move(ka, kb)]
    assert result.axes == {"key": result.score} and result.move is classify_move(ka, kb)
    assert result.bpm_pct is None and result.energy_delta is None


@given(tracks, tracks, st.integers(0, 30))
def test_more_evidence_never_lowers_the_score(a, b, n):
    without = transition_score(a, b).score
    assert transition_score(a, b, evidence_count=n).score >= without - 1e-12
    assert transition_score(a, b, evidence_count=n + 1).score >= transition_score(a, b, evidence_count=n).score - 1e-12


@given(tracks, st.lists(st.tuples(tracks, st.integers(0, 10)), max_size=8), st.sampled_from(sorted(STRICTNESS)))
def test_one_scorer_for_many_candidates_equals_scoring_each_pair(a, bs, level):
    """TransitionScorer parses a once and is reused over candidates (next-track ranking): every score must
    equal transition_score of the pair, whatever was scored before it."""
    scorer = TransitionScorer(a, strictness=level)
    for b, n in bs:
        assert scorer.score(b, n) == transition_score(a, b, evidence_count=n, strictness=level)


def test_scorer_raises_for_a_bad_field_of_a_only_when_the_axis_is_computed():
    scorer = TransitionScorer({"key": "13A", "bpm": 128})
    assert scorer.score({"bpm": 128}).score == 1.0  # no key on b: the key axis is not computed
    with pytest.raises(InvalidValue, match="13A"):
        scorer.score({"key": "8A", "bpm": 128})
    assert transition_score({"key": "13A"}, {"bpm": 128}).score == 0.0


class _Track:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_transition_score_example_and_explain():
    a = _Track(key=K("8A"), bpm=128.0, energy=0.6, genres={"Techno", "minimal"})
    b = {"key": "9B", "bpm": "126", "energy": 0.7, "genres": {"techno"}}
    result = transition_score(a, b, evidence_count=2)
    assert isinstance(result, TransitionScore)
    assert result.move is Move.DIAGONAL
    assert result.axes["key"] == 0.7
    assert result.axes["bpm"] == pytest.approx(1 - 1.5625 / 8)
    assert result.energy_delta == pytest.approx(0.1) and result.axes["energy"] == pytest.approx(0.8)
    assert result.axes["genre"] == 0.5  # case folded: {techno} / {techno, minimal}
    assert result.weights["evidence"] == pytest.approx(0.15 * (1 - math.exp(-1)))
    explained = result.explain()
    assert json.loads(json.dumps(explained)) == explained
    assert explained["move"] == "diagonal" and explained["missing"] == []
    assert sum(ax["contribution"] for ax in explained["axes"].values()) == pytest.approx(result.score, abs=1e-3)


def test_transition_score_strictness_and_weights():
    a, b = {"key": "8A", "bpm": 128}, {"key": "10A", "bpm": 128}
    assert transition_score(a, b).axes["key"] == 0.6  # default "any": graded
    assert transition_score(a, b, strictness="normal").axes["key"] == 0.0  # two-step not allowed
    only_bpm = transition_score(a, b, weights={"key": 0})
    assert only_bpm.score == 1.0 and only_bpm.weights == {"key": 0.0, "bpm": 0.25}
    empty = transition_score({}, {})
    assert empty.score == 0.0 and empty.axes == {}
    assert empty.explain()["missing"] == ["key", "bpm", "energy", "genre", "evidence"]
    for kwargs, message in [
        ({"weights": {"mood": 1}}, "weight 'mood' is not an axis"),
        ({"weights": {"key": -1}}, "must be a finite number >= 0"),
        ({"evidence_count": -1}, "evidence_count -1 must be an integer >= 0"),
        ({"strictness": "loose"}, "strictness 'loose'"),
    ]:
        with pytest.raises(InvalidValue, match=message):
            transition_score(a, b, **kwargs)
    with pytest.raises(InvalidValue, match="bpm 999 is outside"):
        transition_score({"bpm": 999}, {"bpm": 128})
    with pytest.raises(InvalidValue, match="must be a set of strings"):
        transition_score({"genres": "techno,house"}, {"genres": {"techno"}})
