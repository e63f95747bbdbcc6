"""Real keys and tempos on the real graph: the MixesDB file, both Spotify tables, the GiantSteps expert
keys and the shared DJ libraries loaded together (once, in one database)."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from etl.enrichment.config import confidences_of_snapshot, snapshot_of_run
from etl.evaluation.agreement import measure
from etl.pipeline import Inputs, run_pipeline
from graphsvc.api import create_app
from graphsvc.settings import Settings

pytestmark = [pytest.mark.xdist_group("real_keys"), pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

MIXESDB_TRACKS = """
    SELECT count(*) FILTER (WHERE t.bpm IS NOT NULL AND t.key_pitch_class IS NOT NULL)
    FROM (SELECT DISTINCT e.track_id FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)
          WHERE s.source = 'mixesdb') m JOIN silver.track t USING (track_id)"""


@pytest.fixture(scope="module")
def everything(shared_data, mixesdb_file, database_factory, offline_providers_module) -> str:
    url = database_factory("real_keys")
    libs = shared_data / "dj-libraries"
    inputs = Inputs(
        mixesdb=[mixesdb_file],
        features=[shared_data / "spotify-features" / "spotify_tracks_114k.csv.gz",
                  shared_data / "spotify-features" / "spotify_genre_pull_2024-11.csv.gz",
                  shared_data / "giantsteps-key" / "sources.csv",
                  shared_data / "beatport-2021" / "beatport_2021jan.csv"],
        rekordbox=sorted((libs / "rekordbox").glob("*.xml")), traktor=sorted((libs / "traktor").glob("*.nml")),
        mixxx=sorted((libs / "mixxx").glob("*.sqlite")), virtualdj=sorted((libs / "virtualdj").glob("*.xml")))
    with psycopg.connect(url) as conn:
        assert run_pipeline(conn, "complete", inputs).status == "succeeded"
    return url


@pytest.fixture(scope="module")
def offline_providers_module():
    import os

    from graphsvc.settings import get_settings

    saved = {v: os.environ.pop(v) for v in ("GRAPHSVC_MUSICBRAINZ_ENABLED", "GRAPHSVC_DISCOGS_TOKEN",
                                           "GRAPHSVC_GETSONGBPM_API_KEY") if v in os.environ}
    get_settings.cache_clear()
    yield
    os.environ.update(saved)
    get_settings.cache_clear()


def test_mixesdb_tracks_carry_keys_and_tempos(everything):
    with psycopg.connect(everything) as conn:
        (both,) = conn.execute(MIXESDB_TRACKS).fetchone()
        # identity by recording: a feature row or a library track reaches a MixesDB track only as the same
        # recording (another edit at most, never a remix for an original): 1,733 on 2026-12-02
        assert both >= 1600, both
        strategies = dict(conn.execute(
            "SELECT match_strategy, count(*) FROM silver.observation WHERE kind = 'spotify' AND track_id IS NOT NULL"
            " GROUP BY 1").fetchall())
        assert {"track_key", "featured_as_artist", "other_edit", "first_artist"} <= set(strategies)
        # the keys come with their measured confidence: a Spotify key is right about half the time
        conf = conn.execute(
            """SELECT min((t.provenance->'key'->>'confidence')::float), max((t.provenance->'key'->>'confidence')::float)
               FROM silver.track t WHERE t.provenance->'key'->>'provider' = 'features'""").fetchone()
        assert 0.5 <= conf[0] <= conf[1] <= 0.96


def test_a_set_and_a_harmonic_path_on_real_keyed_tracks(everything):
    with psycopg.connect(everything) as conn:
        keyed = [r[0] for r in conn.execute(
            """SELECT t.track_id FROM silver.track t
               JOIN (SELECT e.track_id, count(*) AS plays FROM silver.set_entry e JOIN silver.dj_set s USING (set_id)
                     WHERE s.source = 'mixesdb' GROUP BY 1) p USING (track_id)
               WHERE t.camelot IS NOT NULL AND t.bpm BETWEEN 118 AND 132 ORDER BY p.plays DESC, t.track_id LIMIT 40""")]
    assert len(keyed) == 40
    settings = Settings(database_url=everything, graph_refresh_s=0, db_pool_max=2, graph_timeout_s=60)
    with TestClient(create_app(settings)) as client:
        built = None
        for start in keyed[:10]:
            res = client.post("/v1/sets", json={"start_track_id": start, "length": 12, "strictness": "relaxed",
                                                "max_bpm_step_pct": 8.0, "alternatives": 1})
            assert res.status_code == 200, res.text
            if res.json()["sets"]:
                built = res.json()["sets"][0]
                break
        assert built is not None and len(built["tracks"]) == 12
        assert all(t["camelot"] and t["bpm"] for t in built["tracks"])
        found = None
        for a, b in zip(keyed[:20], keyed[20:], strict=True):
            res = client.get(f"/v1/tracks/{a}/harmonic-path/{b}", params={"k": 1, "max_len": 6})
            if res.status_code == 200 and res.json().get("paths"):
                found = res.json()["paths"][0]
                break
        assert found is not None


def test_artist_artefacts_of_the_real_data_are_gone(everything):
    with psycopg.connect(everything) as conn:
        names = {n for (n,) in conn.execute(
            """SELECT canonical_name FROM silver.artist WHERE canonical_name = ANY(%s)""",
            (["Carl Cox (UMF)", "Sasha (Pacha)", "Sasha (Trilogy)", "20 Jeff Mills", "Missing Channel (Robert Hood",
              "Deadmau5 Deadmau5", "Claude Young)", "(18) Ayumi Hamasaki", "5 Kraftwerk"],)).fetchall()}
        assert names == set()
        djs = {n for (n,) in conn.execute(
            """SELECT a.canonical_name FROM silver.set_dj d JOIN silver.dj_set s USING (set_id)
               JOIN silver.artist a USING (artist_id) WHERE s.title = ANY(%s)""",
            (["2013-03-01 - Carl Cox (UMF), MiniCoolBoyz - Global 519",
              "2017-06-19 - Sasha (Pacha), GHEIST - Last Night On Earth 026"],)).fetchall()}
        assert {"Carl Cox", "Sasha"} <= djs
        unbalanced = conn.execute(
            "SELECT count(*) FROM silver.artist WHERE canonical_name ~ '^[^(]*\\)' OR canonical_name ~ '\\([^)]*$'"
        ).fetchone()[0]
        assert unbalanced < 10


def test_the_confidences_in_use_are_the_ones_measured_on_this_data(everything):
    with psycopg.connect(everything) as conn:
        report = measure(conn, bootstrap=100)
        seeded = {(k, f): (c, lo, hi) for k, f, c, lo, hi in conn.execute(
            """SELECT kind, field, confidence, ci_low, ci_high FROM enrichment.source_confidence
               WHERE basis LIKE 'measured: triangulated%%'""")}
        (run_id,) = conn.execute("SELECT max(run_id) FROM ops.run WHERE kind = 'pipeline'").fetchone()
        snapshot = confidences_of_snapshot(conn, snapshot_of_run(conn, run_id))
    measured = {(a.kind, a.field): a.estimate for a in report.accuracy if a.basis.startswith("measured: triangulated")}
    assert seeded and set(seeded) <= set(measured), set(seeded) - set(measured)
    for key, (confidence, lo, hi) in seeded.items():
        assert lo - 0.05 <= measured[key] <= hi + 0.05, (key, measured[key], lo, hi)
        assert snapshot[key] == pytest.approx(confidence, abs=1e-6)  # the run used them (replayable)
    spotify_key = measured[("spotify", "key")]
    assert 0.4 < spotify_key < 0.7  # not GiantSteps' Beatport figure (0.298) copied to every source
