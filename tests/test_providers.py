"""Online providers against recorded-looking responses (respx; no network) and the offline ones'
choice among several observations. The bronze response cache, rate limiting, retries and secrets."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest
import respx
import stamina

from etl.enrichment.config import start_run
from etl.enrichment.http import HttpClient, RateLimiter, request_key
from etl.enrichment.providers import LookupContext, ProviderError, TrackInput, build_providers, load_observations
from etl.enrichment.providers.confidence import CONFIDENCE
from etl.enrichment.providers.discogs import DiscogsProvider
from etl.enrichment.providers.getsongbpm import GetSongBpmProvider, parse_key
from etl.enrichment.providers.musicbrainz import MusicBrainzProvider
from etl.enrichment.providers.rekordbox import RekordboxProvider
from etl.enrichment.waterfall import enrich
from graphsvc.ids import stable_id
from graphsvc.settings import Settings

RESPONSES = Path(__file__).parent / "data" / "responses"
MB = "https://mb.test/ws/2"
DISCOGS = "https://discogs.test"
GSB = "https://gsb.test"
UA = "graphsvc-tests/1.0 ( ops@example.org )"
TRACK = TrackInput(stable_id("track", "rir|strings of life"), "Strings of Life", "Rhythim Is Rhythim")


def fixture(name: str) -> dict:
    return json.loads((RESPONSES / name).read_text(encoding="utf-8"))


class FakeClock:
    """Time that only moves when somebody sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


@pytest.fixture(autouse=True)
def _fast_retries():
    # keep the configured number of tries (3) but do not actually wait between them
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def settings() -> Settings:
    return Settings(musicbrainz_enabled=True, musicbrainz_user_agent=UA, musicbrainz_base_url=MB,
                    discogs_token="DISCOGS-SECRET-TOKEN", discogs_base_url=DISCOGS,
                    getsongbpm_api_key="GSB-SECRET-KEY", getsongbpm_base_url=GSB, http_timeout_s=2.0)


@pytest.fixture
def ctx(pg_url):
    with psycopg.connect(pg_url) as conn:
        yield LookupContext(conn=conn, run_id=start_run(conn))


def _fast(provider):
    """No real sleeping between requests in tests that do not look at the spacing."""
    fake = FakeClock()
    provider.client.limiter = RateLimiter(provider.client.limiter.min_interval_s, clock=fake.clock, sleep=fake.sleep)
    return provider


def stored(conn) -> list[tuple]:
    return conn.execute("SELECT provider, request_key, request_url, status_code, response, response_text"
                        " FROM bronze.provider_response ORDER BY response_id").fetchall()


@respx.mock
def test_musicbrainz_search_lookup_and_release_label(ctx, settings):
    search = respx.get(f"{MB}/recording").respond(200, json=fixture("musicbrainz_recording_search.json"))
    rec = respx.get(f"{MB}/recording/5b9c1c5a-1f47-4a7e-9a55-1c7f5d3c2b10").respond(
        200, json=fixture("musicbrainz_recording_lookup.json"))
    rel = respx.get(f"{MB}/release/0f0e5d2c-7f11-4c28-a1f2-6f6f5b0e7d21").respond(
        200, json=fixture("musicbrainz_release_lookup.json"))
    mb = _fast(MusicBrainzProvider.from_settings(settings))
    out = mb.lookup(ctx, TRACK, {"isrc", "release_year", "label", "genres"})
    assert out["isrc"].value == "USTM18700001"
    assert out["release_year"].value == 1987
    assert out["label"].value == "Transmat"
    assert out["genres"].value == ["detroit techno", "electronic"]
    assert out["isrc"].confidence == pytest.approx(CONFIDENCE[("musicbrainz", "isrc")] * 0.97, abs=1e-4)
    assert out["isrc"].detail["mbid"] == "5b9c1c5a-1f47-4a7e-9a55-1c7f5d3c2b10"
    q = search.calls.last.request.url.params
    assert q["query"] == 'artist:"Rhythim Is Rhythim" AND recording:"Strings of Life"' and q["fmt"] == "json"
    assert rec.calls.last.request.url.params["inc"] == "isrcs tags genres releases"
    assert rel.call_count == 1
    assert search.calls.last.request.headers["User-Agent"] == UA


@respx.mock
def test_musicbrainz_weak_hits_are_no_data(ctx, settings):
    body = fixture("musicbrainz_recording_search.json")
    body["recordings"] = body["recordings"][1:2]
    body["recordings"][0]["score"] = 42
    respx.get(f"{MB}/recording").respond(200, json=body)
    out = _fast(MusicBrainzProvider.from_settings(settings)).lookup(ctx, TRACK, {"isrc", "release_year"})
    assert out["isrc"].value is None and out["isrc"].detail["best_score"] == 42


@respx.mock
def test_discogs_picks_the_matching_release_and_sends_token_in_header(ctx, settings):
    route = respx.get(f"{DISCOGS}/database/search").respond(200, json=fixture("discogs_search.json"))
    out = _fast(DiscogsProvider.from_settings(settings)).lookup(ctx, TRACK, {"genres", "label", "release_year"})
    assert out["label"].value == "Transmat" and out["label"].detail["catalog_number"] == "MS-010"
    assert out["release_year"].value == 1987
    assert out["genres"].value == ["Detroit Techno", "Techno", "Electronic"]
    assert out["genres"].confidence == pytest.approx(CONFIDENCE[("discogs", "genres")])
    req = route.calls.last.request
    assert req.headers["Authorization"] == "Discogs token=DISCOGS-SECRET-TOKEN"
    assert dict(req.url.params) == {"artist": "Rhythim Is Rhythim", "track": "Strings of Life", "type": "release",
                                    "per_page": "5"}


@respx.mock
def test_getsongbpm_bpm_and_key(ctx, settings):
    route = respx.get(f"{GSB}/search/").respond(200, json=fixture("getsongbpm_search.json"))
    out = _fast(GetSongBpmProvider.from_settings(settings)).lookup(ctx, TRACK, {"bpm", "key"})
    assert out["bpm"].value == 125.0
    assert out["key"].value == {"pitch_class": 1, "mode": 0}
    params = route.calls.last.request.url.params
    assert params["api_key"] == "GSB-SECRET-KEY" and params["type"] == "both"
    assert params["lookup"] == "song:Strings of Life artist:Rhythim Is Rhythim"


@respx.mock
def test_getsongbpm_no_result(ctx, settings):
    respx.get(f"{GSB}/search/").respond(200, json=fixture("getsongbpm_no_result.json"))
    out = _fast(GetSongBpmProvider.from_settings(settings)).lookup(ctx, TRACK, {"bpm", "key"})
    assert out["bpm"].value is None and out["key"].value is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Am", (9, 0)), ("C", (0, 1)), ("F#", (6, 1)), ("F♯m", (6, 0)), ("Bb", (10, 1)), ("D♭m", (1, 0)),
    ("Cb", (11, 1)), ("E minor", (4, 0)), ("G major", (7, 1)), ("H", None), ("", None), (None, None),
])
def test_parse_key(text, expected):
    got = parse_key(text)
    assert (None if got is None else (got["pitch_class"], got["mode"])) == expected


@respx.mock
def test_second_lookup_reuses_the_stored_response(ctx, settings):
    route = respx.get(f"{GSB}/search/").respond(200, json=fixture("getsongbpm_search.json"))
    gsb = _fast(GetSongBpmProvider.from_settings(settings))
    first = gsb.lookup(ctx, TRACK, {"bpm"})
    second = gsb.lookup(ctx, TRACK, {"bpm"})
    assert route.call_count == 1
    assert first["bpm"].value == second["bpm"].value == 125.0
    assert first["bpm"].fetched_at == second["bpm"].fetched_at is not None
    ctx.refetch = True
    gsb.lookup(ctx, TRACK, {"bpm"})
    assert route.call_count == 2
    assert len(stored(ctx.conn)) == 1  # the same body again adds nothing to bronze


@respx.mock
def test_secrets_are_never_stored(ctx, settings):
    respx.get(f"{GSB}/search/").respond(200, json=fixture("getsongbpm_search.json"))
    respx.get(f"{DISCOGS}/database/search").respond(200, json=fixture("discogs_search.json"))
    providers = {"getsongbpm": _fast(GetSongBpmProvider.from_settings(settings)),
                 "discogs": _fast(DiscogsProvider.from_settings(settings))}
    for p in providers.values():
        p.lookup(ctx, TRACK, p.fields)
    rows = stored(ctx.conn)
    assert {r[0] for r in rows} == {"getsongbpm", "discogs"}
    gsb = next(r for r in rows if r[0] == "getsongbpm")
    assert gsb[1] == request_key("GET", "/search/",
                                 {"type": "both", "lookup": "song:Strings of Life artist:Rhythim Is Rhythim"})
    assert gsb[2].startswith(f"{GSB}/search/?")
    dump = ctx.conn.execute("SELECT string_agg(t::text, ' ') FROM bronze.provider_response t").fetchone()[0]
    assert "GSB-SECRET-KEY" not in dump and "DISCOGS-SECRET-TOKEN" not in dump and "api_key" not in dump


def test_request_key_is_canonical_and_secret_free():
    a = request_key("get", "/search/", {"type": "both", "lookup": "x", "api_key": "S"})
    b = request_key("GET", "/search/", {"lookup": "x", "type": "both"})
    assert a == b == "GET /search/?lookup=x&type=both"


@respx.mock
def test_rate_limiter_spaces_requests_one_second_apart(ctx, settings):
    fake = FakeClock()
    seen: list[float] = []

    def answer(request):
        seen.append(fake.now)
        return httpx.Response(200, json={"recordings": []})

    respx.get(f"{MB}/recording").mock(side_effect=answer)
    client = HttpClient("musicbrainz", MB, user_agent=UA, timeout_s=2.0,
                        limiter=RateLimiter(1.0, clock=fake.clock, sleep=fake.sleep))
    for i in range(4):
        client.get(ctx.conn, "/recording", {"query": f"q{i}", "fmt": "json"})
    assert seen == [100.0, 101.0, 102.0, 103.0]
    assert fake.sleeps == [1.0, 1.0, 1.0]
    fake.now += 5  # idle time is not saved up into a burst
    client.get(ctx.conn, "/recording", {"query": "q9", "fmt": "json"})
    client.get(ctx.conn, "/recording", {"query": "q10", "fmt": "json"})
    assert seen[-2:] == [108.0, 109.0]


@respx.mock
def test_retries_503_then_succeeds_and_caches_only_the_success(ctx, settings):
    route = respx.get(f"{MB}/recording").mock(side_effect=[
        httpx.Response(503, text="Service Unavailable"),
        httpx.ConnectError("connection refused"),
        httpx.Response(200, json=fixture("musicbrainz_recording_search.json")),
    ])
    client = HttpClient("musicbrainz", MB, user_agent=UA, timeout_s=2.0, limiter=RateLimiter(0.0))
    res = client.get(ctx.conn, "/recording", {"query": "x", "fmt": "json"})
    assert res.status_code == 200 and route.call_count == 3 and not res.from_cache
    assert [r[3] for r in stored(ctx.conn)] == [503, 200]   # every response is kept for audit
    again = client.get(ctx.conn, "/recording", {"query": "x", "fmt": "json"})
    assert again.from_cache and again.status_code == 200 and route.call_count == 3


@respx.mock
def test_persistent_503_becomes_a_logged_attempt_error(pg_url, settings):
    route = respx.get(f"{GSB}/search/").respond(503, text="busy")
    with psycopg.connect(pg_url) as conn:
        tid = stable_id("track", "x|y")
        conn.execute("INSERT INTO silver.track (track_id, track_key, title, artists_display)"
                     " VALUES (%s, 'x|y', 'Y', 'X')", (tid,))
        providers = build_providers(settings)
        _fast(providers["getsongbpm"])
        for p in ("discogs", "musicbrainz"):
            providers[p].client = None  # only getsongbpm is online in this test
        enrich(conn, start_run(conn), fields=["bpm", "key"], providers=providers)
        rows = conn.execute("SELECT field, provider, error FROM enrichment.attempt WHERE provider = 'getsongbpm'"
                            " ORDER BY field").fetchall()
        assert rows == [("bpm", "getsongbpm", "HTTP 503 after 3 tries"),
                        ("key", "getsongbpm", "HTTP 503 after 3 tries")]
        assert route.call_count == 3  # one lookup per track serves both fields
        # a failed response is never reused: a later run asks again
        conn.execute("UPDATE silver.track SET needs_enrichment = true")
        enrich(conn, start_run(conn), fields=["bpm", "key"], providers=providers)
        assert route.call_count == 6


@respx.mock
def test_online_provider_in_the_waterfall_and_rerun_uses_bronze(pg_url, settings):
    route = respx.get(f"{GSB}/search/").respond(200, json=fixture("getsongbpm_search.json"))
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO silver.track (track_id, track_key, title, artists_display) VALUES (%s, %s, %s, %s)",
                     (TRACK.track_id, "rir|strings of life", TRACK.title, TRACK.artists_display))
        providers = build_providers(settings)
        _fast(providers["getsongbpm"])
        run = start_run(conn)
        enrich(conn, run, fields=["bpm", "key"], providers=providers)
        t = conn.execute("SELECT bpm, key_pitch_class, key_mode, camelot, provenance FROM silver.track").fetchone()
        assert (float(t[0]), t[1], t[2], t[3]) == (125.0, 1, 0, "12A")
        assert t[4]["bpm"]["provider"] == "getsongbpm" and t[4]["bpm"]["fetched_at"] is not None
        ok = conn.execute("SELECT input FROM enrichment.attempt WHERE success AND field = 'bpm'").fetchone()[0]
        assert ok["song_id"] == "o2r0LL" and "GSB-SECRET-KEY" not in json.dumps(ok)
        conn.execute("UPDATE silver.track SET needs_enrichment = true")
        enrich(conn, start_run(conn), fields=["bpm", "key"], providers=providers)
        assert route.call_count == 1


def test_unconfigured_online_providers_are_disabled():
    providers = build_providers(Settings(musicbrainz_enabled=False, discogs_token=None, getsongbpm_api_key=None))
    assert {n for n, p in providers.items() if not p.enabled} == {"musicbrainz", "discogs", "getsongbpm"}
    assert all(p.enabled for p in providers.values() if not p.online)


def test_get_without_client_raises_provider_disabled(ctx):
    with pytest.raises(ProviderError, match="provider disabled"):
        GetSongBpmProvider(None).lookup(ctx, TRACK, {"bpm"})


def test_rekordbox_takes_the_newest_export_with_a_value(ctx):
    conn = ctx.conn
    tid = TRACK.track_id
    conn.execute("INSERT INTO silver.track (track_id, track_key, title, artists_display) VALUES (%s, 'k', 't', 'a')",
                 (tid,))
    for rid, bpm, pc in [(5, 120.0, 3), (9, 121.0, None), (7, 119.0, 4)]:
        conn.execute("INSERT INTO silver.observation (observation_id, source, record_id, item_index, track_id, bpm,"
                     " key_pitch_class, key_mode) VALUES (%s, 'rekordbox', %s, 0, %s, %s, %s, %s)",
                     (rid, rid, tid, bpm, pc, None if pc is None else 1))
    ctx.observations = load_observations(conn, [tid])
    out = RekordboxProvider().lookup(ctx, TRACK, {"bpm", "key", "label"})
    assert out["bpm"].value == 121.0 and out["bpm"].detail["record_id"] == 9
    assert out["key"].value == {"pitch_class": 4, "mode": 1} and out["key"].detail["record_id"] == 7
    assert out["label"].value is None and out["label"].detail == {"observations": 3}
