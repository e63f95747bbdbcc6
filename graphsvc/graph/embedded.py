"""The embedded, in-process graph store: gold tables loaded into Python indexes (+ networkx).

Indexes (built once per load):
- tracks by id; per Camelot key a list of (bpm, id) sorted, for BPM windows with bisect;
- TRANSITIONS_TO out/in adjacency dicts; BY both ways; CONTAINS both ways; PLAYED; SUPPORTS both ways;
- COLLABORATED_WITH as a networkx Graph (k shortest simple paths use networkx.shortest_simple_paths)
  plus CSR numpy arrays for the ego network's vectorized BFS;
- a lazily built search index (normalized text joined in one string, scanned with str.find).

Next-track candidates (no pitch shift, the common case) are cut from numpy columns per Camelot key
(sorted bpm, id, energy, genre code): np.searchsorted slices the BPM windows, bpm_pct is computed
vectorized, np.lexsort orders each move-score group, and Python dicts are built only for the candidates
the ranking actually scores (``_RawColumns`` is a lazy sequence). With pitch shift, or if a window is not
strictly monotone in bpm_pct (where the old heap merge would order differently), the Python reference
path (``_window``/``_pitched``: windows expanded outward and merged with a heap) is used.
``refresh(conn)`` reloads everything when gold changed (checked with the change_seq sequence): a full
reload, not an incremental one.
"""

from __future__ import annotations

import gc
import heapq
import math
import threading
import time
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby, pairwise
from typing import Any, NamedTuple

import networkx as nx
import numpy as np
import psycopg

from graphsvc import deadline, harmonic
from graphsvc.errors import InvalidValue, NotFound
from graphsvc.graph import paths as _paths
from graphsvc.graph.base import Candidate, Edge, LoadStats, Node, Subgraph, bounded, sort_neighbourhood_edges
from graphsvc.graph.model import NODE_LABELS, RELATIONSHIPS
from graphsvc.graph.ranking import CANDIDATE_CAP, column_bounds, dict_bounds, rank_candidates
from graphsvc.names import name_key, title_key, track_search_keys
from graphsvc.pg import fetch_one
from graphsvc.recommend.features import Csr, FactColumns, find_sorted

_TRACK_COLS = (*NODE_LABELS["Track"], "label_id")
# _load unpacks track rows positionally in this order
assert _TRACK_COLS == ("id", "title", "version", "artists", "bpm", "key_pc", "key_mode", "camelot", "energy", "genres",
                       "plays", "sets", "quality", "label", "year", "duration_s", "djs", "plays_recent", "djs_recent",
                       "trend", "scene_genres", "label_id"), _TRACK_COLS
_LIST_PROPS = ("genres", "scene_genres")
# gold table -> the query that loads it (``_load_rows`` unpacks the rows in these column orders)
GOLD_QUERIES: dict[str, str] = {
    "key": "SELECT camelot, pitch_class, mode, name, open_key, number, letter FROM gold.key",
    "compatible": "SELECT from_camelot, to_camelot, move, score FROM gold.compatible",
    "track": f"SELECT {', '.join(_TRACK_COLS)} FROM gold.track",
    "artist": f"SELECT {', '.join(NODE_LABELS['Artist'])} FROM gold.artist",
    "set": f"SELECT {', '.join(NODE_LABELS['Set'])} FROM gold.set",
    "label": f"SELECT {', '.join(NODE_LABELS['Label'])} FROM gold.label",
    "by": "SELECT track_id, artist_id, role, position FROM gold.by",
    "collaborated_with": "SELECT a_id, b_id, weight, first_year, last_year FROM gold.collaborated_with",
    "transitions_to": "SELECT from_id, to_id, count, djs, last_seen FROM gold.transitions_to",
    "contains": "SELECT set_id, track_id, position FROM gold.contains ORDER BY set_id, position",
    "played": "SELECT artist_id, set_id FROM gold.played ORDER BY artist_id, set_id",
    "supports": "SELECT dj_id, artist_id, count FROM gold.supports",
}
_KEY_ORDER = {k.camelot: i for i, k in enumerate(harmonic.ALL_KEYS)}
_KEYS = {k.camelot: k for k in harmonic.ALL_KEYS}
_CHUNK = 50_000  # rows per fetch when loading
_MAX_SIMPLE_PATHS = 5000  # paths enumerated per collaboration_paths request at most
REC_CONTEXTS = 2048  # sources whose recommender evidence and featurized candidates are kept (LRU; ~120 KB each)


class _Track:
    """One gold.track row (slots, in the column order of ``_TRACK_COLS``) and its parsed key."""

    __slots__ = (*_TRACK_COLS, "key", "genre_tuple", "scene_tuple")
    id: int
    title: str
    version: str | None
    artists: str
    bpm: float | None
    key_pc: int | None
    key_mode: int | None
    camelot: str | None
    energy: float | None
    genres: list[str] | None
    plays: int
    sets: int
    quality: float | None
    label: str | None
    year: int | None
    duration_s: float | None
    djs: int
    plays_recent: int
    djs_recent: int
    trend: float
    scene_genres: list[str] | None
    label_id: int | None
    key: harmonic.Key | None
    genre_tuple: tuple[str, ...]  # genres and scene_genres as shared tuples (the recommender's facts)
    scene_tuple: tuple[str, ...]

    def props(self) -> dict[str, Any]:
        d = {c: getattr(self, c) for c in _TRACK_COLS if c != "label_id"}
        for c in _LIST_PROPS:
            d[c] = list(d[c] or [])
        return d


def _fact_columns(tracks: list[_Track], credit_ids: dict[int, tuple[tuple[int, ...], tuple[int, ...]]]
                  ) -> FactColumns:
    """``recommend.features.FactColumns`` of ``tracks`` (in that order): the values the recommender's facts
    dicts hold (``recommend.embedded_context.EmbeddedEvidence.facts``), as ``features.fact_columns``
    makes them."""
    n = len(tracks)
    codes: dict[tuple[str, ...], int] = {}
    credits = [credit_ids.get(t.id, _NO_CREDITS) for t in tracks]
    return FactColumns(
        np.fromiter((t.plays or 0 for t in tracks), np.float64, n),
        np.fromiter((t.djs or 0 for t in tracks), np.float64, n),
        np.fromiter((t.trend or 0.0 for t in tracks), np.float64, n),
        np.fromiter((t.sets or 0 for t in tracks), np.int64, n),
        np.fromiter((-1 if t.label_id is None else t.label_id for t in tracks), np.int64, n),
        np.fromiter((math.nan if t.energy is None else t.energy for t in tracks), np.float64, n),
        np.fromiter((math.nan if t.bpm is None else t.bpm for t in tracks), np.float64, n),
        np.fromiter((-1 if t.camelot is None else _KEY_ORDER.get(t.camelot, -1) for t in tracks), np.int64, n),
        np.fromiter((codes.setdefault(t.scene_tuple, len(codes)) if t.scene_tuple else -1 for t in tracks),
                    np.int64, n),
        tuple(codes), Csr.of([c[0] for c in credits]), Csr.of([c[1] for c in credits]))


class _KeyColumns(NamedTuple):
    """The tracks of one Camelot key with a BPM, sorted by (bpm, id): numpy columns for the vectorized
    next-track windows. energy is NaN where unknown; genre is a code into ``genre_table`` (-1: none)."""

    bpm: np.ndarray
    ids: np.ndarray
    energy: np.ndarray
    genre: np.ndarray


class _RawColumns(Sequence[dict[str, Any]]):
    """Raw next-track candidates in rule-3 order: the real-transition ones as dicts, then the window
    ones as numpy columns; a window candidate becomes a dict only when it is read (``[i]``)."""

    def __init__(self, store: EmbeddedStore, evidence: list[dict[str, Any]], ids: np.ndarray, pct: np.ndarray,
                 move_score: np.ndarray, move_code: np.ndarray, moves: list, bpm: np.ndarray, energy: np.ndarray,
                 genre: np.ndarray) -> None:
        self.store, self.evidence = store, evidence
        self.ids, self.pct, self.move_score, self.move_code, self.moves = ids, pct, move_score, move_code, moves
        self.bpm, self.energy, self.genre = bpm, energy, genre
        self._n = len(evidence) + len(ids)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        ne = len(self.evidence)
        if i < ne:
            return self.evidence[i]
        j = i - ne
        t = self.store.tracks[int(self.ids[j])]
        return self.store._raw(t, self.moves[self.move_code[j]], float(self.pct[j]), 0, False, 0)

    def track_ids(self) -> list[int]:
        """The candidates' track ids in order, without building their records."""
        return [int(r["track_id"]) for r in self.evidence] + self.ids.tolist()

    def bounds(self, source: Any) -> np.ndarray:
        """Upper bounds of the transition scores (see ranking.column_bounds), aligned with the items."""
        head = dict_bounds(source, self.evidence)
        tail = column_bounds(source, self.move_score, self.bpm, self.energy, self.genre, self.store.genre_table)
        return np.concatenate([np.asarray(head, dtype=np.float64), tail])


def _strictness(level: str) -> frozenset:
    try:
        return harmonic.STRICTNESS[level]
    except (KeyError, TypeError):
        raise InvalidValue(f"strictness {level!r} is not one of {', '.join(harmonic.STRICTNESS)}") from None


def _tagged(window: Iterable[tuple[float, int]], move: harmonic.Move,
            pitched: bool) -> Iterator[tuple[float, int, harmonic.Move, bool]]:
    """A window's (pct, id) pairs tagged with the key move that reached them and whether they are pitched."""
    return ((p, i, move, pitched) for p, i in window)


_NO_CREDITS: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())


def tempo_ratios(w: float) -> tuple[float, float]:
    """(low, high) factors of a BPM window of ``w`` % around a centre tempo, with the slack every window
    bisect uses (the window's tracks are those between centre * low and centre * high)."""
    return 1 - w / 100 - 1e-9, 1 + w / 100 + 1e-9


def _count_first(item: tuple[int, Any]) -> tuple[int, int]:
    """Sort key of a (neighbour, count or (count, ...)) item: count desc, then neighbour id."""
    v = item[1]
    return -(v if isinstance(v, int) else v[0]), item[0]


def _pct(sb: float, tb: float, half_double: bool) -> float:
    # the expression of harmonic.bpm_distance_pct, inlined for the hot loop (same float result)
    if half_double:
        return min(abs(tb - sb), abs(2 * tb - sb), abs(tb / 2 - sb)) / sb * 100.0
    return abs(tb - sb) / sb * 100.0


class EmbeddedStore:
    backend = "embedded"

    def __init__(self) -> None:
        self.tracks: dict[int, _Track] = {}
        self.artists: dict[int, dict[str, Any]] = {}
        self.sets: dict[int, dict[str, Any]] = {}
        self.labels: dict[int, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.compatible: list[tuple[str, str, str, float]] = []
        self.by_key: dict[str, tuple[list[float], list[int]]] = {}
        self.columns: dict[str, _KeyColumns] = {}  # numpy columns per Camelot key, in by_key order
        self.genre_table: list[tuple] = []  # genre code -> genre tuple
        self._cat: tuple[np.ndarray, ...] = (np.empty(0), np.empty(0, dtype=np.int64), np.empty(0),
                                             np.empty(0, dtype=np.int32))  # columns of all keys concatenated
        self._cat_offset: dict[str, int] = {}  # Camelot key -> its first row in _cat
        self.key_tracks: dict[str, list[int]] = defaultdict(list)
        self.label_tracks: dict[int, list[int]] = defaultdict(list)
        self.trans_out: dict[int, dict[int, tuple]] = defaultdict(dict)
        self.trans_in: dict[int, dict[int, tuple]] = defaultdict(dict)
        self.by_track: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        self.by_artist: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        # per track: (artist ids of any role, primary artist ids), sorted (see _load_rows)
        self.credit_ids: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        # per artist its tracks (any role; primary only) most played first: (plays desc, id asc), as
        # label_tracks per label (what the recommender's artist and label candidates are prefixes of)
        self.artist_top: dict[int, list[int]] = defaultdict(list)
        self.artist_top_primary: dict[int, list[int]] = defaultdict(list)
        self.collab = nx.Graph()
        self.set_entries: dict[int, list[tuple[int, int]]] = defaultdict(list)  # set -> [(pos, track)]
        # track -> [(set, pos)], by set_rank and position
        self.track_sets: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.played_set: dict[int, list[int]] = defaultdict(list)  # set -> djs
        self.played_artist: dict[int, list[int]] = defaultdict(list)  # artist -> sets
        # every track id, ascending, and the recommender's facts of each as columns in that order
        # (fact_columns, tempo_key_columns)
        self._track_ids: np.ndarray = np.empty(0, dtype=np.int64)
        self._fact_cols: FactColumns = _fact_columns([], {})
        self.set_rank: dict[int, int] = {}  # set -> its place by (date desc, undated last, id desc)
        self._set_row: dict[int, int] = {}  # set -> its row in _set_entries
        self._set_entries: tuple[Csr, np.ndarray] = (Csr.of([]), np.empty(0, dtype=np.int64))  # tracks, positions
        self.sup_out: dict[int, dict[int, int]] = defaultdict(dict)
        self.sup_in: dict[int, dict[int, int]] = defaultdict(dict)
        self.watermark: int = -1
        self._rec_static: OrderedDict[tuple, Any] = OrderedDict()  # recommender evidence per source (LRU)
        self._rec_lock = threading.Lock()
        self.load_stats: LoadStats | None = None
        self._search: dict[str, Any] = {}

    # --- loading ---------------------------------------------------------------------------------
    @classmethod
    def from_gold(cls, conn: psycopg.Connection) -> EmbeddedStore:
        store = cls()
        store._load(conn)
        return store

    @staticmethod
    def _seq(conn: psycopg.Connection) -> int:
        last, called = fetch_one(conn.execute("SELECT last_value, is_called FROM gold.change_seq_seq"))
        return last if called else 0

    def refresh(self, conn: psycopg.Connection) -> bool:
        """Reload from gold if it changed since the last load (full reload). True when reloaded."""
        if self._seq(conn) == self.watermark:
            return False
        fresh = EmbeddedStore.from_gold(conn)
        self.__dict__.clear()  # caches derived from the old graph (recommender evidence, charts) go too
        self.__dict__.update(fresh.__dict__)
        return True

    @staticmethod
    def _rows(conn: psycopg.Connection, query: str) -> Iterator[tuple]:
        """Rows of a constant query, streamed in chunks through a server-side cursor (C-parsed
        fetchmany), so a 1M-row table is never held as one list of tuples."""
        with conn.transaction(), conn.cursor(name="graphsvc_embedded_load") as cur:
            cur.itersize = _CHUNK
            cur.execute(query)
            while rows := cur.fetchmany(_CHUNK):
                yield from rows

    def _load(self, conn: psycopg.Connection) -> None:
        """Gold into the indexes (see ``_load_rows``)."""
        self.watermark = self._seq(conn)
        self._load_rows({table: self._rows(conn, query) for table, query in GOLD_QUERIES.items()})

    def _load_rows(self, tables: dict[str, Any]) -> None:
        """Build every index from gold rows: ``tables`` maps each gold table of ``GOLD_QUERIES`` to an
        iterable of its rows in that query's column order (read in the order of GOLD_QUERIES). A
        relationship whose endpoint node is not in gold is not loaded (as a Neo4j MATCH-based write would
        skip it), so ``etl reconcile`` sees such rows as missing."""
        started = time.perf_counter()
        for row in tables["key"]:
            self.keys[row[0]] = dict(zip(NODE_LABELS["Key"], row, strict=True))
        keys = self.keys
        self.compatible = [r for r in tables["compatible"] if r[0] in keys and r[1] in keys]
        tracks = self.tracks
        new = _Track.__new__
        key_of = _KEYS.get
        shared: dict[Any, Any] = {}  # interned genre lists and dates (few distinct values, 1M references)
        interned: dict[tuple, tuple] = {}  # ... and genre tuples
        for row in tables["track"]:
            t = new(_Track)
            (t.id, t.title, t.version, t.artists, t.bpm, t.key_pc, t.key_mode, t.camelot, t.energy, t.genres,
             t.plays, t.sets, t.quality, t.label, t.year, t.duration_s, t.djs, t.plays_recent, t.djs_recent,
             t.trend, t.scene_genres, t.label_id) = row
            t.key = key_of(t.camelot)
            if t.genres is not None:  # one shared list per distinct genre list (props() copies it)
                t.genres = shared.setdefault(tuple(t.genres), t.genres)
            if t.scene_genres is not None:
                t.scene_genres = shared.setdefault(("scene", *t.scene_genres), t.scene_genres)
            genre_tuple = tuple(t.genres or ())
            t.genre_tuple = interned.setdefault(genre_tuple, genre_tuple)
            scene_tuple = tuple(t.scene_genres or ())
            t.scene_tuple = interned.setdefault(scene_tuple, scene_tuple)
            tracks[t.id] = t
        for row in tables["artist"]:
            self.artists[row[0]] = dict(zip(NODE_LABELS["Artist"], row, strict=True))
        for row in tables["set"]:
            self.sets[row[0]] = dict(zip(NODE_LABELS["Set"], row, strict=True))
        for row in tables["label"]:
            self.labels[row[0]] = dict(zip(NODE_LABELS["Label"], row, strict=True))
        labels = self.labels
        t_ids = np.fromiter(tracks, np.int64, len(tracks))
        per_key: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for t in tracks.values():
            if t.camelot is not None and t.camelot in keys:
                self.key_tracks[t.camelot].append(t.id)
                if t.bpm is not None:
                    per_key[t.camelot].append((t.bpm, t.id))
        genre_code: dict[Any, int] = {}
        cat_bpm: list[float] = []
        cat_ids: list[int] = []
        cat_energy: list[float] = []
        cat_genre: list[int] = []
        self._cat_offset = {}
        for camelot, pairs in per_key.items():
            pairs.sort()
            self.by_key[camelot] = ([p[0] for p in pairs], [p[1] for p in pairs])
            self._cat_offset[camelot] = len(cat_bpm)
            cat_bpm += self.by_key[camelot][0]
            cat_ids += self.by_key[camelot][1]
            for _, tid in pairs:
                t = tracks[tid]
                cat_energy.append(math.nan if t.energy is None else t.energy)
                g = tuple(t.genres) if t.genres else None
                code = -1
                if g is not None:
                    known_code = genre_code.get(g)
                    if known_code is None:
                        known_code = genre_code[g] = len(self.genre_table)
                        self.genre_table.append(g)
                    code = known_code
                cat_genre.append(code)
        # all keys' columns concatenated (the vectorized next-track windows gather from them at once);
        # self.columns holds per-key views into them
        self._cat = (np.array(cat_bpm, dtype=np.float64), np.array(cat_ids, dtype=np.int64),
                     np.array(cat_energy, dtype=np.float64), np.array(cat_genre, dtype=np.int32))
        for camelot, off in self._cat_offset.items():
            n = len(self.by_key[camelot][0])
            self.columns[camelot] = _KeyColumns(*(col[off:off + n] for col in self._cat))
        del per_key
        for lst in self.key_tracks.values():
            lst.sort()
        artists, sets = self.artists, self.sets
        by_track, by_artist = self.by_track, self.by_artist
        for tid, aid, role, pos in tables["by"]:
            if tid in tracks and aid in artists:
                by_track[tid].append((aid, role, pos))
                by_artist[aid].append((tid, role, pos))
        # one shared tuple per distinct value, made before the load's full collection: tuples of ints are
        # then never tracked by the cyclic GC, nor are the recommender's facts dicts that hold them
        # (recommend.embedded_context), which keeps its full collections short on a big graph
        distinct: dict[tuple, tuple] = {}
        credit_ids = self.credit_ids
        for tid, credited in by_track.items():
            every = tuple(sorted({a for a, _, _ in credited}))
            primary = tuple(sorted({a for a, role, _ in credited if role == "primary"}))
            pair = (distinct.setdefault(every, every), distinct.setdefault(primary, primary))
            credit_ids[tid] = distinct.setdefault(pair, pair)
        del distinct
        self._track_ids = np.sort(t_ids)
        self._fact_cols = _fact_columns([tracks[i] for i in self._track_ids.tolist()], credit_ids)
        label_tracks, artist_top, artist_top_primary = self.label_tracks, self.artist_top, self.artist_top_primary
        everything = list(tracks.values())
        plays = np.fromiter((t.plays or 0 for t in everything), np.int64, len(everything))
        for i in np.lexsort((t_ids, -plays)).tolist():  # (plays desc, id asc)
            t = everything[i]
            if t.label_id is not None and t.label_id in labels:
                label_tracks[t.label_id].append(t.id)
            every, primary = credit_ids.get(t.id, _NO_CREDITS)
            for a in every:
                artist_top[a].append(t.id)
            for a in primary:
                artist_top_primary[a].append(t.id)
        del everything, plays
        self.collab.add_nodes_from(artists)
        self.collab.add_edges_from(
            (a, b, {"weight": w, "first_year": fy, "last_year": ly})
            for a, b, w, fy, ly in tables["collaborated_with"]
            if a in artists and b in artists
        )
        self._collab_csr()
        trans_out, trans_in = self.trans_out, self.trans_in
        # inserted in the recommender's order (count desc, then id): every track's successors and
        # predecessors are then listed best first, and its top lists are prefixes, not sorts
        # (recommend.embedded_context; the other readers of these dicts do not depend on their order)
        for f, t, n, djs, last in tables["transitions_to"]:
            if f in tracks and t in tracks:
                v = (n, djs, shared.setdefault(last, last))
                trans_out[f][t] = v
                trans_in[t][f] = v
        for by_count in (trans_out, trans_in):
            for x, d in by_count.items():
                if len(d) > 1:
                    by_count[x] = dict(sorted(d.items(), key=_count_first))
        set_entries, track_sets = self.set_entries, self.track_sets
        for sid, tid, pos in tables["contains"]:
            if sid in sets and tid in tracks:
                set_entries[sid].append((pos, tid))
                track_sets[tid].append((sid, pos))
        for aid, sid in tables["played"]:
            if aid in artists and sid in sets:
                self.played_set[sid].append(aid)
                self.played_artist[aid].append(sid)
        # a set's entries by position and DJs by id, and every set's place in the recommender's order of a
        # track's sets (date desc, undated last, id desc): what recommend.embedded_context reads as is
        for entries in set_entries.values():
            entries.sort()
        for djs in self.played_set.values():
            djs.sort()
        recent_first = sorted(sets, key=lambda x: (sets[x]["date"] is None,
                                                   -(sets[x]["date"].toordinal() if sets[x]["date"] else 0), -x))
        self.set_rank = rank = {sid: i for i, sid in enumerate(recent_first)}
        for in_sets in track_sets.values():  # (a track's sets in that order: its most recent are a prefix)
            if len(in_sets) > 1:
                in_sets.sort(key=lambda p: (rank[p[0]], p[1]))
        # every set's entries as flat columns, set by set (recommend.embedded_context.sets)
        self._set_row = {sid: i for i, sid in enumerate(set_entries)}
        self._set_entries = (Csr.of([tuple(t for _, t in e) for e in set_entries.values()]),
                             np.fromiter((p for e in set_entries.values() for p, _ in e), np.int64,
                                         sum(map(len, set_entries.values()))))
        for dj, aid, n in tables["supports"]:
            if dj in artists and aid in artists:
                self.sup_out[dj][aid] = n
                self.sup_in[aid][dj] = n
        for dj, supported in self.sup_out.items():  # (as the transitions: each DJ's supported artists best first)
            if len(supported) > 1:
                self.sup_out[dj] = dict(sorted(supported.items(), key=_count_first))
        # millions of long-lived index objects: keep them out of the cyclic GC's generations so its
        # collections (triggered by per-request allocations) do not rescan them (p95 latency)
        gc.collect()
        gc.freeze()
        c = self.counts()
        self.load_stats = LoadStats(
            nodes={k: v for k, v in c.items() if k in NODE_LABELS},
            relationships={k: v for k, v in c.items() if k in RELATIONSHIPS},
            seconds=time.perf_counter() - started,
        )

    def _collab_csr(self) -> None:
        """COLLABORATED_WITH as CSR numpy arrays over artist indexes (artists sorted by id), both
        directions, neighbours of each artist sorted by index: the ego network's BFS and ranking run
        vectorized instead of walking hub adjacencies in Python."""
        ids = np.array(sorted(self.artists), dtype=np.int64)
        self._art_ids = ids
        self._art_index = {int(a): i for i, a in enumerate(ids.tolist())}
        self._art_tracks = np.array([self.artists[a]["tracks"] or 0 for a in ids.tolist()], dtype=np.int64)
        idx = self._art_index
        n_edges = self.collab.number_of_edges()
        src = np.empty(2 * n_edges, dtype=np.int64)
        dst = np.empty(2 * n_edges, dtype=np.int64)
        wt = np.empty(2 * n_edges, dtype=np.int64)
        for k, (a, b, w) in enumerate(self.collab.edges(data="weight")):
            ia, ib = idx[a], idx[b]
            src[2 * k], dst[2 * k], src[2 * k + 1], dst[2 * k + 1] = ia, ib, ib, ia
            wt[2 * k] = wt[2 * k + 1] = w
        order = np.lexsort((dst, src))
        self._csr_nbr, self._csr_w = dst[order], wt[order]
        self._csr_ptr = np.searchsorted(src[order], np.arange(len(ids) + 1), "left")

    def _csr_neighbours(self, nodes: np.ndarray, min_weight: int) -> tuple[np.ndarray, np.ndarray]:
        """(source index, neighbour index) of every COLLABORATED_WITH edge with weight >= min_weight
        leaving ``nodes`` (artist indexes)."""
        starts, ends = self._csr_ptr[nodes], self._csr_ptr[nodes + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        owner = np.repeat(np.arange(len(nodes)), lengths)
        pos = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + starts[owner]
        ok = self._csr_w[pos] >= min_weight
        return nodes[owner][ok], self._csr_nbr[pos][ok]

    # --- protocol basics -------------------------------------------------------------------------
    def close(self) -> None:
        EmbeddedStore.__init__(self)  # drop the indexes

    def ping(self) -> bool:
        return True

    def counts(self) -> dict[str, int]:
        return {
            "Track": len(self.tracks), "Artist": len(self.artists), "Key": len(self.keys),
            "Set": len(self.sets), "Label": len(self.labels),
            "BY": sum(map(len, self.by_track.values())),
            "COLLABORATED_WITH": self.collab.number_of_edges(),
            "TRANSITIONS_TO": sum(map(len, self.trans_out.values())),
            "IN_KEY": sum(map(len, self.key_tracks.values())),
            "COMPATIBLE": len(self.compatible),
            "CONTAINS": sum(map(len, self.set_entries.values())),
            "PLAYED": sum(map(len, self.played_set.values())),
            "SUPPORTS": sum(map(len, self.sup_out.values())),
            "ON_LABEL": sum(map(len, self.label_tracks.values())),
        }

    def ids(self, kind: str) -> set:
        """Node label -> node keys; relationship type -> (start, end, extra) with extra = role (BY),
        position (CONTAINS) or None."""
        if kind == "Track":
            return set(self.tracks)
        if kind == "Artist":
            return set(self.artists)
        if kind == "Key":
            return set(self.keys)
        if kind == "Set":
            return set(self.sets)
        if kind == "Label":
            return set(self.labels)
        if kind == "BY":
            return {(t, a, role) for t, lst in self.by_track.items() for a, role, _ in lst}
        if kind == "COLLABORATED_WITH":
            return {(min(a, b), max(a, b), None) for a, b in self.collab.edges}
        if kind == "TRANSITIONS_TO":
            return {(f, t, None) for f, d in self.trans_out.items() for t in d}
        if kind == "IN_KEY":
            return {(t, k, None) for k, lst in self.key_tracks.items() for t in lst}
        if kind == "COMPATIBLE":
            return {(f, t, None) for f, t, _, _ in self.compatible}
        if kind == "CONTAINS":
            return {(s, t, pos) for s, lst in self.set_entries.items() for pos, t in lst}
        if kind == "PLAYED":
            return {(a, s, None) for s, lst in self.played_set.items() for a in lst}
        if kind == "SUPPORTS":
            return {(d, a, None) for d, m in self.sup_out.items() for a in m}
        if kind == "ON_LABEL":
            return {(t, lab, None) for lab, lst in self.label_tracks.items() for t in lst}
        raise InvalidValue(f"kind {kind!r} is not a node label or relationship type of the graph model")

    def get_track(self, track_id: int) -> dict[str, Any] | None:
        t = self.tracks.get(track_id)
        return None if t is None else t.props()

    def get_artist(self, artist_id: int) -> dict[str, Any] | None:
        a = self.artists.get(artist_id)
        return None if a is None else dict(a)

    def _track(self, track_id: int) -> _Track:
        t = self.tracks.get(track_id)
        if t is None:
            raise NotFound(f"track {track_id} does not exist")
        return t

    def _artist(self, artist_id: int) -> dict[str, Any]:
        a = self.artists.get(artist_id)
        if a is None:
            raise NotFound(f"artist {artist_id} does not exist")
        return a

    # --- search ----------------------------------------------------------------------------------
    def _search_index(self, kind: str) -> tuple[str, list[int], list[int], list[str], list[str]]:
        idx = self._search.get(kind)
        if idx is None:
            if kind == "track":
                ids = sorted(self.tracks)
                keys = [track_search_keys(self.tracks[i].artists, self.tracks[i].title) for i in ids]
                short = [k[0] for k in keys]
                full = [k[1] for k in keys]
            else:
                ids = sorted(self.artists)
                short = full = [self.artists[i]["name_key"] for i in ids]
            offsets, pos = [], 0
            for text in full:
                offsets.append(pos)
                pos += len(text) + 1
            idx = self._search[kind] = ("\n".join(full), offsets, ids, short, full)
        return idx

    def _search_ids(self, kind: str, q: str, limit: int, popularity) -> list[tuple[int, str]]:
        bounded("limit", limit)
        needle = title_key(q) if kind == "track" else name_key(q)
        if not needle:
            raise InvalidValue("search query must contain at least one letter or digit")
        blob, offsets, ids, short, full = self._search_index(kind)
        hits: dict[int, int] = {}
        at = blob.find(needle)
        while at != -1:
            i = bisect_right(offsets, at) - 1
            if i not in hits:
                s, f = short[i], full[i]
                rank = 0 if needle in (s, f) else 1 if (s.startswith(needle) or f.startswith(needle)) else 2
                hits[i] = rank
            at = blob.find(needle, at + 1)
        best = heapq.nsmallest(int(limit), hits.items(), key=lambda h: (h[1], -popularity(ids[h[0]]), ids[h[0]]))
        return [(ids[i], ("exact", "prefix", "contains")[r]) for i, r in best]

    def search_tracks(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        """Tracks whose normalized "artists title" contains q: exact > prefix > contains, plays desc, id asc."""
        out = []
        for tid, match in self._search_ids("track", q, limit, lambda i: self.tracks[i].plays):
            d = self.tracks[tid].props()
            d["match"] = match
            out.append(d)
        return out

    def search_artists(self, q: str, limit: int = 20) -> list[dict[str, Any]]:
        """Artists whose name_key contains q: exact > prefix > contains, tracks desc, id asc."""
        out = []
        for aid, match in self._search_ids("artist", q, limit, lambda i: self.artists[i]["tracks"]):
            d = dict(self.artists[aid])
            d["match"] = match
            out.append(d)
        return out

    # --- collaboration ---------------------------------------------------------------------------
    def collaboration_network(self, artist_id: int, depth: int = 1, min_weight: int = 1, limit: int = 100) -> Subgraph:
        """Graph rule 1, vectorized: BFS levels over the CSR arrays, each level's nodes ranked with one
        lexsort (tracks desc, id asc; artist indexes follow id order), Python objects only for the kept."""
        bounded("depth", depth)
        bounded("min_weight", min_weight)
        bounded("limit", limit)
        self._artist(artist_id)
        limit = int(limit)
        ego = self._art_index[artist_id]
        seen = np.zeros(len(self._art_ids), dtype=bool)
        seen[ego] = True
        kept = [np.array([ego], dtype=np.int64)]
        n_kept, truncated = 1, False
        frontier = kept[0]
        for _ in range(int(depth)):
            _, nbr = self._csr_neighbours(frontier, min_weight)
            nbr = np.unique(nbr)
            nbr = nbr[~seen[nbr]]
            if not len(nbr):
                break
            seen[nbr] = True
            room = limit - n_kept
            if len(nbr) > room:
                truncated = True
            if room > 0:
                # index order is id order, so a stable sort by -tracks leaves ties by id asc
                ranked = nbr[np.argsort(-self._art_tracks[nbr], kind="stable")[:room]]
                kept.append(ranked)
                n_kept += len(ranked)
            elif truncated:
                break  # nothing more can be kept; truncated is known
            frontier = nbr
        order = [i for level in kept for i in level.tolist()]
        hop_no = {i: h for h, level in enumerate(kept) for i in level.tolist()}  # levels are consecutive hops
        ids = self._art_ids
        artists = self.artists
        nodes = []
        for i in order:
            n = int(ids[i])
            a = artists[n]
            nodes.append(Node(f"Artist:{n}", "Artist", {"id": n, "name": a["name"], "tracks": a["tracks"],
                                                        "hops": hop_no[i]}))
        keep_mask = np.zeros(len(ids), dtype=bool)
        keep_arr = np.array(order, dtype=np.int64)
        keep_mask[keep_arr] = True
        src, dst = self._csr_neighbours(np.sort(keep_arr), min_weight)
        ok = keep_mask[dst] & (src < dst)
        adj = self.collab.adj
        edges = []
        for u, v in zip(ids[src[ok]].tolist(), ids[dst[ok]].tolist(), strict=True):
            edges.append(Edge(f"Artist:{u}", f"Artist:{v}", "COLLABORATED_WITH", dict(adj[u][v])))
        return Subgraph(nodes=nodes, edges=edges, truncated=truncated)

    def collaboration_paths(self, a: int, b: int, k: int = 3, max_hops: int = 6) -> list[list[dict[str, Any]]]:
        """Up to k simple paths a..b over COLLABORATED_WITH ordered by (hops, total weight desc, ids).
        Each path is a list of steps {"artist": {id, name}, "weight_to_next": int | None}."""
        bounded("k", k)
        bounded("max_hops", max_hops)
        self._artist(a)
        self._artist(b)
        if a == b:
            raise InvalidValue("a collaboration path needs two different artists")
        G = self.collab
        found: list[tuple[int, int, list[int]]] = []
        try:
            for n, path in enumerate(nx.shortest_simple_paths(G, a, b)):
                deadline.check()  # a request that timed out stops here (graphsvc.deadline)
                h = len(path) - 1
                if h > max_hops or (len(found) >= k and h > found[k - 1][0]) or n >= _MAX_SIMPLE_PATHS:
                    break
                w = sum(G.adj[x][y]["weight"] for x, y in pairwise(path))
                found.append((h, w, path))
        except nx.NetworkXNoPath:
            return []
        found.sort(key=lambda f: (f[0], -f[1], f[2]))
        out = []
        for _, _, path in found[: int(k)]:
            steps = []
            for i, x in enumerate(path):
                w = G.adj[x][path[i + 1]]["weight"] if i + 1 < len(path) else None
                steps.append({"artist": {"id": x, "name": self.artists[x]["name"]}, "weight_to_next": w})
            out.append(steps)
        return out

    # --- next tracks -----------------------------------------------------------------------------
    def _raw(self, t: _Track, move, pct, semis: int, pitched: bool, transitions: int) -> dict[str, Any]:
        return {
            "track_id": t.id, "title": t.title, "artists": t.artists, "bpm": t.bpm, "camelot": t.camelot,
            "energy": t.energy, "genres": t.genres, "move": None if move is None else move.value,
            "bpm_pct": pct, "pitch_shift": semis, "pitched": pitched, "transitions": transitions,
        }

    def _fit(self, s: _Track, t: _Track, allowed, w: float, half_double: bool, max_shift: int):
        """Rule 3 constraints on data both tracks have: (move, pct, semis, pitched) or None."""
        pct, semis, pitched, eff = None, 0, False, t.key
        if s.bpm is not None and t.bpm is not None:
            if max_shift > 0:
                semis = harmonic.semitone_shift_for_bpm(t.bpm, s.bpm)
                if abs(semis) <= max_shift:
                    pitched, pct = True, 0.0
                    if eff is not None:
                        eff = harmonic.shift_key(eff, semis)
            if not pitched:
                semis = 0
                pct = _pct(s.bpm, t.bpm, half_double)
                if pct > w:
                    return None
        move = None
        if s.key is not None and eff is not None:
            move = harmonic.classify_move(s.key, eff)
            if move not in allowed:
                return None
        return move, pct, semis, pitched

    def _indexed_bpm(self, track_id: int) -> float:
        """The BPM of a track met through the per-key BPM indexes (``by_key``), which hold only tracks with one."""
        bpm = self.tracks[track_id].bpm
        if bpm is None:
            raise RuntimeError(f"track {track_id} is in a BPM index but has no BPM")
        return bpm

    def _window(self, camelot: str, sb: float, w: float, half_double: bool, max_shift: int,
                skip: set[int]) -> Iterator[tuple[float, int]]:
        """(pct, id) of tracks in ``camelot`` within the window, nearest first (ties: id asc); tracks
        that would be pitched (|semis| <= max_shift) are left out (they are handled by _pitched)."""
        idx = self.by_key.get(camelot)
        if idx is None:
            return iter(())
        bpms, ids = idx
        lo_ratio, hi_ratio = tempo_ratios(w)
        streams = []
        for f in ((1.0, 2.0, 0.5) if half_double else (1.0,)):
            c = sb / f
            streams.append(self._right(bpms, ids, c, c * hi_ratio, sb, w, half_double))
            streams.append(self._left(bpms, ids, c, c * lo_ratio, sb, w, half_double))
        merged = heapq.merge(*streams)
        if max_shift <= 0 and not skip:
            return merged
        return (
            (p, i) for p, i in merged
            if i not in skip and not (
                max_shift > 0 and abs(harmonic.semitone_shift_for_bpm(self._indexed_bpm(i), sb)) <= max_shift)
        )

    @staticmethod
    def _right(bpms, ids, c, hi, sb, w, hd) -> Iterator[tuple[float, int]]:
        for i in range(bisect_left(bpms, c), len(bpms)):
            b = bpms[i]
            if b > hi:
                return
            p = _pct(sb, b, hd)
            if p > w:
                return
            yield p, ids[i]

    @staticmethod
    def _left(bpms, ids, c, lo, sb, w, hd) -> Iterator[tuple[float, int]]:
        j = bisect_left(bpms, c)
        while j > 0:
            b = bpms[j - 1]
            if b < lo:
                return
            p = _pct(sb, b, hd)
            if p > w:
                return
            start = bisect_left(bpms, b, 0, j)
            for i in range(start, j):
                yield p, ids[i]
            j = start

    def _pitched(self, target: harmonic.Key, sb: float, max_shift: int, skip: set[int]) -> list[tuple[float, int]]:
        """(0.0, id) of tracks whose key pitched to ``sb`` becomes ``target``, sorted by id."""
        out = []
        for semis in range(-max_shift, max_shift + 1):
            original = harmonic.shift_key(target, -semis)
            idx = self.by_key.get(original.camelot)
            if idx is None:
                continue
            bpms, ids = idx
            lo = sb / 2 ** ((semis + 0.5) / 12) * (1 - 1e-9)
            hi = sb / 2 ** ((semis - 0.5) / 12) * (1 + 1e-9)
            for i in range(bisect_left(bpms, lo), bisect_right(bpms, hi)):
                if ids[i] not in skip and harmonic.semitone_shift_for_bpm(bpms[i], sb) == semis:
                    out.append((0.0, ids[i]))
        out.sort()
        return out

    def raw_candidates(self, track_id: int, *, strictness: str = "normal", bpm_window_pct: float = 6.0,
                       half_double: bool = True, max_pitch_shift: int = 0, cap: int = CANDIDATE_CAP,
                       strict_only: bool = False) -> list[dict[str, Any]]:
        """Graph rule 3: at most ``cap`` raw candidates in (transitions desc, move score desc, bpm_pct asc
        nulls last, id asc) order. ``strict_only``: only candidates passing rule 3(b)."""
        return list(self._raw_sequence(track_id, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                       half_double=half_double, max_pitch_shift=max_pitch_shift, cap=cap,
                                       strict_only=strict_only))

    def _raw_sequence(self, track_id: int, *, strictness: str = "normal", bpm_window_pct: float = 6.0,
                      half_double: bool = True, max_pitch_shift: int = 0, cap: int = CANDIDATE_CAP,
                      strict_only: bool = False, reference: bool = False) -> Sequence[dict[str, Any]]:
        """raw_candidates as a sequence: a lazy ``_RawColumns`` on the vectorized path, else a list
        (``reference=True`` forces the Python path, for tests)."""
        allowed = _strictness(strictness)
        bounded("bpm_window_pct", bpm_window_pct)
        bounded("max_pitch_shift", max_pitch_shift)
        s = self._track(track_id)
        w, P = float(bpm_window_pct), int(max_pitch_shift)
        known = s.key is not None and s.bpm is not None
        out: list[dict[str, Any]] = []
        skip = {s.id}
        ev = []
        for tid, (n, _djs, _last) in self.trans_out.get(s.id, {}).items():
            t = self.tracks[tid]
            if strict_only and (t.key is None or t.bpm is None or not known):
                continue
            fit = self._fit(s, t, allowed, w, half_double, P)
            if fit is not None:
                move, pct, semis, pitched = fit
                score = -1.0 if move is None else harmonic.MOVES[move]
                ev.append(((-n, -score, math.inf if pct is None else pct, tid), t, fit, n))
        ev.sort(key=lambda e: e[0])
        for _, t, (move, pct, semis, pitched), n in ev[:cap]:
            out.append(self._raw(t, move, pct, semis, pitched, n))
            skip.add(t.id)
        skey, sbpm = s.key, s.bpm
        if skey is None or sbpm is None or len(out) >= cap:
            return out
        compat = harmonic.compatible_keys(skey, strictness)
        if P == 0 and not reference:
            cols = self._window_columns(compat, sbpm, w, half_double, skip, cap - len(out))
            if cols is not None:
                return _RawColumns(self, out, *cols)
        for _score, group in groupby(compat, key=lambda c: c[2]):
            streams = []
            for key, move, _ in group:
                # (_tagged binds move now: a generator expression here would read the loop variable late)
                streams.append(_tagged(self._window(key.camelot, sbpm, w, half_double, P, skip), move, False))
                if P > 0:
                    streams.append(_tagged(self._pitched(key, sbpm, P, skip), move, True))
            for p, i, move, pitched in heapq.merge(*streams):
                t = self.tracks[i]
                semis = harmonic.semitone_shift_for_bpm(self._indexed_bpm(i), sbpm) if pitched else 0
                out.append(self._raw(t, move, p, semis, pitched, 0))
                if len(out) >= cap:
                    return out
        return out

    def _window_columns(self, compat, sb: float, w: float, half_double: bool, skip: set[int], room: int):
        """The window candidates of rule 3(b) without pitch shift, vectorized: per move-score group (best
        first) every track of the group's keys with bpm_pct <= w, ordered by (bpm_pct, id), at most
        ``room`` in all. Returns (ids, pct, move_score, move code, moves (code -> Move), bpm, energy, genre)
        or None when some window is not strictly monotone in bpm_pct (then the heap merge of the reference
        path can order ties differently, so the caller falls back to it).

        All windows of all groups are cut with bisect on the per-key Python bpm lists and gathered from
        the concatenated columns (``_cat``) in one go, so the numpy work is a fixed handful of calls per
        request instead of a dozen per (key, factor) window."""
        lo_ratio, hi_ratio = tempo_ratios(w)
        factors = (1.0, 2.0, 0.5) if half_double else (1.0,)
        by_key, offsets = self.by_key, self._cat_offset
        # per window: global start, length, split (first index at or above the centre), group, move code
        w_start: list[int] = []
        w_len: list[int] = []
        w_split: list[int] = []
        w_group: list[int] = []
        w_move: list[int] = []
        moves: list = []
        scores: list[float] = []
        for gi, (score, group) in enumerate(groupby(compat, key=lambda c: c[2])):
            scores.append(score)
            for key, move, _ in group:
                idx = by_key.get(key.camelot)
                if idx is None:
                    continue
                bpms = idx[0]
                off = offsets[key.camelot]
                for f in factors:
                    c = sb / f
                    a = bisect_left(bpms, c * lo_ratio)
                    z = bisect_right(bpms, c * hi_ratio)
                    if a >= z:
                        continue
                    if move not in moves:
                        moves.append(move)
                    w_start.append(off + a)
                    w_len.append(z - a)
                    w_split.append(off + bisect_left(bpms, c, a, z))
                    w_group.append(gi)
                    w_move.append(moves.index(move))
        cat_bpm, cat_ids, cat_energy, cat_genre = self._cat
        n_win = len(w_start)
        if n_win:
            lens = np.array(w_len, dtype=np.int64)
            total = int(lens.sum())
            first = np.cumsum(lens) - lens  # position of each window's first element in the gathered arrays
            win = np.repeat(np.arange(n_win), lens)
            gidx = np.arange(total) - first[win] + np.array(w_start, dtype=np.int64)[win]
            b = cat_bpm[gidx]
            if half_double:
                p = np.minimum(np.minimum(np.abs(b - sb), np.abs(2 * b - sb)), np.abs(b / 2 - sb)) / sb * 100.0
            else:
                p = np.abs(b - sb) / sb * 100.0
            ids = cat_ids[gidx]
            keep = p <= w
            if skip:
                keep &= ~np.isin(ids, np.fromiter(skip, dtype=np.int64, count=len(skip)))
            group_of = np.array(w_group, dtype=np.int64)[win]
            # groups are reached (checked and taken) while fewer than `room` were taken before them
            counts = np.bincount(group_of[keep], minlength=len(scores))
            before = np.cumsum(counts) - counts
            reached = before < room
            # the reference scans outward from the centre and stops at the first pct > w: the same set and
            # order only when pct strictly grows outward between distinct tempi, within each half window
            upper = gidx >= np.array(w_split, dtype=np.int64)[win]
            part = 2 * win + upper
            same = part[1:] == part[:-1]
            if len(same):
                dp, db = np.diff(p), np.diff(b)
                ok = np.where(upper[1:], dp > 0, dp < 0) | (db == 0)
                if np.any(same & ~ok & reached[group_of[1:]]):
                    return None
            keep &= reached[group_of]
            sel = np.flatnonzero(keep)
            order = sel[np.lexsort((ids[sel], p[sel], group_of[sel]))][:room]
            move_of = np.array(w_move, dtype=np.int8)[win]
            return (ids[order], p[order], np.array(scores, dtype=np.float64)[group_of[order]], move_of[order], moves,
                    b[order], cat_energy[gidx[order]], cat_genre[gidx[order]])
        empty_f = np.empty(0, dtype=np.float64)
        return (np.empty(0, dtype=np.int64), empty_f, empty_f, np.empty(0, dtype=np.int8), [], empty_f, empty_f,
                np.empty(0, dtype=np.int32))

    def next_tracks(self, track_id: int, *, strictness: str = "normal", bpm_window_pct: float = 6.0,
                    half_double: bool = True, max_pitch_shift: int = 0, limit: int = 20) -> list[Candidate]:
        bounded("limit", limit)
        raw = self._raw_sequence(track_id, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                 half_double=half_double, max_pitch_shift=max_pitch_shift)
        source = self.tracks[track_id].props()
        bounds = raw.bounds(source) if isinstance(raw, _RawColumns) else None
        return rank_candidates(source, raw, limit, bounds=bounds)

    # --- recommender evidence (graphsvc.recommend) ---------------------------------------------
    def recommendation_context(self, track_id: int, constraints: Any, caps: Any) -> Any:
        """The evidence around ``track_id`` for ``graphsvc.recommend`` (None when it does not exist)."""
        from graphsvc.recommend.embedded_context import EmbeddedEvidence
        from graphsvc.recommend.gather import gather, gather_static

        ev = EmbeddedEvidence(self)
        key = (track_id, caps)
        with self._rec_lock:  # the request-independent evidence of recent sources, kept per loaded graph
            static = self._rec_static.get(key)
            if static is not None:
                self._rec_static.move_to_end(key)
        if static is None:
            static = gather_static(ev, track_id, caps)
            if static is None:
                return None
            with self._rec_lock:
                self._rec_static[key] = static
                while len(self._rec_static) > REC_CONTEXTS:
                    self._rec_static.popitem(last=False)
        return gather(ev, track_id, constraints, caps, static=static)

    def track_facts(self, ids: Any) -> dict[int, dict[str, Any]]:
        from graphsvc.recommend.embedded_context import EmbeddedEvidence

        return EmbeddedEvidence(self).facts(ids)

    def _track_rows(self, ids: list[int]) -> tuple[list[int], np.ndarray]:
        """The existing tracks of ``ids``, in order, and their rows in the id-sorted columns made at load."""
        q = np.fromiter(ids, np.int64, len(ids))
        pos, found = find_sorted(self._track_ids, q)
        return q[found].tolist(), pos[found]

    def tempo_key_columns(self, ids: list[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Keys and BPMs of the existing tracks of ``ids``, gathered from the columns made at load: a
        hub's thousands of candidates in a few NumPy calls instead of a dict lookup each."""
        have, rows = self._track_rows(ids)
        return have, self._fact_cols.bpm[rows], self._fact_cols.key[rows]

    def fact_columns(self, ids: list[int]) -> tuple[list[int], FactColumns, Mapping[int, dict[str, Any]]]:
        """The existing tracks of ``ids``, their facts as columns gathered from those made at load, and
        their facts dicts, each made when first read (``track_facts``): a hub's block has hundreds of
        candidates, an answer shows a few."""
        from graphsvc.recommend.embedded_context import LazyFacts

        have, rows = self._track_rows(ids)
        return have, self._fact_cols.take(rows), LazyFacts(self)

    def charts(self, genre: str | None = None, window: str = "all", limit: int = 20) -> dict[str, Any]:
        """Top and trending track and artist ids (graphsvc.charts), cached per arguments."""
        from graphsvc.charts import embedded_charts

        return embedded_charts(self, genre, window, limit)

    def harmonic_paths(self, a: int, b: int, *, k: int = 3, max_len: int = 6, strictness: str = "normal",
                       bpm_window_pct: float = 6.0, pool: int | None = None) -> _paths.PathList:
        """Graph rule 4 (see graphsvc.graph.paths); BPM windows allow half/double time."""
        bounded("k", k)
        bounded("max_len", max_len)
        bounded("bpm_window_pct", bpm_window_pct)
        _strictness(strictness)
        self._track(a)
        self._track(b)
        return _paths.harmonic_paths(
            a, b, k=k, max_len=max_len,
            neighbours=lambda x: self._raw_sequence(x, strictness=strictness, bpm_window_pct=bpm_window_pct,
                                                    strict_only=True),
            source=lambda x: self.tracks[x].props(), strictness=strictness, bpm_window_pct=bpm_window_pct,
            pool=pool, key_bpm=lambda y: (self.tracks[y].camelot, self.tracks[y].bpm),
        )

    # --- neighbourhood ---------------------------------------------------------------------------
    def _adjacent(self, node: tuple[str, Any]) -> list[tuple[str, Any]]:
        label, key = node
        if label == "Track":
            t = self.tracks[key]
            out: list[tuple[str, Any]] = [("Artist", a) for a, _, _ in self.by_track.get(key, ())]
            out += [("Track", x) for x in self.trans_out.get(key, ())]
            out += [("Track", x) for x in self.trans_in.get(key, ())]
            out += [("Set", s) for s, _ in self.track_sets.get(key, ())]
            if t.camelot is not None:
                out.append(("Key", t.camelot))
            if t.label_id is not None:
                out.append(("Label", t.label_id))
            return out
        if label == "Artist":
            out = [("Track", t) for t, _, _ in self.by_artist.get(key, ())]
            out += [("Artist", x) for x in self.collab.adj[key]]
            out += [("Set", s) for s in self.played_artist.get(key, ())]
            out += [("Artist", x) for x in self.sup_out.get(key, ())]
            out += [("Artist", x) for x in self.sup_in.get(key, ())]
            return out
        if label == "Set":
            return ([("Track", t) for _, t in self.set_entries.get(key, ())]
                    + [("Artist", a) for a in self.played_set.get(key, ())])
        if label == "Key":
            return [("Track", t) for t in self.key_tracks.get(key, ())]
        return [("Track", t) for t in self.label_tracks.get(key, ())]

    def _degree(self, node: tuple[str, Any]) -> int:
        """Relationships of the node, COMPATIBLE excluded."""
        label, key = node
        if label == "Track":
            t = self.tracks[key]
            return (len(self.by_track.get(key, ())) + len(self.trans_out.get(key, ())) + len(self.trans_in.get(key, ()))
                    + len(self.track_sets.get(key, ())) + (t.camelot is not None) + (t.label_id is not None))
        if label == "Artist":
            return (len(self.by_artist.get(key, ())) + len(self.collab.adj[key]) + len(self.played_artist.get(key, ()))
                    + len(self.sup_out.get(key, ())) + len(self.sup_in.get(key, ())))
        if label == "Set":
            return len(self.set_entries.get(key, ())) + len(self.played_set.get(key, ()))
        if label == "Key":
            return len(self.key_tracks.get(key, ()))
        return len(self.label_tracks.get(key, ()))

    def _node_props(self, node: tuple[str, Any]) -> dict[str, Any]:
        label, key = node
        if label == "Track":
            return self.tracks[key].props()
        nodes: dict[str, Mapping[Any, dict[str, Any]]] = {
            "Artist": self.artists, "Set": self.sets, "Key": self.keys, "Label": self.labels}
        return dict(nodes[label][key])

    def _edges_of(self, node: tuple[str, Any]) -> Iterator[tuple[tuple, tuple, str, dict]]:
        """Each relationship once, from the side that owns it (Track: BY, TRANSITIONS_TO out, IN_KEY,
        ON_LABEL; Artist: COLLABORATED_WITH (start < end), SUPPORTS out, PLAYED; Set: CONTAINS)."""
        label, key = node
        if label == "Track":
            t = self.tracks[key]
            for a, role, pos in self.by_track.get(key, ()):
                yield node, ("Artist", a), "BY", {"role": role, "position": pos}
            for x, (n, djs, last) in self.trans_out.get(key, {}).items():
                yield node, ("Track", x), "TRANSITIONS_TO", {"count": n, "djs": djs, "last_seen": last}
            if t.camelot is not None:
                yield node, ("Key", t.camelot), "IN_KEY", {}
            if t.label_id is not None:
                yield node, ("Label", t.label_id), "ON_LABEL", {}
        elif label == "Artist":
            for x, attrs in self.collab.adj[key].items():
                if key < x:
                    yield node, ("Artist", x), "COLLABORATED_WITH", dict(attrs)
            for x, n in self.sup_out.get(key, {}).items():
                yield node, ("Artist", x), "SUPPORTS", {"count": n}
            for s in self.played_artist.get(key, ()):
                yield node, ("Set", s), "PLAYED", {}
        elif label == "Set":
            for pos, tid in self.set_entries.get(key, ()):
                yield node, ("Track", tid), "CONTAINS", {"position": pos}

    def neighbourhood(self, kind: str, node_id: int, depth: int = 1, limit: int = 100) -> Subgraph:
        """The node and nodes within ``depth`` (1..2) over every relationship but COMPATIBLE, ranked by
        (hops asc, degree desc, label asc, key asc); edges among the kept nodes."""
        bounded("depth", depth)
        bounded("limit", limit)
        if depth > 2:
            raise InvalidValue(f"depth must be between 1 and 2 for a neighbourhood, got {depth!r}")
        if kind == "track":
            self._track(node_id)
            start = ("Track", node_id)
        elif kind == "artist":
            self._artist(node_id)
            start = ("Artist", node_id)
        else:
            raise InvalidValue(f"kind must be 'track' or 'artist', got {kind!r}")
        hops = {start: 0}
        frontier = [start]
        for d in range(1, int(depth) + 1):
            nxt = []
            for n in frontier:
                deadline.check()  # a request that timed out stops here (graphsvc.deadline)
                for m in self._adjacent(n):
                    if m not in hops:
                        hops[m] = d
                        nxt.append(m)
            frontier = nxt
        ranked = heapq.nsmallest(int(limit), hops, key=lambda n: (hops[n], -self._degree(n), n[0], n[1]))
        keep = set(ranked)
        nodes = []
        for n in ranked:
            props = self._node_props(n)
            props["hops"] = hops[n]
            nodes.append(Node(f"{n[0]}:{n[1]}", n[0], props))
        edges = [
            Edge(f"{a[0]}:{a[1]}", f"{b[0]}:{b[1]}", typ, props)
            for n in ranked for a, b, typ, props in self._edges_of(n) if b in keep
        ]
        # the order every backend gives (an adjacency dict's insertion order is not one Neo4j can match)
        return Subgraph(nodes=nodes, edges=sort_neighbourhood_edges(nodes, edges), truncated=len(hops) > len(ranked))

    # --- analytics -------------------------------------------------------------------------------
    def artist_analytics(self, artist_id: int) -> dict[str, Any] | None:
        """{tracks, sets_played, avg_bpm, top_key, top_genres [{genre, tracks}] (top 5, count desc, name
        asc), collaborators [{id, name, weight}] and supported_by [{id, name, count}] (top 10, desc, id)}."""
        a = self.artists.get(artist_id)
        if a is None:
            return None
        tids = sorted({t for t, _, _ in self.by_artist.get(artist_id, ())})
        ts = [self.tracks[t] for t in tids]
        bpms = [t.bpm for t in ts if t.bpm is not None]
        keys = Counter(t.camelot for t in ts if t.camelot is not None)
        genres = Counter(g for t in ts for g in set(t.genres or ()))
        collab = sorted(((x, attrs["weight"]) for x, attrs in self.collab.adj[artist_id].items()),
                        key=lambda p: (-p[1], p[0]))[:10]
        sup = sorted(self.sup_in.get(artist_id, {}).items(), key=lambda p: (-p[1], p[0]))[:10]
        return {
            "id": artist_id, "name": a["name"], "tracks": a["tracks"], "sets_played": a["sets"],
            "avg_bpm": sum(bpms) / len(bpms) if bpms else None,
            "top_key": min(keys, key=lambda c: (-keys[c], _KEY_ORDER[c])) if keys else None,
            "top_genres": [{"genre": g, "tracks": n}
                           for g, n in sorted(genres.items(), key=lambda p: (-p[1], p[0]))[:5]],
            "collaborators": [{"id": x, "name": self.artists[x]["name"], "weight": w} for x, w in collab],
            "supported_by": [{"id": x, "name": self.artists[x]["name"], "count": n} for x, n in sup],
        }

    def set_analytics(self, set_id: int) -> dict[str, Any] | None:
        """{tracks, harmonic_flow (mean move score over adjacent positions p, p+1 with both keys known),
        compatible_share (share of those pairs whose move is not a clash), energy_curve, bpm_curve (by
        position), genres {genre: share of entries with genres that carry it}}."""
        s = self.sets.get(set_id)
        if s is None:
            return None
        entries = self.set_entries.get(set_id, [])
        ts = [self.tracks[t] for _, t in entries]
        moves = []
        for (p1, t1), (p2, t2) in pairwise(entries):
            k1, k2 = self.tracks[t1].key, self.tracks[t2].key
            if p2 == p1 + 1 and k1 is not None and k2 is not None:
                moves.append(harmonic.classify_move(k1, k2))
        with_genres = [t for t in ts if t.genres]
        genres = Counter(g for t in with_genres for g in set(t.genres or ()))
        return {
            "id": set_id, "title": s["title"], "tracks": len(entries),
            "harmonic_flow": sum(harmonic.MOVES[m] for m in moves) / len(moves) if moves else None,
            "compatible_share": sum(m is not harmonic.Move.CLASH for m in moves) / len(moves) if moves else None,
            "energy_curve": [t.energy for t in ts],
            "bpm_curve": [t.bpm for t in ts],
            "genres": {g: n / len(with_genres) for g, n in sorted(genres.items())},
        }
