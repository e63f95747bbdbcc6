"""A seeded generator of a realistic demo dataset, written in the formats the importers read.

No real dataset ships with graphsvc; ``graphsvc demo`` builds one instead:

- ``mixesdb-demo.json``: MixesDB-format mixes (``{id, title, url, audio_source, audio_url, tags, tracklist:
  [{id: youtube id | null, title: "[cue] Artist - Title (Version) [Label - Cat#]"}]}``);
- ``rekordbox-demo.xml``: a rekordbox collection export covering ~60% of the tracks with ``AverageBpm`` and
  ``Tonality`` (so keys and tempos exist), ``Genre``, ``Label``, ``Remixer``;
- ``1001tracklists-demo.csv``: 1001Tracklists-style tracklists with Spotify-style audio features (energy,
  key/mode, tempo) and genres.

What makes it realistic: ~1 artist per 5 tracks with power-law (Zipf) popularity; collaborations through
``A & B``, ``feat.`` and remixes; four genre clusters with their tempo ranges (house 118-126, techno
125-135, trance 132-140, drum & bass 170-176); DJ sets of 12-25 entries over 2012-2018 that mostly move
between compatible Camelot keys with a small BPM drift, reuse popular transitions, and have some
``ID - ID`` gaps. Everything is drawn from one ``random.Random(seed)``: the same seed gives the same bytes.

The files are then ingested through the normal importers (``Pipeline.run('complete', Inputs(...))``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import string
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from graphsvc import harmonic

GENRES: dict[str, tuple[float, float]] = {
    "house": (118.0, 126.0),
    "techno": (125.0, 135.0),
    "trance": (132.0, 140.0),
    "drum & bass": (170.0, 176.0),
}
GENRE_SHARE = {"house": 0.36, "techno": 0.3, "trance": 0.2, "drum & bass": 0.14}
GENRE_ENERGY = {"house": 0.62, "techno": 0.74, "trance": 0.7, "drum & bass": 0.8}
SUBGENRES = {
    "house": ["deep house", "tech house", "progressive house"],
    "techno": ["minimal techno", "peak time techno", "melodic techno"],
    "trance": ["uplifting trance", "progressive trance", "psytrance"],
    "drum & bass": ["liquid funk", "neurofunk", "jump up"],
}
_FIRST = ("Mira Kaito Oda Lena Juno Tomas Anouk Rafi Nika Sol Ilse Marek Yuna Cato Elio Freya Bram Noor Ada Timo "
          "Lior Vera Kofi Ines Pavel Suri Aksel Maren Ravi Liv Dario Esme Hugo Tala Oren Zora Felix Ayla Nils "
          "Rosa Idris Mila Jonas Keira Emil Saya Leon Nadia Ottar").split()
_LAST = ("Solen Varn Lume Kessler Morrow Halden Ostrova Quill Brandt Tavi Rennick Sato Lindqvist Marlow Okafor "
         "Vance Delmar Hartung Castell Novak Reyes Akande Fjell Moreau Ibsen Kovac Lark Dunmore Ferro Achterberg "
         "Nakamura Pell Strand Voss Calder Imre Rask Belmont Oyelaran Sund Weir Hollis Mendez Falk Arden Roux "
         "Kade Tessaro Lund Marais").split()
_ADJ = ("Silent Golden Hollow Electric Distant Broken Velvet Neon Lunar Solar Crystal Endless Frozen Burning "
        "Hidden Falling Rising Deep Bright Lost Wild Quiet Open Paper Iron Blue Crimson Amber Silver Northern "
        "Southern Eastern Western Midnight Morning Ancient Modern Secret Sacred Gentle Restless Fading Shining "
        "Drifting Empty Heavy Hazy Liquid Static Glass Stone Desert Ocean Inner Outer Final First Second Last "
        "Slow Fast").split()
_NOUN = ("Tide Light Signal Horizon Garden Machine River Mirror Echo Pulse Orbit Shadow Fire Rain Dream Ritual "
         "Harbour Voyage Motion Circle Vision Spirit Bloom Storm Current Engine Pattern Fragment Dawn Dusk Night "
         "Season Memory Station Canyon Valley Meadow Island Forest Skyline Frequency Rhythm Heart Season Thunder "
         "Crown Atlas Compass Temple Prism Spiral Cascade Ember Drift Haze Glow Void Tunnel").split()
_LABEL_WORDS = ("Solar Hollow Prism Kinetic Aurora Monolith Meridian Tessellate Circuit Lumen Vertex Obsidian "
                "Halcyon Parallax Nocturne Cobalt Driftwood Ember Quartz Tidal Zenith Vantage Echoic Helix").split()
_LABEL_SUFFIX = ("Records", "Recordings", "Music", "Audio")
_VENUES = [("Halcyon Club", "Berlin"), ("The Vault", "London"), ("Warehouse 9", "Amsterdam"), ("Luma", "Ibiza"),
           ("Basement Nine", "New York"), ("Sonar Hall", "Barcelona"), ("Cellar 23", "Paris"),
           ("Kinetic Arena", "Tokyo"), ("Riverside Stage", "Melbourne"), ("Pulse Dome", "Montreal")]
_SHOWS = ["Frequency Sessions", "Night Transmission", "Deep Current Radio", "Horizon Podcast"]
_COMPATIBLE_MOVES = harmonic.STRICTNESS["normal"]


@dataclass
class DemoTrack:
    idx: int
    genre: str
    primary: list[int]
    featured: int | None
    remixer: int | None
    title: str
    version: str | None
    label: int
    catalog: str
    bpm: float
    key: harmonic.Key
    energy: float
    year: int
    duration_s: int
    popularity: float
    youtube: str | None

    def artist_text(self, names: list[str]) -> str:
        text = " & ".join(names[a] for a in self.primary)
        if self.featured is not None:
            text += f" feat. {names[self.featured]}"
        return text

    def title_text(self) -> str:
        return f"{self.title} ({self.version})" if self.version else self.title


@dataclass
class DemoData:
    seed: int
    artists: list[str]
    artist_genre: list[str]
    djs: list[int]
    labels: list[tuple[str, str]]  # (name, catalog prefix)
    tracks: list[DemoTrack]
    mixes: list[dict[str, Any]] = field(default_factory=list)
    tracklists: list[dict[str, Any]] = field(default_factory=list)  # 1001TL rows
    rekordbox_tracks: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class DemoFiles:
    mixesdb: Path
    rekordbox: Path
    tracklists1001: Path


def _zipf_weights(n: int, rng: random.Random, exponent: float = 0.9, offset: int = 2) -> list[float]:
    """Power-law popularity (Zipf-Mandelbrot: 1 / (rank + offset)^exponent), ranks shuffled over the items."""
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return [1.0 / (r + offset) ** exponent for r in ranks]


def _unique(rng: random.Random, make, seen: set[str]) -> str:
    for _ in range(10_000):
        value = make()
        if value.lower() not in seen:
            seen.add(value.lower())
            return value
    raise RuntimeError("the demo name pool is exhausted; ask for fewer tracks")


def _pick(rng: random.Random, items: list[int], weights: list[float]) -> int:
    return rng.choices(items, weights=weights, k=1)[0]


def build(tracks: int = 2000, seed: int = 7) -> DemoData:
    """The demo data set in memory (deterministic for ``seed``)."""
    if not 50 <= tracks <= 20_000:
        raise ValueError(f"--tracks must be between 50 and 20000, got {tracks}")
    rng = random.Random(seed)
    n_artists = max(20, tracks // 5)
    seen: set[str] = set()
    artists = [_unique(rng, lambda: f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", seen) for _ in range(n_artists)]
    genres = list(GENRES)
    artist_genre = rng.choices(genres, weights=[GENRE_SHARE[g] for g in genres], k=n_artists)
    pop = _zipf_weights(n_artists, rng)
    by_pop = sorted(range(n_artists), key=lambda a: -pop[a])
    djs = sorted(by_pop[: max(6, n_artists // 8)])
    by_genre = {g: [a for a in range(n_artists) if artist_genre[a] == g] for g in genres}
    labels: list[tuple[str, str]] = []
    label_genre: dict[str, list[int]] = {g: [] for g in genres}
    label_seen: set[str] = set()
    for g in genres:
        for _ in range(max(3, tracks // 250)):
            name = _unique(rng, lambda: f"{rng.choice(_LABEL_WORDS)} {rng.choice(_LABEL_SUFFIX)}", label_seen)
            prefix = "".join(w[0] for w in name.split()).upper() + rng.choice(string.ascii_uppercase)
            label_genre[g].append(len(labels))
            labels.append((name, prefix))
    title_seen: set[str] = set()
    out: list[DemoTrack] = []
    keys = harmonic.ALL_KEYS
    key_weights = [1.4 if k.mode == 0 else 1.0 for k in keys]  # minor keys are more common in club music
    for i in range(tracks):
        g = rng.choices(genres, weights=[GENRE_SHARE[x] for x in genres], k=1)[0]
        pool = by_genre[g] or list(range(n_artists))
        weights = [pop[a] for a in pool]
        first = _pick(rng, pool, weights)
        primary = [first]
        featured = remixer = None
        roll = rng.random()
        if roll < 0.12:
            other = _pick(rng, pool, weights)
            if other != first:
                primary.append(other)
        elif roll < 0.22:
            other = _pick(rng, pool, weights)
            featured = other if other != first else None
        version = None
        roll = rng.random()
        if roll < 0.16:
            other = _pick(rng, pool, weights)
            if other not in primary and other != featured:
                remixer = other
                version = f"{artists[other]} Remix"
        elif roll < 0.28:
            version = "Extended Mix"
        title = _unique(rng, lambda: f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}", title_seen)
        lo, hi = GENRES[g]
        label = rng.choice(label_genre[g])
        energy = min(0.98, max(0.15, rng.gauss(GENRE_ENERGY[g], 0.12)))
        out.append(DemoTrack(
            idx=i, genre=g, primary=primary, featured=featured, remixer=remixer, title=title, version=version,
            label=label, catalog=f"{labels[label][1]}{rng.randint(1, 250):03d}",
            bpm=round(rng.uniform(lo, hi) * 2) / 2, key=rng.choices(keys, weights=key_weights, k=1)[0],
            energy=round(energy, 3), year=rng.randint(2008, 2018), duration_s=rng.randint(300, 480),
            popularity=pop[first] * rng.uniform(0.3, 1.7),
            youtube="".join(rng.choices(string.ascii_letters + string.digits + "-_", k=11)) if rng.random() < 0.7
            else None,
        ))
    data = DemoData(seed, artists, artist_genre, djs, labels, out)
    _make_sets(data, rng, n_sets=max(8, round(tracks * 150 / 2000)))
    _make_tracklists(data, rng, n_lists=max(3, round(tracks * 24 / 2000)))
    data.rekordbox_tracks = sorted(rng.sample(range(tracks), k=round(tracks * 0.6)))
    return data


def _by_genre(data: DemoData) -> dict[str, tuple[list[float], list[int]]]:
    """Per genre the tracks sorted by BPM (bpms, track indexes), for window lookups with bisect."""
    out = {}
    for g in GENRES:
        pairs = sorted((t.bpm, t.idx) for t in data.tracks if t.genre == g)
        out[g] = ([p[0] for p in pairs], [p[1] for p in pairs])
    return out


def _next_track(data: DemoData, rng: random.Random, cur: DemoTrack, used: set[int],
                by_genre: dict[str, tuple[list[float], list[int]]], classics: dict[int, list[int]],
                anchor_bpm: float) -> DemoTrack | None:
    """A plausible next track: mostly a compatible key and a BPM within ~3% (near the set's anchor tempo),
    sometimes a transition other DJs already played. Looser tiers only when nothing fits."""
    for nxt in classics.get(cur.idx, ()):
        if nxt not in used and rng.random() < 0.45:
            return data.tracks[nxt]
    other = rng.choice(list(GENRES)) if rng.random() < 0.07 else cur.genre  # a neighbouring genre at times
    keyed = rng.random() < 0.88
    tiers = [(other, 0.03, 0.05, keyed)] if other != cur.genre else []
    tiers += [(cur.genre, 0.03, 0.05, keyed), (cur.genre, 0.03, 0.05, False), (cur.genre, 0.06, 0.08, False)]
    for genre, step, drift, need_key in tiers:
        bpms, idxs = by_genre[genre]
        lo = bisect_left(bpms, cur.bpm * (1 - step))
        hi = bisect_right(bpms, cur.bpm * (1 + step))
        options, weights = [], []
        for j in idxs[lo:hi]:
            t = data.tracks[j]
            if j in used or abs(t.bpm - anchor_bpm) > anchor_bpm * drift:
                continue
            if need_key and harmonic.classify_move(cur.key, t.key) not in _COMPATIBLE_MOVES:
                continue
            options.append(t)
            weights.append(t.popularity)
        if options:
            return rng.choices(options, weights=weights, k=1)[0]
    return None


def _walk(data: DemoData, rng: random.Random, dj: int, length: int,
          by_genre: dict[str, tuple[list[float], list[int]]], classics: dict[int, list[int]]) -> list[DemoTrack]:
    pool = by_genre[data.artist_genre[dj]][1] or [t.idx for t in data.tracks]
    start = data.tracks[rng.choices(pool, weights=[data.tracks[j].popularity for j in pool], k=1)[0]]
    seq, used = [start], {start.idx}
    while len(seq) < length:
        nxt = _next_track(data, rng, seq[-1], used, by_genre, classics, start.bpm)
        if nxt is None:
            break
        seq.append(nxt)
        used.add(nxt.idx)
    return seq


def _date(rng: random.Random) -> dt.date:
    return dt.date(2012, 1, 1) + dt.timedelta(days=rng.randint(0, 7 * 365 - 1))


def _make_sets(data: DemoData, rng: random.Random, n_sets: int) -> None:
    by_genre = _by_genre(data)
    classics: dict[int, list[int]] = {}
    dj_weights = [1.0 / (1 + i) ** 0.7 for i in range(len(data.djs))]
    for n in range(n_sets):
        dj = rng.choices(data.djs, weights=dj_weights, k=1)[0]
        seq = _walk(data, rng, dj, rng.randint(12, 25), by_genre, classics)
        for a, b in pairwise(seq):
            if rng.random() < 0.3:
                classics.setdefault(a.idx, []).append(b.idx)
        day = _date(rng)
        name = data.artists[dj]
        tags = [{"key": f"Category:{name}"}, {"key": f"Category:{data.artist_genre[dj].title()}"}]
        if rng.random() < 0.3:
            show = rng.choice(_SHOWS)
            title = f"{day.isoformat()} - {name} - {show} {rng.randint(1, 400)}"
            tags.append({"key": f"Category:{show}"})
        else:
            venue, city = rng.choice(_VENUES)
            title = f"{day.isoformat()} - {name} @ {venue}, {city}"
        items, minute = [], 0
        for t in seq:
            minute += rng.randint(3, 6)
            roll = rng.random()
            if roll < 0.05:
                text, yt = "ID - ID", None
            elif roll < 0.07:
                text, yt = f"{data.artists[t.primary[0]]} - ID", None
            else:
                label, _ = data.labels[t.label]
                year = f", {t.year}" if t.year <= day.year else ""
                text = f"{t.artist_text(data.artists)} - {t.title_text()} [{label} - {t.catalog}{year}]"
                yt = t.youtube
            items.append({"id": yt, "title": f"[{minute:02d}] {text}"})
        slug = title.replace(" ", "_")
        data.mixes.append({
            "id": f"demo{n:04d}", "title": title, "url": f"https://demo.invalid/mixesdb/{slug}",
            "audio_source": "demo", "audio_url": None, "tags": tags,
            "num_total_tracks": len(items), "tracklist": items,
        })


def _make_tracklists(data: DemoData, rng: random.Random, n_lists: int) -> None:
    by_genre = _by_genre(data)
    for n in range(n_lists):
        dj = rng.choice(data.djs)
        seq = _walk(data, rng, dj, rng.randint(12, 25), by_genre, {})
        day = _date(rng)
        venue, city = rng.choice(_VENUES)
        name = f"{data.artists[dj]} @ {venue}, {city} {day.isoformat()}"
        tl_id = f"demo{n:04d}tl"
        for i, t in enumerate(seq):
            base = {"index": str(len(data.tracklists)), "tracklist_id": tl_id, "tracklist_name": name,
                    "tracklist_date": day.strftime("%a, %b %d %Y"), "genre0": t.genre.title(),
                    "DJ0": data.artists[dj], "track_number": f"{i + 1:02d}", "mashup": "False",
                    "time": f" {i * 4}:{rng.randint(0, 59):02d} "}
            if rng.random() < 0.05:
                base.update(name="ID - ID", byArtist="ID")
                data.tracklists.append(base)
                continue
            sub = rng.choice(SUBGENRES[t.genre])
            base.update(
                name=f"{t.artist_text(data.artists)} - {t.title_text()}",
                byArtist=t.artist_text(data.artists),
                energy=f"{t.energy:.3f}", key=f"{float(t.key.pitch_class):.1f}", mode=f"{float(t.key.mode):.1f}",
                tempo=f"{t.bpm + rng.uniform(-0.04, 0.04):.3f}", duration_ms=f"{t.duration_s * 1000:.1f}",
                genres=f"{t.genre},{sub}",
            )
            data.tracklists.append(base)


_CSV_COLUMNS = ["index", "tracklist_id", "tracklist_name", "tracklist_date", "genre0", "DJ0", "name", "byArtist",
                "time", "track_number", "mashup", "energy", "key", "mode", "tempo", "duration_ms", "genres"]


def write_files(data: DemoData, out_dir: Path) -> DemoFiles:
    """Write the three input files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(out_dir / "mixesdb-demo.json", out_dir / "rekordbox-demo.xml",
                      out_dir / "1001tracklists-demo.csv")
    files.mixesdb.write_text(json.dumps(data.mixes, ensure_ascii=False, indent=1), encoding="utf-8")
    with files.tracklists1001.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=_CSV_COLUMNS, restval="")
        w.writeheader()
        w.writerows(data.tracklists)
    files.rekordbox.write_text(_rekordbox_xml(data), encoding="utf-8")
    return files


def _rekordbox_xml(data: DemoData) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<DJ_PLAYLISTS Version="1.0.0">',
             '  <PRODUCT Name="rekordbox" Version="6.8.5" Company="AlphaTheta"/>',
             f'  <COLLECTION Entries="{len(data.rekordbox_tracks)}">']
    for n, idx in enumerate(data.rekordbox_tracks):
        t = data.tracks[idx]
        # rekordbox shows keys as "Am" / "F#" by default; some libraries are set to Camelot ("8A")
        tonality = t.key.camelot if n % 4 == 0 else t.key.short_name
        attrs = {
            "TrackID": str(1000 + idx), "Name": t.title_text(), "Artist": t.artist_text(data.artists),
            "Album": t.title, "Genre": t.genre.title(), "Kind": "MP3 File", "TotalTime": str(t.duration_s),
            "Year": str(t.year), "AverageBpm": f"{t.bpm:.2f}", "Tonality": tonality,
            "Label": data.labels[t.label][0], "Remixer": data.artists[t.remixer] if t.remixer is not None else "",
            "Mix": t.version or "", "Rating": str(51 * (1 + idx % 5)),
            "Location": f"file://localhost/Music/demo/{1000 + idx}.mp3",
        }
        body = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        lines.append(f"    <TRACK {body}/>")
    lines += ["  </COLLECTION>", '  <PLAYLISTS>', '    <NODE Type="0" Name="ROOT" Count="0"/>', "  </PLAYLISTS>",
              "</DJ_PLAYLISTS>", ""]
    return "\n".join(lines)


def generate(out_dir: Path, *, tracks: int = 2000, seed: int = 7) -> DemoFiles:
    """Build the demo data for ``seed`` and write its input files into ``out_dir``."""
    return write_files(build(tracks, seed), out_dir)


def example_ids(conn: Any) -> dict[str, int | None]:
    """Real ids for the example calls: a well-played track with a key and BPM (the most played one when no
    track has both, as in a MixesDB-only load), the artist with the most collaborators, a second artist two
    collaboration hops away (or any collaborator), a set."""
    track = conn.execute(
        """SELECT id FROM gold.track
           ORDER BY (camelot IS NOT NULL AND bpm IS NOT NULL) DESC, plays DESC, id LIMIT 1""").fetchone()
    artist = conn.execute(
        """SELECT a, count(*) FROM (SELECT a_id AS a FROM gold.collaborated_with
                                    UNION ALL SELECT b_id FROM gold.collaborated_with) x
           GROUP BY a ORDER BY count(*) DESC, a LIMIT 1""").fetchone()
    other = None
    if artist:
        other = conn.execute(
            """WITH n1 AS (SELECT CASE WHEN a_id = %(a)s THEN b_id ELSE a_id END AS n FROM gold.collaborated_with
                          WHERE %(a)s IN (a_id, b_id)),
                    n2 AS (SELECT CASE WHEN c.a_id = n1.n THEN c.b_id ELSE c.a_id END AS n
                           FROM gold.collaborated_with c JOIN n1 ON n1.n IN (c.a_id, c.b_id))
               SELECT n FROM (SELECT n, 0 AS p FROM n2 WHERE n <> %(a)s AND n NOT IN (SELECT n FROM n1)
                              UNION ALL SELECT n, 1 FROM n1) x
               ORDER BY p, n LIMIT 1""", {"a": artist[0]}).fetchone()
    dj_set = conn.execute("SELECT id FROM gold.set ORDER BY tracks DESC, id LIMIT 1").fetchone()
    conn.commit()
    return {"track_id": track[0] if track else None, "artist_id": artist[0] if artist else None,
            "other_artist_id": other[0] if other else None, "set_id": dj_set[0] if dj_set else None}
