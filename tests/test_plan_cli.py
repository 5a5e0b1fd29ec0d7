"""`nichegraph plan`: a store + a run -> the chosen accounts; filters, budget, errors."""

from __future__ import annotations

import itertools
import json
import math
import sys

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from nichegraph.api.campaign import PlanError, PlanRequest, plan_campaign
from nichegraph.api.cli import app, main
from nichegraph.api.stages.serving import audience_table
from nichegraph.graph_store import RunRecord, TableBatch
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import SCHEMAS

N = 40
TIERS = ["nano", "micro", "macro", "mega"]


def _world(seed=3):
    rng = np.random.default_rng(seed)
    m = 260
    dst = np.minimum((rng.pareto(1.1, m) * 3).astype(int), N - 1)
    src = rng.integers(0, N, m)
    keep = src != dst
    pairs = sorted(set(zip(src[keep].tolist(), dst[keep].tolist())))
    return pairs


def _make_store(path, with_run=True):
    pairs = _world()
    ids = [f"acct{i:02d}" for i in range(N)]
    accounts = pa.RecordBatch.from_pydict({
        "id": ids, "handle": [f"h{i}" for i in range(N)], "platform": ["x"] * N,
        "followers_count": list(range(100, 100 + N)), "following_count": [1] * N,
        "affiliation": ["Acme" if i % 5 == 0 else None for i in range(N)]}, schema=SCHEMAS["accounts"])
    follows = pa.RecordBatch.from_pydict({
        "follower": [ids[a] for a, _ in pairs], "followee": [ids[b] for _, b in pairs],
        "since": [None] * len(pairs)}, schema=SCHEMAS["follows"])
    st = DuckDBStore(path)
    st.load([TableBatch("accounts", accounts), TableBatch("follows", follows)])
    idx_of = {r["id"]: i for i, r in enumerate(st.read_accounts().to_pylist())}
    if with_run:
        table = pa.table({
            "idx": pa.array([idx_of[i] for i in ids], pa.int32()), "id": ids,
            "handle": [f"h{i}" for i in range(N)], "affiliation": ["Acme" if i % 5 == 0 else None for i in range(N)],
            "followers_count": pa.array(list(range(100, 100 + N)), pa.int64()),
            "tier": [TIERS[i % 4] for i in range(N)],
            "community": pa.array([i % 3 for i in range(N)], pa.int64()),
            "price": pa.array([float(1 + i % 7) if i != 7 else None for i in range(N)], pa.float64())})
        # the follows as `analyze` stores them for planning (api.stages.serving)
        st.write_run(RunRecord("r1", "2026-01-01T00:00:00+00:00", {}, {}),
                     {"accounts": table, "audience": audience_table(st.read_edges())})
    st.close()
    audiences = {ids[i]: set() for i in range(N)}
    for a, b in pairs:
        audiences[ids[b]].add(ids[a])
    return audiences


def _plan_json(store, *args):
    res = CliRunner().invoke(app, ["plan", "--store", str(store), "--format", "json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_reach_plan_respects_filters_and_is_near_optimal(tmp_path):
    path = tmp_path / "s.duckdb"
    aud = _make_store(path)
    out = _plan_json(path, "--k", "3", "--tier", "nano,micro", "--community", "0,1")
    allowed = [f"acct{i:02d}" for i in range(N) if TIERS[i % 4] in ("nano", "micro") and i % 3 in (0, 1)]
    chosen = [r["id"] for r in out["accounts"]]
    assert set(chosen) <= set(allowed) and 1 <= len(chosen) <= 3
    union = set().union(*[aud[c] for c in chosen])
    assert out["total"] == len(union) and out["std_error"] == 0
    assert [r["cumulative"] for r in out["accounts"]][-1] == out["total"]
    assert out["audience_sum"] == sum(len(aud[c]) for c in chosen)
    opt = max(len(set().union(*[aud[c] for c in combo])) for combo in itertools.combinations(allowed, len(chosen)))
    assert out["total"] >= (1 - 1 / math.e) * opt
    assert all(r["tier"] in ("nano", "micro") for r in out["accounts"])
    assert out["run_id"] == "r1" and out["candidates"] == len(allowed)
    ov = _plan_json(path, "--k", "3", "--tier", "nano,micro", "--community", "0,1", "--overlap")["overlap"]
    assert ov["ids"] == chosen
    for i, x in enumerate(chosen):
        for j, y in enumerate(chosen):
            inter, union = len(aud[x] & aud[y]), len(aud[x] | aud[y])
            assert ov["shared_followers"][i][j] == inter
            assert ov["jaccard"][i][j] == pytest.approx(inter / union if union else 0.0, abs=1e-6)


def test_budget_with_cost_column_and_affiliation(tmp_path):
    path = tmp_path / "s.duckdb"
    _make_store(path)
    out = _plan_json(path, "--k", "10", "--budget", "6", "--cost-column", "price")
    assert out["total_cost"] <= 6 + 1e-9
    assert "acct07" not in [r["id"] for r in out["accounts"]]  # no price: excluded, and said so
    assert out["details"]["excluded_without_cost"] == 1
    out = _plan_json(path, "--k", "10", "--budget", "0.5", "--cost-column", "price")
    assert out["accounts"] == [] and "cheapest costs 1" in out["details"]["note"]
    out = _plan_json(path, "--k", "5", "--affiliation", "nobody")
    assert out["accounts"] == [] and out["candidates"] == 0 and "filters" in out["details"]["note"]
    out = _plan_json(path, "--k", "5", "--affiliation", "acme")
    assert out["accounts"] and all(r["affiliation"] == "Acme" for r in out["accounts"])


def test_spread_objective_and_table_output(tmp_path):
    path = tmp_path / "s.duckdb"
    _make_store(path)
    out = _plan_json(path, "--k", "3", "--objective", "spread", "--probability", "0.2", "--epsilon", "0.3")
    assert out["objective"] == "spread" and len(out["accounts"]) == 3
    assert out["std_error"] > 0 and out["total"] >= 3 - 4 * out["std_error"]
    again = _plan_json(path, "--k", "3", "--objective", "spread", "--probability", "0.2", "--epsilon", "0.3")
    assert again == out
    res = CliRunner().invoke(app, ["plan", "--store", str(path), "--k", "2"])
    assert res.exit_code == 0 and "campaign plan" in res.output and "(exact)" in " ".join(res.output.split())


def test_clear_errors(tmp_path, monkeypatch, capsys):
    path = tmp_path / "norun.duckdb"
    _make_store(path, with_run=False)
    monkeypatch.setattr(sys, "argv", ["nichegraph", "plan", "--store", str(path)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert "run `nichegraph analyze" in " ".join(capsys.readouterr().err.split())
    path2 = tmp_path / "s.duckdb"
    _make_store(path2)
    res = CliRunner().invoke(app, ["plan", "--store", str(path2), "--tier", "giga"])
    assert res.exit_code == 2 and "unknown tier" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["plan", "--store", str(path2), "--cost-column", "price"])
    assert res.exit_code == 2 and "--budget" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["plan", "--store", str(path2), "--budget", "3", "--cost-column", "handle"])
    assert res.exit_code == 2 and "not a number column" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["plan", "--store", str(path2), "--community", str(2**64)])
    assert res.exit_code == 2 and "out of range" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["plan", "--store", str(path2), "--objective", "virality"])
    assert res.exit_code == 2
    with DuckDBStore(path2, read_only=True) as st:
        with pytest.raises(PlanError, match="no 'niche_score' column"):
            plan_campaign(st, PlanRequest(budget=1.0, cost_column="niche_score"))


def test_http_plan_endpoint_matches_the_cli(tmp_path):
    from fastapi.testclient import TestClient

    from nichegraph.api.service import create_app, load_settings

    path = tmp_path / "s.duckdb"
    aud = _make_store(path)
    cli = _plan_json(path, "--k", "4", "--tier", "nano,micro,macro")
    settings = load_settings(env={}, store=str(path), poll_seconds=0, rate_limit=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        res = client.post("/v1/campaigns/plan", json={"k": 4, "tier": ["nano", "micro", "macro"]})
        assert res.status_code == 200, res.text
        body = res.json()
        assert res.headers["x-nichegraph-run"] == "r1"
        assert [r["id"] for r in body["accounts"]] == [r["id"] for r in cli["accounts"]]
        assert body["total"] == len(set().union(*[aud[r["id"]] for r in body["accounts"]]))
        assert body["overlap"] is None
        ov = client.post("/v1/campaigns/plan", json={"k": 2, "overlap": True}).json()["overlap"]
        assert len(ov["jaccard"]) == 2 and ov["jaccard"][0][0] == 1.0
        spread = client.post("/v1/campaigns/plan", json={"k": 2, "objective": "spread", "probability": "wc"})
        assert spread.status_code == 200 and spread.json()["std_error"] > 0
        bad = client.post("/v1/campaigns/plan", json={"k": 0})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"].startswith("body")
        bad = client.post("/v1/campaigns/plan", json={"k": 3, "tier": ["giga"]})
        assert bad.status_code == 422
        bad = client.post("/v1/campaigns/plan", json={"budget": 3, "cost_column": "nope"})
        assert bad.status_code == 422 and "nope" in bad.json()["error"]["message"]
        assert client.post("/v1/campaigns/plan", json={"k": 3, "unknown": 1}).status_code == 422
        assert client.post("/v1/campaigns/plan", json={"community": [2**63]}).status_code == 422
