"""The real MixesDB file through bronze and silver: accounting, idempotency, crash safety, CLI status.

One database is filled once per module (the real file takes a few seconds); tests that change data
get their own database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from etl.checksum import table_checksums
from etl.pipeline import Inputs, run_pipeline

pytestmark = pytest.mark.slow

DATA_SCHEMAS = ("bronze", "silver", "enrichment", "gold")


def _etl(args: list[str], db_url: str, tmp_path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url, "GRAPHSVC_DATA_DIR": str(tmp_path / "data")}
    env.update(kwargs.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "etl.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600, **kwargs)


@pytest.fixture(scope="module")
def loaded(database_factory, mixesdb_file):
    """A database with the real MixesDB file through the complete pipeline (bronze to gold)."""
    url = database_factory("mixesdb")
    with psycopg.connect(url) as conn:
        summary = run_pipeline(conn, "complete", Inputs(mixesdb=[mixesdb_file]))
    assert summary.status == "succeeded"
    return url


def test_status_json_reports_the_real_file(loaded, tmp_path):
    res = _etl(["status", "--json"], loaded, tmp_path)
    assert res.returncode == 0, res.stderr
    st = json.loads(res.stdout)
    assert st["bronze"]["mixes"] == 4448
    assert st["bronze"]["entries"] == 90862
    silver = st["silver"]
    assert silver["mixes"] == 4448
    assert silver["unprocessed_records"] == 0
    # every entry is accounted for
    assert silver["entries"] + silver["gaps"] + silver["rejects"] == 90862
    assert silver["entries"] > 80_000
    assert 50 < silver["gaps"] < 1_000  # the dataset kept mostly identified tracks
    assert 20_000 < silver["tracks"] < silver["entries"]
    assert 10_000 < silver["artists"] < silver["tracks"]
    assert st["runs"][0]["status"] == "succeeded"


def test_every_bronze_entry_lands_in_exactly_one_place(loaded):
    with psycopg.connect(loaded) as conn:
        rows = conn.execute(
            """WITH items AS (
                   SELECT r.record_id, (e.ord - 1)::int AS item_index
                   FROM bronze.raw_record r, jsonb_array_elements(r.payload->'tracklist') WITH ORDINALITY e(v, ord)
                   WHERE r.source = 'mixesdb'),
               places AS (
                   SELECT record_id, item_index, 'entry' AS place FROM silver.set_entry
                   UNION ALL SELECT record_id, item_index, 'gap' FROM silver.set_gap
                   UNION ALL SELECT record_id, item_index, 'reject' FROM silver.reject WHERE item_index >= 0)
               SELECT count(*) FILTER (WHERE n = 0) AS lost, count(*) FILTER (WHERE n > 1) AS doubled,
                      count(*) AS items
               FROM (SELECT i.record_id, i.item_index, count(p.place) AS n
                     FROM items i LEFT JOIN places p USING (record_id, item_index)
                     GROUP BY 1, 2) x"""
        ).fetchone()
        orphans = conn.execute(
            """SELECT count(*) FROM (SELECT record_id, item_index FROM silver.set_entry
                   UNION ALL SELECT record_id, item_index FROM silver.set_gap) p
               WHERE NOT EXISTS (SELECT 1 FROM bronze.raw_record r WHERE r.record_id = p.record_id)"""
        ).fetchone()[0]
    lost, doubled, items = rows
    assert items == 90862
    assert (lost, doubled, orphans) == (0, 0, 0)


def test_known_facts_of_the_real_data(loaded):
    with psycopg.connect(loaded) as conn:
        # a famous duo name survives credit splitting, and a real collaboration is split
        credits = conn.execute(
            """SELECT DISTINCT a.name_key FROM silver.set_entry e JOIN silver.track_artist ta USING (track_id)
               JOIN silver.artist a USING (artist_id)
               WHERE ta.role = 'primary' AND e.raw_title ~ '^(\\[[^]]*\\] )?Above & Beyond - '""").fetchall()
        assert credits == [("above and beyond",)]
        split = conn.execute(
            """SELECT array_agg(a.name_key ORDER BY ta.position) FROM silver.set_entry e
               JOIN silver.track_artist ta USING (track_id) JOIN silver.artist a USING (artist_id)
               WHERE ta.role = 'primary' AND e.raw_title ~ '^(\\[[^]]*\\] )?Sasha & James Teej - '
               GROUP BY e.track_id LIMIT 1""").fetchone()
        assert split == (["sasha", "james teej"],)
        # the first mix: date, DJ, and its first entry with cue and label
        s = conn.execute(
            """SELECT s.set_date, s.date_precision, s.dj_display, e.cue, t.title
               FROM silver.dj_set s JOIN silver.set_entry e USING (set_id) JOIN silver.track t USING (track_id)
               WHERE s.source_key = 'mix0000' ORDER BY e.position LIMIT 1""").fetchone()
        assert str(s[0]) == "1988-06-01" and s[1] == "month" and s[2] == "Paul Oakenfold"
        assert s[3] == "00" and s[4] == "Mysteries Of The East"
        # canonical artist names are unique and every alias points to an existing artist
        assert conn.execute(
            "SELECT count(*) - count(DISTINCT canonical_name) FROM silver.artist").fetchone()[0] == 0
        # the same track played in many mixes is one silver track
        top = conn.execute(
            "SELECT count(*) FROM silver.set_entry GROUP BY track_id ORDER BY 1 DESC LIMIT 1").fetchone()[0]
        assert top >= 15


def test_running_any_mode_twice_changes_nothing(loaded, mixesdb_file, tmp_path):
    with psycopg.connect(loaded) as conn:
        before = table_checksums(conn, DATA_SCHEMAS)
        for mode in ("bronze_only", "silver_only", "gold_only", "complete"):
            run_pipeline(conn, mode, Inputs(mixesdb=[mixesdb_file]))
            after = table_checksums(conn, DATA_SCHEMAS)
            changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
            assert not changed, f"mode {mode} changed {changed}"


def test_sigkill_halfway_then_rerun_equals_uninterrupted(database_factory, pg_url, mixesdb_file, tmp_path):
    """Kill a real `etl run` subprocess with SIGKILL in the middle of silver, run it again, and compare
    with an uninterrupted run on a second database: same rows, same content."""
    # database A: ingest, then a silver run killed halfway, then a rerun
    assert _etl(["ingest", "mixesdb", str(mixesdb_file)], pg_url, tmp_path).returncode == 0
    env = {"GRAPHSVC_ETL_CHUNK_RECORDS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "etl.cli", "run", "--mode", "silver_only"],
        env={**os.environ, "DATABASE_URL": pg_url, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed_at = None
    deadline = time.monotonic() + 300
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while time.monotonic() < deadline and proc.poll() is None:
            done = conn.execute("SELECT count(*) FROM silver.processed_record").fetchone()[0]
            if done >= 1500:
                workers = _children(proc.pid)  # the entry-parsing processes (etl.parsepool)
                proc.send_signal(signal.SIGKILL)
                killed_at = done
                break
            time.sleep(0.01)
    proc.wait(timeout=60)
    assert killed_at is not None and proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert workers, "a run over the real file parses in worker processes"
    deadline = time.monotonic() + 10
    while [w for w in workers if _alive(w)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "parse workers outlived the killed run"
    with psycopg.connect(pg_url) as conn:
        partial = conn.execute("SELECT count(*) FROM silver.processed_record").fetchone()[0]
        assert 1500 <= partial < 4448
        assert conn.execute("SELECT status FROM ops.run ORDER BY run_id DESC LIMIT 1").fetchone()[0] == "running"
    res = _etl(["run", "--mode", "silver_only"], pg_url, tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    with psycopg.connect(pg_url) as conn:  # the rerun marked the killed run as interrupted
        (killed, killed_error), (_, rerun_error) = conn.execute(
            "SELECT status, error FROM ops.run WHERE mode = 'silver_only' ORDER BY run_id").fetchall()
        assert killed == "failed" and killed_error.startswith("interrupted: the process ended")
        assert rerun_error is None

    # database B: the same, uninterrupted
    url_b = database_factory("uninterrupted")
    assert _etl(["ingest", "mixesdb", str(mixesdb_file)], url_b, tmp_path).returncode == 0
    assert _etl(["run", "--mode", "silver_only"], url_b, tmp_path, env=env).returncode == 0
    with psycopg.connect(pg_url) as a, psycopg.connect(url_b) as b:
        sums_a = table_checksums(a, ("bronze", "silver", "enrichment"))
        sums_b = table_checksums(b, ("bronze", "silver", "enrichment"))
    assert sums_a["silver.set_entry"][0] > 80_000
    diff = {t: (sums_a[t], sums_b.get(t)) for t in sums_a if sums_a[t] != sums_b.get(t)}
    assert not diff, f"killed+resumed differs from uninterrupted: {diff}"


def test_ctrl_c_stops_a_run_with_a_message_and_marks_it_failed(database_factory, mixesdb_file, tmp_path):
    """Ctrl-C reaches the whole process group, parse workers included: one message, exit 130, the run
    marked failed, no process left behind."""
    url = database_factory("ctrl_c")
    assert _etl(["ingest", "mixesdb", str(mixesdb_file)], url, tmp_path).returncode == 0
    # as from a terminal: Ctrl-C's default action, even when the suite itself was started in the
    # background of a script (POSIX shells start those with SIGINT ignored, and children inherit that)
    proc = subprocess.Popen(
        [sys.executable, "-m", "etl.cli", "run", "--mode", "silver_only"], start_new_session=True,
        env={**os.environ, "DATABASE_URL": url, "GRAPHSVC_ETL_CHUNK_RECORDS": "100"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 120
        while conn.execute("SELECT count(*) FROM silver.processed_record").fetchone()[0] < 500:
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be stopped"
            time.sleep(0.01)
    workers = _children(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "interrupted: the run is marked failed" in out and "Traceback" not in out, out
    assert workers and not [w for w in workers if _alive(w)]
    with psycopg.connect(url) as conn:
        status, error = conn.execute("SELECT status, error FROM ops.run ORDER BY run_id DESC LIMIT 1").fetchone()
    assert status == "failed" and error.startswith("KeyboardInterrupt")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out.extend(int(c) for c in f.read().split())
    return out


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------- the graph on the real data


@pytest.fixture(scope="module")
def real_store(loaded):
    from graphsvc.graph.embedded import EmbeddedStore

    with psycopg.connect(loaded) as conn:
        store = EmbeddedStore.from_gold(conn)
    yield store
    store.close()


def test_reconcile_reports_zero_drift_on_the_real_data(loaded, real_store, tmp_path):
    from etl.reconcile import reconcile

    with psycopg.connect(loaded) as conn:
        drifts = reconcile(conn, real_store)
        gold_tracks = conn.execute("SELECT count(*) FROM gold.track").fetchone()[0]
    assert gold_tracks > 60_000
    assert [d for d in drifts if d.drifted] == []
    assert {d.kind for d in drifts} >= {"Track", "Artist", "Set", "Key", "TRANSITIONS_TO", "COLLABORATED_WITH"}
    res = _etl(["reconcile"], loaded, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_collaboration_network_and_a_three_hop_path_on_the_real_data(loaded, real_store):
    with psycopg.connect(loaded) as conn:
        # the artist with the most distinct collaborators in gold
        (ego,) = conn.execute(
            """SELECT id FROM (SELECT a_id AS id FROM gold.collaborated_with
                               UNION ALL SELECT b_id FROM gold.collaborated_with) x
               GROUP BY id ORDER BY count(*) DESC, id LIMIT 1""").fetchone()
    net = real_store.collaboration_network(ego, depth=1, limit=500)
    assert len(net.nodes) >= 10
    assert net.edges and all(e.properties["weight"] >= 1 for e in net.edges)
    assert net.nodes[0].properties["id"] == ego

    # an artist three hops away: from a less connected start, whose depth-3 network is not cut by the limit
    with psycopg.connect(loaded) as conn:
        starts = [r[0] for r in conn.execute(
            """SELECT id FROM (SELECT a_id AS id FROM gold.collaborated_with
                               UNION ALL SELECT b_id FROM gold.collaborated_with) x
               GROUP BY id HAVING count(*) BETWEEN 2 AND 4 ORDER BY id LIMIT 200""")]
    start = target = None
    for start in starts:
        wide = real_store.collaboration_network(start, depth=3, limit=500)
        three = [n.properties["id"] for n in wide.nodes if n.properties["hops"] == 3]
        if three:
            target = three[0]
            break
    assert target is not None, "no pair of artists three hops apart"
    paths = real_store.collaboration_paths(start, target, k=3, max_hops=6)
    assert paths and len(paths[0]) - 1 == 3
    assert paths[0][0]["artist"]["id"] == start and paths[0][-1]["artist"]["id"] == target
    assert all(step["weight_to_next"] >= 1 for step in paths[0][:-1])
    assert [len(p) for p in paths] == sorted(len(p) for p in paths)
