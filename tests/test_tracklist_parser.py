"""Tracklist entry parser: every rule on its own, then the hand-labelled real titles (acceptance: >= 95%)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from etl.credits import CreditSplitter
from etl.tracklist import Credit, EntryParseError, parse_entry

LABELLED = Path(__file__).parent / "data" / "labelled_titles.json"


def names(entry, role):
    return [c.name for c in entry.credits if c.role == role]


# ---------------------------------------------------------------- corpus fixtures
@pytest.fixture(scope="module")
def corpus_titles(mixesdb_file) -> list[str]:
    with gzip.open(mixesdb_file, "rt", encoding="utf-8") as fh:
        mixes = json.load(fh)
    return [t["title"] for m in mixes for t in m["tracklist"]]


@pytest.fixture(scope="module")
def splitter(corpus_titles) -> CreditSplitter:
    artists, titles = [], []
    for t in corpus_titles:
        try:
            e = parse_entry(t)
        except EntryParseError:
            continue
        artists.append(e.artist_text)
        titles.append(e.title)
    return CreditSplitter.from_corpus(artists, titles)


# ---------------------------------------------------------------- cues
@pytest.mark.parametrize(
    ("raw", "cue", "seconds"),
    [
        ("[05] Code 61 - Drop The Deal [Limited Club Edition - LCE 003]", "05", None),
        ("[00:00] Adonte - Feel It (Open Your Eyes Mix) [Republic - LICT 041, 1990]", "00:00", 0),
        ("[41:40] Brainstorm - Lovin' Is Really My Game (at -8) [Tabu - QD-10963, 1977]", "41:40", 2500),
        ("[059:14] Yahel & Tammy - Cloud 9 (Oraw Remix) [Iboga]", "059:14", 3554),
        ("[1:02:03] A - B", "1:02:03", 3723),
        ("[0??] Kuba Sojka - Evolution Of The Galaxy", "0??", None),
        ("[12:7?] A - B", "12:7?", None),
        ("Photon, Inc. - Generate Power (Wild Pitch Mix)", None, None),
    ],
)
def test_cue(raw, cue, seconds):
    e = parse_entry(raw)
    assert (e.cue, e.cue_seconds) == (cue, seconds)


# ---------------------------------------------------------------- label block
def test_label_catalog_year():
    e = parse_entry("[00:00] Adonte - Feel It (Open Your Eyes Mix) [Republic - LICT 041, 1990]")
    assert (e.label, e.catalog, e.year) == ("Republic", "LICT 041", 1990)
    assert (e.title, e.version) == ("Feel It", "Open Your Eyes Mix")


def test_label_only_and_label_year_only():
    e = parse_entry("A - B [Anjunabeats]")
    assert (e.label, e.catalog, e.year) == ("Anjunabeats", None, None)
    e = parse_entry("A - B [Urban Poetry, 2015]")
    assert (e.label, e.catalog, e.year) == ("Urban Poetry", None, 2015)


@pytest.mark.parametrize("block", ["[white]", "[White]", "[white label]", "[White Label]"])
def test_white_label(block):
    e = parse_entry(f"Daphni - Carry On {block}")
    assert (e.label, e.catalog) == ("White Label", None)


@pytest.mark.parametrize("status", ["Unreleased", "Forthcoming", "Promo"])
def test_status_words_are_not_labels(status):
    e = parse_entry(f"Hudson Mohawke - Stay Fresh [{status}]")
    assert e.label is None and e.catalog is None
    e = parse_entry(f"Joey Beltram - Intermission [Tresor - {status}]")
    assert (e.label, e.catalog) == ("Tresor", None)


def test_catalog_only_block_and_sloppy_separator():
    assert (parse_entry("X - Rock The Universe [MIND 002]").catalog, parse_entry("X - Y [MIND 002]").label) == (
        "MIND 002",
        None,
    )
    e = parse_entry("[09] Cappella - Bauhaus [Media  -MR 519]")
    assert (e.label, e.catalog) == ("Media", "MR 519")


# ---------------------------------------------------------------- version and remixers
@pytest.mark.parametrize(
    ("raw", "title", "version", "remixers"),
    [
        ("A - Drop (Dixon Edit)", "Drop", "Dixon Edit", ["Dixon"]),
        ("A - Drop (David Penn Remix)", "Drop", "David Penn Remix", ["David Penn"]),
        ("A - Drop (Hurley's House Mix)", "Drop", "Hurley's House Mix", ["Hurley"]),
        ("A - Drop (Axel Boman Re-Rub)", "Drop", "Axel Boman Re-Rub", ["Axel Boman"]),
        ("A - Drop (Morttagua Bootleg)", "Drop", "Morttagua Bootleg", ["Morttagua"]),
        ("A - Drop (Mr. G Rework)", "Drop", "Mr. G Rework", ["Mr. G"]),
        ("A - Drop (Extended Mix)", "Drop", "Extended Mix", []),
        ("A - Drop (Original Mix)", "Drop", "Original Mix", []),
        ("A - Drop (Dub Mix)", "Drop", "Dub Mix", []),
        ("A - Drop (Club Mix)", "Drop", "Club Mix", []),
        ("A - Drop (Radio Edit)", "Drop", "Radio Edit", []),
        ('A - Drop (12" Version)', "Drop", '12" Version', []),
        ("A - Drop (Vocal Mix)", "Drop", "Vocal Mix", []),
        ("A - Drop (Instrumental)", "Drop", "Instrumental", []),
        ("A - Drop (Remix)", "Drop", "Remix", []),
        ("A - Drop (Pt. 1)", "Drop (Pt. 1)", None, []),
        ('A - The Pressure (Pt. 1) (Classic 12" Mix With Vocal Intro)', "The Pressure (Pt. 1)",
         'Classic 12" Mix With Vocal Intro', []),
        ("A - Windrose (Anthik Remix) (Coyu Edit)", "Windrose", "Anthik Remix (Coyu Edit)", ["Anthik", "Coyu"]),
        ("A - Special Original Mix", "Special", "Original Mix", []),
        ("A - Lovin' Is Really My Game (at -8)", "Lovin' Is Really My Game", None, []),
    ],
)
def test_version_and_remixer(raw, title, version, remixers):
    e = parse_entry(raw)
    assert (e.title, e.version, names(e, "remixer")) == (title, version, remixers)


def test_remixer_credit_split_into_collaborators():
    e = parse_entry("A - B (Nick Warren & Jody Wisternoff Remix)")
    assert names(e, "remixer") == ["Nick Warren", "Jody Wisternoff"]


# ---------------------------------------------------------------- featured
@pytest.mark.parametrize(
    "raw",
    [
        "[06:15] One Way Feat. Al Hudson - Music [MCA - MCA 542, 1979]",
        "One Way ft. Al Hudson - Music",
        "One Way featuring Al Hudson - Music",
        "One Way Feat Al Hudson - Music",
        "One Way - Music (feat. Al Hudson)",
        "One Way - Music Ft. Al Hudson",
    ],
)
def test_featured_from_artist_or_title(raw):
    e = parse_entry(raw)
    assert names(e, "primary") == ["One Way"]
    assert names(e, "featured") == ["Al Hudson"]
    assert e.title == "Music"


def test_featured_inside_version_and_credit_order():
    e = parse_entry("[21:48] Beyoncé - Me, Myself And I (J'TY Remix Feat. Grafh) [Columbia - 86386]")
    assert e.credits == (
        Credit("Beyoncé", "primary"),
        Credit("Grafh", "featured"),
        Credit("J'TY", "remixer"),
    )
    assert e.version == "J'TY Remix"


# ---------------------------------------------------------------- gaps
@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ID - ID", "unidentified"),
        ("? - ?", "unidentified"),
        ("??? - ???", "unidentified"),
        ("Unknown - Unknown", "unidentified"),
        ("Unknown Artist - Unknown", "unidentified"),
        ("[12] ID", "unidentified"),
        (" [48] ?", "unidentified"),
        ("[111] Sandboards - ID", "unreleased_id"),
        ("Monaque - ID (Luis Junior Remix) [Microcastle - MCSL 012LP]", "unreleased_id"),
        ("? - Keep The Fire Burning", "unknown_artist"),
        ("Unknown Artist - Clarinette [White Label - RAL 1002]", "unknown_artist"),
        ("[000] Intro", "not_a_track"),
        ("Outro", "not_a_track"),
        ("[01] The Anjunadeep Edition Intro", "not_a_track"),
    ],
)
def test_gaps(raw, reason):
    e = parse_entry(raw)
    assert e.is_gap and e.gap_reason == reason


def test_gap_keeps_known_parts():
    e = parse_entry("[111] Sandboards - ID")
    assert (e.cue, names(e, "primary"), e.title) == ("111", ["Sandboards"], None)
    e = parse_entry("Unknown Artist - Clarinette [White Label - RAL 1002]")
    assert (e.credits, e.title, e.label, e.catalog) == ((), "Clarinette", "White Label", "RAL 1002")


@pytest.mark.parametrize(
    "raw", ["Jon Rundell - Knick Knack [Intec - ID 015]", "Henrik Schwarz - Unknown Touch Two", "Reza - Idiom",
            "Trentemøller - Take Me Into Your Skin (Intro)", "Moby - Intro"]
)
def test_id_in_label_or_words_is_not_a_gap(raw):
    assert not parse_entry(raw).is_gap


# ---------------------------------------------------------------- other rules
def test_segment_prefix_and_layer_plus_are_removed():
    e = parse_entry("Tune Of The Week: Musique vs U2 - New Years Dub (Hybrid Mix)")
    assert e.segment == "Tune Of The Week"
    assert names(e, "primary") == ["Musique", "U2"] and names(e, "remixer") == ["Hybrid"]
    e = parse_entry("[??] + Pryda - Allein")
    assert names(e, "primary") == ["Pryda"] and e.cue == "??"


def test_loose_hyphen_split():
    e = parse_entry("[29] Atom™- LTBCYB [Audio Archiv - AAA 005]")
    assert (names(e, "primary"), e.title) == (["Atom™"], "LTBCYB")


def test_dashes_and_file_name_style_entries_split():
    e = parse_entry("[00:10:50] Melé — The Beyonce Track [Club Bad]")
    assert (names(e, "primary"), e.title, e.label) == (["Melé"], "The Beyonce Track", "Club Bad")
    e = parse_entry("Paul Woolford – Untitled (Call Out Your Name)")
    assert (names(e, "primary"), e.title) == (["Paul Woolford"], "Untitled (Call Out Your Name)")
    e = parse_entry("Sonic_Element_-_Crossroads_Original_Mix [Borderline]")
    assert (names(e, "primary"), e.title, e.version) == (["Sonic Element"], "Crossroads", "Original Mix")


def test_bare_hyphen_splits_after_a_name_the_corpus_knows(splitter):
    e = parse_entry(" Joy Orbison-Hyph Mngo", splitter)
    assert (names(e, "primary"), e.title) == (["Joy Orbison"], "Hyph Mngo")
    e = parse_entry("[29] GabeeN Feat. Gracie-Dark Soul (Forest People Replant)", splitter)
    assert (names(e, "primary"), names(e, "featured"), e.title) == (
        ["GabeeN"], ["Gracie"], "Dark Soul (Forest People Replant)")
    # the longest known name wins: a hyphen inside the artist's own name does not split it
    known = CreditSplitter.from_corpus(["Jay-Z", "Jay"])
    jay_z = parse_entry("Jay-Z-Song Cry", known)
    assert (jay_z.artist_text, jay_z.title) == ("Jay-Z", "Song Cry")
    # without corpus evidence, or before a number, it is no separator
    for raw, sp in (("Joy Orbison-Hyph Mngo", None), ("[74] TR-909", splitter), ("Unheard Of-Name", splitter)):
        with pytest.raises(EntryParseError, match="no ' - ' between artist and title"):
            parse_entry(raw, sp)


def test_unicode_names():
    e = parse_entry("[03] Röyksopp - Eple (Âme Remix) [Wall Of Sound]")
    assert e.credits == (Credit("Röyksopp", "primary"), Credit("Âme", "remixer"))


def test_credits_use_the_splitter(splitter):
    e = parse_entry("Sasha & John Digweed - X", splitter)
    assert names(e, "primary") == ["Sasha", "John Digweed"]
    e = parse_entry("Above & Beyond Feat. Zoë Johnston - Y (Kyau & Albert Remix)", splitter)
    assert e.credits == (
        Credit("Above & Beyond", "primary"),
        Credit("Zoë Johnston", "featured"),
        Credit("Kyau & Albert", "remixer"),
    )


# ---------------------------------------------------------------- rejects
@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty entry"),
        ("   ", "empty entry"),
        ("[05] Introspection", "no ' - ' between artist and title"),  # a word, not the segment "Intro"
        ("Willie Graff & Tuccillo [Lunar Feelings - Freerange]", "no ' - ' between artist and title"),
        ("[12] [Label - Cat]", "no artist or title"),
        (" - Only Title", "empty artist"),
        ("Only Artist - ", "empty title"),
        ("[01] - Only Title", "empty artist"),
    ],
)
def test_reject_reasons(raw, reason):
    with pytest.raises(EntryParseError, match=reason.replace("(", r"\(")):
        parse_entry(raw)


# ---------------------------------------------------------------- the whole corpus
def test_whole_corpus_parses(corpus_titles, splitter):
    """Almost every real entry parses (speed is measured by scripts/bench_parsing.py, not asserted)."""
    errors = 0
    for t in corpus_titles:
        try:
            parse_entry(t, splitter)
        except EntryParseError:
            errors += 1
    assert errors < 0.005 * len(corpus_titles)


# ---------------------------------------------------------------- acceptance: hand-labelled titles
def _as_labelled(e) -> dict:
    return {
        "is_gap": e.is_gap,
        "gap_reason": e.gap_reason,
        "cue": e.cue,
        "credits": [{"name": c.name, "role": c.role} for c in e.credits],
        "title": e.title,
        "version": e.version,
        "label": e.label,
        "catalog": e.catalog,
        "year": e.year,
    }


def test_hand_labelled_titles(splitter):
    entries = json.loads(LABELLED.read_text(encoding="utf-8"))["entries"]
    assert len(entries) >= 160
    matches, mismatches = 0, []
    for item in entries:
        try:
            got = _as_labelled(parse_entry(item["raw"], splitter))
        except EntryParseError as exc:
            got = {"error": True, "reason": str(exc)}
        want = {k: v for k, v in item.items() if k != "raw"}
        ok = got.get("error") is True if item.get("error") else got == want
        if ok:
            matches += 1
        else:
            diff = {k: (want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)}
            mismatches.append((item["raw"], diff))
    rate = matches / len(entries)
    print(f"\nexact match: {matches}/{len(entries)} = {rate:.1%}")
    for raw, diff in mismatches:
        print(f"  MISMATCH {raw!r}")
        for k, (want, got) in diff.items():
            print(f"      {k}: want {want!r} got {got!r}")
    assert rate >= 0.95


def test_artist_artefacts_of_the_real_data():
    """Real MixesDB entries that made half-named artists: members in parentheses, a track number, a name
    written twice, a live-PA or country note."""
    from etl.credits import CreditSplitter

    splitter = CreditSplitter.from_corpus(["Jeff Mills"] * 5 + ["Deadmau5"] * 5 + ["20 Jeff Mills", "4 Hero", "4 Hero"])

    def credits(raw: str) -> list[tuple[str, str]]:
        return [(c.name, c.role) for c in parse_entry(raw, splitter).credits]

    assert credits("[??] Missing Channel (Robert Hood & Claude Young) - Onslaught (FJAAK Remix)") == [
        ("Missing Channel", "primary"), ("FJAAK", "remixer")]
    assert credits("20 Jeff Mills - Solar Crossroads [Axis]") == [("Jeff Mills", "primary")]
    assert credits("Deadmau5 Deadmau5 Feat. Wolfgang Gartner - Channel 42 [Mau5trap]") == [
        ("Deadmau5", "primary"), ("Wolfgang Gartner", "featured")]
    assert credits("(18) Ayumi Hamasaki - Connected") == [("Ayumi Hamasaki", "primary")]
    assert credits("Keita Sano (Live PA) - Holiday") == [("Keita Sano", "primary")]
    assert credits("A (feat. B) - Song") == [("A", "primary"), ("B", "featured")]
    for kept in ("808 State - Pacific State", "2 Unlimited - No Limit", "4 Hero - Mr Kirk's Nightmare",
                 "(hed) Planet Earth - Bartender", "Duran Duran - Rio"):
        assert credits(kept)[0][0] == kept.split(" - ")[0]
