"""A small hand-made silver dataset (15 artists, 40 tracks, 6 sets, 4 labels, one gap) for gold and
graph-store tests. Every expected number in the tests can be worked out from the tables below.

Collaboration graph (weight = shared tracks):
    Dixon -2- Ame -1- Henrik Schwarz -1- Stephan Bodzin -2- Marc Romboy
                 \\-2- Kerri Chandler -1-/
    Dixon -1- Solomun -1- Tale Of Us -1- Mind Against -1- Adriatique -1- Recondite -1- Stephan Bodzin
So Dixon -> Stephan Bodzin: 3 hops via Kerri (weight 5) or Henrik (weight 4); 6 hops via Solomun.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import psycopg

from graphsvc.harmonic import parse_key
from graphsvc.ids import stable_id
from graphsvc.names import name_key, title_key

ARTISTS = [
    "Dixon", "Âme", "Kerri Chandler", "Henrik Schwarz", "Stephan Bodzin", "Marc Romboy", "Solomun",
    "Tale Of Us", "Mind Against", "Adriatique", "Recondite", "Bicep", "Maceo Plex", "Frankey & Sandrino",
    "Innervisions Orchestra",
]
LABELS = ["Innervisions", "Diynamic", "Afterlife", "Feel My Bicep"]

P, F, R = "primary", "featured", "remixer"
# code: (title, version, [(artist, role)], bpm, camelot, energy, genres, label, year)
TRACKS: dict[str, tuple] = {
    # --- the next-track cluster around "src" (8A, 124 BPM) -----------------------------------
    "src": ("Opal", None, [("Bicep", P)], 124.0, "8A", 0.60, ["house"], "Feel My Bicep", 2017),
    "same": ("Glue", None, [("Bicep", P)], 125.0, "8A", 0.65, ["house"], "Feel My Bicep", 2017),
    "adj": ("Atlas", None, [("Bicep", P)], 122.0, "9A", 0.62, ["house"], "Feel My Bicep", 2020),
    "rel": ("Rise", None, [("Solomun", P)], 124.0, "8B", 0.70, ["house"], "Diynamic", 2016),
    "diag": ("Kackvogel", None, [("Solomun", P)], 126.0, "9B", 0.70, ["techno"], "Diynamic", 2012),
    "twostep": ("Nova", None, [("Maceo Plex", P)], 124.0, "10A", 0.80, ["techno"], None, 2014),
    "semi": ("Conjure", None, [("Maceo Plex", P)], 124.0, "3A", 0.75, ["techno"], None, 2013),
    "half": ("Slow Burn", None, [("Recondite", P)], 62.0, "8A", 0.30, ["ambient"], None, 2015),
    "far": ("Hardline", None, [("Maceo Plex", P)], 140.0, "8A", 0.90, ["techno"], None, 2019),
    "clash": ("Wrong Turn", None, [("Recondite", P)], 124.0, "1A", 0.50, ["techno"], None, 2015),
    "pitch": ("Speedway", None, [("Maceo Plex", P)], 131.5, "3A", 0.85, ["techno"], None, 2018),
    "nokey": ("Untitled", None, [("Recondite", P)], 124.5, None, None, [], None, None),
    "ev": ("Apricots", None, [("Bicep", P)], 123.0, "9A", 0.55, ["house"], "Feel My Bicep", 2020),
    "evclash": ("Clasher", None, [("Recondite", P)], 124.0, "2A", 0.50, ["techno"], None, 2016),
    "nobpm": ("Drift", None, [("Recondite", P)], None, "8A", 0.40, ["ambient"], None, 2014),
    "dest": ("Terminal", None, [("Stephan Bodzin", P)], 124.0, "11A", 0.80, ["techno"], "Afterlife", 2015),
    # --- collaborations ---------------------------------------------------------------------
    "c1": ("Heartbeat", None, [("Dixon", P), ("Âme", P)], 122.0, "5A", 0.50, ["deep house"], "Innervisions", 2008),
    "c2": ("Rej", "Dixon Remix", [("Âme", P), ("Dixon", R)], 123.0, "5A", 0.60, ["deep house"], "Innervisions", 2010),
    "c3": ("Where We At", None, [("Âme", P), ("Henrik Schwarz", P)], 120.0, "6A", 0.50, ["deep house"], "Innervisions", 2009),
    "c4": ("Powers", None, [("Henrik Schwarz", P), ("Stephan Bodzin", P)], 124.0, "6A", 0.70, ["techno"], "Afterlife", 2012),
    "c5": ("Atlas Mind", None, [("Stephan Bodzin", P), ("Marc Romboy", P)], 125.0, "7A", 0.80, ["techno"], None, 2011),
    "c6": ("Luna", None, [("Marc Romboy", P), ("Stephan Bodzin", F)], 125.0, "7A", 0.80, ["techno"], None, 2013),
    "c7": ("Bar A Thym", None, [("Kerri Chandler", P), ("Âme", R)], 122.0, "4A", 0.60, ["deep house"], None, 2007),
    "c8": ("Rain", "Ame Remix", [("Kerri Chandler", P), ("Âme", R)], 121.0, "4A", 0.60, ["deep house"], None, 2011),
    "c9": ("Sunset Room", None, [("Kerri Chandler", P), ("Stephan Bodzin", F)], 123.0, "4B", 0.60, ["deep house"], None, 2014),
    "c10": ("Deep Blue", None, [("Dixon", P), ("Solomun", P)], 121.0, "5B", 0.55, ["deep house"], "Diynamic", 2011),
    "c11": ("Nova Astra", None, [("Solomun", P), ("Tale Of Us", P)], 122.0, "5B", 0.60, ["techno"], "Afterlife", 2013),
    "c12": ("Orbit", None, [("Tale Of Us", P), ("Mind Against", P)], 122.0, "6B", 0.60, ["techno"], "Afterlife", 2015),
    "c13": ("Vostok", None, [("Mind Against", P), ("Adriatique", P)], 123.0, "6B", 0.65, ["techno"], "Afterlife", 2016),
    "c14": ("Nightfall", None, [("Adriatique", P), ("Recondite", P)], 123.0, "7B", 0.65, ["techno"], "Afterlife", 2017),
    "c15": ("Boavista", None, [("Recondite", P), ("Stephan Bodzin", P)], 124.0, "7B", 0.70, ["techno"], "Afterlife", 2018),
    # --- solo tracks ------------------------------------------------------------------------
    "s1": ("Dreamer", None, [("Frankey & Sandrino", P)], 121.0, "11B", 0.50, ["deep house"], "Innervisions", 2014),
    "s2": ("Acamar", None, [("Frankey & Sandrino", P)], 122.0, "12B", 0.55, ["deep house"], "Innervisions", 2013),
    "s3": ("Wall Of Sound", None, [("Innervisions Orchestra", P)], 120.0, "1B", 0.40, ["deep house"], "Innervisions", 2012),
    "s4": ("Mayonaka", None, [("Tale Of Us", P)], 120.0, "2A", 0.50, ["techno"], "Afterlife", 2016),
    "s5": ("Liberation", None, [("Stephan Bodzin", P)], 125.0, "12A", 0.85, ["techno"], "Afterlife", 2015),
    "s6": ("Singularity", None, [("Stephan Bodzin", P)], 124.0, "12A", 0.90, ["techno"], "Afterlife", 2017),
    "s7": ("Blasted", None, [("Adriatique", P)], 123.0, "1A", 0.70, ["techno"], "Afterlife", 2019),
    "s8": ("Unreleased Dub", None, [("Mind Against", P)], None, None, None, [], None, None),
    "s9": ("Shelter", None, [("Marc Romboy", P)], 126.0, "9A", 0.75, ["techno"], None, 2012),
}

# set code: (title, [dj artists], date, source, entries: list of track code or None for a gap)
SETS: dict[str, tuple] = {
    "set1": ("Dixon @ Panorama Bar", ["Dixon"], date(2019, 3, 1), "mixesdb", ["src", "ev", "same", "c1", "c2"]),
    "set2": ("Dixon - Essential Mix", ["Dixon"], date(2018, 5, 12), "mixesdb", ["c10", "src", "ev", "c3", "c7"]),
    "set3": ("Ame @ Robert Johnson", ["Âme"], date(2017, 1, 20), "mixesdb", ["c7", "c8", None, "c9", "c3"]),
    "set4": ("Solomun +1", ["Solomun"], date(2019, 8, 2), "1001tracklists", ["rel", "diag", "c11", "c12"]),
    "set5": ("Dixon b2b Kerri Chandler", ["Dixon", "Kerri Chandler"], date(2020, 6, 6), "1001tracklists",
             ["src", "ev", "nokey", "src", "evclash", "c1"]),
    "set6": ("Tale Of Us @ Afterlife", ["Tale Of Us"], None, "1001tracklists", ["c12", "c13", "c14", "c15", "s5", "s6"]),
}


@dataclass
class Fixture:
    artist: dict[str, int] = field(default_factory=dict)  # name -> id
    track: dict[str, int] = field(default_factory=dict)  # code -> id
    set: dict[str, int] = field(default_factory=dict)  # code -> id
    label: dict[str, int] = field(default_factory=dict)  # name -> id


def fill_silver(conn: psycopg.Connection) -> Fixture:
    """Insert the dataset into silver (committed) and return the ids."""
    fx = Fixture()
    record = iter(range(1, 1_000_000))
    with conn.cursor() as cur:
        for name in ARTISTS:
            fx.artist[name] = aid = stable_id("artist", name_key(name))
            cur.execute(
                "INSERT INTO silver.artist (artist_id, canonical_name, name_key) VALUES (%s, %s, %s)",
                (aid, name, name_key(name)),
            )
        for name in LABELS:
            fx.label[name] = lid = stable_id("label", name_key(name))
            cur.execute("INSERT INTO silver.label VALUES (%s, %s, %s)", (lid, name, name_key(name)))
        for code, (title, version, credits, bpm, camelot, energy, genres, label, year) in TRACKS.items():
            artists = [a for a, r in credits if r == P]
            display = " & ".join(artists)
            key = f"{'|'.join(sorted(name_key(a) for a in artists))}|{title_key(title)}|{title_key(version or '')}"
            fx.track[code] = tid = stable_id("track", key)
            k = parse_key(camelot) if camelot else None
            cur.execute(
                """INSERT INTO silver.track (track_id, track_key, title, version, artists_display, label_id,
                       release_year, bpm, key_pitch_class, key_mode, camelot, energy, genres, quality_score,
                       duration_s)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (tid, key, title, version, display, fx.label.get(label), year, bpm,
                 k.pitch_class if k else None, k.mode if k else None, camelot, energy, genres,
                 0.9 if bpm and camelot else 0.4, 360.0),
            )
            for pos, (artist, role) in enumerate(credits, 1):
                cur.execute("INSERT INTO silver.track_artist VALUES (%s, %s, %s, %s)",
                            (tid, fx.artist[artist], role, pos))
        for code, (title, djs, when, source, entries) in SETS.items():
            fx.set[code] = sid = stable_id("set", f"{source}|{code}")
            rec = next(record)
            gaps = sum(e is None for e in entries)
            cur.execute(
                """INSERT INTO silver.dj_set (set_id, source, source_key, record_id, title, dj_display, set_date,
                       entry_count, gap_count) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (sid, source, code, rec, title, " b2b ".join(djs), when, len(entries) - gaps, gaps),
            )
            for pos, dj in enumerate(djs, 1):
                cur.execute("INSERT INTO silver.set_dj VALUES (%s, %s, %s)", (sid, fx.artist[dj], pos))
            for pos, code_t in enumerate(entries, 1):
                if code_t is None:
                    cur.execute(
                        "INSERT INTO silver.set_gap VALUES (%s, %s, NULL, %s, %s, 'ID - ID', 'unidentified')",
                        (sid, pos, rec, pos),
                    )
                else:
                    cur.execute(
                        "INSERT INTO silver.set_entry VALUES (%s, %s, NULL, NULL, %s, %s, %s, %s)",
                        (sid, pos, fx.track[code_t], rec, pos, TRACKS[code_t][0]),
                    )
    conn.commit()
    return fx
