"""The recommender's evidence primitives (``graphsvc.recommend.gather.Evidence``) on Neo4j: one query of
``cypher/rec_*.cypher`` each, answering exactly what the embedded store's ``EmbeddedEvidence`` answers
(same caps, same orders), so both backends give the same recommendations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from graphsvc.recommend.gather import SetScan, counted

if TYPE_CHECKING:
    from graphsvc.graph.neo4j_store import Neo4jStore

_LIST_FACTS = ("genres", "scene_genres")
_ALL_TRANSITIONS = 100_000  # bound of the transitions read to leave them out of the harmonic window
_PLAIN_FACTS = ("title", "version", "artists", "bpm", "camelot", "energy", "plays", "sets", "djs", "plays_recent",
                "trend", "label", "year")


class Neo4jEvidence:
    def __init__(self, store: Neo4jStore) -> None:
        self.store = store

    def _one(self, name: str, **params: Any) -> Any:
        records = self.store._read(name, **params)
        return records[0] if records else None

    def facts(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        from graphsvc.graph.neo4j_store import from_neo4j

        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return {}
        out = {}
        for r in self.store._read("rec_facts", ids=wanted):
            props = from_neo4j(dict(r["props"]))
            f: dict[str, Any] = {"id": int(r["id"])}
            for k in _PLAIN_FACTS:
                f[k] = props.get(k)
            for k in _LIST_FACTS:
                f[k] = tuple(props.get(k) or ())
            for k in ("plays", "sets", "djs", "plays_recent"):
                f[k] = int(f[k] or 0)
            f["trend"] = float(f["trend"] or 0.0)
            f["label_id"] = r["label_id"]
            f["artist_ids"] = tuple(sorted(int(a) for a in r["artist_ids"]))
            f["primary_ids"] = tuple(sorted(int(a) for a in r["primary_ids"]))
            out[f["id"]] = f
        return out

    def transitions(self, a: int, n: int):
        from graphsvc.graph.neo4j_store import from_neo4j

        r = self._one("rec_transitions", id=int(a), n=int(n))
        if r is None:
            return [], []
        conv = lambda rows: [(int(c), int(k), int(d), from_neo4j(last)) for c, k, d, last in rows]  # noqa: E731
        return conv(r["out"]), conv(r["inn"])

    def two_hop(self, a: int, via: int, per_via: int) -> dict[int, int]:
        r = self._one("rec_two_hop", id=int(a), via=int(via), per_via=int(per_via))
        return {} if r is None else {int(c): int(w) for c, w in r["two_hop"]}

    def sets(self, a: int, n: int) -> SetScan:
        return SetScan.of([(int(r["set_id"]), [(int(p), int(t)) for p, t in r["entries"]], [int(d) for d in r["djs"]])
                           for r in self.store._read("rec_sets", id=int(a), n=int(n))])

    def collaborators(self, artists: list[int], n: int) -> dict[int, list[tuple[int, int]]]:
        return {int(r["artist"]): [(int(y), int(w)) for y, w in r["collaborators"]]
                for r in self.store._read("rec_collaborators", artists=[int(x) for x in artists], n=int(n))}

    def dj_lists(self, djs: list[int], n_support: int, n_repertoire: int):
        supported, repertoire = {}, {}
        for r in self.store._read("rec_dj_lists", djs=[int(d) for d in djs], n_support=int(n_support),
                                  n_repertoire=int(n_repertoire)):
            supported[int(r["dj"])] = counted((int(y), int(c)) for y, c in r["supported"])
            repertoire[int(r["dj"])] = counted((int(t), int(c)) for t, c in r["repertoire"])
        return supported, repertoire

    def artist_tracks(self, artists: list[int], n: int, primary_only: bool) -> dict[int, list[int]]:
        return {int(r["artist"]): [int(t) for t in r["tracks"]]
                for r in self.store._read("rec_artist_tracks", artists=[int(x) for x in artists], n=int(n),
                                          primary_only=bool(primary_only))}

    def label_tracks(self, label: int, n: int) -> list[int]:
        r = self._one("rec_label_tracks", label_id=int(label), n=int(n))
        return [] if r is None else [int(t) for t in r["tracks"]]

    def genre_tracks(self, genre: str, n: int) -> list[int]:
        r = self._one("rec_genre_tracks", genre=str(genre), n=int(n))
        return [] if r is None else [int(t) for t in r["tracks"]]

    def window(self, a: int, constraints: Any, n: int) -> list[int]:
        c = constraints
        trans = {t for t, *_ in self.transitions(a, _ALL_TRANSITIONS)[0]}
        raw = self.store._raw_candidates(a, strictness=c.strictness, bpm_window_pct=c.bpm_window_pct,
                                         half_double=c.half_double, max_pitch_shift=c.max_pitch_shift,
                                         cap=len(trans) + n)
        return [r["track_id"] for r in raw if r["track_id"] not in trans][:n]
