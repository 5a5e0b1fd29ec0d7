"""Audience authenticity end to end: planted synth world -> DuckDB -> analyze -> rank, HTTP, report, explain.

The planted truth (``World.inauthentic``) is what the signals are checked
against; the engine's kernels are checked against naive references in
tests/engine/test_authenticity.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from nichegraph.api.analysis import AnalysisParams, run_analysis
from nichegraph.api.cli import app
from nichegraph.engine.authenticity import AUTHENTICITY_COLUMNS
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import ROLE_FAKE, ROLE_HUB, PlantSpec, generate


runner = CliRunner()
SPEC = PlantSpec()


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    world = generate(n_accounts=3000, n_edges=60_000, seed=4, bought=3, pods=4)
    path = str(tmp_path_factory.mktemp("auth") / "s.duckdb")
    with DuckDBStore(path) as st:
        st.load(world.batches())
        run_analysis(st, AnalysisParams(seed=1))
        run, tables = st.read_run()
    return path, world, run, tables["accounts"]


def _rows(accounts) -> dict:
    return {r["id"]: r for r in accounts.to_pylist()}


def _ids(world, idx) -> list[str]:
    return [str(world.ext[i]) for i in idx]


# -- the planted world -----------------------------------------------------------------------


def test_planting_is_opt_in_deterministic_and_consistent():
    plain = generate(n_accounts=600, n_edges=8000, seed=2)
    assert plain.inauthentic is None and "planted" not in plain.truth_table().column_names
    a = generate(n_accounts=600, n_edges=8000, seed=2, bought=2, pods=2)
    b = generate(n_accounts=600, n_edges=8000, seed=2, bought=2, pods=2)
    for name in ("ext", "follow_src", "follow_dst", "follow_since", "interaction_src", "interaction_ts"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    t = a.inauthentic
    n = a.n_accounts
    assert n == 600 + t.fakes.size and np.array_equal(np.sort(a.ext), np.arange(n))
    assert np.all(a.role[t.fakes] == ROLE_FAKE) and np.all(a.role[: 600] != ROLE_FAKE)
    keys = a.follow_src.astype(np.int64) * n + a.follow_dst
    assert np.unique(keys).size == keys.size and not np.any(a.follow_src == a.follow_dst)
    since = dict(zip(keys.tolist(), a.follow_since.tolist()))
    for buyer in t.buyers:
        fakes = t.fakes[t.fake_buyer == buyer]
        lo, hi = SPEC.batch_range
        assert lo <= fakes.size <= hi
        times = [since[int(f) * n + int(buyer)] for f in fakes]  # every fake follows its buyer, in one delivery
        assert max(times) - min(times) < SPEC.window_s
    assert np.all(a.following_count[t.fakes] >= SPEC.following_range[0])
    assert np.all(a.followers_count[t.fakes] < 20)
    for pod in np.unique(t.pod_id):
        members = t.pod_members[t.pod_id == pod]
        assert np.unique(a.niche[members]).size == 1
        for u in members:
            for v in members:
                if u != v:
                    assert int(u) * n + int(v) in since  # a clique of follows
        inside = np.isin(a.interaction_src, members) & np.isin(a.interaction_dst, members)
        assert inside.sum() >= SPEC.pod_posts_range[0] * members.size * (members.size - 1)
    labels = a.truth_table().column("planted").to_pylist()
    assert labels.count("buyer") == 2 and labels.count("fake") == t.fakes.size
    assert labels.count("pod") == t.pod_members.size


# -- the run's columns -----------------------------------------------------------------------


def test_run_has_every_authenticity_column_with_nulls_for_unknown(planted):
    _, world, run, accounts = planted
    assert set(AUTHENTICITY_COLUMNS) <= set(accounts.column_names)
    for name in AUTHENTICITY_COLUMNS:
        col = accounts.column(name)
        if col.type.id in (10, 11, 12):  # float columns: never NaN, NULL instead
            assert not any(isinstance(v, float) and math.isnan(v) for v in col.to_pylist()), name
    rows = _rows(accounts)
    for r in rows.values():
        known = [r[f"auth_{c}"] for c in ("audience", "burst", "trust", "pod", "follow_ratio")]
        known = [v for v in known if v is not None]
        assert r["authenticity"] == (min(known) if known else None)
        if r["burst_timed"] == 0:
            assert r["auth_burst"] is None and r["burst_peak"] is None
    fitted = run.params["fitted"]["authenticity"]
    assert fitted["seeds"] > 0 and fitted["trusted"] is False and "audience" in fitted["priors"]


def test_planted_cases_score_low_and_organic_accounts_mostly_high(planted):
    _, world, _, accounts = planted
    rows = _rows(accounts)
    t = world.inauthentic
    for i in _ids(world, t.buyers):
        assert rows[i]["auth_audience"] < 0.5 and rows[i]["auth_burst"] < 0.5
        assert rows[i]["authenticity_weakest"] in ("audience", "burst")
    fakes = [rows[i] for i in _ids(world, t.fakes)]
    assert np.mean([r["auth_follow_ratio"] < 0.5 for r in fakes]) > 0.95
    assert np.mean([r["auth_trust"] is not None and r["auth_trust"] < 0.5 for r in fakes]) > 0.8
    pods = [rows[i] for i in _ids(world, t.pod_members)]
    assert np.mean([r["auth_pod"] is not None and r["auth_pod"] < 0.5 for r in pods]) > 0.5
    planted_ids = set(_ids(world, np.r_[t.buyers, t.fakes, t.pod_members]))
    hubs = set(_ids(world, np.flatnonzero(world.role == ROLE_HUB)))
    organic = [r for i, r in rows.items() if i not in planted_ids and i not in hubs and r["authenticity"] is not None]
    assert np.mean([r["authenticity"] >= 0.5 for r in organic]) > 0.8


# -- rankings: CLI, HTTP, report, explain ----------------------------------------------------


def _rank(path, *args) -> dict:
    res = runner.invoke(app, ["rank", "--store", path, "--format", "json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


@pytest.mark.parametrize("by", ["pagerank", "in_degree", "niche", "hidden"])
def test_every_ranking_carries_authenticity_and_filters_on_it(planted, by):
    path, _, _, accounts = planted
    full = _rank(path, "--by", by, "--limit", "100000")["rows"]
    assert full and all("authenticity" in r and "authenticity_weakest" in r for r in full)
    body = _rank(path, "--by", by, "--limit", "30", "--min-authenticity", "0.7")
    want = [r["id"] for r in full if r["authenticity"] is not None and r["authenticity"] >= 0.7][:30]
    assert [r["id"] for r in body["rows"]] == want
    unknown = sum(1 for r in full if r["authenticity"] is None)
    if unknown:
        assert any("without an authenticity score" in n for n in body["notes"])


def test_min_authenticity_is_validated(planted):
    path = planted[0]
    res = runner.invoke(app, ["rank", "--store", path, "--min-authenticity", "1.5"])
    assert res.exit_code != 0 and "min-authenticity" in res.output


def test_http_rankings_match_the_cli(planted):
    path, world, _, _ = planted
    cli = [r["id"] for r in _rank(path, "--by", "pagerank", "--limit", "25", "--min-authenticity", "0.6")["rows"]]
    from fastapi.testclient import TestClient

    from nichegraph.api.service import create_app, load_settings

    settings = load_settings(env={}, store=path, poll_seconds=0, rate_limit=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        body = client.get("/v1/rankings?by=pagerank&limit=25&min_authenticity=0.6").json()
        assert [r["id"] for r in body["items"]] == cli
        assert all(r["authenticity"] >= 0.6 for r in body["items"])
        assert client.get("/v1/rankings?min_authenticity=2").status_code == 422
        plain = client.get("/v1/rankings?limit=50&sort=pagerank&min_authenticity=0.9").json()["items"]
        assert all(r["authenticity"] >= 0.9 for r in plain)
        buyer = str(world.ext[world.inauthentic.buyers[0]])
        account = client.get(f"/v1/accounts/{buyer}").json()
        assert account["account"]["authenticity"] < 0.5
        assert any(line.startswith("Audience authenticity") for line in account["explanation"])


def test_report_shows_and_filters_authenticity(planted, tmp_path):
    path = planted[0]
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", "--store", path, "--out", str(out), "--min-authenticity", "0.8"])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "authenticity" in html and "authenticity at least 0.8" in html


def test_explanation_names_the_components(planted):
    path, world, _, _ = planted
    buyer = str(world.ext[world.inauthentic.buyers[0]])
    res = runner.invoke(app, ["rank", "--store", path, "--explain", buyer])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Audience authenticity" in text and "mass-followers" in text and "timed followers" in text


# -- trusted seeds ---------------------------------------------------------------------------


def test_trusted_file_sets_the_seeds_and_bad_ids_name_file_and_line(planted, tmp_path):
    path, world, _, accounts = planted
    import shutil

    store = str(tmp_path / "copy.duckdb")
    shutil.copy(path, store)
    ids = accounts.column("id").to_pylist()
    good = tmp_path / "trusted.txt"
    good.write_text(f"# genuine accounts\n{ids[0]}\n\n{ids[5]}  # a comment\n")
    res = runner.invoke(app, ["analyze", "--store", store, "--trusted", str(good)])
    assert res.exit_code == 0, res.output
    with DuckDBStore(store, read_only=True) as st:
        run, tables = st.read_run()
    assert run.params["fitted"]["authenticity"]["trusted"] is True
    seeds = [r["id"] for r in tables["accounts"].to_pylist() if r["trust_seed"]]
    assert set(seeds) <= {ids[0], ids[5]} and seeds
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{ids[0]}\nno-such-account\n")
    res = runner.invoke(app, ["analyze", "--store", store, "--trusted", str(bad)])
    assert res.exit_code != 0
    flat = " ".join(res.output.split())
    assert "bad.txt:2" in flat and "no-such-account" in flat
    res = runner.invoke(app, ["analyze", "--store", store, "--trusted", str(tmp_path / "missing.txt")])
    assert res.exit_code != 0 and "no such file" in " ".join(res.output.split())


def test_synth_command_plants_and_writes_the_truth(tmp_path):
    import pyarrow.csv as pacsv

    res = runner.invoke(
        app, ["synth", "--out", str(tmp_path), "--accounts", "800", "--edges", "8000", "--bought", "1", "--pods", "1", "-q"]
    )
    assert res.exit_code == 0, res.output
    labels = pacsv.read_csv(tmp_path / "truth.csv").column("planted").to_pylist()  # CSV writes null as ""
    world = generate(n_accounts=800, n_edges=8000, seed=0, bought=1, pods=1)
    assert labels == [v or "" for v in world.inauthentic.labels(world.n_accounts).tolist()]


def test_stage_params_round_trip_through_the_stored_json():
    import dataclasses

    from nichegraph.api.params import stored_params
    from nichegraph.api.stages.authenticity import AuthenticityStageParams
    from nichegraph.engine.authenticity import AuthenticityParams

    p = AnalysisParams(
        authenticity=AuthenticityStageParams(
            signals=AuthenticityParams(mass_ratio=30.0, sybil_iterations=5),
            trusted=("a", "b"),
            trusted_lines=(1, 3),
            trusted_file="t.txt",
        )
    )
    stored = json.loads(json.dumps(dataclasses.asdict(p)))
    assert stored_params(stored) == p
    assert stored_params({**stored, "authenticity": {"signals": {"no_such": 1}}}).authenticity == AuthenticityStageParams()
