"""Popularity and trend: /v1/charts on real mixes; the training-data export (etl export transitions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from fastapi.testclient import TestClient

from graphsvc.api import create_app
from graphsvc.settings import Settings


@pytest.fixture(scope="module")
def client(real_gold, tmp_path_factory):
    url, _ = real_gold
    app = create_app(Settings(database_url=url, graph_refresh_s=0, data_dir=tmp_path_factory.mktemp("d")))
    with TestClient(app) as c:
        yield c


def test_charts_on_real_mixes(client, real_gold):
    _, store = real_gold
    body = client.get("/v1/charts", params={"limit": 15}).json()
    top = body["top_tracks"]
    assert len(top) == 15 and [t["rank"] for t in top] == list(range(1, 16))
    assert [(t["plays"], t["djs"]) for t in top] == sorted(((t["plays"], t["djs"]) for t in top), reverse=True)
    assert top[0]["plays"] == max(t.plays for t in store.tracks.values())
    assert body["as_of"] == str(max(s["date"] for s in store.sets.values() if s["date"]))
    trending = body["trending_tracks"]
    assert trending and all(t["plays_recent"] >= body["trending_min_recent_plays"]["tracks"] for t in trending)
    assert [t["trend"] for t in trending] == sorted((t["trend"] for t in trending), reverse=True)
    assert trending[0]["trend"] > 0
    artists = body["top_artists"]
    assert artists and [a["plays"] for a in artists] == sorted((a["plays"] for a in artists), reverse=True)

    recent = client.get("/v1/charts", params={"window": "recent", "limit": 10}).json()["top_tracks"]
    assert [t["plays_recent"] for t in recent] == sorted((t["plays_recent"] for t in recent), reverse=True)
    assert recent[0]["plays_recent"] == max(t.plays_recent for t in store.tracks.values())

    techno = client.get("/v1/charts", params={"genre": "techno", "limit": 30}).json()
    assert techno["top_tracks"]
    for t in techno["top_tracks"] + techno["trending_tracks"]:
        assert "techno" in {g.casefold() for g in t["scene_genres"] + t["genres"]}
    assert client.get("/v1/charts", params={"genre": "Polka"}).json()["top_tracks"] == []
    assert client.get("/v1/charts", params={"window": "decade"}).status_code == 422
    assert client.get("/v1/charts", params={"limit": 501}).status_code == 422


def _etl(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl.cli", *args], capture_output=True, text=True, env=env,
                          timeout=900, check=False)


def test_export_transitions_parquet_and_csv(real_gold, tmp_path):
    import pyarrow.parquet as pq

    from graphsvc.recommend.features import FEATURES
    from graphsvc.recommend.history import as_of
    from graphsvc.recommend.service import candidates
    from graphsvc.recommend.train import TRAINING_CONSTRAINTS, split_by_date_fraction

    url, store = real_gold
    env = {**os.environ, "DATABASE_URL": url, "GRAPHSVC_DATA_DIR": str(tmp_path / "d")}
    out = tmp_path / "pairs.parquet"
    r = _etl("export", "transitions", "--format", "parquet", str(out), env=env)
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    table = pq.read_table(out).to_pylist()
    assert stats["rows"] == len(table) > 0
    assert set(stats["queries"]) == {"train", "validation"} and all(stats["queries"].values())
    cols = set(table[0])
    assert {"split", "source_id", "target_id", "candidate_id", "label", "answer_in_candidates"} <= cols
    assert set(FEATURES) <= cols
    per_query: dict = {}
    for row in table:
        per_query.setdefault((row["split"], row["cut"], row["query"]), []).append(row)
    for rows in per_query.values():
        assert sum(r["label"] for r in rows) == (1 if rows[0]["answer_in_candidates"] else 0)
    # train queries all come before the validation sets
    last_train = max(r["held_to"] for r in table if r["split"] == "train")
    first_val = min(r["held_from"] for r in table if r["split"] == "validation")
    assert last_train <= first_val
    # a validation row carries the served features of that pair on the graph before the validation sets
    row = next(r for r in table if r["split"] == "validation" and r["label"] == 1)
    train_sets, _ = split_by_date_fraction(store, 0.2)
    _, cands = candidates(as_of(store, train_sets), row["source_id"], TRAINING_CONSTRAINTS)
    x = cands.X[cands.ids.index(row["candidate_id"])]
    assert np.allclose(x, [row[f] for f in FEATURES])

    csv_out = tmp_path / "pairs.csv"
    r = _etl("export", "transitions", "--format", "csv", str(csv_out), env=env)
    assert r.returncode == 0, r.stderr
    assert csv_out.read_text().count("\n") == len(table) + 1
    bad = _etl("export", "transitions", "--format", "xlsx", str(tmp_path / "x"), env=env)
    assert bad.returncode == 2 and "parquet" in bad.stderr
