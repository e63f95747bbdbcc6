"""Against one real ``graphsvc demo`` server (the default demo: seed 7, 2,000 tracks): the documented examples
are true, ids survive JavaScript (Node's fetch + JSON.parse), and the explorer works in a real Chromium
(Debian's /usr/bin/chromium driven by Playwright; no browser is downloaded) with nothing leaving the machine.

All tests here share one worker (``xdist_group``) and so one demo server (~25 s to build and start).
Screenshots go to the test's temporary folder; ``GRAPHSVC_SCREENSHOTS=docs`` writes the explorer's into docs/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from graphsvc.api import schemas
from graphsvc.api.examples import EXAMPLES
from tests.server_fixtures import free_port

pytestmark = [pytest.mark.xdist_group("demo_server"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

ROOT = Path(__file__).resolve().parents[1]
KEY = "browser-test-key"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class DemoServer:
    def __init__(self, base: str, proc: subprocess.Popen, log: Path) -> None:
        self.base, self.proc, self.log = base, proc, log

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.base + path, timeout=30, **kw)


@pytest.fixture(scope="module")
def demo_server(pg_server, tmp_path_factory) -> DemoServer:
    """``graphsvc demo`` (its defaults) on a free port, its database on the session's Postgres server."""
    folder = tmp_path_factory.mktemp("demo-server")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": pg_server, "GRAPHSVC_DATA_DIR": str(folder),
           "GRAPHSVC_DEMO_DATABASE_NAME": f"demo_browser_{os.getpid()}", "GRAPHSVC_API_KEY": KEY}
    env.pop("NEO4J_URI", None)
    log = folder / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "graphsvc.cli", "demo", "--port", str(port)], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    try:
        while True:
            assert proc.poll() is None, f"graphsvc demo exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"graphsvc demo not ready in 240 s: {log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{base}/v1/health/ready", timeout=3).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        text = log.read_text()
        assert f"Explorer: {base}/" in text, text[-2000:]  # the demo prints the explorer's URL
        yield DemoServer(base, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- the documented examples, called as written ---------------------------------------------------------------
def _response_model(op: dict[str, Any]) -> Any:
    """The pydantic model (from graphsvc.api.schemas) that the 2xx answer of ``op`` is documented with."""
    ok = next((v for k, v in op["responses"].items() if k.startswith("2")), {})
    schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        return getattr(schemas, schema["$ref"].rsplit("/", 1)[1])
    if "anyOf" in schema:  # the graph routes: any of the four payload formats
        return schemas.AnyGraph
    if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        return list[getattr(schemas, schema["items"]["$ref"].rsplit("/", 1)[1])]
    return None


def _param_example(param: dict[str, Any]) -> Any:
    if param.get("examples"):
        return next(iter(param["examples"].values()))["value"]
    if param["schema"].get("examples"):
        return param["schema"]["examples"][0]
    return None


def _body_example(spec: dict[str, Any], op: dict[str, Any]) -> Any:
    body = op.get("requestBody")
    if not body:
        return None
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return (schema.get("examples") or [{}])[0]


def _same_shape(example: Any, live: Any, where: str = "") -> list[str]:
    """Where the documented example has a key the live answer lacks, or a value of another JSON type."""
    problems = []
    if isinstance(example, dict):
        if not isinstance(live, dict):
            return [f"{where or 'answer'}: example is an object, the answer is not"]
        for k, v in example.items():
            if k not in live:
                problems.append(f"{where}.{k}: in the example, not in the answer")
            elif v is not None and live[k] is not None:
                problems += _same_shape(v, live[k], f"{where}.{k}")
    elif isinstance(example, list) and example and isinstance(live, list) and live:
        problems += _same_shape(example[0], live[0], f"{where}[0]")
    elif isinstance(example, bool) != isinstance(live, bool) or \
            (isinstance(example, str) != isinstance(live, str)) or \
            (isinstance(example, (int, float)) != isinstance(live, (int, float))):
        problems.append(f"{where}: example {example!r} and answer {live!r} differ in type")
    return problems


def _call(server: DemoServer, method: str, path: str, op: dict[str, Any], spec: dict[str, Any],
          headers: dict[str, str] | None = None) -> tuple[str, httpx.Response]:
    url, query = path, {}
    for p in op.get("parameters", []):
        value = _param_example(p)
        if value is None:
            assert not p.get("required"), f"{method} {path}: required parameter {p['name']} has no example"
            continue
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", str(value))
        elif p["in"] == "query":
            query[p["name"]] = value
    body = _body_example(spec, op)
    r = httpx.request(method, server.base + url, params=query, json=body, headers=headers, timeout=60)
    return url, r


ADMIN_PREFIX = "/v1/pipeline/"


def test_every_documented_example_answers_as_documented(demo_server):
    """Each operation called with its documented parameter and body examples answers 2xx, the answer validates
    against the route's response model, and each documented response example has the live answer's shape."""
    spec = demo_server.get("/openapi.json").json()
    called = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path.startswith(ADMIN_PREFIX) and method != "get":
                continue  # admin triggers: test_admin_examples_run
            if "{job_id}" in path:
                continue
            url, r = _call(demo_server, method.upper(), path, op, spec)
            assert r.status_code < 300, f"{method.upper()} {url}: {r.status_code} {r.text[:300]}"
            model = _response_model(op)
            if model is not None:
                TypeAdapter(model).validate_python(r.json())
            ref = (op["responses"].get("200", {}).get("content", {}).get("application/json", {})
                   .get("schema", {}).get("$ref"))
            if ref:
                name = ref.rsplit("/", 1)[1]
                for example in spec["components"]["schemas"][name].get("examples", []):
                    getattr(schemas, name).model_validate(example)
                    assert not _same_shape(example, r.json()), (url, _same_shape(example, r.json()))
            called += 1
    assert called >= 20  # every public operation
    # the ids the examples use exist, and the harmonic-path example finds paths
    hp = demo_server.get(f"/v1/tracks/{EXAMPLES.track_id}/harmonic-path/{EXAMPLES.other_track_id}").json()
    assert hp["paths"] and hp["diagnosis"] is None


def test_admin_examples_run(demo_server):
    """POST /v1/pipeline/runs (with its content type and key, as the README shows) and /replays as documented."""
    spec = demo_server.get("/openapi.json").json()
    headers = {"X-API-Key": KEY}
    for path in ("/v1/pipeline/runs", "/v1/pipeline/replays"):
        url, r = _call(demo_server, "POST", path, spec["paths"][path]["post"], spec, headers)
        assert r.status_code == 202, (url, r.text)
        job = r.json()
        for _ in range(600):
            job = demo_server.get(f"/v1/pipeline/jobs/{job['job_id']}", headers=headers).json()
            if job["status"] != "running":
                break
            time.sleep(0.2)
        assert job["status"] == "succeeded", job
        schemas.JobOut.model_validate(job)
        assert all(isinstance(i, str) for i in job["run_ids"])


# --- ids in JavaScript ------------------------------------------------------------------------------------------
def test_ids_survive_javascript(demo_server):
    """From Node (fetch + JSON.parse) every id of the search, network, recommendation and set routes names the
    same thing in the next request."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is missing in CI")
        pytest.skip("node not installed")
    proc = subprocess.run([node, str(ROOT / "tests" / "js" / "ids_roundtrip.mjs"), demo_server.base,
                           EXAMPLES.artist_query, EXAMPLES.track_query],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    used = json.loads(proc.stdout.strip().splitlines()[-1])
    assert used["artists"] >= 10 and used["tracks"] >= 8 and used["sets"] >= 2, used


def test_harmonic_path_explains_an_empty_answer(demo_server):
    """2A -> a far key with max_len too small: no path, and the answer says why in words."""
    a, b = EXAMPLES.track_id, EXAMPLES.other_track_id
    body = demo_server.get(f"/v1/tracks/{a}/harmonic-path/{b}", params={"max_len": 2, "strictness": "strict"}).json()
    assert body["paths"] == [] and "hops" in body["diagnosis"] and "max_len" in body["diagnosis"]
    found = demo_server.get(f"/v1/tracks/{a}/harmonic-path/{b}", params={"max_len": 8}).json()
    assert found["paths"] and found["diagnosis"] is None


# --- the explorer in a real browser ------------------------------------------------------------------------------
def _wait_js(page: Any, expr: str, timeout: float = 30) -> Any:
    """Poll ``expr`` (the pages' CSP forbids eval, which Playwright's wait_for_function needs)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = page.evaluate(expr)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {expr}")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("/usr/bin/chromium is missing in CI (.ci/run installs Debian's chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _shots_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("GRAPHSVC_SCREENSHOTS") == "docs" else tmp_path


def test_explorer_in_chromium_offline(demo_server, browser, tmp_path):
    """A DJ's session: search an artist, open the network, click a node to expand it, read a recommendation's
    explanation, grow a set, build a set, look at the wheel; then the formats page loads the d3, Cytoscape.js and
    graphology payloads in those libraries, and /docs and /redoc render. Every request stays on the machine."""
    base = demo_server.base
    outside: list[str] = []
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1440, "height": 900})

    def route(r: Any) -> None:  # the network is "unplugged": anything not on this server is recorded and refused
        url = r.request.url
        if url.startswith((base + "/", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    shots = _shots_dir(tmp_path)

    page.goto(base + "/")
    page.fill("#search", EXAMPLES.artist_query)
    page.click('#search-results .item[data-kind="artist"] >> nth=0')
    _wait_js(page, "() => document.querySelector('#status').textContent.startsWith('Collaboration network')")
    n0 = page.evaluate("window.__explorer.view.graph.order")
    assert n0 > 10 and page.is_hidden("#graph-empty")
    assert page.evaluate("window.__explorer.view.graph.someNode((n, a) => a.louvain !== undefined)")
    page.screenshot(path=str(shots / "explorer-network.png"))
    # click an artist on the rim of the network (two hops out): its collaborators join the graph
    node = page.evaluate("""() => {
        const v = window.__explorer.view, g = v.graph, box = v.container.getBoundingClientRect();
        return g.filterNodes((n, a) => a.hops === 2).map((n) => ({ n, p: v.screenPosition(n) }))
          .find((x) => x.p.x > 20 && x.p.y > 20 && x.p.x < box.width - 20 && x.p.y < box.height - 20); }""")
    assert node, "no artist two hops out on screen"
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + node["p"]["x"], box["y"] + node["p"]["y"])
    _wait_js(page, "() => document.querySelector('#status').textContent.includes('collaborator')")
    assert page.evaluate("window.__explorer.view.graph.order") >= n0
    label = page.evaluate(f"window.__explorer.view.graph.getNodeAttribute({json.dumps(node['n'])}, 'label')")
    _wait_js(page, f"() => document.querySelector('[data-testid=\"artist-name\"]').textContent === {json.dumps(label)}")

    # a track: its neighbourhood and next tracks with their explanations; Play next grows a set
    page.fill("#search", EXAMPLES.track_query)
    page.click('#search-results .item[data-kind="track"] >> nth=0')
    page.wait_for_selector('[data-testid="recommendation"]')
    explanation = page.inner_text('[data-testid="recommendation"] >> nth=0 >> [data-testid="explanation"]')
    assert "DJs played it" in explanation or "BPM" in explanation, explanation
    page.click('[data-testid="play-next"] >> nth=0')
    _wait_js(page, "() => window.__explorer.state.growing.length === 2")
    page.wait_for_selector('[data-testid="recommendation"]')
    page.click('[data-testid="play-next"] >> nth=0')
    _wait_js(page, "() => window.__explorer.state.growing.length === 3")
    page.wait_for_selector('[data-testid="growing-set"] li >> nth=2')
    _wait_js(page, "() => document.querySelector('#status').textContent.includes("
                   "'next tracks for ' + window.__explorer.state.track.title)")
    page.screenshot(path=str(shots / "explorer-track.png"))

    # a harmonic path from the example track to the other one: every hop explained by the recommender
    other = demo_server.get(f"/v1/tracks/{EXAMPLES.other_track_id}").json()
    start = json.dumps(EXAMPLES.track_id)
    page.evaluate(f"window.__explorer.openTrack({start})")
    _wait_js(page, f"() => window.__explorer.state.track && window.__explorer.state.track.id === {start}")
    page.fill('[data-testid="path-target"]', other["title"])
    page.click(f'#track-view .dropdown .item[data-id="{EXAMPLES.other_track_id}"]')
    page.wait_for_selector('[data-testid="harmonic-path"]')
    served = demo_server.get(f"/v1/tracks/{EXAMPLES.track_id}/harmonic-path/{EXAMPLES.other_track_id}",
                             params={"k": 3, "max_len": 6}).json()["paths"]
    assert page.locator('[data-testid="harmonic-path"]').count() == len(served) > 0
    whys = page.locator('[data-testid="harmonic-path"] >> nth=0 >> [data-testid="path-hop-why"]').all_inner_texts()
    assert whys == [t["explanation"] for t in served[0]["tracks"][1:]] and all(w.strip() for w in whys)
    page.locator('[data-testid="harmonic-paths"]').scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "explorer-path.png"))

    # the set builder
    page.click('.tabs button[data-tab="set"]')
    page.fill('[data-testid="pick-start"]', EXAMPLES.track_query)
    page.click('#tab-set .dropdown .item[data-kind="track"] >> nth=0')
    page.fill('#set-form [name="length"]', "8")
    page.click("#build-set")
    page.wait_for_selector('[data-testid="set-result"]')
    assert page.locator('[data-testid="set-result"] tr').count() == 9  # header + 8 tracks
    # each hop says why in the recommender's words (the start track has none)
    whys = page.locator('[data-testid="hop-why"]').all_inner_texts()
    assert len(whys) == 8 and whys[0] == "" and all(w.strip() for w in whys[1:])
    assert page.locator('[data-testid="set-chart"] svg path.bpm').count() == 1
    page.screenshot(path=str(shots / "explorer-set.png"))
    page.click('.tabs button[data-tab="wheel"]')
    page.wait_for_selector('[data-testid="wheel-moves"] li')

    # the payload formats, loaded by d3-force, Cytoscape.js and graphology
    artist = page.evaluate("window.__explorer.state.artist.id")
    page.goto(f"{base}/formats?artist={artist}")
    own = demo_server.get(f"/v1/artists/{artist}/collaborations", params={"depth": 2, "limit": 80}).json()
    for panel in ("d3-status", "cy-status", "gy-status"):
        page.wait_for_selector(f"#{panel}[data-done=true]")
        assert page.get_attribute(f"#{panel}", "data-error") == ""
        assert int(page.get_attribute(f"#{panel}", "data-nodes")) == len(own["nodes"]), panel
        assert int(page.get_attribute(f"#{panel}", "data-edges")) == len(own["edges"]), panel

    for path, ready in (("/docs", ".swagger-ui .opblock"), ("/redoc", "h1")):
        page.goto(base + path)
        page.wait_for_selector(ready)
    assert not errors, errors
    assert outside == [], f"requests left the machine: {outside}"
    context.close()
