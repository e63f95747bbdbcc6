"""A seeded synthetic gold graph for benchmarks (written straight into the gold tables with COPY).

Shape: artists ~ n/5 with power-law popularity, ~25% of tracks with a second credited artist
(featured/remixer), keys uniform (5% unknown), BPM clustered per genre in 90-175, sets of 15-25 tracks
walking mostly harmonic (same/adjacent/relative key, nearby BPM) so TRANSITIONS_TO looks like DJ data.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import psycopg

from etl.gold import compatible_rows, key_rows
from graphsvc import harmonic

_GENRES = [("deep house", 121.0), ("house", 124.0), ("tech house", 126.0), ("techno", 132.0),
           ("trance", 138.0), ("drum and bass", 174.0), ("downtempo", 95.0), ("breaks", 130.0)]
_TABLES = ("track", "artist", "set", "label", "by", "collaborated_with", "transitions_to", "contains",
           "played", "supports", "key", "compatible", "tombstone", "projection_state")


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows) -> None:
    with conn.cursor().copy(f"COPY gold.{table} ({', '.join(columns)}) FROM STDIN") as cp:
        for r in rows:
            cp.write_row(r)


def generate_gold(conn: psycopg.Connection, n_tracks: int, seed: int = 0) -> dict[str, float]:
    """Replace the gold tables with a synthetic graph of ``n_tracks`` tracks; returns row counts and
    seconds. Deterministic for a given (n_tracks, seed)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    n_art = max(10, n_tracks // 5)
    n_lab = max(2, n_tracks // 100)
    keys = harmonic.ALL_KEYS

    def popular(n: int) -> int:  # power law over 1..n
        return 1 + int(n * rng.random() ** 3)

    # id, title, version, artists, bpm, Key | None, energy, genres, quality, label, year, duration_s
    tracks: list[list[Any]] = []
    per_key: dict[str, list[tuple[float, int]]] = defaultdict(list)
    credits: list[tuple[int, int, str, int]] = []
    for tid in range(1, n_tracks + 1):
        genre, centre = rng.choice(_GENRES)
        bpm = round(min(175.0, max(90.0, rng.gauss(centre, 2.5))), 2)
        key = None if rng.random() < 0.05 else rng.choice(keys)
        a1 = popular(n_art)
        credits.append((tid, a1, "primary", 1))
        names = [f"Artist {a1}"]
        if rng.random() < 0.25:
            a2 = popular(n_art)
            if a2 != a1:
                credits.append((tid, a2, rng.choice(("primary", "featured", "remixer")), 2))
                names.append(f"Artist {a2}")
        label = popular(n_lab) if rng.random() < 0.7 else None
        year = rng.randint(1995, 2024)
        tracks.append([tid, f"Track {tid}", None, " & ".join(names), bpm, key, round(rng.random(), 3),
                       [genre], 0.8, label, year, round(rng.uniform(240, 540), 1)])
        if key is not None:
            per_key[key.camelot].append((bpm, tid))
    for lst in per_key.values():
        lst.sort()
    by_id = {t[0]: t for t in tracks}

    # sets: harmonic-ish walks
    n_sets = max(1, n_tracks // 20)
    contains, played, set_rows = [], [], []
    plays: Counter[int] = Counter()
    set_count: Counter[int] = Counter()
    transitions: dict[tuple[int, int], list] = {}
    day0 = date(2010, 1, 1)
    track_primary = {}
    for tid, aid, role, _ in credits:
        if role == "primary" and tid not in track_primary:
            track_primary[tid] = aid
    supports: Counter[tuple[int, int]] = Counter()
    dj_sets: Counter[int] = Counter()
    for sid in range(1, n_sets + 1):
        dj = popular(n_art)
        when = day0 + timedelta(days=rng.randrange(5000))
        set_rows.append((sid, f"Set {sid}", f"Artist {dj}", when, None, None, None, "synthetic", 0, 1))
        played.append((dj, sid, 1))
        dj_sets[dj] += 1
        cur = rng.randint(1, n_tracks)
        seen = []
        length = rng.randint(15, 25)
        for pos in range(1, length + 1):
            contains.append((sid, cur, pos, 1))
            seen.append(cur)
            plays[cur] += 1
            if track_primary.get(cur, dj) != dj:
                supports[(dj, track_primary[cur])] += 1
            t = by_id[cur]
            nxt = None
            if t[5] is not None and rng.random() < 0.9:
                k = rng.choice([m[0] for m in harmonic.compatible_keys(t[5], "normal")])
                window = per_key.get(k.camelot)
                if window:
                    i = bisect_left(window, (t[4] * rng.uniform(0.97, 1.03), 0))
                    nxt = window[min(len(window) - 1, max(0, i + rng.randint(-3, 3)))][1]
            if nxt is None or nxt == cur:
                nxt = rng.randint(1, n_tracks)
            if nxt != cur and pos < length:
                tr = transitions.setdefault((cur, nxt), [0, set(), None])
                tr[0] += 1
                tr[1].add(dj)
                tr[2] = when if tr[2] is None or when > tr[2] else tr[2]
            cur = nxt
        set_rows[-1] = (*set_rows[-1][:8], len(seen), 1)
        for s in set(seen):
            set_count[s] += 1

    art_tracks: dict[int, set[int]] = defaultdict(set)
    track_artists: dict[int, list[int]] = defaultdict(list)
    for tid, aid, _, _ in credits:
        art_tracks[aid].add(tid)
        track_artists[tid].append(aid)
    collab: dict[tuple[int, int], list] = {}
    for tid, aids in track_artists.items():
        if len(aids) > 1:
            a, b = sorted(aids[:2])
            c = collab.setdefault((a, b), [0, 9999, 0])
            y = by_id[tid][10]
            c[0] += 1
            c[1], c[2] = min(c[1], y), max(c[2], y)
    label_tracks = Counter(t[9] for t in tracks if t[9] is not None)

    with conn.transaction():
        conn.execute("TRUNCATE " + ", ".join(f"gold.{t}" for t in _TABLES))
        _copy(conn, "key", ("camelot", "pitch_class", "mode", "name", "open_key", "number", "letter"), key_rows())
        _copy(conn, "compatible", ("from_camelot", "to_camelot", "move", "score"), compatible_rows())
        _copy(conn, "track", ("id", "title", "version", "artists", "bpm", "key_pc", "key_mode", "camelot", "energy",
                              "genres", "plays", "sets", "quality", "label", "label_id", "year", "duration_s",
                              "change_seq"),
              ((t[0], t[1], t[2], t[3], t[4], None if t[5] is None else t[5].pitch_class,
                None if t[5] is None else t[5].mode, None if t[5] is None else t[5].camelot, t[6], t[7],
                plays[t[0]], set_count[t[0]], t[8], None if t[9] is None else f"Label {t[9]}", t[9], t[10], t[11], 1)
               for t in tracks))
        _copy(conn, "artist", ("id", "name", "name_key", "tracks", "sets", "change_seq"),
              ((a, f"Artist {a}", f"artist {a}", len(art_tracks.get(a, ())), dj_sets[a], 1)
               for a in range(1, n_art + 1)))
        _copy(conn, "label", ("id", "name", "tracks", "change_seq"),
              ((lab, f"Label {lab}", label_tracks[lab], 1) for lab in range(1, n_lab + 1)))
        _copy(conn, "set", ("id", "title", "dj", "date", "venue", "event", "show", "source", "tracks", "change_seq"),
              set_rows)
        _copy(conn, "by", ("track_id", "artist_id", "role", "position", "change_seq"), ((*c, 1) for c in credits))
        _copy(conn, "collaborated_with", ("a_id", "b_id", "weight", "first_year", "last_year", "change_seq"),
              ((a, b, w, fy, ly, 1) for (a, b), (w, fy, ly) in collab.items()))
        _copy(conn, "transitions_to", ("from_id", "to_id", "count", "djs", "last_seen", "change_seq"),
              ((f, t, n, len(djs), last, 1) for (f, t), (n, djs, last) in transitions.items()))
        _copy(conn, "contains", ("set_id", "track_id", "position", "change_seq"), contains)
        _copy(conn, "played", ("artist_id", "set_id", "change_seq"), sorted(set(played)))
        _copy(conn, "supports", ("dj_id", "artist_id", "count", "change_seq"),
              ((d, a, n, 1) for (d, a), n in supports.items()))
        conn.execute("SELECT setval('gold.change_seq_seq', 1)")
    return {"tracks": n_tracks, "artists": n_art, "sets": n_sets, "transitions": len(transitions),
            "collaborations": len(collab), "seconds": round(time.perf_counter() - started, 2)}
