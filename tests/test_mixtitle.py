"""Mix title parser: dates with precision, DJs, venue/event/show, against real MixesDB titles."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from etl.mixtitle import MixInfo, parse_mix_title


def test_month_date_venue_and_show_from_extra():
    info = parse_mix_title(
        "1988-06 - Paul Oakenfold @ Spectrum, London (Test Pressing 354, 2014-06-13)",
        ["Category:Paul Oakenfold", "Category:Spectrum (London)", "Category:Test Pressing"],
    )
    assert info == MixInfo(dt.date(1988, 6, 1), "month", ("Paul Oakenfold",), "Paul Oakenfold", "Spectrum", None,
                           "Test Pressing")


def test_day_date_and_venue():
    info = parse_mix_title("1991-08-04 - Frankie Knuckles @ Sound Factory (DHP 1192)")
    assert (info.date, info.date_precision, info.djs, info.venue, info.show) == (
        dt.date(1991, 8, 4), "day", ("Frankie Knuckles",), "Sound Factory", None)


def test_event_then_venue():
    info = parse_mix_title("1993-08-13 - Paul Oakenfold @ Universe - Big Love, Lower Pertwood Farm, Wiltshire")
    assert (info.event, info.venue) == ("Universe - Big Love", "Lower Pertwood Farm")


def test_two_djs_and_tour_event():
    info = parse_mix_title("2005-03-19 - Sasha, John Digweed @ Delta Heavy Tour, Miami")
    assert info.djs == ("Sasha", "John Digweed")
    assert info.dj_display == "Sasha, John Digweed"
    assert (info.event, info.venue) == ("Delta Heavy Tour", None)


def test_show_without_at():
    info = parse_mix_title("2016-12-02 - Nina Kraviz - Essential Mix", ["Category:Essential Mix"])
    assert (info.djs, info.show, info.venue) == (("Nina Kraviz",), "Essential Mix", None)
    info = parse_mix_title("2017-06-25 - Ben Sims - Run It Red 031, NTS Radio")  # no tags: strip the episode
    assert info.show == "Run It Red"


def test_year_only_and_unknown_month():
    info = parse_mix_title("2010 - DJ X - Mix name")
    assert (info.date, info.date_precision, info.djs, info.show) == (dt.date(2010, 1, 1), "year", ("DJ X",),
                                                                     "Mix name")
    assert parse_mix_title("2011-0X - A - B").date_precision == "year"
    assert parse_mix_title("no date here").date is None
    info = parse_mix_title("201X - Wehbba b2b Junior C @ D-Edge, São Paulo")
    assert (info.date, info.djs) == (None, ("Wehbba", "Junior C"))
    assert parse_mix_title("2016-06-1X - A @ B").date == dt.date(2016, 6, 1)


@pytest.mark.parametrize(
    ("title", "tags", "djs"),
    [
        ("2014-01-01 - Ben UFO b2b Pangaea @ Fabric", [], ("Ben UFO", "Pangaea")),
        ("2015-03-31 - Handy & Kred - SUNANDBASS Podcast 35", ["Category:Handy", "Category:Kred"], ("Handy", "Kred")),
        ("2015-02-13 - Above & Beyond, Jaytech - Group Therapy Radio (ABGT 117)",
         ["Category:Above & Beyond", "Category:Jaytech"], ("Above & Beyond", "Jaytech")),
        ("2009-12-12 - Franksen vs Tom Wax - Clubnight", [], ("Franksen", "Tom Wax")),
        ("2014 - Chus & Ceballos @ Output, NYC", [], ("Chus & Ceballos",)),
        ("2014 - Nick Warren & Jody Wisternoff @ X", [], ("Nick Warren", "Jody Wisternoff")),
    ],
)
def test_dj_splitting(title, tags, djs):
    assert parse_mix_title(title, tags).djs == djs


def test_show_is_a_tag_left_of_dash_in_place():
    info = parse_mix_title(
        "2016-08-06 - Daniel Avery @ Boiler Room - Dekmantel Festival Day 2, Amsterdam",
        ["Category:Daniel Avery", "Category:Boiler Room", "Category:Dekmantel Festival"],
    )
    assert (info.show, info.event, info.venue) == ("Boiler Room", "Dekmantel Festival Day 2", None)


def test_unicode_dj():
    assert parse_mix_title("2016-07-09 - Sven Väth @ Cocoon In The Park, Temple Newsam, Leeds").djs == ("Sven Väth",)


def test_all_real_titles_parse(mixesdb_file):
    with gzip.open(mixesdb_file, "rt", encoding="utf-8") as fh:
        mixes = json.load(fh)
    infos = [parse_mix_title(m["title"], m["tags"]) for m in mixes]
    dated = sum(i.date is not None for i in infos)
    with_dj = sum(bool(i.djs) for i in infos)
    located = sum(bool(i.show or i.venue or i.event) for i in infos)
    print(f"\n{len(infos)} mixes: {dated} dated, {with_dj} with DJs, {located} with show/venue/event")
    assert dated >= len(infos) - 3  # only decade dates like "200X" stay undated
    assert with_dj == len(infos)
    assert not any(" - " in dj or (dj[:3].isdigit() and "-" in dj) for i in infos for dj in i.djs)
    assert located > 0.95 * len(infos)


def test_a_place_or_event_in_parentheses_is_no_part_of_the_dj_name():
    # real MixesDB titles that made "Carl Cox (UMF)", "Sasha (Pacha)" and "Sasha (Trilogy)" artists
    assert parse_mix_title("2013-03-01 - Carl Cox (UMF), MiniCoolBoyz - Global 519").djs == ("Carl Cox", "MiniCoolBoyz")
    assert parse_mix_title("2017-06-19 - Sasha (Pacha), GHEIST - Last Night On Earth 026").djs == ("Sasha", "GHEIST")
    assert parse_mix_title("2013-03-29 - Above & Beyond, Sasha (Trilogy) - Group Therapy Radio (ABGT 021)").djs == (
        "Above & Beyond", "Sasha")
