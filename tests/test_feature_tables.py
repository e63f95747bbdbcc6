"""Feature tables as they come: .csv.gz, ';'-separated artists, Spotify key -1 / mode / tempo 0, and
one recording, one track: a feature row reaches the track of its recording whichever file came first."""

from __future__ import annotations

import gzip
from pathlib import Path

import psycopg

from etl.checksum import table_checksums
from etl.pipeline import Inputs, run_pipeline

SPOTIFY_HEADER = ("track_id,artists,album_name,track_name,popularity,danceability,energy,key,loudness,mode,valence,"
                  "tempo\n")
ROWS = [
    # the row lists the featured artist as an artist: same track as "David Guetta feat. Sia - Titanium"
    "sp1,David Guetta;Sia,Nothing,Titanium,80,0.6,0.8,3,-5,0,0.3,126.0",
    # "- Radio Edit": another edit of the recording the library holds as "(Extended Mix)"
    "sp2,Orbital,Chime,Chime - Radio Edit,50,0.6,0.7,9,-5,0,0.3,125.0",
    # Spotify found no key (-1) and no tempo (0): unknown, not invalid
    "sp3,Orbital,Chime,Halcyon,50,0.6,0.7,-1,-5,1,0.3,0",
    # a remix is its own recording: it must not give the original its key
    "sp4,Underworld,X,Born Slippy - Darren Price Remix,50,0.6,0.7,2,-5,1,0.3,137.0",
]
LIBRARY = """<?xml version="1.0" encoding="UTF-8"?>
<DJ_PLAYLISTS Version="1.0.0"><PRODUCT Name="rekordbox" Version="6" Company="AlphaTheta"/>
<COLLECTION Entries="4">
<TRACK TrackID="1" Name="Titanium" Artist="David Guetta feat. Sia" AverageBpm="0.00" Location="file://localhost/m/t.mp3"/>
<TRACK TrackID="2" Name="Chime (Extended Mix)" Artist="Orbital" AverageBpm="0.00" Location="file://localhost/m/c.mp3"/>
<TRACK TrackID="3" Name="Halcyon" Artist="Orbital" Location="file://localhost/m/h.mp3"/>
<TRACK TrackID="4" Name="Born Slippy" Artist="Underworld" Location="file://localhost/m/b.mp3"/>
</COLLECTION><PLAYLISTS><NODE Type="0" Name="ROOT" Count="0"/></PLAYLISTS></DJ_PLAYLISTS>
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    table = tmp_path / "spotify_tracks.csv.gz"
    table.write_bytes(gzip.compress((SPOTIFY_HEADER + "\n".join(ROWS) + "\n").encode()))
    library = tmp_path / "lib.xml"
    library.write_text(LIBRARY, encoding="utf-8")
    return table, library


def _matches(conn) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in conn.execute(
        """SELECT o.extra->>'id', t.title, t.version, o.match_strategy, o.kind FROM silver.observation o
           LEFT JOIN silver.track t USING (track_id) WHERE o.source LIKE 'features:%%'""")}


def test_spotify_table_values_and_matches(pg_url, tmp_path):
    table, library = _files(tmp_path)
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(rekordbox=[library], features=[table]))
        m = _matches(conn)
        assert m["sp1"] == ("Titanium", None, "featured_as_artist", "spotify")
        assert m["sp2"] == ("Chime", "Extended Mix", "other_edit", "spotify")
        assert m["sp3"] == ("Halcyon", None, "track_key", "spotify")
        assert m["sp4"][0] is None  # the remix matched nothing: Born Slippy keeps no key of it
        assert conn.execute("SELECT count(*) FROM silver.invalid_value").fetchone()[0] == 0
        halcyon = conn.execute("""SELECT bpm, key_pitch_class FROM silver.observation
                                  WHERE extra->>'id' = 'sp3'""").fetchone()
        assert halcyon == (None, None)
        # the Spotify key and tempo win the waterfall with their measured confidence (0.538 key, 0.822 BPM),
        # through another edit for Chime (x 0.969)
        chime = conn.execute("""SELECT camelot, bpm, field_confidence FROM silver.track
                                WHERE title = 'Chime'""").fetchone()
        assert chime[0] == "8A" and float(chime[1]) == 125.0
        assert chime[2]["key"] == round(0.538 * 0.969, 4)
        slippy = conn.execute("SELECT camelot FROM silver.track WHERE title = 'Born Slippy'").fetchone()
        assert slippy == (None,)


def test_the_same_matches_whichever_file_comes_first_and_after_a_killed_run(pg_url, tmp_path, database_factory):
    table, library = _files(tmp_path)
    with psycopg.connect(pg_url) as conn:  # the feature table first: nothing to match yet
        run_pipeline(conn, "complete", Inputs(features=[table]))
        assert all(v[0] is None for v in _matches(conn).values())
        run_pipeline(conn, "complete", Inputs(rekordbox=[library]))
        later = _matches(conn)
        sums_later = table_checksums(conn, ("silver",))
    other = database_factory("features_together")
    with psycopg.connect(other) as conn:  # both in one run
        run_pipeline(conn, "complete", Inputs(rekordbox=[library], features=[table]))
        assert _matches(conn) == later
    killed = database_factory("features_killed")
    with psycopg.connect(killed) as conn:  # the library's run dies after its last chunk, before the re-match
        run_pipeline(conn, "complete", Inputs(features=[table]))
        summary = run_pipeline(conn, "bronze_only", Inputs(rekordbox=[library]))
        stopped = run_pipeline(conn, "silver_only", max_silver_chunks=1)
        conn.execute("UPDATE ops.run SET status = 'failed' WHERE run_id = %s", (stopped.run_id,))  # as if killed
        conn.commit()
        assert all(v[0] is None for v in _matches(conn).values()) and summary.status == "succeeded"
        run_pipeline(conn, "complete")  # nothing left to process, but the re-match runs
        assert _matches(conn) == later
        assert {k: v for k, v in table_checksums(conn, ("silver",)).items() if "observation" in k} == \
            {k: v for k, v in sums_later.items() if "observation" in k}
