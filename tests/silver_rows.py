"""Rows written straight into silver for enrichment tests (ids as the silver builder makes them)."""

from __future__ import annotations

import itertools

from graphsvc.ids import stable_id

# far above the record ids tests pass explicitly (record_id=10, 20, ...): an automatic id met one of
# them when an xdist worker had run enough tests first, and the insert broke the unique key
_record_ids = itertools.count(1_000_000)


def add_track(conn, key: str, title: str = "Title", artists: str = "Artist", **cols) -> int:
    tid = stable_id("track", key)
    names = ["track_id", "track_key", "title", "artists_display", *cols]
    conn.execute(
        f"INSERT INTO silver.track ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
        [tid, key, title, artists, *cols.values()],
    )
    return tid


def add_obs(conn, track_id: int, source: str, *, record_id: int | None = None, **cols) -> int:
    rid = record_id if record_id is not None else next(_record_ids)
    oid = stable_id("observation", f"{source}:{rid}:{track_id}")
    names = ["observation_id", "source", "record_id", "item_index", "track_id", *cols]
    conn.execute(
        f"INSERT INTO silver.observation ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
        [oid, source, rid, 0, track_id, *cols.values()],
    )
    return oid
