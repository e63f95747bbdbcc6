"""Sets back out to the decks: a set built from a shared rekordbox library, exported as rekordbox XML,
reads back as the same tracks in the same order (with the project's importer and with pyrekordbox);
the M3U8 lists their files; the Traktor NML reads back with the project's Traktor importer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from pyrekordbox.rbxml import RekordboxXml

from etl.exporters import export, stored_set
from etl.pipeline import Inputs, run_pipeline
from graphsvc.api import create_app
from graphsvc.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.xdist_group("set_export"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def kovacs(shared_data, database_factory) -> tuple[str, Path]:
    path = shared_data / "dj-libraries" / "rekordbox" / "kovacs_collection.xml"
    url = database_factory("set_export")
    with psycopg.connect(url) as conn:
        assert run_pipeline(conn, "complete", Inputs(rekordbox=[path])).status == "succeeded"
    return url, path


@pytest.fixture(scope="module")
def built(kovacs) -> list[int]:
    """A 12-track set the set builder makes from a keyed track of the library (through the API)."""
    url, _ = kovacs
    with psycopg.connect(url) as conn:
        start = conn.execute(
            """SELECT t.track_id FROM silver.track t JOIN silver.set_entry e USING (track_id)
               WHERE t.camelot IS NOT NULL AND t.bpm BETWEEN 120 AND 130 ORDER BY t.track_id LIMIT 1""").fetchone()[0]
    settings = Settings(database_url=url, graph_refresh_s=0, db_pool_max=2)
    with TestClient(create_app(settings)) as client:
        res = client.post("/v1/sets", json={"start_track_id": start, "length": 12, "strictness": "relaxed",
                                            "max_bpm_step_pct": 8.0, "alternatives": 1})
        assert res.status_code == 200, res.text
        ids = [int(t["id"]) for t in res.json()["sets"][0]["tracks"]]  # ids are strings in JSON
        assert len(ids) == 12
        xml = client.post("/v1/sets", params={"format": "rekordbox"},
                          json={"start_track_id": start, "length": 12, "strictness": "relaxed", "max_bpm_step_pct": 8.0,
                                "alternatives": 1})
        assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
        assert 'Type="1"' in xml.text and "X-Tracks-Without-File" not in xml.headers
    return ids


def test_rekordbox_xml_reads_back_as_the_same_tracks_in_order(kovacs, built, tmp_path, pg_url):
    url, library_file = kovacs
    with psycopg.connect(url) as conn:
        result = export(conn, built, "rekordbox", "graphsvc test set")
        originals = dict(conn.execute(
            """SELECT o.track_id, o.extra->>'track_no' FROM silver.observation o
               WHERE o.source = 'rekordbox' AND o.track_id = ANY(%s)""", (built,)).fetchall())
    assert result.tracks == 12 and result.missing == []
    out = tmp_path / "set.xml"
    out.write_text(result.text, encoding="utf-8")
    # pyrekordbox: the playlist lists the library's own TrackIDs in set order, each with its Location
    xml = RekordboxXml(out)
    playlist = xml.get_playlist("graphsvc test set")
    keys = [str(k) for k in playlist.get_tracks()]
    assert keys == [originals[t] for t in built]
    library = RekordboxXml(library_file)
    for key in keys:
        assert xml.get_track(TrackID=key)["Location"] == library.get_track(TrackID=key)["Location"]
    # the project's importer, into another database and under another library name: the same silver tracks
    # (a Location is the same file in any export), in the same order
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(rekordbox=[library_file]))
        run_pipeline(conn, "complete", Inputs(rekordbox=[out], rekordbox_library="exported"))
        back = [t for (t,) in conn.execute(
            """SELECT e.track_id FROM silver.dj_set s JOIN silver.set_entry e USING (set_id)
               WHERE s.source_key = 'exported:graphsvc test set' ORDER BY e.position""")]
    assert back == built


def test_m3u8_lists_the_files_and_traktor_nml_reads_back(kovacs, built, tmp_path, pg_url):
    url, _ = kovacs
    with psycopg.connect(url) as conn:
        m3u = export(conn, built, "m3u8", "warm up")
        nml = export(conn, built, "traktor", "warm up")
        paths = [conn.execute("SELECT o.extra->>'path' FROM silver.observation o WHERE o.track_id = %s "
                              "AND o.source = 'rekordbox' ORDER BY record_id DESC LIMIT 1", (t,)).fetchone()[0]
                 for t in built]
    lines = m3u.text.splitlines()
    assert lines[0] == "#EXTM3U" and [ln for ln in lines if not ln.startswith("#")] == paths
    assert all(p[1:3] == ":/" for p in paths)  # Windows paths of that library, decoded
    assert m3u.filename == "warm up.m3u8"
    out = tmp_path / "set.nml"
    out.write_text(nml.text, encoding="utf-8")
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(traktor=[out]))
        titles = [r[0] for r in conn.execute(
            """SELECT o.extra->>'path' FROM silver.dj_set s JOIN silver.set_entry e USING (set_id)
               JOIN silver.observation o ON o.track_id = e.track_id AND o.source = 'traktor'
               WHERE s.source = 'traktor' ORDER BY e.position""")]
    assert titles == paths


def test_cli_exports_a_stored_playlist_and_names_tracks_without_a_file(kovacs, tmp_path, monkeypatch):
    url, _ = kovacs
    with psycopg.connect(url) as conn:
        set_id, title = conn.execute("SELECT set_id, title FROM silver.dj_set WHERE entry_count >= 3 "
                                     "ORDER BY set_id LIMIT 1").fetchone()
        _, ids = stored_set(conn, set_id)
    out = tmp_path / "playlist.m3u8"
    env = {**__import__("os").environ, "DATABASE_URL": url}
    res = subprocess.run([sys.executable, "-m", "etl.cli", "export", "set", str(set_id), "--format", "m3u8",
                          "--out", str(out)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len([ln for ln in out.read_text().splitlines() if not ln.startswith("#")]) == len(ids)
    bad = subprocess.run([sys.executable, "-m", "etl.cli", "export", "set", str(set_id), "--format", "wav"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "unknown export format 'wav'" in " ".join((bad.stdout + bad.stderr).split())
    # a track from no library (a MixesDB-only track) has no file: named, not in the playlist
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO silver.artist (artist_id, canonical_name, name_key) VALUES (1, 'Nobody Filed', "
                     "'nobody filed')")
        conn.execute("INSERT INTO silver.track (track_id, track_key, title, artists_display) "
                     "VALUES (1, '1|x|', 'No File', 'Nobody Filed')")
        conn.commit()
        result = export(conn, [*ids, 1], "rekordbox", title)
        conn.rollback()
        conn.execute("DELETE FROM silver.track WHERE track_id = 1")
        conn.execute("DELETE FROM silver.artist WHERE artist_id = 1")
        conn.commit()
    assert result.missing == ["Nobody Filed - No File"] and result.tracks == len(ids)
    settings = Settings(database_url=url, graph_refresh_s=0, db_pool_max=2)
    with TestClient(create_app(settings)) as client:
        res = client.get(f"/v1/sets/{set_id}/export", params={"format": "traktor"})
        assert res.status_code == 200 and "<NML" in res.text and res.headers["content-disposition"].endswith('.nml"')
        assert client.get("/v1/sets/1/export").status_code == 404
