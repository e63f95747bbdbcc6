"""``graphsvc demo``: the generator is deterministic and realistic; the command loads data and prints examples."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path

import psycopg

from graphsvc import demo, harmonic

ROOT = Path(__file__).resolve().parents[1]


def test_generator_is_deterministic(tmp_path):
    a = demo.generate(tmp_path / "a", tracks=300, seed=4)
    b = demo.generate(tmp_path / "b", tracks=300, seed=4)
    c = demo.generate(tmp_path / "c", tracks=300, seed=5)
    for name in ("mixesdb", "rekordbox", "tracklists1001"):
        assert getattr(a, name).read_bytes() == getattr(b, name).read_bytes()
    assert a.mixesdb.read_bytes() != c.mixesdb.read_bytes()


def test_generator_is_realistic():
    data = demo.build(2000, seed=7)
    assert len(data.tracks) == 2000 and len(data.artists) == 400
    assert 140 <= len(data.mixes) <= 160
    sizes = [len(m["tracklist"]) for m in data.mixes]
    assert min(sizes) >= 12 and max(sizes) <= 25
    # power law: the top 10% of artists hold far more than 10% of primary credits
    credits = Counter(a for t in data.tracks for a in t.primary)
    top = sum(n for _, n in credits.most_common(len(data.artists) // 10))
    assert top / sum(credits.values()) > 0.3
    for t in data.tracks:
        lo, hi = demo.GENRES[t.genre]
        assert lo <= t.bpm <= hi
    assert sum(t.featured is not None for t in data.tracks) > 100
    assert sum(t.remixer is not None for t in data.tracks) > 150
    assert sum(len(t.primary) > 1 for t in data.tracks) > 100
    # transitions: mostly compatible keys and small BPM steps
    by_title = {f"{t.artist_text(data.artists)} - {t.title_text()}": t for t in data.tracks}
    pairs = compatible = small = 0
    for m in data.mixes:
        seq = [by_title.get(re.sub(r"^\[\d+\] ", "", i["title"]).rsplit(" [", 1)[0]) for i in m["tracklist"]]
        for x, y in pairwise(seq):
            if x is None or y is None:
                continue
            pairs += 1
            compatible += harmonic.classify_move(x.key, y.key) in harmonic.STRICTNESS["normal"]
            small += abs(x.bpm - y.bpm) / x.bpm <= 0.06
    assert pairs > 1500 and compatible / pairs > 0.75 and small / pairs > 0.9
    gaps = sum(i["title"].endswith("ID - ID") for m in data.mixes for i in m["tracklist"])
    assert gaps > 20
    assert 0.55 <= len(data.rekordbox_tracks) / len(data.tracks) <= 0.65


def _demo(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, int, int]:
    proc = subprocess.run([sys.executable, "-m", "graphsvc.cli", "demo", "--no-serve", "--port", "8123", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("API: http://127.0.0.1:8123/v1")
    curls = [line for line in lines if line.startswith("curl 'http://127.0.0.1:8123/v1/")]
    assert len(curls) == 3
    track_id = int(re.search(r"/v1/tracks/(\d+)/recommendations", curls[0]).group(1))
    artist_id = int(re.search(r"/v1/artists/(\d+)/collaborations", curls[1]).group(1))
    return proc, track_id, artist_id


def test_demo_command_loads_its_own_database_and_prints_examples(pg_env, mixesdb_file, tmp_path):
    """The demo loads into a database of its own (emptied each time), never the user's: after the generated
    demo and then a real-data one, the user's database is still empty and the examples are real tracks."""
    env = {**os.environ, "GRAPHSVC_DEMO_DATABASE_NAME": f"demo_{os.getpid()}"}
    env.pop("NEO4J_URI", None)
    demo_url = psycopg.conninfo.make_conninfo(pg_env, dbname=env["GRAPHSVC_DEMO_DATABASE_NAME"])
    _, track_id, artist_id = _demo("--tracks", "300", env=env)
    with psycopg.connect(demo_url) as conn:
        assert conn.execute("SELECT count(*) FROM gold.track").fetchone()[0] > 150
        assert conn.execute("SELECT count(*) FROM gold.set").fetchone()[0] >= 20
        assert conn.execute("SELECT 1 FROM gold.track WHERE id = %s", (track_id,)).fetchone()
        assert conn.execute("SELECT 1 FROM gold.artist WHERE id = %s", (artist_id,)).fetchone()
        sources = dict(conn.execute("SELECT source, count(*) FROM bronze.raw_record GROUP BY 1").fetchall())
        assert set(sources) == {"mixesdb", "rekordbox", "1001tracklists"}
        run = conn.execute("SELECT mode, status FROM ops.run ORDER BY run_id DESC LIMIT 1").fetchone()
        assert run == ("complete", "succeeded")

    real = tmp_path / "real-subset.json"
    real.write_text(json.dumps(json.loads(gzip.decompress(mixesdb_file.read_bytes()))[:60]))
    _, real_track, _ = _demo("--mixesdb", str(real), env=env)
    with psycopg.connect(demo_url) as conn:
        sources = dict(conn.execute("SELECT source, count(*) FROM bronze.raw_record GROUP BY 1").fetchall())
        assert sources == {"mixesdb": 60}, sources  # the generated data is gone
        (title,) = conn.execute("SELECT title FROM gold.track WHERE id = %s", (real_track,)).fetchone()
        assert title.lower() in real.read_text().lower()
    with psycopg.connect(pg_env) as conn:  # the user's own database: untouched by both demos
        assert conn.execute("SELECT count(*) FROM bronze.raw_record").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM ops.run").fetchone()[0] == 0
