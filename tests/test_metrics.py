"""GET /metrics: Prometheus text with request counts and latencies per route template, graph size and the
pipeline figures from Postgres; a scrape costs no query."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from graphsvc.api import create_app
from graphsvc.settings import Settings
from tests.api_fixtures import demo_database

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client(pg_server, tmp_path_factory):
    url = demo_database(pg_server, "api_metrics", tmp_path_factory.mktemp("metrics-demo"), tracks=120, seed=6)
    with TestClient(create_app(Settings(database_url=url, graph_refresh_s=0, metrics_refresh_s=3600))) as c:
        yield c


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_show_requests_graph_and_pipeline(client):
    track = client.get("/v1/tracks", params={"q": "a", "limit": 1}).json()["results"][0]["id"]
    for _ in range(3):
        assert client.get(f"/v1/tracks/{track}").status_code == 200
    assert client.get("/v1/tracks/1").status_code == 404
    assert client.get("/no/such/path").status_code == 404
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    s = _samples(r.text)
    route = (("method", "GET"), ("route", "/v1/tracks/{track_id}"), ("status", "200"))
    assert s[("graphsvc_http_requests_total", route)] == 3
    assert s[("graphsvc_http_requests_total", (("method", "GET"), ("route", "/v1/tracks/{track_id}"),
                                               ("status", "404")))] == 1
    assert s[("graphsvc_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    assert s[("graphsvc_http_request_duration_seconds_count",
              (("method", "GET"), ("route", "/v1/tracks/{track_id}")))] == 4
    assert not any(str(track) in name or any(str(track) in v for _, v in labels) for name, labels in s)
    assert s[("graphsvc_graph_nodes", (("label", "Track"),))] > 50
    assert s[("graphsvc_graph_relationships", (("type", "TRANSITIONS_TO"),))] > 0
    assert s[("graphsvc_pipeline_metrics_up", ())] == 1
    assert s[("graphsvc_pipeline_runs_total",
              (("kind", "pipeline"), ("mode", "complete"), ("status", "succeeded")))] == 1
    assert s[("graphsvc_pipeline_last_success_timestamp_seconds", (("mode", "complete"),))] > 1.7e9
    assert s[("graphsvc_layer_rows", (("layer", "bronze"), ("table", "raw_record")))] > 0
    assert s[("graphsvc_layer_rows", (("layer", "gold"), ("table", "track")))] \
        == s[("graphsvc_graph_nodes", (("label", "Track"),))]
    assert ("graphsvc_layer_rejects", (("layer", "silver"),)) in s


def test_a_scrape_runs_no_query(client):
    app = client.app
    pool = app.state.api.pool
    before = pool.get_stats().get("requests_num", 0)
    for _ in range(5):
        assert client.get("/metrics").status_code == 200
    assert pool.get_stats().get("requests_num", 0) == before
    assert re.search(r'^graphsvc_http_requests_total\{method="GET",route="/metrics",status="200"\} [5-9]',
                     client.get("/metrics").text, re.M)
