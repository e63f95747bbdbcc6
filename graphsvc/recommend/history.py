"""The graph as it was: an embedded store holding only some of the sets (e.g. those before a date).

The ranking model is fitted on the graph's own history: features are computed on the graph of the earlier
sets and the labels are the transitions of the later ones (``graphsvc.recommend.train``). ``as_of`` builds
that earlier graph from a loaded store, recomputing every set-derived value with the definitions of
``etl/gold.py`` (plays, DJs, recent plays, trend, scene genres, TRANSITIONS_TO, SUPPORTS, PLAYED,
CONTAINS, COLLABORATED_WITH over the tracks still known). ``tests/test_recommend.py`` checks that
``as_of(store, all sets)`` reproduces the gold-loaded store.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from graphsvc.graph.embedded import _TRACK_COLS, EmbeddedStore
from graphsvc.graph.model import NODE_LABELS

RECENT_DAYS = 365  # etl.gold.RECENT_DAYS (graphsvc must not import etl; a test pins them equal)
SCENE_GENRES = 3


def trend(recent: int, total: int, share: float) -> float:
    """etl/gold.py's trend: ln((recent + 1) / (total * share + 1)), rounded half up to 6 decimals."""
    v = math.log((recent + 1) / (total * share + 1))
    return float(Decimal(repr(v)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def as_of(store: EmbeddedStore, set_ids: Collection[int]) -> EmbeddedStore:
    """A new embedded store with only ``set_ids`` of ``store``'s sets and what they imply.

    Tracks that appear in no kept set are dropped unless they were in no set at all (library tracks);
    artists are kept when credited on a kept track or DJ of a kept set; labels when a kept track is on them.
    """
    keep = {s for s in set_ids if s in store.sets}
    in_any_set = {t for t, lst in store.track_sets.items() if lst}
    entries = {s: store.set_entries.get(s, []) for s in keep}
    kept_tracks = {t for e in entries.values() for _, t in e}
    kept_tracks |= {t for t in store.tracks if t not in in_any_set}
    dates = [store.sets[s]["date"] for s in keep if store.sets[s]["date"] is not None]
    anchor = max(dates) if dates else None
    recent_set = {s: anchor is not None and store.sets[s]["date"] is not None
                  and store.sets[s]["date"] > anchor - timedelta(days=RECENT_DAYS) for s in keep}
    total_entries = sum(len(e) for e in entries.values())
    recent_entries = sum(len(e) for s, e in entries.items() if recent_set[s])
    share = recent_entries / total_entries if total_entries else 0.0
    djs_of = {s: list(store.played_set.get(s, ())) for s in keep}

    plays: Counter[int] = Counter()
    plays_recent: Counter[int] = Counter()
    t_sets: dict[int, set[int]] = defaultdict(set)
    t_djs: dict[int, set[int]] = defaultdict(set)
    t_djs_recent: dict[int, set[int]] = defaultdict(set)
    genre_n: dict[int, Counter[str]] = defaultdict(Counter)
    for s, e in entries.items():
        rec = recent_set[s]
        genres = store.sets[s].get("genres") or ()
        for _, t in e:
            plays[t] += 1
            t_sets[t].add(s)
            t_djs[t].update(djs_of[s])
            if rec:
                plays_recent[t] += 1
                t_djs_recent[t].update(djs_of[s])
            for g in set(genres):
                genre_n[t][g] += 1

    tracks_rows = []
    for tid in sorted(kept_tracks):
        track = store.tracks[tid]
        row = {c: getattr(track, c) for c in _TRACK_COLS}
        p = plays.get(tid, 0)
        row.update(plays=p, sets=len(t_sets.get(tid, ())), djs=len(t_djs.get(tid, ())),
                   plays_recent=plays_recent.get(tid, 0), djs_recent=len(t_djs_recent.get(tid, ())),
                   trend=trend(plays_recent.get(tid, 0), p, share) if p else trend(0, 0, share),
                   scene_genres=[g for g, _ in sorted(genre_n[tid].items(), key=lambda x: (-x[1], x[0]))[:SCENE_GENRES]]
                   if tid in genre_n else [])
        tracks_rows.append(tuple(row[c] for c in _TRACK_COLS))

    by_rows = [(t, a, role, pos) for t in sorted(kept_tracks) for a, role, pos in store.by_track.get(t, ())]
    credited = {a for _, a, _, _ in by_rows}
    dj_artists = {a for s in keep for a in djs_of[s]}
    orphans = {a for a in store.artists if not store.by_artist.get(a) and not store.played_artist.get(a)}
    kept_artists = credited | dj_artists | orphans  # (orphans: in gold without a credit or a set, as in the store)

    # artist popularity: entries of tracks the artist is a primary artist of (distinct per set position)
    a_plays: Counter[int] = Counter()
    a_recent: Counter[int] = Counter()
    a_djs: dict[int, set[int]] = defaultdict(set)
    primaries = {t: sorted({a for a, role, _ in store.by_track.get(t, ()) if role == "primary"}) for t in kept_tracks}
    for s, e in entries.items():
        for _, t in e:
            for a in primaries.get(t, ()):
                a_plays[a] += 1
                if recent_set[s]:
                    a_recent[a] += 1
                a_djs[a].update(djs_of[s])
    a_tracks: dict[int, set[int]] = defaultdict(set)
    for t, a, _, _ in by_rows:
        a_tracks[a].add(t)
    a_sets: Counter[int] = Counter(a for s in keep for a in djs_of[s])
    artist_rows = []
    for aid in sorted(kept_artists):
        artist = store.artists[aid]
        p = a_plays.get(aid, 0)
        artist_rows.append((aid, artist["name"], artist["name_key"], len(a_tracks.get(aid, ())), a_sets.get(aid, 0), p,
                            len(a_djs.get(aid, ())), a_recent.get(aid, 0), trend(a_recent.get(aid, 0), p, share)))
    assert tuple(NODE_LABELS["Artist"]) == ("id", "name", "name_key", "tracks", "sets", "plays", "djs",
                                            "plays_recent", "trend")

    set_rows = [tuple({**store.sets[s], "tracks": len(entries[s])}[c] for c in NODE_LABELS["Set"])
                for s in sorted(keep)]
    label_n: Counter[int] = Counter(lid for t in kept_tracks if (lid := store.tracks[t].label_id) is not None)
    label_rows = [(lid, store.labels[lid]["name"], n) for lid, n in sorted(label_n.items()) if lid in store.labels]

    pair_n: Counter[tuple[int, int]] = Counter()
    years: dict[tuple[int, int], list[int]] = defaultdict(list)
    for t in sorted(kept_tracks):
        arts = sorted({a for a, _, _ in store.by_track.get(t, ())})
        y = store.tracks[t].year
        for i, x in enumerate(arts):
            for z in arts[i + 1:]:
                pair_n[x, z] += 1
                if y is not None:
                    years[x, z].append(y)
    collab_rows = [(x, z, n, min(years[x, z]) if years[x, z] else None, max(years[x, z]) if years[x, z] else None)
                   for (x, z), n in sorted(pair_n.items())]

    trans_n: Counter[tuple[int, int]] = Counter()
    trans_last: dict[tuple[int, int], Any] = {}
    trans_djs: dict[tuple[int, int], set[int]] = defaultdict(set)
    sup: Counter[tuple[int, int]] = Counter()
    for s, e in entries.items():
        d = store.sets[s]["date"]
        played = store.sets[s].get("kind", "mix") == "mix"  # only a mix's order was played (etl/gold.py)
        for (p1, t1), (p2, t2) in pairwise(e) if played else ():
            if p2 == p1 + 1 and t1 != t2:
                k = (t1, t2)
                trans_n[k] += 1
                trans_djs[k].update(djs_of[s])
                if d is not None and (trans_last.get(k) is None or d > trans_last[k]):
                    trans_last[k] = d
                trans_last.setdefault(k, None)
        for dj in djs_of[s]:
            for _, t in e:
                for a in primaries.get(t, ()):
                    if a != dj:
                        sup[dj, a] += 1
    trans_rows = [(f, t, n, len(trans_djs[f, t]), trans_last.get((f, t))) for (f, t), n in sorted(trans_n.items())]
    contains_rows = [(s, t, pos) for s in sorted(keep) for pos, t in entries[s]]
    played_rows = sorted((a, s) for s in keep for a in djs_of[s])
    supports_rows = [(dj, a, n) for (dj, a), n in sorted(sup.items())]

    out = EmbeddedStore()
    out._load_rows({
        "key": [tuple(k[c] for c in NODE_LABELS["Key"]) for k in store.keys.values()],
        "compatible": list(store.compatible),
        "track": tracks_rows, "artist": artist_rows, "set": set_rows, "label": label_rows, "by": by_rows,
        "collaborated_with": collab_rows, "transitions_to": trans_rows, "contains": contains_rows,
        "played": played_rows, "supports": supports_rows,
    })
    out.watermark = store.watermark
    return out
