"""The HTTP API through FastAPI's TestClient, on a real Postgres filled by the demo generator."""

from __future__ import annotations

import math
import time
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from etl.importers import ingest_mixesdb
from graphsvc import harmonic
from graphsvc.api import create_app
from graphsvc.api.deps import get_store
from graphsvc.errors import GraphUnavailable
from graphsvc.settings import Settings
from tests.api_fixtures import demo_database

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

KEY = "test-admin-key"


@pytest.fixture(scope="module")
def demo_url(pg_server, tmp_path_factory) -> str:
    return demo_database(pg_server, "api_demo", tmp_path_factory.mktemp("demo"))


def _settings(url: str, **kw: Any) -> Settings:
    base = {"database_url": url, "api_key": KEY, "graph_refresh_s": 0, "db_pool_max": 4}
    base.update(kw)
    return Settings(**base)


@pytest.fixture(scope="module")
def app(demo_url):
    return create_app(_settings(demo_url))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def ids(demo_url) -> dict[str, Any]:
    with psycopg.connect(demo_url) as conn:
        track = conn.execute("""SELECT id FROM gold.track WHERE camelot IS NOT NULL AND bpm IS NOT NULL
                                ORDER BY plays DESC, id LIMIT 1""").fetchone()[0]
        artist, other = conn.execute(
            "SELECT a_id, b_id FROM gold.collaborated_with ORDER BY weight DESC, a_id, b_id LIMIT 1").fetchone()
        hub = conn.execute("""SELECT a FROM (SELECT a_id a FROM gold.collaborated_with UNION ALL
                                             SELECT b_id FROM gold.collaborated_with) x
                              GROUP BY a ORDER BY count(*) DESC, a LIMIT 1""").fetchone()[0]
        dj_set = conn.execute(
            "SELECT id FROM gold.set WHERE source = 'mixesdb' ORDER BY tracks DESC, id LIMIT 1").fetchone()[0]
        rb_track = conn.execute(
            """SELECT t.id FROM gold.track t WHERE EXISTS (SELECT 1 FROM silver.observation o
                   WHERE o.track_id = t.id AND o.source = 'rekordbox')
               AND EXISTS (SELECT 1 FROM silver.set_entry e JOIN bronze.raw_record r ON r.record_id = e.record_id
                   WHERE e.track_id = t.id AND r.source = 'mixesdb')
               ORDER BY t.plays DESC, t.id LIMIT 1""").fetchone()[0]
    # as the API writes ids: decimal strings (graphsvc.api.ids)
    return {k: str(v) for k, v in {"track": track, "artist": artist, "other": other, "hub": hub, "set": dj_set,
                                  "rb_track": rb_track}.items()}


# --- health, OpenAPI --------------------------------------------------------------------------------
def test_health(client):
    assert client.get("/v1/health/live").json()["status"] == "ok"
    r = client.get("/v1/health/ready")
    assert r.status_code == 200
    assert r.json()["checks"] == {"postgres": "ok", "graph": "ok", "graph_backend": "embedded"}


def test_openapi_shows_bounds_and_examples(client):
    spec = client.get("/openapi.json").json()
    for path in ("/v1/tracks/{track_id}/recommendations", "/v1/artists/{artist_id}/collaborations",
                 "/v1/tracks/{a}/harmonic-path/{b}", "/v1/sets", "/v1/camelot/{code}", "/v1/tracks/{track_id}/lineage",
                 "/v1/pipeline/runs", "/v1/pipeline/replays", "/v1/health/ready"):
        assert path in spec["paths"], path
    params = {p["name"]: p for p in spec["paths"]["/v1/artists/{artist_id}/collaborations"]["get"]["parameters"]}
    assert params["depth"]["schema"]["maximum"] == 3 and params["limit"]["schema"]["maximum"] == 500
    fmt = params["format"]["schema"]
    if "$ref" in fmt:
        fmt = spec["components"]["schemas"][fmt["$ref"].rsplit("/", 1)[1]]
    assert set(fmt["enum"]) == {"json", "d3", "cytoscape", "graphology"}
    assert "examples" in spec["components"]["schemas"]["RecommendationsOut"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


# --- tracks and artists ------------------------------------------------------------------------------
def test_search_and_get(client, ids):
    track = client.get(f"/v1/tracks/{ids['track']}").json()
    word = track["title"].split()[0]
    r = client.get("/v1/tracks", params={"q": word.lower(), "limit": 5})
    assert r.status_code == 200
    results = r.json()["results"]
    assert 1 <= len(results) <= 5
    assert all(word.lower() in (x["artists"] + " " + x["title"]).lower() for x in results)
    artist = client.get(f"/v1/artists/{ids['artist']}").json()
    found = client.get("/v1/artists", params={"q": artist["name"]}).json()["results"]
    assert found[0]["id"] == ids["artist"] and found[0]["match"] == "exact"


def test_search_errors(client):
    assert client.get("/v1/tracks").status_code == 422
    r = client.get("/v1/tracks", params={"q": "  !!  "})
    assert r.status_code == 422 and "letter or digit" in r.json()["detail"]
    r = client.get("/v1/artists", params={"q": "a", "limit": 501})
    assert r.status_code == 422 and "limit" in r.json()["detail"]


def test_artist_aliases(client, ids):
    a = ids["hub"]
    body = client.get(f"/v1/artists/{a}/aliases").json()
    artist = client.get(f"/v1/artists/{a}").json()
    assert body["artist_id"] == a and body["name"] == artist["name"]
    spellings = [x["spelling"] for x in body["aliases"]]
    assert artist["name"] in spellings  # the canonical name is one of its spellings, the most used one
    assert body["aliases"][0]["uses"] == max(x["uses"] for x in body["aliases"]) >= 1
    assert all(x["strategies"] for x in body["aliases"])
    assert client.get(f"/v1/artists/{a}/aliases", params={"limit": 0}).status_code == 422


def test_unknown_ids_are_404(client):
    for url in ("/v1/tracks/1", "/v1/artists/1", "/v1/tracks/1/recommendations", "/v1/tracks/1/neighbourhood",
                "/v1/artists/1/collaborations", "/v1/artists/1/analytics", "/v1/sets/1/analytics",
                "/v1/tracks/1/lineage", "/v1/artists/1/neighbourhood", "/v1/artists/1/aliases"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["detail"].endswith("1 does not exist")


# --- recommendations ---------------------------------------------------------------------------------
def test_recommendations(client, ids):
    r = client.get(f"/v1/tracks/{ids['track']}/recommendations", params={"limit": 10, "strictness": "strict"})
    assert r.status_code == 200
    body = r.json()
    assert body["source"]["id"] == ids["track"]
    recs = body["recommendations"]
    assert 1 <= len(recs) <= 10
    assert ids["track"] not in {c["track"]["id"] for c in recs}
    assert body["ranker"] == "fitted"  # the demo pipeline fitted it on the demo history
    strict = {m.value for m in harmonic.STRICTNESS["strict"]}
    for c in recs:
        key, bpm = c["evidence"]["key"], c["evidence"]["bpm"]
        if key["status"] == "known":  # a hard filter where both keys are known
            assert key["move"] in strict and "key unknown" not in c["flags"]
        else:
            assert "key unknown" in c["flags"] and "key unknown" in c["explanation"]
        if bpm["status"] == "known":
            assert abs(bpm["change_pct"]) <= 6.0 + 1e-9
        assert c["explanation"] and abs(sum(c["contributions"].values()) - c["utility"]) < 1e-3
    assert [c["rank"] for c in recs] == list(range(1, len(recs) + 1))
    utilities = [c["utility"] for c in recs]
    assert utilities == sorted(utilities, reverse=True)
    assert 0 < sum(c["score"] for c in recs) <= 1 + 1e-6


def test_hot_answers_match_the_documented_model_and_are_cached(app, client, ids):
    """The hot routes encode with orjson and cache per graph; the bytes must be what the response model
    documents, a repeat must come from the cache, and a reloaded graph must not see old answers."""
    from graphsvc.api.schemas import RecommendationsOut

    url = f"/v1/tracks/{ids['track']}/recommendations"
    params = {"limit": 7, "strictness": "normal", "bpm_window_pct": 5.5}
    answers = app.state.api.answers
    hits = answers.hits
    first = client.get(url, params=params)
    again = client.get(url, params=params)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert app.state.api.answers.hits == hits + 1
    body = first.json()
    assert RecommendationsOut.model_validate(body).model_dump(mode="json", by_alias=True) == body
    # a new graph gets a new cache: the old answer is not served from it
    app.state.api.answers = type(answers)(answers.size, answers.max_bytes)
    third = client.get(url, params=params)
    assert third.json() == body and app.state.api.answers.hits == 0 and len(app.state.api.answers) == 1


def test_answer_cache_is_bounded_and_ignores_neo4j():
    from graphsvc.api.answers import AnswerCache

    class Store:
        backend, watermark = "embedded", 7

    class Neo:
        backend = "neo4j"

    cache = AnswerCache(size=2, max_bytes=10)
    store = Store()
    assert AnswerCache.key(Neo(), "x") is None
    cache.put(AnswerCache.key(Neo(), "x"), b"1")
    assert len(cache) == 0
    for i in range(3):
        cache.put(AnswerCache.key(store, i), b"1234")
    assert len(cache) == 2 and cache.get(AnswerCache.key(store, 0)) is None
    cache.put(AnswerCache.key(store, 9), b"12345678")  # over the byte budget with the others: they go
    assert cache.nbytes <= 10 and cache.get(AnswerCache.key(store, 9)) == b"12345678"
    store.watermark = 8  # another graph version: another key
    assert cache.get(AnswerCache.key(store, 9)) is None


def test_recommendations_bounds(client, ids):
    url = f"/v1/tracks/{ids['track']}/recommendations"
    for params, word in (({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                         ({"bpm_window_pct": 20.5}, "bpm_window_pct"),
                         ({"max_pitch_shift": 3}, "max_pitch_shift"), ({"strictness": "loose"}, "strictness")):
        r = client.get(url, params=params)
        assert r.status_code == 422, params
        assert word in r.json()["detail"]
    wide = client.get(url, params={"max_pitch_shift": 2, "half_double": False, "limit": 50}).json()
    assert wide["recommendations"]
    assert all(abs(c["evidence"]["bpm"]["pitch_shift"]) <= 2 for c in wide["recommendations"])


def test_harmonic_path(client, ids):
    recs = client.get(f"/v1/tracks/{ids['track']}/recommendations",
                      params={"limit": 50, "strictness": "normal", "bpm_window_pct": 6}).json()["recommendations"]
    target = next(c for c in recs if c["evidence"]["key"]["status"] == "known"
                  and c["evidence"]["bpm"]["status"] == "known")["track"]["id"]
    r = client.get(f"/v1/tracks/{ids['track']}/harmonic-path/{target}", params={"k": 2, "max_len": 4})
    assert r.status_code == 200
    body = r.json()
    assert body["paths"], body
    allowed = {m.value for m in harmonic.STRICTNESS["normal"]}
    for path in body["paths"]:
        tracks = path["tracks"]
        assert tracks[0]["track_id"] == ids["track"] and tracks[-1]["track_id"] == target
        assert path["hops"] == len(tracks) - 1 <= 3
        assert all(t["move"] in allowed and t["bpm_pct"] <= 6.0 + 1e-9 for t in tracks[1:])
        # each hop explained and scored by the recommender of /recommendations
        assert tracks[0]["explanation"] is None and all(t["explanation"] for t in tracks[1:])
        assert all(0 < t["score"] <= 1 and "utility" in t["breakdown"] for t in tracks[1:])
        assert path["total_score"] == pytest.approx(sum(t["score"] for t in tracks[1:]), abs=1e-5)
        assert path["log_likelihood"] == pytest.approx(sum(math.log(t["score"]) for t in tracks[1:]), abs=1e-4)
    # the target mixes right after the source: the best path is that one hop, explained as recommended
    assert body["paths"][0]["hops"] == 1
    rec = next(c for c in recs if c["track"]["id"] == target)
    assert body["paths"][0]["tracks"][1]["explanation"] == rec["explanation"]
    assert body["paths"][0]["tracks"][1]["score"] == pytest.approx(rec["score"], abs=1e-6)
    assert client.get(f"/v1/tracks/{ids['track']}/harmonic-path/{target}", params={"max_len": 13}).status_code == 422
    r = client.get(f"/v1/tracks/{ids['track']}/harmonic-path/{ids['track']}")
    assert r.status_code == 422 and "different" in r.json()["detail"]


# --- graph payloads ----------------------------------------------------------------------------------
def test_collaborations_formats(client, ids):
    url = f"/v1/artists/{ids['hub']}/collaborations"
    g = client.get(url, params={"depth": 2, "limit": 40}).json()
    assert g["nodes"][0]["id"] == f"Artist:{ids['hub']}" and g["nodes"][0]["properties"]["hops"] == 0
    node_ids = {n["id"] for n in g["nodes"]}
    assert all(e["source"] in node_ids and e["target"] in node_ids for e in g["edges"])
    degree = dict.fromkeys(node_ids, 0)
    for e in g["edges"]:
        degree[e["source"]] += 1
        degree[e["target"]] += 1
    assert all(n["size"] == degree[n["id"]] for n in g["nodes"])
    assert all(isinstance(n["community"], int) for n in g["nodes"])
    assert g == client.get(url, params={"depth": 2, "limit": 40}).json()  # Louvain seeded: stable colours

    d3 = client.get(url, params={"depth": 2, "limit": 40, "format": "d3"}).json()
    assert {n["id"] for n in d3["nodes"]} == node_ids and len(d3["links"]) == len(g["edges"])
    assert {"source", "target", "weight"} <= set(d3["links"][0])
    cy = client.get(url, params={"depth": 2, "limit": 40, "format": "cytoscape"}).json()
    assert {n["data"]["id"] for n in cy["elements"]["nodes"]} == node_ids
    assert {"source", "target"} <= set(cy["elements"]["edges"][0]["data"])
    go = client.get(url, params={"depth": 2, "limit": 40, "format": "graphology"}).json()
    assert {n["key"] for n in go["nodes"]} == node_ids
    assert {"key", "source", "target", "attributes"} <= set(go["edges"][0])

    small = client.get(url, params={"limit": 2}).json()
    assert len(small["nodes"]) == 2 and small["truncated"] is True
    for params in ({"depth": 4}, {"depth": 0}, {"min_weight": 0}, {"limit": 501}, {"format": "svg"}):
        assert client.get(url, params=params).status_code == 422, params


def test_collaboration_path(client, ids):
    a, b = ids["artist"], ids["other"]
    r = client.get(f"/v1/artists/{a}/collaborations/path/{b}", params={"k": 2})
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert paths[0]["hops"] == 1 and paths[0]["steps"][0]["artist"]["id"] == a
    assert paths[0]["steps"][-1]["artist"]["id"] == b and paths[0]["steps"][-1]["weight_to_next"] is None
    assert paths[0]["total_weight"] == paths[0]["steps"][0]["weight_to_next"]
    assert client.get(f"/v1/artists/{a}/collaborations/path/{a}").status_code == 422
    assert client.get(f"/v1/artists/{a}/collaborations/path/{b}", params={"k": 11}).status_code == 422
    assert client.get(f"/v1/artists/{a}/collaborations/path/{b}", params={"max_hops": 9}).status_code == 422
    assert client.get(f"/v1/artists/{a}/collaborations/path/1").status_code == 404


def test_neighbourhood(client, ids):
    r = client.get(f"/v1/tracks/{ids['track']}/neighbourhood", params={"limit": 30})
    assert r.status_code == 200
    kinds = {n["kind"] for n in r.json()["nodes"]}
    assert r.json()["nodes"][0]["id"] == f"Track:{ids['track']}"
    assert {"Track", "Artist", "Set", "Key"} <= kinds
    assert client.get(f"/v1/tracks/{ids['track']}/neighbourhood", params={"depth": 3}).status_code == 422
    a = client.get(f"/v1/artists/{ids['hub']}/neighbourhood", params={"depth": 2, "limit": 20, "format": "d3"})
    assert a.status_code == 200 and len(a.json()["nodes"]) == 20


# --- analytics, Camelot ------------------------------------------------------------------------------
def test_analytics(client, ids):
    a = client.get(f"/v1/artists/{ids['hub']}/analytics").json()
    assert a["id"] == ids["hub"] and a["tracks"] >= 1 and a["collaborators"]
    s = client.get(f"/v1/sets/{ids['set']}/analytics").json()
    assert s["tracks"] == len(s["bpm_curve"]) == len(s["energy_curve"]) >= 12
    assert s["harmonic_flow"] is None or 0 <= s["harmonic_flow"] <= 1


def test_camelot(client):
    keys = client.get("/v1/camelot").json()
    assert len(keys) == 24 and len({k["camelot"] for k in keys}) == 24
    a_minor = client.get("/v1/camelot/8A").json()
    assert (a_minor["open_key"], a_minor["name"]) == ("1m", "A minor")
    moves = {m["camelot"]: m for m in a_minor["compatible"]}
    assert moves["9A"]["move"] == "adjacent" and moves["8B"]["move"] == "relative"
    assert moves["8A"]["score"] == 1.0 and moves["9B"]["strictness"] == "normal"
    assert all(m["move"] != "clash" for m in a_minor["compatible"])
    assert client.get("/v1/camelot/1m").json()["camelot"] == "8A"
    r = client.get("/v1/camelot/13A")
    assert r.status_code == 422 and r.json() == {"detail": "key '13A' is not a Camelot key (1A-12B)"}


# --- lineage ----------------------------------------------------------------------------------------
def test_lineage(client, ids):
    tid = ids["rb_track"]
    r = client.get(f"/v1/tracks/{tid}/lineage")
    assert r.status_code == 200
    body = r.json()
    assert body["silver"]["track_id"] == tid and "bpm" in body["silver"]["provenance"]
    entry = next(e for e in body["set_entries"] if e["source"] == "mixesdb")
    assert entry["source_record_id"].startswith("demo") and entry["item_index"] >= 0
    assert entry["raw"]["title"].endswith(entry["raw_title"].strip()) or entry["raw_title"] in entry["raw"]["title"]
    rb = next(o for o in body["observations"] if o["source"] == "rekordbox")
    assert rb["record_type"] == "library_track" and rb["raw"]["AverageBpm"]
    fields = {a["field"] for a in body["attempts"]}
    assert {"bpm", "key"} <= fields
    winner = next(a for a in body["attempts"] if a["field"] == "bpm" and a["success"])
    assert winner["provider"] == body["silver"]["provenance"]["bpm"]["provider"]
    assert any(h["field"] == "bpm" for h in body["field_history"])
    assert {c["role"] for c in body["credits"]} >= {"primary"}
    assert body["graph_node"]["id"] == tid
    short = client.get(f"/v1/tracks/{tid}/lineage", params={"limit": 1}).json()
    assert len(short["attempts"]) == 1 and short["truncated"]["attempts"] is True


# --- sets ---------------------------------------------------------------------------------------------
def test_set_builder(client, ids):
    r = client.post("/v1/sets", json={"start_track_id": ids["track"], "length": 5, "alternatives": 2,
                                      "strictness": "relaxed", "max_bpm_step_pct": 8})
    assert r.status_code in (200, 501)
    if r.status_code == 501:
        pytest.skip("set builder not installed")
    body = r.json()
    assert body["sets"] or body["diagnosis"]
    for s in body["sets"]:
        assert s["tracks"][0]["id"] == ids["track"] and len(s["tracks"]) == 5
    assert client.post("/v1/sets", json={"start_track_id": ids["track"], "length": 61}).status_code == 422
    assert client.post("/v1/sets", json={"start_track_id": ids["track"], "colour": "red"}).status_code == 422
    assert client.post("/v1/sets", json={"start_track_id": 1, "length": 4}).status_code == 404


# --- pipeline (read) and admin auth -----------------------------------------------------------------
def test_pipeline_runs_and_status(client):
    runs = client.get("/v1/pipeline/runs").json()["runs"]
    assert runs and runs[-1]["mode"] == "complete" and runs[-1]["status"] == "succeeded"
    st = client.get("/v1/pipeline/status").json()
    assert st["gold"]["track"] > 0 and st["bronze"]["mixes"] > 0
    assert client.get("/v1/pipeline/runs", params={"limit": 0}).status_code == 422


def test_admin_needs_key(client):
    assert client.post("/v1/pipeline/runs", json={"mode": "gold_only"}).status_code == 401
    r = client.post("/v1/pipeline/runs", json={"mode": "gold_only"}, headers={"X-API-Key": "wrong"})
    assert r.status_code == 401
    r = client.post("/v1/pipeline/runs", json={"mode": "everything"}, headers={"X-API-Key": KEY})
    assert r.status_code == 422
    r = client.post("/v1/pipeline/replays",
                    json={"fields": ["tempo"], "reason": "x", "filter": {"source": "rekordbox"}},
                    headers={"X-API-Key": KEY})
    assert r.status_code == 422 and "unknown field" in r.json()["detail"]
    r = client.post("/v1/pipeline/replays", json={"fields": ["bpm"], "reason": "x"}, headers={"X-API-Key": KEY})
    assert r.status_code == 422 and "exactly one" in r.json()["detail"]


def test_admin_disabled_without_key(demo_url):
    with TestClient(create_app(_settings(demo_url, api_key=None))) as c:
        r = c.post("/v1/pipeline/runs", json={"mode": "gold_only"}, headers={"X-API-Key": "anything"})
        assert r.status_code == 503 and "GRAPHSVC_API_KEY" in r.json()["detail"]


def _wait(client: TestClient, job_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/v1/pipeline/jobs/{job_id}", headers={"X-API-Key": KEY}).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_admin_run_refreshes_graph_and_replay(pg_server, tmp_path):
    url = demo_database(pg_server, "api_admin", tmp_path / "demo", tracks=120, seed=5)
    new_mix = tmp_path / "new.json"
    new_mix.write_text('[{"id": "fresh1", "title": "2019-01-05 - Zed Quorum @ Test Hall, Oslo", "tracklist": ['
                       '{"id": null, "title": "[00] Zed Quorum - Unheard Aurora [Test - T1]"},'
                       '{"id": null, "title": "[05] Zed Quorum & Ylva Prism - Second Aurora [Test - T2]"}]}]')
    with TestClient(create_app(_settings(url))) as c:
        assert c.get("/v1/tracks", params={"q": "unheard aurora"}).json()["results"] == []
        with psycopg.connect(url) as conn:
            ingest_mixesdb(conn, new_mix)
            conn.commit()
        r = c.post("/v1/pipeline/runs", json={"mode": "complete"}, headers={"X-API-Key": KEY})
        assert r.status_code == 202 and r.headers["Location"].endswith(r.json()["job_id"])
        job = _wait(c, r.json()["job_id"])
        assert job["status"] == "succeeded", job
        assert job["graph_refreshed"] is True and job["run_ids"]
        hits = c.get("/v1/tracks", params={"q": "unheard aurora"}).json()["results"]
        assert [h["title"] for h in hits] == ["Unheard Aurora"]
        assert c.get("/v1/artists", params={"q": "ylva prism"}).json()["results"]

        r = c.post("/v1/pipeline/replays", headers={"X-API-Key": KEY},
                   json={"fields": ["bpm"], "reason": "test replay", "filter": {"source": "rekordbox"}})
        assert r.status_code == 202 and int(r.json()["replay_id"]) > 0
        job = _wait(c, r.json()["job_id"])
        assert job["status"] == "succeeded", job
        assert job["summary"]["replays"][0]["status"] == "done" and job["summary"]["replays"][0]["tracks"] > 0
        assert c.get("/v1/pipeline/jobs/nope", headers={"X-API-Key": KEY}).status_code == 404


def test_admin_run_while_another_process_runs_the_pipeline_fails_with_the_reason(client, demo_url, monkeypatch):
    """An API worker and a CLI `etl run` (or a second worker) must not build silver at the same time:
    the job fails at once with who holds the processing lock, and nothing is run."""
    from etl import locks

    monkeypatch.setattr(locks, "WAIT_S", 0.2)
    with psycopg.connect(demo_url) as holder:
        runs_before = holder.execute("SELECT count(*) FROM ops.run").fetchone()[0]
        holder.commit()
        with locks.processing_lock(holder, "a test"):
            r = client.post("/v1/pipeline/runs", json={"mode": "silver_only"}, headers={"X-API-Key": KEY})
            assert r.status_code == 202
            job = _wait(client, r.json()["job_id"])
        assert job["status"] == "failed"
        assert job["error"].startswith("Busy: cannot start a silver_only run: another pipeline run is processing")
        assert holder.execute("SELECT count(*) FROM ops.run").fetchone()[0] == runs_before


# --- backend failures -------------------------------------------------------------------------------
class _DownStore:
    backend = "neo4j"

    def ping(self) -> bool:
        return False

    def __getattr__(self, name: str):
        def fail(*_a, **_k):
            raise GraphUnavailable("Neo4j at neo4j://graph:7687 is unavailable (test)")
        return fail


class _SlowStore(_DownStore):
    def __getattr__(self, name: str):
        def slow(*_a, **_k):
            time.sleep(1.0)
        return slow


def test_graph_unavailable_is_503_with_retry_after(app, client, ids):
    app.dependency_overrides[get_store] = lambda: _DownStore()
    try:
        r = client.get(f"/v1/tracks/{ids['track']}/recommendations")
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert "unavailable" in r.json()["detail"]
        assert client.get(f"/v1/artists/{ids['artist']}/collaborations").status_code == 503
        ready = client.get("/v1/health/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["graph"].startswith("failed")
        assert client.get("/v1/health/live").status_code == 200
    finally:
        app.dependency_overrides.clear()
    assert client.get(f"/v1/tracks/{ids['track']}/recommendations").status_code == 200


def test_graph_timeout_is_504(demo_url, ids):
    slow_app = create_app(_settings(demo_url, graph_timeout_s=0.2))
    slow_app.dependency_overrides[get_store] = lambda: _SlowStore()
    with TestClient(slow_app) as c:
        t0 = time.monotonic()
        r = c.get(f"/v1/tracks/{ids['track']}/recommendations")
        assert r.status_code == 504 and "0.2 s" in r.json()["detail"]
        assert time.monotonic() - t0 < 0.9
