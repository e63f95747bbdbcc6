"""An artist's canonical name is its most used spelling, not whichever spelling the build met first."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import psycopg
import pytest

from etl.checksum import table_checksums
from etl.pipeline import Inputs, run_pipeline


def _mixes_file(path: Path, mixes: list[list[str]], first_id: int = 1) -> Path:
    """A MixesDB-format file: one mix per list of raw entry titles."""
    records = [{"id": f"mix{first_id + n}", "title": f"2015-0{1 + n % 9}-01 - DJ Test{first_id + n} @ Club",
                "url": f"https://www.mixesdb.com/w/mix{first_id + n}", "tags": [],
                "tracklist": [{"id": None, "title": f"[{i + 1:02d}] {t}"} for i, t in enumerate(titles)]}
               for n, titles in enumerate(mixes)]
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(records, f)
    return path


def _name_of(conn: psycopg.Connection, name_key: str) -> str:
    return conn.execute("SELECT canonical_name FROM silver.artist WHERE name_key = %s", (name_key,)).fetchone()[0]


def test_most_used_spelling_wins_and_later_runs_can_change_it(pg_url, tmp_path):
    first = _mixes_file(tmp_path / "a.json.gz", [
        ["Prodigy - Firestarter", "ANDHIM - Boy From School", "Paul Kalbrenner - Sky and Sand"],
        ["The Prodigy - Breathe", "The Prodigy - Poison", "andhim - Hausch", "Paul Kalkbrenner - Gebrünn Gebrünn"],
        ["The Prodigy - Voodoo People", "andhim - Hausch", "Paul Kalkbrenner - Aaron"],
    ])
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "bronze_only", Inputs(mixesdb=[first]))
        run_pipeline(conn, "silver_only")
        # met first, used less: "Prodigy" 1 vs "The Prodigy" 3, "ANDHIM" 1 vs "andhim" 2; the misspelling
        # "Paul Kalbrenner" (fuzzy-merged) 1 vs 2
        assert _name_of(conn, "prodigy") == "The Prodigy"
        assert _name_of(conn, "andhim") == "andhim"
        # the fuzzy-merged misspelling was met first: name and key now follow the most used spelling
        assert _name_of(conn, "paul kalkbrenner") == "Paul Kalkbrenner"
        assert conn.execute("SELECT count(*) FROM silver.artist WHERE name_key = 'paul kalbrenner'").fetchone() == (0,)
        uses = dict(conn.execute(
            """SELECT u.spelling, sum(u.uses)::int FROM silver.artist_spelling_use u
               JOIN silver.artist a USING (artist_id) WHERE a.name_key = 'prodigy' GROUP BY 1""").fetchall())
        assert uses == {"Prodigy": 1, "The Prodigy": 3}
        before = table_checksums(conn, ("silver",))
        run_pipeline(conn, "silver_only")  # nothing new: nothing changes
        assert table_checksums(conn, ("silver",)) == before

        # a later file where "ANDHIM" is written 3 more times: the name follows the new majority (4 vs 2),
        # and a tie ("Prodigy" now 3 vs 3) keeps the current name
        second = _mixes_file(tmp_path / "b.json.gz", [
            ["ANDHIM - Check", "ANDHIM - Check", "ANDHIM - Boy From School"],
            ["Prodigy - Firestarter", "Prodigy - Breathe"],
        ], first_id=10)
        run_pipeline(conn, "bronze_only", Inputs(mixesdb=[second]))
        run_pipeline(conn, "silver_only")
        assert _name_of(conn, "andhim") == "ANDHIM"
        assert _name_of(conn, "prodigy") == "The Prodigy"
        # one name per artist, and no name used twice
        assert conn.execute("SELECT count(*) = count(DISTINCT canonical_name) FROM silver.artist").fetchone()[0]


def test_rejected_entries_do_not_count_as_uses(pg_url, tmp_path):
    path = _mixes_file(tmp_path / "c.json.gz", [
        ["Moby - Porcelain"],
        # "MOBY" credited on entries that are rejected (no title after the dash) does not outvote "Moby"
        ["MOBY - ", "MOBY - ", "MOBY - "],
    ])
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "bronze_only", Inputs(mixesdb=[path]))
        run_pipeline(conn, "silver_only")
        assert _name_of(conn, "moby") == "Moby"
        spellings = conn.execute("SELECT DISTINCT spelling FROM silver.artist_spelling_use WHERE spelling ILIKE 'moby'"
                                 ).fetchall()
        assert spellings == [("Moby",)]
        assert conn.execute("SELECT count(*) FROM silver.reject WHERE raw_text LIKE '%%MOBY - '").fetchone() == (3,)


def test_aliases_of_an_artist_show_every_spelling_with_uses_and_strategy(pg_url, tmp_path):
    from graphsvc.api.lineage import artist_aliases
    from graphsvc.errors import NotFound

    path = _mixes_file(tmp_path / "k.json.gz", [
        ["Paul Kalkbrenner - Sky and Sand", "Paul Kalkbrenner - Aaron", "PAUL KALKBRENNER - Gebrünn"],
        ["Paul Kalbrenner - Azure", "Paul  Kalkbrenner - Square 1"],
    ])
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "bronze_only", Inputs(mixesdb=[path]))
        run_pipeline(conn, "silver_only")
        (artist_id,) = conn.execute(
            "SELECT artist_id FROM silver.artist WHERE name_key = 'paul kalkbrenner'").fetchone()
        got = artist_aliases(conn, artist_id, 100)
        assert (got["name"], got["name_key"]) == ("Paul Kalkbrenner", "paul kalkbrenner")
        # "Paul  Kalkbrenner" (two spaces) counts as the spelling "Paul Kalkbrenner"
        assert [(a["spelling"], a["uses"], a["strategies"]) for a in got["aliases"]] == [
            ("Paul Kalkbrenner", 3, ["canonical"]),
            ("PAUL KALKBRENNER", 1, ["normalized"]),
            ("Paul Kalbrenner", 1, ["fuzzy:ratio>=94"]),
        ]
        assert 94 <= got["aliases"][2]["score"] < 100
        assert len(artist_aliases(conn, artist_id, 1)["aliases"]) == 1
        with pytest.raises(NotFound):
            artist_aliases(conn, 12345, 10)
