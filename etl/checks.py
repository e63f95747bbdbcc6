"""Referential integrity of silver, checked in bulk (the link tables carry no per-row FK triggers)."""

from __future__ import annotations

import psycopg

from etl.identity import LIBRARY_ONLY_PREFIX
from graphsvc.pg import fetch_one

# (description, query counting offending rows)
_CHECKS: tuple[tuple[str, str], ...] = (
    ("set entries pointing to a missing set",
     "SELECT count(*) FROM silver.set_entry e"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.dj_set s WHERE s.set_id = e.set_id)"),
    ("set entries pointing to a missing track",
     "SELECT count(*) FROM silver.set_entry e"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.track t WHERE t.track_id = e.track_id)"),
    ("gaps pointing to a missing set",
     "SELECT count(*) FROM silver.set_gap g"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.dj_set s WHERE s.set_id = g.set_id)"),
    ("mashup components pointing to a missing track",
     "SELECT count(*) FROM silver.mashup_component m"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.track t WHERE t.track_id = m.track_id)"),
    ("credits pointing to a missing track",
     "SELECT count(*) FROM silver.track_artist x"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.track t WHERE t.track_id = x.track_id)"),
    ("credits pointing to a missing artist",
     "SELECT count(*) FROM silver.track_artist x"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.artist a WHERE a.artist_id = x.artist_id)"),
    ("set DJs pointing to a missing artist",
     "SELECT count(*) FROM silver.set_dj x"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.artist a WHERE a.artist_id = x.artist_id)"),
    ("aliases pointing to a missing artist",
     "SELECT count(*) FROM silver.artist_alias x"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.artist a WHERE a.artist_id = x.artist_id)"),
    ("track aliases pointing to a missing track",
     "SELECT count(*) FROM silver.track_alias x"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.track t WHERE t.track_id = x.track_id)"),
    ("identifiers pointing to a missing track",
     "SELECT count(*) FROM silver.track_identifier x"
     " WHERE NOT EXISTS (SELECT 1 FROM silver.track t WHERE t.track_id = x.track_id)"),
    ("observations pointing to a missing track",
     "SELECT count(*) FROM silver.observation o"
     " WHERE o.track_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM silver.track t WHERE t.track_id = o.track_id)"),
    ("tracks without a primary artist (other than DJ-library tracks that name none anywhere)",
     "SELECT count(*) FROM silver.track t"
     f" WHERE t.track_key NOT LIKE '{LIBRARY_ONLY_PREFIX}%'"
     " AND NOT EXISTS (SELECT 1 FROM silver.track_artist x WHERE x.track_id = t.track_id AND x.role = 'primary')"),
    ("enrichment attempts of a missing run",
     "SELECT count(*) FROM enrichment.attempt_log a"
     " WHERE NOT EXISTS (SELECT 1 FROM ops.run r WHERE r.run_id = a.run_id)"),
    ("enrichment attempts of a missing plan",
     "SELECT count(*) FROM enrichment.attempt_log a WHERE a.plan_id IS NOT NULL"
     " AND NOT EXISTS (SELECT 1 FROM enrichment.attempt_plan p WHERE p.plan_id = a.plan_id)"),
    ("field history of a missing run",
     "SELECT count(*) FROM enrichment.field_history h"
     " WHERE NOT EXISTS (SELECT 1 FROM ops.run r WHERE r.run_id = h.run_id)"),
    ("silver rows from a missing bronze record",
     "SELECT count(*) FROM silver.processed_record p"
     " WHERE NOT EXISTS (SELECT 1 FROM bronze.raw_record r WHERE r.record_id = p.record_id)"),
)


def integrity_problems(conn: psycopg.Connection) -> dict[str, int]:
    """``{problem: offending rows}`` for every check that fails; empty when silver is consistent."""
    out = {}
    for what, query in _CHECKS:
        (n,) = fetch_one(conn.execute(query))
        if n:
            out[what] = n
    conn.commit()
    return out
