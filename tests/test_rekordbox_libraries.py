"""rekordbox TrackIDs and playlists are scoped per library: two DJs' exports never merge by TrackID."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

import psycopg
import pytest

from etl import bronze
from etl.checks import integrity_problems
from etl.importers import ingest_rekordbox
from etl.importers.rekordbox import IMPORTER_VERSION, library_name
from etl.pipeline import Inputs, run_pipeline
from graphsvc.errors import InputError

ROOT = Path(__file__).resolve().parents[1]

# (TrackID, Artist, Name, Location): both libraries number their tracks 1..3, for DIFFERENT tracks
ANNA = [("1", "Aphex Twin", "Windowlicker", "file://localhost/anna/windowlicker.mp3"),
        ("2", "Björk", "Jóga", "file://localhost/anna/joga.flac"),
        ("3", "Rhythim Is Rhythim", "Strings of Life", "file://localhost/anna/strings.mp3")]
BEN = [("1", "Underworld", "Born Slippy", "file://localhost/ben/born_slippy.mp3"),
       ("2", "Daft Punk", "Da Funk", "file://localhost/ben/da_funk.mp3"),
       ("3", "Orbital", "Chime", "file://localhost/ben/chime.mp3")]


def export_xml(tracks: list[tuple[str, str, str, str]], playlists: dict[str, list[str]]) -> str:
    """A rekordbox collection export with ``tracks`` and KeyType-0 playlists ``{name: [TrackID...]}``."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<DJ_PLAYLISTS Version="1.0.0">',
             '  <PRODUCT Name="rekordbox" Version="6.8.5" Company="AlphaTheta"/>',
             f'  <COLLECTION Entries="{len(tracks)}">']
    for track_id, artist, name, location in tracks:
        lines.append(f'    <TRACK TrackID="{track_id}" Name={quoteattr(name)} Artist={quoteattr(artist)} '
                     f'AverageBpm="124.00" Tonality="8A" TotalTime="400" Location={quoteattr(location)}/>')
    lines += ["  </COLLECTION>", "  <PLAYLISTS>", f'    <NODE Type="0" Name="ROOT" Count="{len(playlists)}">']
    for name, entries in playlists.items():
        lines.append(f'      <NODE Name={quoteattr(name)} Type="1" KeyType="0" Entries="{len(entries)}">')
        lines += [f'        <TRACK Key="{key}"/>' for key in entries]
        lines.append("      </NODE>")
    lines += ["    </NODE>", "  </PLAYLISTS>", "</DJ_PLAYLISTS>", ""]
    return "\n".join(lines)


def write(path: Path, tracks, playlists) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export_xml(tracks, playlists), encoding="utf-8")
    return path


def playlists_by_key(conn) -> dict[str, list[str]]:
    rows = conn.execute("""SELECT s.source_key, array_agg(t.title ORDER BY e.position)
                           FROM silver.dj_set s JOIN silver.set_entry e USING (set_id)
                           JOIN silver.track t USING (track_id)
                           WHERE s.source = 'rekordbox' GROUP BY 1 ORDER BY 1""").fetchall()
    return dict(rows)


def rekordbox_idents(conn) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT value, track_id FROM silver.track_identifier WHERE scheme = 'rekordbox'").fetchall())


def count(conn, query: str, *params) -> int:
    return conn.execute(query, params).fetchone()[0]


def test_two_libraries_with_the_same_trackids_stay_apart(pg_url, tmp_path):
    # the same physical file in both libraries, under different TrackIDs and spellings: one track by Location
    shared = "file://localhost/shared/acid_tracks.mp3"
    anna = write(tmp_path / "anna.xml", [*ANNA, ("4", "Phuture", "Acid Tracks", shared)], {"Peak": ["1", "2", "3"]})
    ben = write(tmp_path / "ben.xml", [*BEN, ("9", "Phuture (US)", "Acid Trax", shared)], {"Peak": ["1", "2", "3"]})
    with psycopg.connect(pg_url) as conn:
        summary = run_pipeline(conn, "complete", Inputs(rekordbox=[anna, ben]))
        assert summary.status == "succeeded"
        # bronze: both "Peak" playlists are records of their own (their entries are identical text)
        assert conn.execute("""SELECT source_key FROM bronze.raw_record WHERE record_type = 'library_playlist'
                               ORDER BY 1""").fetchall() == [("anna:Peak",), ("ben:Peak",)]
        assert count(conn, "SELECT count(*) FROM silver.reject") == 0
        # 3 + 3 different tracks, plus the shared file once
        assert count(conn, "SELECT count(*) FROM silver.track") == 7
        idents = rekordbox_idents(conn)
        assert set(idents) == {"anna:1", "anna:2", "anna:3", "anna:4", "ben:1", "ben:2", "ben:3", "ben:9"}
        assert len({idents["anna:1"], idents["ben:1"]}) == 2
        assert idents["anna:4"] == idents["ben:9"]
        # two sets, each playlist pointing to its own library's tracks
        assert playlists_by_key(conn) == {
            "anna:Peak": ["Windowlicker", "Jóga", "Strings of Life"],
            "ben:Peak": ["Born Slippy", "Da Funk", "Chime"],
        }
        assert integrity_problems(conn) == {}


def test_reexport_under_the_same_file_name_reuses_the_tracks(pg_url, tmp_path):
    first = write(tmp_path / "monday" / "rekordbox.xml", ANNA, {"Peak": ["1", "2", "3"]})
    added = ("4", "Phuture", "Acid Tracks", "file://localhost/anna/acid_tracks.mp3")
    second = write(tmp_path / "friday" / "rekordbox.xml", [*ANNA, added], {"Peak": ["1", "2", "3"]})
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(rekordbox=[first]))
        before = rekordbox_idents(conn)
        assert set(before) == {"rekordbox:1", "rekordbox:2", "rekordbox:3"}
        result = ingest_rekordbox(conn, second)
        assert (result.records_read, result.records_new, result.already_ingested) == (5, 1, False)
        run_pipeline(conn, "silver_only")
        after = rekordbox_idents(conn)
        assert {k: after[k] for k in before} == before  # the same track ids
        assert count(conn, "SELECT count(*) FROM silver.track") == 4
        assert count(conn, "SELECT count(*) FROM bronze.raw_record WHERE record_type = 'library_track'") == 4
        assert count(conn, "SELECT count(*) FROM silver.observation WHERE source = 'rekordbox'") == 4
        assert playlists_by_key(conn) == {"rekordbox:Peak": ["Windowlicker", "Jóga", "Strings of Life"]}
        assert count(conn, "SELECT count(*) FROM silver.reject") == 0
        assert integrity_problems(conn) == {}


def test_records_from_before_libraries_belong_to_the_default_library(pg_url, tmp_path):
    """Bronze records of importer rekordbox/1 have no "_library": silver scopes them to "default"."""
    path = tmp_path / "old.xml"
    path.write_text("old export", encoding="utf-8")
    with psycopg.connect(pg_url) as conn:
        file = bronze.read_input(conn, "rekordbox", path, "rekordbox/1")
        batch = bronze.Batch("rekordbox", "rekordbox/1", file)
        batch.add("library_track", 0, "7", None, {"TrackID": "7", "Artist": "Orbital", "Name": "Chime"})
        batch.add("library_playlist", 1, "Old", None,
                  {"name": "Old", "path": [], "key_type": "0", "entries": ["7"]})
        bronze.load_batch(conn, batch, time.perf_counter())
        run_pipeline(conn, "silver_only")
        assert set(rekordbox_idents(conn)) == {"default:7"}
        assert playlists_by_key(conn) == {"default:Old": ["Chime"]}
        assert count(conn, "SELECT count(*) FROM silver.reject") == 0


def test_the_same_file_cannot_be_ingested_as_another_library(pg_url, tmp_path):
    path = write(tmp_path / "anna.xml", ANNA, {"Peak": ["1"]})
    with psycopg.connect(pg_url) as conn:
        ingest_rekordbox(conn, path)
        assert ingest_rekordbox(conn, path, library=" anna ").already_ingested  # stripped: the same library
        with pytest.raises(InputError, match=r"already ingested as rekordbox library 'anna'.*--library 'anna'"):
            ingest_rekordbox(conn, path, library="ben")


def test_library_names_are_validated():
    assert library_name(Path("/music/rekordbox.xml")) == "rekordbox"
    assert library_name(Path("x.xml"), "  DJ Anna  ") == "DJ Anna"
    with pytest.raises(InputError, match="--library must not be empty"):
        library_name(Path("x.xml"), "   ")
    with pytest.raises(InputError, match="at most 100"):
        library_name(Path("x.xml"), "a" * 101)
    assert library_name(Path("x.xml"), "a" * 100) == "a" * 100
    with pytest.raises(InputError, match="pass --library NAME"):
        library_name(Path(f"/music/{'b' * 101}.xml"))
    assert IMPORTER_VERSION == "rekordbox/2"


def _etl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl.cli", *args], check=False, capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ), timeout=300)


def test_cli_library_option(pg_env, tmp_path):
    path = write(tmp_path / "rekordbox.xml", ANNA, {"Peak": ["1", "2"]})
    bad = _etl("ingest", "rekordbox", str(path), "--library", "")
    assert bad.returncode == 1
    assert "--library must not be empty" in " ".join((bad.stdout + bad.stderr).split())
    with psycopg.connect(pg_env) as conn:
        assert count(conn, "SELECT count(*) FROM bronze.ingest_file") == 0
    good = _etl("ingest", "rekordbox", str(path), "--library", "DJ Anna")
    assert good.returncode == 0, good.stderr
    with psycopg.connect(pg_env) as conn:
        keys = [k for (k,) in conn.execute("SELECT source_key FROM bronze.raw_record ORDER BY record_id")]
    assert keys == ["DJ Anna:1", "DJ Anna:2", "DJ Anna:3", "DJ Anna:Peak"]


def test_cli_run_takes_the_library_option_too(pg_env, tmp_path):
    path = write(tmp_path / "rekordbox.xml", ANNA, {"Peak": ["1", "2"]})
    bad = _etl("run", "--mode", "bronze_only", "--rekordbox", str(path), "--library", " ")
    assert bad.returncode == 1
    assert "--library must not be empty" in " ".join((bad.stdout + bad.stderr).split())
    good = _etl("run", "--mode", "complete", "--rekordbox", str(path), "--library", "DJ Anna")
    assert good.returncode == 0, good.stderr
    with psycopg.connect(pg_env) as conn:
        assert sorted(rekordbox_idents(conn)) == ["DJ Anna:1", "DJ Anna:2", "DJ Anna:3"]
        assert list(playlists_by_key(conn)) == ["DJ Anna:Peak"]
