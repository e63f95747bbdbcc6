"""The set builder on the hand-made fixture (exact expectations) and, as a property, on the real
1001Tracklists sets: every hop of every returned harmonic path and built set satisfies every constraint,
checked here independently from the gold rows (not through the builder's own checker)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.pipeline import Inputs, run_pipeline
from graphsvc import harmonic
from graphsvc.errors import InvalidValue, NotFound
from graphsvc.graph.embedded import EmbeddedStore
from graphsvc.recommend.features import Constraints
from graphsvc.recommend.model import Ranker
from graphsvc.recommend.service import recommend
from graphsvc.setbuilder import SetRequest, artist_keys, build_set, energy_targets


def _codes(store, ids):
    inv = {v: k for k, v in store.fx.track.items()}
    return [inv[i] for i in ids]


def _violations(gold: dict[int, dict], ids: list[int], req: SetRequest) -> list[str]:
    """Independent check of every hard constraint from gold track rows."""
    out = []
    allowed = harmonic.STRICTNESS[req.strictness]
    if ids[0] != req.start_track_id or len(set(ids)) != len(ids) or set(ids) & set(req.exclude_track_ids):
        out.append("start/repeat/exclude")
    if req.end_track_id is not None and (ids[-1] != req.end_track_id or len(ids) != req.length):
        out.append("end")
    if [w for w in ids if w in req.waypoints] != list(req.waypoints):
        out.append("waypoints")
    for a, b in pairwise(ids):
        ta, tb = gold[a], gold[b]
        if None in (ta["camelot"], tb["camelot"], ta["bpm"], tb["bpm"]):
            out.append(f"{a}->{b} unknown data")
            continue
        if harmonic.classify_move(harmonic.parse_key(ta["camelot"]), harmonic.parse_key(tb["camelot"])) not in allowed:
            out.append(f"{a}->{b} move")
        if harmonic.bpm_distance_pct(ta["bpm"], tb["bpm"]) > req.max_bpm_step_pct:
            out.append(f"{a}->{b} bpm step")
    if req.max_total_bpm_drift_pct is not None:
        for t in ids[1:]:
            if harmonic.bpm_distance_pct(gold[ids[0]]["bpm"], gold[t]["bpm"]) > req.max_total_bpm_drift_pct:
                out.append(f"{t} drift")
    for i in range(len(ids)):
        for j in range(max(0, i - req.artist_gap + 1), i):
            if gold[ids[i]]["artist_ids"] & gold[ids[j]]["artist_ids"]:
                out.append(f"artist gap at {i}")
    return out


def _gold_tracks(conn) -> dict[int, dict]:
    rows = conn.execute(
        """SELECT t.id, t.camelot, t.bpm, t.energy,
                  coalesce(array_agg(b.artist_id) FILTER (WHERE b.role = 'primary'), '{}')
           FROM gold.track t LEFT JOIN gold.by b ON b.track_id = t.id GROUP BY t.id""").fetchall()
    return {r[0]: {"camelot": r[1], "bpm": r[2], "energy": r[3], "artist_ids": set(r[4])} for r in rows}


# --- unit tests on the fixture ---------------------------------------------------------------------
def test_open_set_obeys_constraints_and_is_explained(fixture_store, pg_url):
    t = fixture_store.fx.track
    req = SetRequest(t["src"], length=5, strictness="normal", max_bpm_step_pct=6.0)
    res = build_set(fixture_store, req)
    assert res.diagnosis is None and len(res.sets) >= 2
    with psycopg.connect(pg_url) as conn:
        gold = _gold_tracks(conn)
    for s in res.sets:
        assert len(s.tracks) == 5 and _violations(gold, s.track_ids, req) == []
        assert [h["from"] for h in s.transitions] == s.track_ids[:-1]
        assert [h["to"] for h in s.transitions] == s.track_ids[1:]
        hop = s.transitions[0]
        assert set(hop) >= {"key_move", "move", "bpm_pct", "energy_delta", "real_transitions", "score", "breakdown"}
        # explained as the served recommender explains a recommendation
        assert hop["explanation"] and hop["breakdown"]["evidence"]["key"]["move"] == hop["move"]
        assert 0.0 <= hop["score"] <= 1.0 and hop["breakdown"]["utility"] <= hop["breakdown"]["top_utility"]
    assert len({tuple(s.track_ids) for s in res.sets}) == len(res.sets)  # distinct alternatives
    scores = [s.total_score for s in res.sets]
    assert scores == sorted(scores, reverse=True)
    # every hop reports the real-transition count of gold (0 when DJs never played the pair)
    with psycopg.connect(pg_url) as conn:
        counts = {(f, t): n for f, t, n in conn.execute("SELECT from_id, to_id, count FROM gold.transitions_to")}
    hops = [h for s in res.sets for h in s.transitions]
    assert all(h["real_transitions"] == counts.get((h["from"], h["to"]), 0) for h in hops)
    ev = build_set(fixture_store, SetRequest(t["src"], end_track_id=t["ev"], length=2))
    assert ev.sets[0].transitions[0]["real_transitions"] == 3


def test_end_track_and_waypoint(fixture_store):
    t = fixture_store.fx.track
    req = SetRequest(t["src"], end_track_id=t["dest"], waypoints=(t["s9"],), length=5, strictness="relaxed")
    res = build_set(fixture_store, req)
    assert res.sets, res.diagnosis
    for s in res.sets:
        ids = s.track_ids
        assert ids[0] == t["src"] and ids[-1] == t["dest"] and len(ids) == 5
        assert t["s9"] in ids[1:-1]


def test_unreachable_end_is_diagnosed_first(fixture_store):
    t = fixture_store.fx.track
    # 8A -> 11A needs three adjacent moves at normal strictness: 3 tracks are too few
    res = build_set(fixture_store, SetRequest(t["src"], end_track_id=t["dest"], length=3, artist_gap=3))
    assert res.sets == [] and res.binding == "end_track_id"
    assert res.diagnosis.startswith(f"end track {t['dest']} is not reachable within 3 tracks with strictness normal "
                                    "and max BPM step 6%")


def test_start_without_key_is_diagnosed(fixture_store):
    t = fixture_store.fx.track
    res = build_set(fixture_store, SetRequest(t["nokey"], length=3))
    assert res.sets == [] and res.binding == "start_track"
    assert "has no key" in res.diagnosis and "cannot be checked" in res.diagnosis


def test_end_without_bpm_is_diagnosed(fixture_store):
    t = fixture_store.fx.track
    res = build_set(fixture_store, SetRequest(t["src"], end_track_id=t["nobpm"], length=4))
    assert res.binding == "data" and "has no BPM" in res.diagnosis


def test_binding_constraint_found_by_relaxing_one_at_a_time(fixture_store):
    t = fixture_store.fx.track
    # the 8A/124 cluster around src is all Bicep: a 4-track set in it needs Bicep twice within 4
    cluster = {t[c] for c in ("rel", "diag", "twostep", "semi", "half", "far", "clash", "pitch", "dest", "s9")}
    others = {i for c, i in t.items() if c not in ("src", "same", "adj", "ev")} - cluster
    req = SetRequest(t["src"], length=4, artist_gap=4, exclude_track_ids=frozenset(cluster | others))
    res = build_set(fixture_store, req)
    assert res.sets == [] and res.binding == "artist_gap", res.diagnosis
    assert "artist gap 4 is too strict" in res.diagnosis
    # drift: every neighbour of src at 6% drifts more than 0.5% except same-tempo tracks
    res = build_set(fixture_store, SetRequest(t["src"], length=5, max_total_bpm_drift_pct=0.1,
                                              exclude_track_ids=frozenset(others)))
    assert res.sets == [] and res.binding == "max_total_bpm_drift_pct", res.diagnosis


def test_artist_gap_and_exclusions_hold(fixture_store, pg_url):
    t = fixture_store.fx.track
    req = SetRequest(t["src"], length=6, artist_gap=3, exclude_track_ids=frozenset({t["same"]}))
    res = build_set(fixture_store, req)
    assert res.sets
    with psycopg.connect(pg_url) as conn:
        gold = _gold_tracks(conn)
    for s in res.sets:
        assert t["same"] not in s.track_ids
        assert _violations(gold, s.track_ids, req) == []
        keys = [artist_keys(x["artists"]) for x in s.tracks]
        assert all(not (keys[i] & keys[j]) for i in range(len(keys)) for j in range(i + 1, min(i + 3, len(keys))))


def test_energy_curve_shapes_the_choice(fixture_store):
    t = fixture_store.fx.track
    assert energy_targets("build", 3) == [0.4, 0.65, 0.9]
    assert energy_targets((0.2, 0.8), 4) == pytest.approx([0.2, 0.4, 0.6, 0.8])

    def second(start: str, curve: tuple[float, ...]) -> dict:
        res = build_set(fixture_store, SetRequest(t[start], length=3, energy_curve=curve, strictness="relaxed"))
        assert res.sets and res.sets[0].energy_deviation is not None
        return res.sets[0].tracks[1]

    # after "c5" the recommender finds several next tracks about equally likely: the curve decides
    up, down = second("c5", (0.6, 0.9, 0.9)), second("c5", (0.6, 0.3, 0.3))
    assert up["energy"] > down["energy"] and up["target_energy"] == 0.9
    # after "src" DJs played "ev" three times: that evidence outweighs the curve either way
    assert second("src", (0.6, 0.9, 0.9))["id"] == second("src", (0.6, 0.3, 0.3))["id"] == t["ev"]


def test_the_set_follows_the_served_recommender(fixture_store):
    """Each hop of a greedy set (beam 1, no curve) is the recommender's first choice among the next tracks
    that mix, under the set's strictness and BPM step: the ranking of GET /v1/tracks/{id}/recommendations."""
    t = fixture_store.fx.track
    ranker = Ranker.prior()
    res = build_set(fixture_store, SetRequest(t["c7"], length=4, beam_width=1, alternatives=1), ranker)
    ids = res.sets[0].track_ids
    con = Constraints(strictness="normal", bpm_window_pct=6.0)
    for a, b in pairwise(ids):
        recs = recommend(fixture_store, ranker, a, constraints=con, limit=50)
        mixable = [r.track["id"] for r in recs.items if not r.flags and r.track["id"] not in ids[:ids.index(b)]]
        assert mixable[0] == b
    hop = res.sets[0].transitions[0]
    first = next(r for r in recommend(fixture_store, ranker, ids[0], constraints=con, limit=50).items
                 if r.track["id"] == ids[1])
    assert hop["explanation"] == first.explanation and hop["score"] == 1.0


def test_target_duration_stops_early(fixture_store):
    t = fixture_store.fx.track  # every fixture track lasts 6 minutes
    res = build_set(fixture_store, SetRequest(t["src"], length=10, target_duration_min=24))
    assert res.sets and all(len(s.tracks) == 4 and s.duration_min == 24 for s in res.sets)


def test_bad_requests(fixture_store):
    t = fixture_store.fx.track
    with pytest.raises(InvalidValue, match="set_length"):
        build_set(fixture_store, SetRequest(t["src"], length=61))
    with pytest.raises(InvalidValue, match="strictness"):
        build_set(fixture_store, SetRequest(t["src"], strictness="loose"))
    with pytest.raises(InvalidValue, match="energy_curve"):
        build_set(fixture_store, SetRequest(t["src"], energy_curve="chill"))
    with pytest.raises(InvalidValue, match="required and excluded"):
        build_set(fixture_store, SetRequest(t["src"], end_track_id=t["dest"], exclude_track_ids=frozenset({t["dest"]})))
    with pytest.raises(InvalidValue, match="bpm_window_pct"):
        build_set(fixture_store, SetRequest(t["src"], max_bpm_step_pct=25))
    with pytest.raises(NotFound):
        build_set(fixture_store, SetRequest(12345, length=3))


# --- property test on the real 1001Tracklists sets -------------------------------------------------
@pytest.fixture(scope="module")
def real_store(database_factory, shared_data):
    url = database_factory("sb_real")
    files = sorted(Path(shared_data, "1001tracklists").glob("*.csv"))
    with psycopg.connect(url) as conn:
        summary = run_pipeline(conn, "complete", Inputs(tracklists1001=files))
        assert summary.status == "succeeded"
        store = EmbeddedStore.from_gold(conn)
        gold = _gold_tracks(conn)
    known = sorted(i for i, g in gold.items() if g["camelot"] is not None and g["bpm"] is not None)
    assert len(known) > 50
    yield store, gold, known
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_real_sets_every_hop_satisfies_every_constraint(real_store, data):
    store, gold, known = real_store
    a = data.draw(st.sampled_from(known))
    b = data.draw(st.sampled_from(known).filter(lambda x: x != a))
    strictness = data.draw(st.sampled_from(["strict", "normal", "relaxed", "any"]))
    step = data.draw(st.sampled_from([2.0, 4.0, 6.0, 10.0, 20.0]))
    # harmonic paths (graph rule 4)
    max_len = data.draw(st.integers(2, 8))
    for path in store.harmonic_paths(a, b, k=3, max_len=max_len, strictness=strictness, bpm_window_pct=step):
        ids = [c.track_id for c in path]
        assert ids[0] == a and ids[-1] == b and len(ids) <= max_len
        assert _violations(gold, ids, SetRequest(a, strictness=strictness, max_bpm_step_pct=step)) == []
    # built sets
    req = SetRequest(
        a, end_track_id=data.draw(st.sampled_from([None, b])), length=data.draw(st.integers(2, 14)),
        strictness=strictness, max_bpm_step_pct=step,
        max_total_bpm_drift_pct=data.draw(st.sampled_from([None, 5.0, 15.0])),
        artist_gap=data.draw(st.integers(0, 3)),
        energy_curve=data.draw(st.sampled_from([None, "warm-up", "peak", (0.2, 0.9)])),
        exclude_track_ids=frozenset(data.draw(st.lists(st.sampled_from(known), max_size=5))) - {a, b},
        beam_width=data.draw(st.sampled_from([2, 8])),
    )
    res = build_set(store, req)
    if not res.sets:
        assert res.diagnosis and res.binding
    for s in res.sets:
        assert _violations(gold, s.track_ids, req) == [], s.track_ids
        assert all(h["move"] in {m.value for m in harmonic.STRICTNESS[strictness]} for h in s.transitions)


@pytest.fixture(scope="module")
def synthetic_store(synthetic_store_factory):
    """A seeded synthetic gold graph (3,000 tracks): pools are large enough for the prefix shortcut."""
    return synthetic_store_factory("test_setbuilder_prefix", 3000, 5)


def test_prefix_pools_build_the_same_sets(synthetic_store, monkeypatch):
    """Expanding from the best few candidates first (full pool only when the prefix cannot decide the
    beam) builds exactly the sets of always expanding the full pool, from fewer candidates examined."""
    import random

    import graphsvc.setbuilder as sb

    store = synthetic_store
    calls: list[int] = []
    real = sb._Search._children

    def counting(self, st, parent_no, i, pool, start):
        calls.append(len(pool))
        return real(self, st, parent_no, i, pool, start)

    monkeypatch.setattr(sb._Search, "_children", counting)
    rng = random.Random(3)
    tids = [t.id for t in store.tracks.values() if t.key is not None and t.bpm is not None]
    requests = [SetRequest(rng.choice(tids), length=rng.choice([5, 12, 20]), beam_width=rng.choice([1, 2, 4, 8]),
                           alternatives=rng.choice([1, 3]), strictness=rng.choice(["strict", "normal", "relaxed"]),
                           max_bpm_step_pct=rng.choice([3.0, 6.0]), energy_curve=rng.choice([None, "build", "peak"]),
                           artist_gap=rng.choice([0, 3]), max_total_bpm_drift_pct=rng.choice([None, 6.0]),
                           target_duration_min=rng.choice([None, 45.0]))
                for _ in range(25)]

    def run() -> tuple[list, int]:
        calls.clear()
        out = []
        for req in requests:
            r = build_set(store, req)
            out.append(([(s.track_ids, s.total_score, s.transitions) for s in r.sets], r.diagnosis, r.binding))
        return out, sum(calls)

    with_prefix, asked_prefix = run()
    monkeypatch.setattr(sb, "PREFIX_POOL", 10_000)  # larger than every pool: the shortcut is off
    full, asked_full = run()
    assert with_prefix == full
    assert any(s for s, _, _ in full)  # sets were built, not only diagnoses
    assert asked_prefix < asked_full
    # ... and skipping the parents whose children cannot enter the beam changes no set either
    monkeypatch.setattr(sb, "PRUNE_PARENTS", False)
    every_parent, asked_every = run()
    assert every_parent == full and asked_every > asked_full
