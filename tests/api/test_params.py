"""Typed, nested analysis parameters and the one reader of a run's stored parameters (api/params.py)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from nichegraph.api.analysis import run_analysis
from nichegraph.api.explain import explain_account
from nichegraph.api.params import AnalysisParams, stored_params
from nichegraph.api.rankings import hidden_tiers
from nichegraph.api.stages.communities import CommunityParams
from nichegraph.api.stages.metrics import MetricsParams
from nichegraph.graph_store import RunRecord
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate

#: parameters as runs stored them before they were nested (copied from a run written then)
OLD_LAYOUT = {
    "seed": 7,
    "resolution": 1.5,
    "level": "broad",
    "threads": 2,
    "parallel": True,
    "extra": {
        "communities": {"top_k": 4, "affinity": {"one_way_follow": 0.25}},
        "metrics": {"follows_complete": True, "min_evidence": 5, "hidden_tiers": ["nano", "unknown"]},
    },
    "modularity": 0.41,
    "kept_ids": 3,
    "fitted": {"min_evidence": 5},
}


def _json(params: AnalysisParams) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(params)))


def test_nested_params_round_trip_through_json():
    p = AnalysisParams(
        seed=3,
        level="broad",
        threads=1,
        communities=CommunityParams(resolution=0.8, parallel=True, affinity={"damping": "none"}, top_k=5),
        metrics=MetricsParams(min_evidence=1, hidden_tiers=("micro",), tier_thresholds=(10, 100, 1000)),
    )
    assert stored_params(_json(p)) == p
    assert stored_params({**_json(p), "modularity": 0.3, "kept_ids": 1, "fitted": {}}) == p
    assert stored_params(_json(AnalysisParams())) == AnalysisParams()


def test_the_layout_before_nesting_still_reads():
    p = stored_params(OLD_LAYOUT)
    assert (p.seed, p.level, p.threads) == (7, "broad", 2)
    assert p.communities == CommunityParams(resolution=1.5, parallel=True, top_k=4, affinity={"one_way_follow": 0.25})
    assert p.metrics == MetricsParams(follows_complete=True, min_evidence=5, hidden_tiers=("nano", "unknown"))
    # a seed in extra["communities"] won over the top-level one
    assert stored_params({**OLD_LAYOUT, "extra": {"communities": {"seed": 11}}}).seed == 11
    # a run from before any stage overrides, and one with no parameters at all
    assert stored_params({"seed": 2, "resolution": 1.0, "level": "niche", "threads": None}) == AnalysisParams(seed=2)
    assert stored_params({}) == stored_params(None) == AnalysisParams()


def test_unknown_stored_keys_are_passed_over_but_unknown_arguments_are_refused():
    stored = {**_json(AnalysisParams()), "metrics": {"min_evidence": 4, "retired_knob": 1}, "note": "x"}
    assert stored_params(stored).metrics == MetricsParams(min_evidence=4)
    assert stored_params({**OLD_LAYOUT, "extra": {"note": "<b>", "metrics": {"gone": 1}}}).metrics == MetricsParams()
    with pytest.raises(TypeError, match=r"AnalysisParams\.communities must be a CommunityParams, not dict"):
        AnalysisParams(communities={"resolution": 2.0})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        MetricsParams(dampening=0.5)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="level must be"):
        AnalysisParams(level="galaxy")


def test_rankings_and_explanations_read_either_layout():
    run = RunRecord("r", "2020-01-01T00:00:00+00:00", OLD_LAYOUT, {})
    assert hidden_tiers(run) == ("nano",)
    new = RunRecord("r", "2020-01-01T00:00:00+00:00", _json(AnalysisParams(metrics=MetricsParams(hidden_tiers=(
        "micro", "unknown")))), {})
    assert hidden_tiers(new) == ("micro",)
    row = {"id": "a", "tier": "macro", "score_hidden": None, "niche_engaged": 1}
    for params in (OLD_LAYOUT, {**_json(stored_params(OLD_LAYOUT)), "fitted": OLD_LAYOUT["fitted"]}):
        text = " ".join(explain_account(row, params))
        assert "nano" in text and "micro" not in text  # the eligible tiers the run stored, either way


def test_analysis_stores_each_value_once_and_reads_it_back(tmp_path):
    world = generate(n_accounts=300, n_edges=3_000, seed=4)
    params = AnalysisParams(seed=5, communities=CommunityParams(resolution=1.2), metrics=MetricsParams(min_evidence=2))
    with DuckDBStore(tmp_path / "p.duckdb") as st:
        st.load(world.batches())
        result = run_analysis(st, params)
        run = st.read_run(tables=())[0]
    assert stored_params(run.params) == params
    assert "extra" not in run.params and "seed" not in run.params["communities"]
    assert run.params["communities"]["resolution"] == 1.2 and run.params["metrics"]["min_evidence"] == 2
    # same data and seed: same communities, wherever the seed is read from
    with DuckDBStore(tmp_path / "q.duckdb") as st:
        st.load(world.batches())
        again = run_analysis(st, stored_params(run.params))
    assert np.array_equal(result.accounts.column("community").to_numpy(), again.accounts.column("community").to_numpy())
