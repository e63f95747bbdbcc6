"""A newer bronze record of a set already in silver (a corrected MixesDB tracklist, a re-exported rekordbox
playlist) replaces the old version in silver; the old version's items become rejects with the reason, so
every bronze item of both versions is still in exactly one place."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import psycopg

from etl.checks import integrity_problems
from etl.checksum import table_checksums
from etl.pipeline import Inputs, run_pipeline


def _mixes(path: Path, mixes: list[tuple[str, list[str]]]) -> Path:
    records = [{"id": mix_id, "title": "2016-05-01 - DJ Koze @ Pampa Night", "url": f"https://www.mixesdb.com/w/{mix_id}",
                "tags": [], "tracklist": [{"id": None, "title": t} for t in titles]} for mix_id, titles in mixes]
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(records, f)
    return path


V1 = ["[01] Moby - Porcelain [Mute - CDSTUMM172]", "[02] ID - ID", "[03] Underworld - Born Slippy"]
V2 = ["[01] Moby - Porcelain [Mute - CDSTUMM172]", "[02] Leftfield - Open Up", "[03] Underworld - Born Slippy",
      "[04] Orbital - Chime"]


def _load(conn: psycopg.Connection, *files: Path) -> None:
    run_pipeline(conn, "bronze_only", Inputs(mixesdb=list(files)))
    run_pipeline(conn, "silver_only")


def _items_in_one_place(conn: psycopg.Connection) -> tuple[int, int, int]:
    """(items, lost, doubled) over every tracklist item of every MixesDB bronze record."""
    return conn.execute(
        """WITH items AS (
               SELECT r.record_id, (e.ord - 1)::int AS item_index
               FROM bronze.raw_record r, jsonb_array_elements(r.payload->'tracklist') WITH ORDINALITY e(v, ord)
               WHERE r.source = 'mixesdb'),
           places AS (
               SELECT record_id, item_index FROM silver.set_entry
               UNION ALL SELECT record_id, item_index FROM silver.set_gap
               UNION ALL SELECT record_id, item_index FROM silver.reject WHERE item_index >= 0)
           SELECT count(*), count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1)
           FROM (SELECT i.record_id, i.item_index, count(p.record_id) AS n
                 FROM items i LEFT JOIN places p USING (record_id, item_index) GROUP BY 1, 2) x""").fetchone()


def _titles(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        """SELECT e.raw_title FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)
           WHERE s.source_key = 'koze-pampa' ORDER BY e.position""")]


def test_corrected_mix_replaces_the_old_version(pg_url, tmp_path):
    with psycopg.connect(pg_url) as conn:
        _load(conn, _mixes(tmp_path / "old.json.gz", [("koze-pampa", V1), ("other", ["[01] Moby - Go"])]))
        (old_record,) = conn.execute("SELECT record_id FROM silver.dj_set WHERE source_key = 'koze-pampa'").fetchone()
        assert _titles(conn) == [V1[0], V1[2]]
        _load(conn, _mixes(tmp_path / "new.json.gz", [("koze-pampa", V2)]))

        (new_record,) = conn.execute("SELECT record_id FROM silver.dj_set WHERE source_key = 'koze-pampa'").fetchone()
        assert new_record != old_record
        assert _titles(conn) == V2  # the identified ID, the added track; no gap left
        assert conn.execute("SELECT entry_count, gap_count FROM silver.dj_set WHERE record_id = %s",
                            (new_record,)).fetchone() == (4, 0)
        assert conn.execute("SELECT count(*) FROM silver.set_gap").fetchone() == (0,)
        moved = conn.execute("SELECT item_index, raw_text, reason FROM silver.reject WHERE record_id = %s"
                             " ORDER BY item_index", (old_record,)).fetchall()
        assert [(i, t) for i, t, _ in moved] == [(0, V1[0]), (1, V1[1]), (2, V1[2])]
        assert all(r == f"superseded by bronze record {new_record}, a newer version of mix koze-pampa" for *_, r in moved)
        # the label observation now comes from the new record only; the other mix is untouched
        assert conn.execute("SELECT record_id FROM silver.observation WHERE label = 'Mute'").fetchall() == [(new_record,)]
        assert conn.execute("SELECT outcome FROM silver.processed_record WHERE record_id = %s",
                            (old_record,)).fetchone() == ("superseded",)
        assert conn.execute("SELECT count(*) FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)"
                            " WHERE s.source_key = 'other'").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone() == (3,)  # bronze keeps both
        assert _items_in_one_place(conn) == (8, 0, 0)
        assert integrity_problems(conn) == {}
        # spellings count the new version only: Moby twice (Porcelain in V2 and Go in "other")
        assert conn.execute("SELECT sum(uses) FROM silver.artist_spelling_use WHERE spelling = 'Moby'"
                            ).fetchone() == (2,)

        before = table_checksums(conn, ("silver",))
        run_pipeline(conn, "silver_only")
        assert table_checksums(conn, ("silver",)) == before


def test_both_versions_in_one_file_end_like_two_files(pg_url, tmp_path, database_factory):
    """The old version may still be in the chunk being built when the new one arrives."""
    with psycopg.connect(pg_url) as conn:
        _load(conn, _mixes(tmp_path / "both.json.gz", [("koze-pampa", V1), ("koze-pampa", V2)]))
        assert _titles(conn) == V2
        assert _items_in_one_place(conn) == (7, 0, 0)
        assert integrity_problems(conn) == {}
        one_file = table_checksums(conn, ("silver",))
    with psycopg.connect(database_factory("superseded_two_files")) as conn:
        _load(conn, _mixes(tmp_path / "v1.json.gz", [("koze-pampa", V1)]))
        _load(conn, _mixes(tmp_path / "v2.json.gz", [("koze-pampa", V2)]))
        two_files = table_checksums(conn, ("silver",))
    # bronze record ids are the same (1, 2) in both databases, so silver must be identical
    assert two_files == one_file


REKORDBOX = """<?xml version="1.0" encoding="UTF-8"?>
<DJ_PLAYLISTS Version="1.0.0"><PRODUCT Name="rekordbox" Version="6.8.5" Company="AlphaTheta"/>
<COLLECTION Entries="3">
<TRACK TrackID="1" Name="Porcelain" Artist="Moby" AverageBpm="95.00" Tonality="Am"/>
<TRACK TrackID="2" Name="Born Slippy" Artist="Underworld" AverageBpm="138.00" Tonality="Fm"/>
<TRACK TrackID="3" Name="Chime" Artist="Orbital" AverageBpm="126.00" Tonality="8A"/>
</COLLECTION>
<PLAYLISTS><NODE Type="0" Name="ROOT" Count="1"><NODE Name="Peak" Type="1" KeyType="0" Entries="{n}">{entries}
</NODE></NODE></PLAYLISTS></DJ_PLAYLISTS>
"""


def _export(path: Path, track_ids: list[int]) -> Path:
    path.write_text(REKORDBOX.format(n=len(track_ids), entries="".join(f'<TRACK Key="{t}"/>' for t in track_ids)),
                    encoding="utf-8")
    return path


def test_reexported_playlist_replaces_the_old_one(pg_url, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(rekordbox=[_export(tmp_path / "a" / "collection.xml", [1, 2])]))
        run_pipeline(conn, "complete", Inputs(rekordbox=[_export(tmp_path / "b" / "collection.xml", [3, 1])]))
        titles = conn.execute(
            """SELECT t.title FROM silver.set_entry e JOIN silver.dj_set s USING (set_id) JOIN silver.track t USING (track_id)
               WHERE s.source = 'rekordbox' ORDER BY e.position""").fetchall()
        assert titles == [("Chime",), ("Porcelain",)]
        assert conn.execute("SELECT count(*) FROM silver.dj_set").fetchone() == (1,)
        reasons = conn.execute("SELECT DISTINCT reason FROM silver.reject").fetchall()
        assert len(reasons) == 1 and "newer export of playlist 'Peak' of library 'collection'" in reasons[0][0]
        assert conn.execute("SELECT count(*) FROM silver.reject").fetchone() == (2,)
        assert integrity_problems(conn) == {}
        # gold and the graph follow: the set holds the new order
        gold = conn.execute(
            """SELECT t.title FROM gold.contains c JOIN gold.track t ON t.id = c.track_id ORDER BY c.position"""
        ).fetchall()
        assert gold == [("Chime",), ("Porcelain",)]
