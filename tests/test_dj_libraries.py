"""Real DJ libraries in: rekordbox, Traktor, Mixxx and VirtualDJ, as DJs' libraries really are.

The shared libraries (``../shared/data/dj-libraries``) are loaded once into one database; small files
written here cover what the real ones do not show (a broken file of each kind, a re-import).
"""

from __future__ import annotations

import gzip
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import psycopg
import pytest

from etl.checks import integrity_problems
from etl.importers import ingest_mixxx, ingest_rekordbox, ingest_traktor, ingest_virtualdj
from etl.pipeline import Inputs, run_pipeline
from etl.silver.sources.library import clean_name, file_path, file_stem, library_key, strip_key_notes
from etl.silver.sources.traktor import traktor_musical_key
from etl.silver.sources.virtualdj import vdj_bpm
from graphsvc.errors import InputError, InvalidValue
from graphsvc.harmonic import parse_key

pytestmark = pytest.mark.xdist_group("dj_libraries")


def _libraries(shared: Path) -> dict[str, list[Path]]:
    d = shared / "dj-libraries"
    return {"rekordbox": sorted((d / "rekordbox").glob("*.xml")), "traktor": sorted((d / "traktor").glob("*.nml")),
            "mixxx": sorted((d / "mixxx").glob("*.sqlite")), "virtualdj": sorted((d / "virtualdj").glob("*.xml"))}


@pytest.fixture(scope="module")
def libraries_db(shared_data, database_factory) -> str:
    url = database_factory("dj_libraries")
    libs = _libraries(shared_data)
    with psycopg.connect(url) as conn:
        summary = run_pipeline(conn, "complete", Inputs(rekordbox=libs["rekordbox"], traktor=libs["traktor"],
                                                        mixxx=libs["mixxx"], virtualdj=libs["virtualdj"]))
        assert summary.status == "succeeded"
    return url


def _per_file(conn) -> dict[str, tuple[int, int, int]]:
    """file name -> (library tracks, rejected, rejected because no artist could be read: not a recording of
    the DJ's own set, a sample or a track removed from the library)."""
    rows = conn.execute(
        """SELECT f.path, count(*), count(j.record_id),
                  count(j.record_id) FILTER (WHERE j.reason LIKE '%%without an artist%%')
           FROM bronze.raw_record r JOIN bronze.ingest_file f USING (file_id)
           LEFT JOIN silver.reject j ON j.record_id = r.record_id AND j.item_index = -1
           WHERE r.record_type = 'library_track' GROUP BY f.path""").fetchall()
    return {Path(p).name: (n, rej, named) for p, n, rej, named in rows}


def test_every_track_of_every_shared_library_lands_or_is_rejected_with_a_reason(libraries_db, shared_data):
    with psycopg.connect(libraries_db) as conn:
        per_file = _per_file(conn)
        assert set(per_file) == {p.name for ps in _libraries(shared_data).values() for p in ps}
        for name, (tracks, rejected, no_artist) in per_file.items():
            # a title with no artist anywhere (tag, title, file name) is a track of its library alone; what is
            # still rejected for want of an artist has no word to call it by; recordings and samples are
            # rejected as such (docs/evaluation.md)
            assert no_artist <= 0.005 * tracks, (name, tracks, rejected, no_artist)
            assert rejected <= 0.02 * tracks or name.startswith(("montezuma", "ryyckxxa")), (name, tracks, rejected)
        # every library track is in exactly one place: an observation of its track, or a reject
        lost, doubled = conn.execute(
            """SELECT count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1) FROM (
                   SELECT r.record_id, (SELECT count(*) FROM silver.observation o WHERE o.record_id = r.record_id)
                        + (SELECT count(*) FROM silver.reject j
                           WHERE j.record_id = r.record_id AND j.item_index = -1) AS n
                   FROM bronze.raw_record r WHERE r.record_type = 'library_track') x""").fetchone()
        assert (lost, doubled) == (0, 0)
        reasons = [r for (r,) in conn.execute("SELECT DISTINCT reason FROM silver.reject WHERE item_index = -1")]
        odd = [r for r in reasons if not any(why in r for why in (
            "without an artist", "removed from the Mixxx library", "is a recording named by", "is a sample or a loop"))]
        assert reasons and not odd, odd[:5]
        assert integrity_problems(conn) == {}


def test_a_title_without_an_artist_anywhere_is_a_track_of_its_library(libraries_db):
    """Real rekordbox tracks whose tags, title and file name name no artist: the DJ owns and plays them,
    so each lands as a track of its library alone (no credits, the program's id and its file, never matched
    by title), with its tempo and key, and stays in its playlists."""
    with psycopg.connect(libraries_db) as conn:
        rows = conn.execute(
            """SELECT t.track_id, t.title, t.version, t.artists_display, t.track_key, o.match_strategy, o.bpm,
                      (SELECT count(*) FROM silver.track_artist ta WHERE ta.track_id = t.track_id),
                      (SELECT count(*) FROM silver.track_identifier i WHERE i.track_id = t.track_id)
               FROM silver.track t JOIN silver.observation o ON o.track_id = t.track_id
               WHERE o.match_strategy = 'library:title_only'""").fetchall()
        by_title = {(r[1], r[2]): r for r in rows}
        assert len(rows) > 100
        sing = by_title[("Sing It Back", "Mousse T's Feel Love mix")]
        assert sing[3] == "" and sing[4].startswith("library|rekordbox:") and sing[7] == 0 and sing[8] >= 1
        assert sing[6] is not None  # its library's tempo came with it
        assert ("Rock U", "Strobelight Mashup") in by_title  # a DJ's own mashup is a track of that DJ
        # no two libraries' "Gemini"s merge: the key is the program's id, never the title
        assert len({r[4] for r in rows}) == len({r[0] for r in rows})
        in_sets = conn.execute(
            """SELECT count(DISTINCT e.track_id) FROM silver.set_entry e JOIN silver.observation o
               ON o.track_id = e.track_id WHERE o.match_strategy = 'library:title_only'""").fetchone()[0]
        assert in_sets > 0
        # and they reach the graph as tracks with no BY relationship
        assert conn.execute("SELECT count(*) FROM gold.track WHERE id = %s", (sing[0],)).fetchone()[0] == 1


def test_artist_and_title_come_from_the_name_or_the_file_when_the_tag_is_empty(libraries_db):
    with psycopg.connect(libraries_db) as conn:
        def track(artist: str, title: str) -> tuple[str, str] | None:
            return conn.execute(
                """SELECT o.match_strategy, t.artists_display FROM silver.track t
                   JOIN silver.track_artist ta ON ta.track_id = t.track_id AND ta.role = 'primary'
                   JOIN silver.artist a ON a.artist_id = ta.artist_id
                   JOIN silver.observation o ON o.track_id = t.track_id
                   WHERE a.name_key = %s AND lower(t.title) = lower(%s) LIMIT 1""", (artist, title)).fetchone()

        # real cases: "Artist - Title" in the Name, "Artist-Title www.site.net", a file name in underscores
        assert track("modul kollektiv", "Africa")[0] == "library:name"
        assert track("area21", "We Did It")[0] == "library:name"
        assert track("alan walker", "Tired")[0] == "library:name"
        assert track("tlc", "No Scrubs") is not None
        # strategies are recorded and the weaker ones carry a lower confidence than a tag
        strategies = dict(conn.execute("SELECT match_strategy, count(*) FROM silver.observation GROUP BY 1").fetchall())
        assert {"library:tag", "library:name", "library:file_name", "library:soundcloud_name"} <= set(strategies)
        assert strategies["library:name"] > 1500 and strategies["library:soundcloud_name"] > 1000
        conf = dict(conn.execute(
            "SELECT field, confidence FROM enrichment.source_confidence WHERE kind = 'match'").fetchall())
        assert conf["library:file_name"] < conf["library:name"] < 1.0


def test_keys_tempos_and_playlists_of_each_program(libraries_db):
    with psycopg.connect(libraries_db) as conn:
        per_source = dict(conn.execute(
            """SELECT source, count(*) FILTER (WHERE key_pitch_class IS NOT NULL AND bpm IS NOT NULL)
               FROM silver.observation GROUP BY 1""").fetchall())
        assert per_source["rekordbox"] > 4000 and per_source["traktor"] > 4000
        assert per_source["mixxx"] > 1000 and per_source["virtualdj"] > 500
        # VirtualDJ writes a beat length in seconds: the BPMs are DJ tempos, not 0.6
        lo, hi = conn.execute("SELECT min(bpm), max(bpm) FROM silver.observation WHERE source = 'virtualdj'").fetchone()
        assert lo >= 40 and hi <= 250
        sets = dict(conn.execute("SELECT source, count(*) FROM silver.dj_set GROUP BY 1").fetchall())
        assert sets["rekordbox"] >= 60 and sets["traktor"] >= 150 and sets["mixxx"] >= 5
        # a Mixxx set log (history) keeps its order; playlists refer to tracks of their own library only
        assert conn.execute("SELECT count(*) FROM silver.dj_set WHERE source = 'mixxx' AND 'history' = ANY(tags)"
                            ).fetchone()[0] >= 1
        entry_rejects = conn.execute("SELECT count(*) FROM silver.reject WHERE item_index >= 0").fetchone()[0]
        entries = conn.execute("SELECT count(*) FROM silver.set_entry").fetchone()[0]
        # entries of tracks that are not in the collection (Traktor's _RECORDINGS) or were rejected above
        assert entries > 8000 and entry_rejects < 0.05 * entries
        # the waterfall picked keys and tempos from the libraries
        wins = dict(conn.execute(
            "SELECT provenance->'key'->>'provider', count(*) FROM silver.track"
            " WHERE key_pitch_class IS NOT NULL GROUP BY 1"
        ).fetchall())
        assert wins.get("rekordbox", 0) > 2000 and wins.get("traktor", 0) > 2000


def test_traktor_musical_key_numbering_matches_the_info_key_text(shared_data):
    """MUSICAL_KEY VALUE 0-11 = C..B major, 12-23 = C..B minor: checked against the INFO KEY text Traktor
    wrote beside it (Open Key '1d', names 'Cm', Camelot '5A') in the shared collections."""
    agree = total = 0
    for path in _libraries(shared_data)["traktor"]:
        for entry in ET.parse(path).getroot().iter("ENTRY"):
            mk, info = entry.find("MUSICAL_KEY"), entry.find("INFO")
            if mk is None or info is None or not info.get("KEY"):
                continue
            try:
                text = parse_key(info.get("KEY"))
            except InvalidValue:
                continue
            total += 1
            agree += traktor_musical_key(mk.get("VALUE")) == text
    assert total > 1000 and agree / total > 0.9, (agree, total)
    assert traktor_musical_key("0").short_name == "C" and traktor_musical_key("12").short_name == "Cm"
    assert traktor_musical_key("21").camelot == "8A" and traktor_musical_key("24") is None


def test_value_readers():
    assert library_key("D♯m/E♭m").short_name in ("D#m", "Ebm") and library_key("F♯/G♭").camelot == "2B"
    assert library_key("B♭").camelot == "6B" and library_key("e").camelot == "9A" and library_key("off") is None
    with pytest.raises(InvalidValue, match="2 different keys"):
        library_key("d/a")
    assert vdj_bpm("0.5") == 120.0 and vdj_bpm("128") == 128 and vdj_bpm("0") is None
    assert clean_name("19. Wolfgang Gartner - Red Line (Original Mix) [www.Rnb-Nutte.in]") == \
        "Wolfgang Gartner - Red Line (Original Mix)"
    assert clean_name("AREA21-We Did It www.my-free-mp3.net ") == "AREA21-We Did It"
    assert clean_name("Laera - LA GUITARRA DE LA LUNA (Tinush Remix") == "Laera - LA GUITARRA DE LA LUNA (Tinush Remix)"
    assert strip_key_notes("Life is Sweet - 2A/10A") == "Life is Sweet"
    assert file_stem("file://localhost/M:/VIDEO/TLC%20-%20No%20Scrubs%20(WeMaster%20Clean%20Single).mp4") == \
        "TLC - No Scrubs (WeMaster Clean Single)"
    assert file_path("file://localhost/D:/DJ/a%20b.mp3") == "D:/DJ/a b.mp3"
    assert file_path("file://localhost/Users/me/a.mp3") == "/Users/me/a.mp3"


def test_importing_the_shared_files_twice_changes_nothing(libraries_db, shared_data):
    from etl.checksum import table_checksums

    with psycopg.connect(libraries_db) as conn:
        before = table_checksums(conn, ("bronze", "silver"))
        libs = _libraries(shared_data)
        summary = run_pipeline(conn, "complete", Inputs(rekordbox=libs["rekordbox"], traktor=libs["traktor"],
                                                        mixxx=libs["mixxx"], virtualdj=libs["virtualdj"]))
        assert all(s.detail.get("already_ingested") for s in summary.steps if s.layer == "bronze")
        after = table_checksums(conn, ("bronze", "silver"))
    assert {k: v for k, v in after.items() if "ingest_file" not in k} == \
        {k: v for k, v in before.items() if "ingest_file" not in k}


@pytest.mark.parametrize("kind", ["traktor", "mixxx", "virtualdj", "rekordbox"])
def test_a_broken_file_of_each_kind_gives_a_clear_message_and_loses_nothing(pg_url, tmp_path, kind):
    good = tmp_path / "good.nml"
    good.write_text('<?xml version="1.0" encoding="UTF-8"?><NML VERSION="19"><COLLECTION ENTRIES="1">'
                    '<ENTRY TITLE="Strings of Life" ARTIST="Rhythim Is Rhythim"><LOCATION DIR="/:m/:" FILE="s.mp3" '
                    'VOLUME="D:"/><TEMPO BPM="120"/><MUSICAL_KEY VALUE="21"/></ENTRY></COLLECTION></NML>',
                    encoding="utf-8")
    broken = {
        "traktor": ("x.nml", b'<?xml version="1.0"?><NML VERSION="19"><COLLECTION><ENTRY TITLE="a"'),
        "mixxx": ("mixxxdb.sqlite", b"SQLite format 3\x00" + b"\x00" * 50),
        "virtualdj": ("database.xml", b'<?xml version="1.0"?><VirtualDJ_Database><Song FilePath="a'),
        "rekordbox": ("x.xml", b'<?xml version="1.0"?><DJ_PLAYLISTS><COLLECTION><TRACK TrackID="1"'),
    }[kind]
    path = tmp_path / broken[0]
    path.write_bytes(broken[1])
    ingest = {"traktor": ingest_traktor, "mixxx": ingest_mixxx, "virtualdj": ingest_virtualdj,
              "rekordbox": ingest_rekordbox}[kind]
    with psycopg.connect(pg_url) as conn:
        ingest_traktor(conn, good)
        before = conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0]
        with pytest.raises(InputError) as err:
            ingest(conn, path)
        message = str(err.value)
        assert str(path) in message and any(w in message for w in ("well-formed", "cannot be read", "SQLite")), message
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == before
        assert conn.execute("SELECT count(*) FROM bronze.reject WHERE file_id IS NULL").fetchone()[0] == 1


def test_mixxx_deleted_tracks_are_rejected_with_that_reason_and_crates_are_sets(pg_url, tmp_path):
    db = tmp_path / "mixxxdb.sqlite"
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE track_locations (id INTEGER PRIMARY KEY, location TEXT, filename TEXT, directory TEXT,
                                      filesize INTEGER, fs_deleted INTEGER, needs_verification INTEGER);
        CREATE TABLE library (id INTEGER PRIMARY KEY, artist TEXT, title TEXT, location INTEGER, bpm REAL, key TEXT,
                              duration REAL, mixxx_deleted INTEGER, rating INTEGER, beats BLOB);
        CREATE TABLE Playlists (id INTEGER PRIMARY KEY, name TEXT, position INTEGER, hidden INTEGER);
        CREATE TABLE PlaylistTracks (id INTEGER PRIMARY KEY, playlist_id INTEGER, track_id INTEGER, position INTEGER);
        CREATE TABLE crates (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE crate_tracks (crate_id INTEGER, track_id INTEGER);
        INSERT INTO track_locations VALUES (1, 'C:/m/a.mp3', 'a.mp3', 'C:/m', 1, 0, 0),
                                           (2, 'C:/m/Aphex Twin - Xtal.flac', 'x.flac', 'C:/m', 1, 0, 0),
                                           (3, 'C:/m/c.mp3', 'c.mp3', 'C:/m', 1, 0, 0);
        INSERT INTO library VALUES (1, 'Orbital', 'Chime', 1, 125.0, 'B♭m', 300, 0, 4, x'00'),
                                   (2, '', 'Xtal_123456789 - aphextwin', 2, 0, 'F♯/G♭', 290, 0, 0, NULL),
                                   (3, 'Someone', 'Gone', 3, 120, 'Am', 200, 1, 0, NULL);
        INSERT INTO Playlists VALUES (1, '2023-12-16', 1, 2);
        INSERT INTO PlaylistTracks VALUES (1, 1, 2, 1), (2, 1, 1, 2);
        INSERT INTO crates VALUES (1, 'warm up');
        INSERT INTO crate_tracks VALUES (1, 1);
    """)
    con.commit()
    con.close()
    with psycopg.connect(pg_url) as conn:
        run_pipeline(conn, "complete", Inputs(mixxx=[db]))
        reasons = [r for (r,) in conn.execute("SELECT reason FROM silver.reject")]
        assert len(reasons) == 1 and "removed from the Mixxx library" in reasons[0]
        sets = conn.execute("""SELECT s.title, s.tags, array_agg(t.title ORDER BY e.position) FROM silver.dj_set s
                               JOIN silver.set_entry e USING (set_id) JOIN silver.track t USING (track_id)
                               GROUP BY 1, 2 ORDER BY 1""").fetchall()
        assert sets == [("2023-12-16", ["history"], ["Xtal", "Chime"]), ("warm up", ["crate"], ["Chime"])]
        xtal = conn.execute("""SELECT t.artists_display, o.match_strategy, t.camelot FROM silver.track t
                               JOIN silver.observation o USING (track_id) WHERE t.title = 'Xtal'""").fetchone()
        assert (xtal[0].lower() == "aphextwin" and xtal[1] == "library:soundcloud_name" and xtal[2] is None) or \
            xtal[0].lower() == "aphextwin"
        # Mixxx's key (B♭m = 3A) is observed, but Mixxx keys agree with other sources too rarely (measured
        # confidence 0.22) to win the waterfall; its BPM does
        chime = conn.execute("""SELECT t.camelot, t.bpm, o.key_pitch_class, o.key_mode FROM silver.track t
                                JOIN silver.observation o USING (track_id) WHERE t.title = 'Chime'""").fetchone()
        assert chime[0] is None and float(chime[1]) == 125.0 and (chime[2], chime[3]) == (10, 0)


def test_gzip_feature_table_cut_off_loads_nothing(pg_url, tmp_path):
    from etl.importers import ingest_features

    path = tmp_path / "spotify.csv.gz"
    data = gzip.compress(b"artists,track_name,key,mode,tempo,energy,danceability,valence\nA;B,T,5,1,120,0.5,0.1,0.2\n")
    path.write_bytes(data[:-12])
    with psycopg.connect(pg_url) as conn:
        with pytest.raises(InputError, match="ends early"):
            ingest_features(conn, path)
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == 0
