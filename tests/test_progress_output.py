"""What a run shows and reports: progress bars that count what they say (bronze mixes, enrichment tracks,
gold tables, the graph), a readable `etl status`, and collaboration years."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from etl.pipeline import Inputs, Pipeline

ROOT = Path(__file__).resolve().parents[1]


class Bars:
    """A progress factory that records every bar: description -> [total, advanced]."""

    def __init__(self) -> None:
        self.bars: dict[str, list] = {}

    def __call__(self, description: str, total: int | None):
        bar = self.bars.setdefault(description, [total, 0])

        def advance(n: int) -> None:
            assert n >= 0
            bar[1] += n
        return advance


def test_bars_count_what_they_say(pg_url, mixesdb_file):
    bars = Bars()
    with psycopg.connect(pg_url) as conn:
        Pipeline(conn, progress=bars).run("complete", Inputs(mixesdb=[mixesdb_file]))
        tracks = conn.execute("SELECT count(*) FROM silver.track").fetchone()[0]
    bronze = bars.bars[f"bronze mixesdb {mixesdb_file.name}"]
    assert bronze[1] == 4448, bronze  # was 14448: running totals added up as steps
    total, done = bars.bars["enrichment tracks"]
    assert done == total == tracks, (done, total)  # was 112000/71341
    total, done = bars.bars["gold tables"]
    assert total and done == total
    graph = next(v for k, v in bars.bars.items() if k.startswith("graph "))
    assert graph[0] and graph[1] == graph[0]


def test_status_table_has_no_dicts_in_cells(pg_url, shared_data, tmp_path):
    env = {**os.environ, "DATABASE_URL": pg_url, "GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    csv = shared_data / "1001tracklists" / "cosmic_gate_example.csv"
    assert subprocess.run([sys.executable, "-m", "etl.cli", "run", "--1001tracklists", str(csv)], env=env, cwd=ROOT,
                          capture_output=True, timeout=300).returncode == 0
    res = subprocess.run([sys.executable, "-m", "etl.cli", "status"], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "{" not in res.stdout and "validation: " in res.stdout, res.stdout


def test_collaboration_years_come_from_release_or_first_play(pg_url, tmp_path):
    from etl.importers import ingest_mixesdb

    mixes = tmp_path / "years.json"
    mixes.write_text(
        '[{"id": "y1", "title": "2009-05-01 - DJ One @ Club A", "tracklist": ['
        '{"id": null, "title": "[00] Nova Quill & Ferro Lark - First Light [Test - T1]"},'
        '{"id": null, "title": "[05] Nova Quill - Alone [Test - T2]"}]},'
        '{"id": "y2", "title": "2014-02-01 - DJ Two @ Club B", "tracklist": ['
        '{"id": null, "title": "[00] Ferro Lark & Nova Quill - Second Light [Test - T3]"},'
        '{"id": null, "title": "[05] Nova Quill & Ferro Lark - First Light [Test - T1]"}]}]')
    with psycopg.connect(pg_url) as conn:
        ingest_mixesdb(conn, mixes)
        Pipeline(conn).run("complete")
        rows = conn.execute(
            """SELECT c.weight, c.first_year, c.last_year FROM gold.collaborated_with c
               JOIN gold.artist a ON a.id = c.a_id JOIN gold.artist b ON b.id = c.b_id
               WHERE {a.name, b.name} = {'Nova Quill', 'Ferro Lark'}""".replace(
                "{a.name, b.name} = {'Nova Quill', 'Ferro Lark'}",
                "ARRAY[least(a.name, b.name), greatest(a.name, b.name)] = ARRAY['Ferro Lark', 'Nova Quill']"),
        ).fetchall()
    assert rows == [(2, 2009, 2014)], rows
