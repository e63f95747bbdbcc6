"""Hostile requests through the API (TestClient, real Postgres): bounded bodies and error answers, ids out of
the 64-bit range, NUL characters, and what public answers must not reveal (server paths, driver errors)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from etl.enrichment.replay import enqueue_replay
from graphsvc.api import create_app
from graphsvc.api.deps import get_store
from graphsvc.errors import GraphUnavailable, InvalidValue
from graphsvc.settings import Settings
from tests.api_fixtures import demo_database

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

KEY = "hardening-key"


@pytest.fixture(scope="module")
def demo(pg_server, tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("hardening-demo")
    return demo_database(pg_server, "api_hardening", folder, tracks=150, seed=4), str(folder)


@pytest.fixture(scope="module")
def client(demo):
    settings = Settings(database_url=demo[0], api_key=KEY, graph_refresh_s=0, db_pool_max=4)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def track_id(client) -> int:
    return client.get("/v1/tracks", params={"q": "a", "limit": 1}).json()["results"][0]["id"]


def _json(body: dict[str, Any]) -> dict[str, Any]:
    return {"content": json.dumps(body).encode(), "headers": {"content-type": "application/json"}}


def test_a_body_over_the_limit_is_413_without_being_read(client):
    body = json.dumps({f"k{i}": 1 for i in range(1_000_000)}).encode()  # 13.9 MB of unknown keys
    r = client.post("/v1/sets", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and len(r.content) < 300
    assert "at most 65536 bytes" in r.json()["detail"]


def test_a_chunked_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(200):
            yield b" " * 1024
    r = client.post("/v1/sets", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_error_answers_are_bounded_whatever_the_body(client):
    keys = {f"k{i}": 1 for i in range(3000)}  # ~30 kB: under the limit, 3000 problems
    r = client.post("/v1/sets", **_json({"start_track_id": 1, **keys}))
    assert r.status_code == 422
    assert len(r.content) < 4000, len(r.content)
    assert "and 2990 more problems" in r.json()["detail"] and len(r.json()["errors"]) == 10
    # a long string is not echoed back
    r = client.post("/v1/sets", **_json({"start_track_id": 1, "energy_curve": "x" * 60_000}))
    assert r.status_code == 422 and len(r.content) < 2000 and "x" * 100 not in r.text


def test_ids_beyond_64_bits_are_422(client):
    too_big = 2**63
    assert client.get(f"/v1/tracks/{too_big}").status_code == 422
    assert client.get(f"/v1/artists/{too_big}").status_code == 422
    assert client.get(f"/v1/tracks/{2**63 - 1}").status_code == 404
    assert client.post("/v1/sets", json={"start_track_id": too_big}).status_code == 422
    r = client.post("/v1/pipeline/replays", headers={"X-API-Key": KEY},
                    json={"fields": ["bpm"], "reason": "x", "track_ids": [too_big]})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("body", [
    {"fields": ["bpm"], "reason": "a\u0000b", "track_ids": [1]},
    {"fields": ["bpm"], "reason": "x", "filter": {"source": "reko\u0000rdbox"}},
    {"fields": ["bpm\u0000"], "reason": "x", "track_ids": [1]},
])
def test_nul_in_a_replay_is_422(client, body):
    r = client.post("/v1/pipeline/replays", headers={"X-API-Key": KEY}, json=body)
    assert r.status_code == 422, r.text
    assert "NUL" in r.json()["detail"]


def test_replay_queue_refuses_what_postgres_cannot_store(demo):
    import psycopg

    with psycopg.connect(demo[0]) as conn:
        with pytest.raises(InvalidValue, match="64-bit"):
            enqueue_replay(conn, fields=["bpm"], reason="x", track_ids=[2**63])
        with pytest.raises(InvalidValue, match="NUL"):
            enqueue_replay(conn, fields=["bpm"], reason="x\x00", track_ids=[1])
        with pytest.raises(InvalidValue, match="NUL"):
            enqueue_replay(conn, fields=["bpm"], reason="x", filter={"source": "a\x00"})


def test_public_answers_show_no_server_paths(client, demo, track_id):
    _, folder = demo
    runs = client.get("/v1/pipeline/runs").text
    assert "demo" in runs and folder not in runs and not re.search(r'"/(tmp|home|work|root)/', runs)
    assert folder not in client.get("/v1/pipeline/status").text
    lineage = client.get(f"/v1/tracks/{track_id}/lineage")
    assert lineage.status_code == 200 and folder not in lineage.text
    files = {e["file"] for e in lineage.json()["set_entries"] + lineage.json()["observations"]}
    assert files and all("/" not in f for f in files)


class _LeakyStore:
    backend = "neo4j"

    def ping(self) -> bool:
        raise GraphUnavailable("Neo4j at neo4j://secret-host:7687 is unavailable: auth user 'admin' refused")

    def __getattr__(self, name: str):
        def fail(*_a, **_k):
            raise GraphUnavailable("Neo4j at neo4j://secret-host:7687 is unavailable")
        return fail


def test_readiness_and_errors_do_not_show_driver_text(client, track_id):
    app = client.app
    app.dependency_overrides[get_store] = lambda: _LeakyStore()
    try:
        ready = client.get("/v1/health/ready")
        assert ready.status_code == 503 and "secret-host" not in ready.text and "admin" not in ready.text
        assert ready.json()["checks"]["graph"].startswith("failed")
        r = client.get(f"/v1/tracks/{track_id}")
        assert r.status_code == 503 and "secret-host" not in r.text
    finally:
        app.dependency_overrides.clear()


def test_admin_job_times_are_iso_8601(client):
    r = client.post("/v1/pipeline/runs", json={"mode": "gold_only"}, headers={"X-API-Key": KEY})
    assert r.status_code == 202
    started = r.json()["started_at"]
    assert isinstance(started, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", started)
    runs = client.get("/v1/pipeline/runs").json()["runs"]
    assert all(isinstance(run["started_at"], str) for run in runs)


def test_one_slow_inline_call_does_not_send_a_route_to_the_pool():
    """A single call over the inline CPU budget is usually the machine (a descheduled virtual CPU), so the
    route stays on the event loop; repeated overruns, or one far over the budget, send it to the pool
    (where the graph timeout applies) for the cooldown."""
    from graphsvc.api.deps import InlinePolicy

    p = InlinePolicy(budget_s=0.025, cooldown_s=60.0, strikes=3, window_s=10.0, hard_factor=4.0)
    p.record("recs", 0.030)
    p.record("recs", 0.010)
    p.record("recs", 0.031)
    assert p.allowed("recs")
    p.record("recs", 0.040)  # the third overrun within 10 s
    assert not p.allowed("recs") and p.allowed("paths")
    p.record("paths", 0.150)  # 6x the budget: at once
    assert not p.allowed("paths")
    q = InlinePolicy(budget_s=0.025, cooldown_s=0.0)
    q.record("recs", 0.2)
    assert q.allowed("recs")  # the cooldown is over
    r = InlinePolicy(budget_s=0.025)
    r.record("recs", 0.03, timeout_s=0.005)  # a graph timeout under the budget is the budget: 6x over
    assert not r.allowed("recs")
