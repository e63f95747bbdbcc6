"""Build the gold layer (schema ``gold``) from silver with set-based SQL, in one transaction.

For each gold table the rows silver produces now are computed into a temporary table; then
- new rows and rows whose content differs (every value column compared with IS DISTINCT FROM, i.e. an
  exact row-hash comparison without storing a hash) are upserted with a fresh ``change_seq``;
- identical rows are not touched, so a second build changes nothing (same rows, same change_seq);
- rows no longer produced are deleted and recorded in ``gold.tombstone`` with a fresh change_seq.
The 24 keys and the COMPATIBLE pairs come from ``graphsvc.harmonic`` (the only place with key math).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from graphsvc import harmonic
from graphsvc.pg import fetch_one

__all__ = ["build_gold", "key_rows", "compatible_rows", "GOLD_TABLES"]


@dataclass(frozen=True)
class GoldTable:
    table: str  # gold.<table>
    kind: str  # node label or relationship type (tombstone kind)
    keys: tuple[str, ...]
    values: tuple[str, ...]
    select: str  # produces keys + values, in that order

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.values


RECENT_DAYS = 365  # the recent window of plays_recent / trend: days before the latest set date in silver
SCENE_GENRES = 3  # a track's scene genres: the most frequent genres of the sets that played it

# dated_set: every set with ``recent`` (dated within RECENT_DAYS of the latest set date; the data's own
# "now", so unchanged data rebuilds to the same values); set_genre_ord / set_genre: the genres its tags name
# (gold.genre holds the vocabulary of graphsvc.genres), with the tag order
_RECENT_CTES = rf"""
    anchor AS (SELECT max(set_date) AS d FROM silver.dj_set),
    dated_set AS (
        SELECT s.set_id, coalesce(s.set_date > a.d - {RECENT_DAYS}, false) AS recent
        FROM silver.dj_set s CROSS JOIN anchor a
    ),
    recent_share AS (
        SELECT (count(*) FILTER (WHERE s.recent))::float8 / nullif(count(*), 0) AS r
        FROM silver.set_entry e JOIN dated_set s USING (set_id)
    ),
    set_genre_ord AS (
        SELECT s.set_id, g.name, t.ord
        FROM silver.dj_set s
        CROSS JOIN LATERAL unnest(s.tags) WITH ORDINALITY AS t(tag, ord)
        JOIN gold.genre g ON g.key = lower(btrim(replace(
            coalesce(substring(t.tag FROM 'Category:([^''"/\]}}]+)'), t.tag), '_', ' ')))
    ),
    set_genre AS (SELECT DISTINCT set_id, name FROM set_genre_ord)"""


# a set's kind (gold.set.kind): the order of a mix was played; a library playlist's was chosen; a crate has none
_SET_KIND = ("(CASE WHEN s.source IN ('mixesdb', '1001tracklists') OR 'history' = ANY(s.tags) THEN 'mix' "
             "WHEN 'crate' = ANY(s.tags) THEN 'crate' ELSE 'playlist' END)")


def _trend(recent: str, total: str) -> str:
    """SQL of the trend score: ln((recent + 1) / (total * recent share of all entries + 1)), 6 decimals;
    > 0 when the item is played more in the recent window than its overall plays predict."""
    return (f"coalesce(round(ln((coalesce({recent}, 0) + 1)::numeric / "
            f"(coalesce({total}, 0) * coalesce((SELECT r FROM recent_share), 0) + 1)::numeric), 6)::float8, 0)")


# Order matters only for readability; every select reads silver (and the static gold.key).
GOLD_TABLES: tuple[GoldTable, ...] = (
    # real (float4) columns go through numeric so 0.6 stays 0.6 instead of 0.6000000238
    GoldTable(
        "track", "Track", ("id",),
        ("title", "version", "artists", "bpm", "key_pc", "key_mode", "camelot", "energy", "genres",
         "plays", "sets", "quality", "label", "label_id", "year", "duration_s",
         "djs", "plays_recent", "djs_recent", "trend", "scene_genres"),
        f"""
        WITH {_RECENT_CTES},
        plays AS (
            SELECT e.track_id, count(*) AS plays, count(DISTINCT e.set_id) AS sets,
                   count(*) FILTER (WHERE s.recent) AS plays_recent
            FROM silver.set_entry e JOIN dated_set s USING (set_id) GROUP BY e.track_id
        ), djs AS (
            SELECT e.track_id, count(DISTINCT d.artist_id) AS djs,
                   count(DISTINCT d.artist_id) FILTER (WHERE s.recent) AS djs_recent
            FROM silver.set_entry e JOIN silver.set_dj d USING (set_id) JOIN dated_set s USING (set_id)
            GROUP BY e.track_id
        ), scene AS (
            SELECT track_id, array_agg(name ORDER BY n DESC, name) AS genres
            FROM (SELECT e.track_id, g.name, count(*) AS n,
                         row_number() OVER (PARTITION BY e.track_id ORDER BY count(*) DESC, g.name) AS rn
                  FROM silver.set_entry e JOIN set_genre g USING (set_id)
                  GROUP BY e.track_id, g.name) x
            WHERE rn <= {SCENE_GENRES}
            GROUP BY track_id
        )
        SELECT t.track_id, t.title, t.version, t.artists_display, t.bpm::float8,
               k.pitch_class, k.mode, k.camelot, t.energy::numeric::float8, t.genres,
               coalesce(p.plays, 0)::int, coalesce(p.sets, 0)::int, t.quality_score::numeric::float8,
               l.name, t.label_id, t.release_year::int, t.duration_s::numeric::float8,
               coalesce(d.djs, 0)::int, coalesce(p.plays_recent, 0)::int, coalesce(d.djs_recent, 0)::int,
               {_trend("p.plays_recent", "p.plays")},
               coalesce(sc.genres, '{{}}')
        FROM silver.track t
        LEFT JOIN gold.key k ON k.pitch_class = t.key_pitch_class AND k.mode = t.key_mode
        LEFT JOIN silver.label l ON l.label_id = t.label_id
        LEFT JOIN plays p ON p.track_id = t.track_id
        LEFT JOIN djs d ON d.track_id = t.track_id
        LEFT JOIN scene sc ON sc.track_id = t.track_id
        """,
    ),
    GoldTable(
        "artist", "Artist", ("id",), ("name", "name_key", "tracks", "sets", "plays", "djs", "plays_recent", "trend"),
        f"""
        WITH {_RECENT_CTES},
        primary_play AS (
            SELECT DISTINCT ta.artist_id, e.set_id, e.position, s.recent
            FROM silver.track_artist ta
            JOIN silver.set_entry e ON e.track_id = ta.track_id
            JOIN dated_set s ON s.set_id = e.set_id
            WHERE ta.role = 'primary'
        ), plays AS (
            SELECT artist_id, count(*) AS plays, count(*) FILTER (WHERE recent) AS plays_recent
            FROM primary_play GROUP BY artist_id
        ), djs AS (
            SELECT p.artist_id, count(DISTINCT d.artist_id) AS djs
            FROM (SELECT DISTINCT artist_id, set_id FROM primary_play) p
            JOIN silver.set_dj d ON d.set_id = p.set_id GROUP BY p.artist_id
        )
        SELECT a.artist_id, a.canonical_name, a.name_key,
               coalesce(ta.tracks, 0)::int, coalesce(sd.sets, 0)::int,
               coalesce(p.plays, 0)::int, coalesce(d.djs, 0)::int, coalesce(p.plays_recent, 0)::int,
               {_trend("p.plays_recent", "p.plays")}
        FROM silver.artist a
        LEFT JOIN (SELECT artist_id, count(DISTINCT track_id) AS tracks
                   FROM silver.track_artist GROUP BY artist_id) ta ON ta.artist_id = a.artist_id
        LEFT JOIN (SELECT artist_id, count(*) AS sets FROM silver.set_dj GROUP BY artist_id) sd
               ON sd.artist_id = a.artist_id
        LEFT JOIN plays p ON p.artist_id = a.artist_id
        LEFT JOIN djs d ON d.artist_id = a.artist_id
        """,
    ),
    GoldTable(
        "set", "Set", ("id",), ("title", "dj", "date", "venue", "event", "show", "source", "tracks", "genres", "kind"),
        f"""
        WITH {_RECENT_CTES}
        SELECT s.set_id, s.title, s.dj_display, s.set_date, s.venue, s.event, s.show, s.source,
               coalesce(e.n, 0)::int,
               coalesce((SELECT array_agg(g.name ORDER BY g.first, g.name)
                         FROM (SELECT name, min(ord) AS first FROM set_genre_ord sg
                               WHERE sg.set_id = s.set_id GROUP BY name) g), '{{}}'),
               {_SET_KIND}
        FROM silver.dj_set s
        LEFT JOIN (SELECT set_id, count(*) AS n FROM silver.set_entry GROUP BY set_id) e
               ON e.set_id = s.set_id
        """,
    ),
    GoldTable(
        "label", "Label", ("id",), ("name", "tracks"),
        """
        SELECT l.label_id, l.name, coalesce(t.n, 0)::int
        FROM silver.label l
        LEFT JOIN (SELECT label_id, count(*) AS n FROM silver.track WHERE label_id IS NOT NULL
                   GROUP BY label_id) t ON t.label_id = l.label_id
        """,
    ),
    GoldTable(
        "by", "BY", ("track_id", "artist_id", "role"), ("position",),
        "SELECT track_id, artist_id, role, position::int FROM silver.track_artist",
    ),
    GoldTable(
        "collaborated_with", "COLLABORATED_WITH", ("a_id", "b_id"), ("weight", "first_year", "last_year"),
        """
        -- a track's year: its release year, else the year it was first played in a dated set (tracklists
        -- rarely give release years; the first play shows the track existed by then)
        WITH first_play AS (SELECT e.track_id, min(extract(year FROM s.set_date))::int AS year
                            FROM silver.set_entry e JOIN silver.dj_set s ON s.set_id = e.set_id
                            WHERE s.set_date IS NOT NULL GROUP BY e.track_id),
             credit AS (SELECT DISTINCT ta.track_id, ta.artist_id, coalesce(t.release_year, fp.year) AS year
                        FROM silver.track_artist ta JOIN silver.track t USING (track_id)
                        LEFT JOIN first_play fp USING (track_id))
        SELECT x.artist_id, y.artist_id, count(*)::int, min(x.year)::int, max(x.year)::int
        FROM credit x JOIN credit y ON y.track_id = x.track_id AND x.artist_id < y.artist_id
        GROUP BY x.artist_id, y.artist_id
        """,
    ),
    GoldTable(
        "transitions_to", "TRANSITIONS_TO", ("from_id", "to_id"), ("count", "djs", "last_seen"),
        f"""
        WITH pair AS (
            SELECT e1.set_id, e1.track_id AS from_id, e2.track_id AS to_id
            FROM silver.set_entry e1
            JOIN silver.set_entry e2 ON e2.set_id = e1.set_id AND e2.position = e1.position + 1
            JOIN silver.dj_set s ON s.set_id = e1.set_id
            WHERE e1.track_id <> e2.track_id AND {_SET_KIND} = 'mix'
        ), agg AS (
            SELECT p.from_id, p.to_id, count(*) AS n, max(s.set_date) AS last_seen
            FROM pair p JOIN silver.dj_set s ON s.set_id = p.set_id
            GROUP BY p.from_id, p.to_id
        ), dj AS (
            SELECT p.from_id, p.to_id, count(DISTINCT d.artist_id) AS djs
            FROM pair p JOIN silver.set_dj d ON d.set_id = p.set_id
            GROUP BY p.from_id, p.to_id
        )
        SELECT a.from_id, a.to_id, a.n::int, coalesce(dj.djs, 0)::int, a.last_seen
        FROM agg a LEFT JOIN dj USING (from_id, to_id)
        """,
    ),
    GoldTable(
        "contains", "CONTAINS", ("set_id", "position"), ("track_id",),
        "SELECT set_id, position, track_id FROM silver.set_entry",
    ),
    GoldTable("played", "PLAYED", ("artist_id", "set_id"), (), "SELECT artist_id, set_id FROM silver.set_dj"),
    GoldTable(
        "supports", "SUPPORTS", ("dj_id", "artist_id"), ("count",),
        """
        SELECT d.artist_id, ta.artist_id, count(*)::int
        FROM silver.set_dj d
        JOIN silver.set_entry e ON e.set_id = d.set_id
        JOIN silver.track_artist ta ON ta.track_id = e.track_id AND ta.role = 'primary'
        WHERE ta.artist_id <> d.artist_id
        GROUP BY d.artist_id, ta.artist_id
        """,
    ),
)


def key_rows() -> list[tuple]:
    """The 24 keys as gold.key rows, in wheel order."""
    return [
        (k.camelot, k.pitch_class, k.mode, k.name, k.open_key, k.camelot_number, k.camelot_letter)
        for k in harmonic.ALL_KEYS
    ]


def compatible_rows() -> list[tuple]:
    """Every ordered pair of keys whose move is not a clash (including the same-key self pair)."""
    rows = []
    for a in harmonic.ALL_KEYS:
        for b in harmonic.ALL_KEYS:
            move = harmonic.classify_move(a, b)
            if move is not harmonic.Move.CLASH:
                rows.append((a.camelot, b.camelot, move.value, float(harmonic.MOVES[move])))
    return rows


def genre_rows() -> list[tuple[str, str]]:
    """The genre vocabulary as gold.genre rows: (lower-case tag key, canonical name), aliases included."""
    from graphsvc.genres import _ALIASES, GENRES

    rows = {g.casefold(): g for g in GENRES}
    rows.update(_ALIASES)
    return sorted(rows.items())


def _sync_static(conn: psycopg.Connection) -> None:
    """gold.key, gold.compatible and gold.genre: static tables, replaced only when they differ."""
    want_genres = genre_rows()
    if sorted(conn.execute("SELECT key, name FROM gold.genre").fetchall()) != want_genres:
        conn.execute("DELETE FROM gold.genre")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO gold.genre VALUES (%s, %s)", want_genres)
    want_keys = sorted(key_rows())
    have_keys = sorted(conn.execute("SELECT * FROM gold.key").fetchall())
    if have_keys != want_keys:
        conn.execute("DELETE FROM gold.key")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO gold.key VALUES (%s, %s, %s, %s, %s, %s, %s)", want_keys)
    want_comp = sorted(compatible_rows())
    have_comp = sorted(conn.execute("SELECT * FROM gold.compatible").fetchall())
    if have_comp != want_comp:
        conn.execute("DELETE FROM gold.compatible")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO gold.compatible VALUES (%s, %s, %s, %s)", want_comp)


def _sync_table(conn: psycopg.Connection, t: GoldTable) -> tuple[int, int, int]:
    """Bring gold.<t.table> in line with its select; return (rows, changed, deleted)."""
    # identifiers below come from the constant GOLD_TABLES, never from input
    tmp = f"gold_src_{t.table}"
    cols = ", ".join(t.columns)
    key_match = " AND ".join(f"g.{k} = s.{k}" for k in t.keys)
    conn.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT * FROM ({t.select}) q ({cols})")
    conn.execute(f"ANALYZE {tmp}")
    if t.values:
        differs = (f"({', '.join('g.' + v for v in t.values)}) "
                   f"IS DISTINCT FROM ({', '.join('s.' + v for v in t.values)})")
        changed_where = f"g.{t.keys[0]} IS NULL OR {differs}"
        on_conflict = "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in (*t.values, "change_seq"))
    else:
        changed_where = f"g.{t.keys[0]} IS NULL"
        on_conflict = "DO NOTHING"
    key_text = " || ':' || ".join(f"s.{k}::text" for k in t.keys)
    # a key that comes back is live again: drop its tombstone
    conn.execute(
        f"""DELETE FROM gold.tombstone tb USING {tmp} s
            LEFT JOIN gold.{t.table} g ON {key_match}
            WHERE tb.kind = %s AND tb.key = {key_text} AND g.{t.keys[0]} IS NULL""",
        (t.kind,),
    )
    changed = conn.execute(
        f"""INSERT INTO gold.{t.table} ({cols}, change_seq)
            SELECT {', '.join('s.' + c for c in t.columns)}, nextval('gold.change_seq_seq')
            FROM {tmp} s LEFT JOIN gold.{t.table} g ON {key_match}
            WHERE {changed_where}
            ORDER BY {', '.join('s.' + k for k in t.keys)}
            ON CONFLICT ({', '.join(t.keys)}) {on_conflict}"""
    ).rowcount
    gone_key = " || ':' || ".join(f"g.{k}::text" for k in t.keys)
    deleted = conn.execute(
        f"""WITH gone AS (
                DELETE FROM gold.{t.table} g
                WHERE NOT EXISTS (SELECT 1 FROM {tmp} s WHERE {key_match})
                RETURNING {gone_key} AS key
            )
            INSERT INTO gold.tombstone (kind, key, change_seq)
            SELECT %s, key, nextval('gold.change_seq_seq') FROM gone ORDER BY key
            ON CONFLICT (kind, key) DO UPDATE SET change_seq = EXCLUDED.change_seq""",
        (t.kind,),
    ).rowcount
    rows = fetch_one(conn.execute(f"SELECT count(*) FROM {tmp}"))[0]
    conn.execute(f"DROP TABLE {tmp}")
    return rows, changed, deleted


def build_gold(conn: psycopg.Connection, run_id: int | None = None,
               progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Rebuild gold from silver in one transaction; idempotent.

    Returns per table ``<table>`` (rows now), ``<table>.changed`` (inserted or updated rows, each
    given a new change_seq) and ``<table>.deleted`` (rows removed, each tombstoned), plus ``key`` and
    ``compatible`` row counts. With ``run_id`` one ops.processing_status row per table is written.
    If the caller already has a transaction open, the build runs inside it (as a savepoint).
    """
    stats: dict[str, int] = {}
    with conn.transaction():
        _sync_static(conn)
        stats["key"] = len(key_rows())
        stats["compatible"] = len(compatible_rows())
        for t in GOLD_TABLES:
            started = time.perf_counter()
            rows, changed, deleted = _sync_table(conn, t)
            stats[t.table], stats[f"{t.table}.changed"], stats[f"{t.table}.deleted"] = rows, changed, deleted
            if progress is not None:
                progress(1)  # one table done
            if run_id is not None:
                conn.execute(
                    """INSERT INTO ops.processing_status
                           (run_id, layer, table_name, status, records, started_at, completed_at)
                       VALUES (%s, 'gold', %s, 'succeeded', %s,
                               now() - make_interval(secs => %s), now())""",
                    (run_id, f"gold.{t.table}", changed + deleted, time.perf_counter() - started),
                )
    return stats
