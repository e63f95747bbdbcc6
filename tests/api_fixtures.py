"""Shared by the API tests: a database filled by the demo generator through the real pipeline."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg import sql

from etl.pipeline import Inputs, Pipeline
from graphsvc import demo

TEMPLATE_DB = "graphsvc_template"  # migrated by conftest's pg_server


def demo_database(pg_server: str, name: str, folder: Path, *, tracks: int = 600, seed: int = 11) -> str:
    """Create database ``name`` from the migrated template, load the demo data set into it; its URL."""
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                      sql.Identifier(TEMPLATE_DB)))
    info = psycopg.conninfo.conninfo_to_dict(pg_server)
    info["dbname"] = name
    url = psycopg.conninfo.make_conninfo(**info)
    files = demo.generate(folder, tracks=tracks, seed=seed)
    with psycopg.connect(url) as conn:
        summary = Pipeline(conn).run("complete", Inputs(mixesdb=[files.mixesdb], rekordbox=[files.rekordbox],
                                                        tracklists1001=[files.tracklists1001]))
        assert summary.status == "succeeded"
    return url
