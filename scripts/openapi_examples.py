"""Write graphsvc/api/openapi_examples.json: the OpenAPI examples, taken from the demo dataset.

Builds the demo exactly as ``graphsvc demo`` does with its defaults (seed 7, 2,000 tracks; ids are hashes of
natural keys, so every demo server has the same ids), then calls the API in-process and keeps trimmed real
answers as the documented examples. Run it after a change to the demo generator, the pipeline or an answer's
shape (``tests/test_explorer_browser.py`` fails when an example no longer matches the live demo):

    GRAPHSVC_DATA_DIR=/tmp/gsvc .venv/bin/python scripts/openapi_examples.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "graphsvc" / "api" / "openapi_examples.json"
SEED, TRACKS = 7, 2000  # graphsvc demo's defaults


def _build_demo() -> str:
    from etl.migrate import migrate
    from etl.pipeline import Inputs, Pipeline
    from graphsvc import demo
    from graphsvc.pg import demo_database_url
    from graphsvc.settings import get_settings

    settings = get_settings()
    url = demo_database_url(settings)
    files = demo.generate(settings.data_dir / "demo" / f"seed{SEED}-tracks{TRACKS}", tracks=TRACKS, seed=SEED)
    with psycopg.connect(url) as conn:
        migrate(conn)
        summary = Pipeline(conn, settings=settings.model_copy(update={"database_url": url, "neo4j_uri": None})).run(
            "complete", Inputs(mixesdb=[files.mixesdb], tracklists1001=[files.tracklists1001],
                               rekordbox=[files.rekordbox]))
        assert summary.status == "succeeded", summary
    return url


def _ok(r: Any) -> Any:
    assert r.status_code in (200, 202), (r.request.url, r.status_code, r.text[:300])
    return r.json()


def main() -> None:
    from graphsvc import demo
    from graphsvc.api import create_app
    from graphsvc.settings import Settings

    url = _build_demo()
    with psycopg.connect(url) as conn:
        ids = demo.example_ids(conn)
        (set_id,) = conn.execute("SELECT id FROM gold.set ORDER BY tracks DESC, id LIMIT 1").fetchone()
    app = create_app(Settings(database_url=url, graph_refresh_s=0, api_key=None))
    with TestClient(app) as c:
        track = str(ids["track_id"])
        artist, other_artist = str(ids["artist_id"]), str(ids["other_artist_id"])
        t = _ok(c.get(f"/v1/tracks/{track}"))
        a = _ok(c.get(f"/v1/artists/{artist}"))
        # a track a few harmonic hops away, in a key the wheel needs several moves to reach
        other_track = None
        for cand in _ok(c.get("/v1/tracks", params={"q": "e", "limit": 500}))["results"]:
            if cand["camelot"] and cand["bpm"] and cand["id"] != track and cand["camelot"][:-1] != t["camelot"][:-1]:
                hp = _ok(c.get(f"/v1/tracks/{track}/harmonic-path/{cand['id']}", params={"k": 1, "max_len": 6}))
                if hp["paths"] and hp["paths"][0]["hops"] >= 3:
                    other_track = cand["id"]
                    break
        assert other_track, "no track 3+ harmonic hops away"
        track_query = t["title"].lower()
        artist_query = a["name"].split()[0].lower()
        charts = _ok(c.get("/v1/charts", params={"limit": 1}))
        genre = charts["top_tracks"][0]["scene_genres"][0] if charts["top_tracks"][0]["scene_genres"] else "Techno"

        responses: dict[str, Any] = {"TrackOut": t, "ArtistOut": a}
        responses["ArtistAliasesOut"] = _ok(c.get(f"/v1/artists/{artist}/aliases", params={"limit": 3}))
        responses["CollabPathsOut"] = _ok(c.get(f"/v1/artists/{artist}/collaborations/path/{other_artist}",
                                                params={"k": 1}))
        responses["GraphOut"] = _ok(c.get(f"/v1/artists/{artist}/collaborations", params={"depth": 1, "limit": 3}))
        responses["RecommendationsOut"] = _ok(c.get(f"/v1/tracks/{track}/recommendations", params={"limit": 1}))
        responses["HarmonicPathsOut"] = _ok(c.get(f"/v1/tracks/{track}/harmonic-path/{other_track}",
                                                  params={"k": 1, "max_len": 6}))
        key = _ok(c.get(f"/v1/camelot/{t['camelot']}"))
        key["compatible"] = key["compatible"][:3]
        responses["KeyOut"] = key
        set_request = {"start_track_id": track, "length": 6, "strictness": "normal", "max_bpm_step_pct": 6.0,
                       "energy_curve": "build", "artist_gap": 2, "alternatives": 1}
        responses["SetResultOut"] = _ok(c.post("/v1/sets", json=set_request))
        assert responses["SetResultOut"]["sets"], responses["SetResultOut"]
    requests = {
        "SetRequest": set_request,
        "ReplayRequest": [
            {"fields": ["bpm", "key"], "reason": "rekordbox export re-analysed", "filter": {"source": "rekordbox"}},
            {"fields": ["energy"], "reason": "check one track", "track_ids": [track]}],
    }
    out = {
        "dataset": f"graphsvc demo (seed {SEED}, {TRACKS} tracks)",
        "track_id": track, "other_track_id": other_track, "artist_id": artist, "other_artist_id": other_artist,
        "set_id": str(set_id), "track_query": track_query, "artist_query": artist_query, "genre": genre,
        "responses": responses, "requests": requests,
    }
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: track {track} -> {other_track}, artist {artist} -> {other_artist}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
