"""Name keys (identity) and the corpus-driven credit splitter."""

from __future__ import annotations

import contextlib
import gzip
import json

import pytest

from etl.credits import CreditSplitter, split_featuring
from etl.tracklist import EntryParseError, parse_entry
from graphsvc.names import display_name, name_key, title_key, version_key


# ---------------------------------------------------------------- name keys
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Röyksopp", "Royksopp"),
        ("Âme", "ame"),
        ("Above & Beyond", "Above and Beyond"),
        ("Above + Beyond", "above  AND beyond"),
        ("The Chemical Brothers", "Chemical Brothers"),
        ("D:Ream", "D-Ream"),
        ("D.R.N.D.Y", "DRNDY"),
        ("Kris O'Neil", "Kris ONeil"),
        ("  Nina   Kraviz ", "nina kraviz"),
        ("Kölsch", "KOLSCH"),
    ],
)
def test_name_key_equal(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"), [("Sasha", "Shasha"), ("Chase & Status", "Chase"), ("Theo Parrish", "Parrish"), ("DJ Dan", "Dan")]
)
def test_name_key_different(a, b):
    assert name_key(a) != name_key(b)


def test_name_key_values():
    assert name_key("Röyksopp") == "royksopp"
    assert name_key("D:Ream") == "d ream"
    assert name_key("The The") == "the"  # only the leading article goes
    assert name_key("!!!") == ""


def test_title_key_keeps_the_and_unifies_and():
    assert title_key("The Ending") != title_key("Ending")
    assert title_key("Skull & Bones") == title_key("skull and bones")
    assert title_key("Lovin' Is Really My Game") == "lovin is really my game"


def test_version_key():
    assert version_key(None) == version_key("Original Mix") == version_key("original") == ""
    assert version_key("Dixon Edit") == "dixon edit"
    assert version_key("Extended Mix") == "extended mix"


def test_display_name_keeps_case_and_accents():
    assert display_name("  Âme   &  Dixon ") == "Âme & Dixon"


# ---------------------------------------------------------------- credit splitting
def test_split_featuring():
    assert split_featuring("Hardwell Feat. Matthew Koma") == ("Hardwell", ["Matthew Koma"])
    assert split_featuring("A ft. B featuring C") == ("A", ["B", "C"])
    assert split_featuring("Fatboy Slim") == ("Fatboy Slim", [])


def test_splitter_uses_corpus_evidence():
    corpus = (
        ["Above & Beyond"] * 5
        + ["Above & Beyond, Jaytech", "Nick Warren", "Jody Wisternoff", "Nick Warren & Jody Wisternoff"]
        + ["Kyau & Albert"] * 20
        + ["Kyau", "Albert"]
        + ["Sven Tasnadi", "David Jach", "Sven Tasnadi, David Jach"]
    )
    sp = CreditSplitter.from_corpus(corpus)
    assert sp.split("Above & Beyond") == ["Above & Beyond"]
    assert sp.split("Above & Beyond, Jaytech") == ["Above & Beyond", "Jaytech"]
    assert sp.split("Nick Warren & Jody Wisternoff") == ["Nick Warren", "Jody Wisternoff"]
    assert sp.split("Kyau & Albert") == ["Kyau & Albert"]  # seen alone twice, together twenty times
    assert sp.split("Sven Tasnadi, David Jach") == ["Sven Tasnadi", "David Jach"]
    assert sp.split("Pryda vs Above & Beyond") == ["Pryda", "Above & Beyond"]


def test_splitter_fallbacks_without_corpus():
    sp = CreditSplitter()
    assert sp.split("Photon, Inc.") == ["Photon, Inc."]
    assert sp.split("Earth, Wind & Fire") == ["Earth, Wind & Fire"]
    assert sp.split("Simon & Garfunkel") == ["Simon & Garfunkel"]
    assert sp.split("Chase & Status") == ["Chase & Status"]  # two unknown single words: a duo name
    assert sp.split("Wayne Madiedo & Sergio Pardo") == ["Wayne Madiedo", "Sergio Pardo"]
    assert sp.split("Kid Drama x Skeptical") == ["Kid Drama", "Skeptical"]
    assert sp.split("&ME") == ["&ME"]
    assert sp.split("Monika Kruse Meets Pig&Dan") == ["Monika Kruse", "Pig&Dan"]


def test_splitter_round_trips_through_dict():
    sp = CreditSplitter.from_corpus(["Kyau & Albert"] * 5 + ["Kyau", "A & B", "A & C"], ["Lonely Love", "Love"] * 3)
    again = CreditSplitter.from_dict(json.loads(json.dumps(sp.to_dict())))
    for text in ["Kyau & Albert", "A & B & C", "Love & Lonely"]:
        assert again.split(text) == sp.split(text)
    assert again.is_descriptive("Lonely") and not again.is_descriptive("Kyau")
    with pytest.raises(ValueError, match="unsupported CreditSplitter format"):
        CreditSplitter.from_dict({"format": 99})


def test_splitter_on_the_real_corpus(mixesdb_file):
    with gzip.open(mixesdb_file, "rt", encoding="utf-8") as fh:
        mixes = json.load(fh)
    artists = []
    for m in mixes:
        for t in m["tracklist"]:
            with contextlib.suppress(EntryParseError):
                artists.append(parse_entry(t["title"]).artist_text)
    sp = CreditSplitter.from_corpus(artists)  # its speed is measured by scripts/bench_parsing.py
    assert sp.split("Above & Beyond") == ["Above & Beyond"]
    assert sp.split("Sasha & John Digweed") == ["Sasha", "John Digweed"]
    assert sp.split("Loco & Jam") == ["Loco & Jam"]
    assert sp.split("Ed Rush & Optical") == ["Ed Rush", "Optical"]
    assert sp.split("Dimitri Vegas & Like Mike") == ["Dimitri Vegas & Like Mike"]
    assert sp.split("Marcel Dettmann & Ben Klock") == ["Marcel Dettmann", "Ben Klock"]
