"""`nichegraph rank` over a stored run of a small synthetic world, checked against naive counts."""

from __future__ import annotations

import csv
import json

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from nichegraph.api.cli import app
from nichegraph.api.stages.serving import serving_tables
from nichegraph.api.params import AnalysisParams, stored_params
from nichegraph.api.stages.metrics import METRIC_COLUMNS, MetricsParams, compute_metrics
from nichegraph.graph_store import RunRecord
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import BRAND_AFFILIATION, BRAND_HANDLE, BRAND_HASHTAG, generate

runner = CliRunner()


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A store holding a synthetic world and one run with every metric (planted communities)."""
    world = generate(n_accounts=800, n_edges=16_000, seed=3)
    path = str(tmp_path_factory.mktemp("rank") / "s.duckdb")
    with DuckDBStore(path) as st:
        st.load(world.batches())
        edges = st.read_edges()
        accounts = st.read_accounts()
        truth = dict(zip(world.account_ids().to_pylist(), world.community.tolist()))
        community = np.array([truth[i] for i in edges.node_ids], dtype=np.int64)
        cols = {"idx": np.arange(edges.n_nodes, dtype=np.int32)}
        for c in ("id", "handle", "platform", "followers_count", "affiliation"):
            cols[c] = accounts.column(c)
        cols["community"] = community
        cols["niche"] = np.array([dict(zip(world.account_ids().to_pylist(), world.niche.tolist()))[i]
                                  for i in edges.node_ids], dtype=np.int64)
        metrics = compute_metrics(edges, accounts, community)
        cols.update(metrics)
        table = pa.table({k: v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(v) for k, v in cols.items()})
        st.write_run(RunRecord("r1", "2026-01-01T00:00:00+00:00", {}, st.counts()),
                     {"accounts": table, **serving_tables(st, edges)})
    return path, world, table


def run_json(path, *args):
    res = runner.invoke(app, ["rank", "--store", path, "--format", "json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)["rows"]


def test_metric_columns_present(stored):
    _, _, table = stored
    assert set(METRIC_COLUMNS) <= set(table.column_names)


def test_hidden_ranking_is_sorted_explainable_and_small(stored):
    path, _, _ = stored
    rows = run_json(path, "--by", "hidden", "--limit", "40")
    assert 0 < len(rows) <= 40
    assert all(r["tier"] in ("nano", "micro") for r in rows)
    scores = [r["score_hidden"] for r in rows]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    for r in rows:  # the score is rebuilt from the components it shows, and rests on evidence
        parts = [x for x in (r["social_ratio_shrunk"], r["follow_back_ratio_shrunk"]) if x is not None]
        social = sum(parts) / len(parts) if parts else 0.0
        assert abs(r["score_hidden"] - r["niche_percentile"] / 100 * social * r["evidence_weight"]) < 1e-12
        assert r["niche_engaged"] >= 3
        for c in ("inbound_accounts", "inbound_events", "reciprocated_events", "followers_observed"):
            assert c in r
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))


def test_pagerank_top_and_filters(stored):
    path, _, table = stored
    pr = table.column("pagerank").to_numpy()
    rows = run_json(path, "--by", "pagerank", "--limit", "3")
    assert rows[0]["idx"] == int(np.argmax(pr))
    comm = int(table.column("community").to_numpy()[0])
    rows = run_json(path, "--by", "niche", "--community", str(comm), "--tier", "nano,micro", "--limit", "500")
    assert rows and all(r["community"] == comm and r["tier"] in ("nano", "micro") for r in rows)
    mask = (table.column("community").to_numpy() == comm) & np.isin(table.column("tier").to_numpy(zero_copy_only=False),
                                                                     ["nano", "micro"])
    assert len(rows) == int(mask.sum())
    niche = int(table.column("niche").to_numpy()[0])
    rows = run_json(path, "--by", "pagerank", "--niche", str(niche), "--limit", "100000")
    assert len(rows) == int((table.column("niche").to_numpy() == niche).sum())


def test_brand_affinity_matches_naive_counts(stored):
    path, world, _ = stored
    ids = world.account_ids().to_pylist()
    naive: dict[str, int] = {}
    for s, d, tags in zip(world.interaction_src.tolist(), world.interaction_dst.tolist(), world.interaction_tags.tolist()):
        hits = int(d == world.brand) + sum(t.lower() == BRAND_HASHTAG for t in world.tagset(tags))
        if hits and s != world.brand:
            naive[ids[s]] = naive.get(ids[s], 0) + hits
    rows = run_json(path, "--by", "brand-affinity", "--brand", "@" + BRAND_HANDLE.upper(), "--hashtag",
                    "#" + BRAND_HASHTAG, "--limit", "100000")
    assert {r["id"]: r["brand_touches"] for r in rows} == {k: float(v) for k, v in naive.items()}
    npr = [r["niche_pagerank"] for r in rows]
    assert npr == sorted(npr, reverse=True)


def test_internal_ranking(stored):
    path, _, table = stored
    rows = run_json(path, "--by", "internal", "--affiliation", BRAND_AFFILIATION.lower(), "--brand", BRAND_HANDLE,
                    "--limit", "100000")
    assert rows and all(r["affiliation"] == BRAND_AFFILIATION for r in rows)
    aff = np.array(table.column("affiliation").to_pylist(), dtype=object) == BRAND_AFFILIATION
    touched = {r["community"] for r in run_json(path, "--by", "brand-affinity", "--brand", BRAND_HANDLE,
                                                "--limit", "100000")}
    assert {r["community"] for r in rows} <= touched
    expect = int((aff & np.isin(table.column("community").to_numpy(), list(touched))).sum())
    assert len(rows) == expect


def test_csv_out_and_table(stored, tmp_path):
    path, _, _ = stored
    out = tmp_path / "top.csv"
    res = runner.invoke(app, ["rank", "--store", path, "--by", "social", "--limit", "5", "--format", "csv",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5 and "social_ratio" in rows[0]
    res = runner.invoke(app, ["rank", "--store", path, "--by", "pagerank", "--limit", "3"])
    assert res.exit_code == 0 and "pagerank" in res.output


@pytest.mark.parametrize("args, message", [
    (["--by", "brand-affinity"], "--brand"),
    (["--by", "brand-affinity", "--brand", "nosuchbrand"], "no account"),
    (["--by", "internal"], "--affiliation"),
    (["--by", "fame"], "--by must be one of"),
])
def test_errors_are_clear(stored, args, message):
    path, _, _ = stored
    res = runner.invoke(app, ["rank", "--store", path, *args])
    assert res.exit_code == 2
    assert message in res.output


@pytest.mark.parametrize("n", [0, 1, 3])
def test_compute_metrics_on_empty_and_isolated_accounts(n):
    from nichegraph.graph_store import EdgeArrays

    e32 = np.zeros(0, np.int32)
    edges = EdgeArrays(np.array([str(i) for i in range(n)], dtype=object), np.full(n, np.nan), e32, e32, e32, e32,
                       np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0))
    m = compute_metrics(edges, None, np.zeros(n, np.int64))
    assert set(m) == set(METRIC_COLUMNS) and all(len(v) == n for v in m.values())
    if n:
        assert np.allclose(m["pagerank"], 1 / n) and m["tier"].tolist() == ["unknown"] * n
        assert not m["tier_estimated"].any() and np.isnan(m["score_hidden"]).all()  # no evidence: no score
        m = compute_metrics(edges, None, np.zeros(n, np.int64), params=MetricsParams(follows_complete=True, min_evidence=0))
        assert m["tier"].tolist() == ["nano"] * n and m["tier_estimated"].all() and (m["score_hidden"] == 0).all()


def test_compute_metrics_rejects_bad_params():
    from nichegraph.graph_store import EdgeArrays

    e32 = np.zeros(0, np.int32)
    edges = EdgeArrays(np.array(["a"], dtype=object), np.full(1, np.nan), e32, e32, e32, e32,
                       np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0))
    with pytest.raises(TypeError, match=r"AnalysisParams\.metrics must be a MetricsParams, not dict"):
        AnalysisParams(metrics={"dampening": 0.5})
    with pytest.raises(ValueError, match="one label per account"):
        compute_metrics(edges, None, np.zeros(2, np.int64))


def test_analyze_parallel_flag_is_stored_and_thread_independent(tmp_path):
    world = generate(n_accounts=600, n_edges=8_000, seed=5)
    path = str(tmp_path / "p.duckdb")
    with DuckDBStore(path) as st:
        st.load(world.batches())
    tables = []
    for threads in ("1", "2"):
        res = runner.invoke(app, ["analyze", "--store", path, "--parallel", "--threads", threads])
        assert res.exit_code == 0, res.output
        with DuckDBStore(path) as st:
            run, t = st.read_run()
        assert stored_params(run.params).communities.parallel is True
        tables.append(t["accounts"].select(["id", "community", "niche"]))
    assert tables[0].equals(tables[1])
    res = runner.invoke(app, ["analyze", "--store", path, "--serial"])
    assert res.exit_code == 0, res.output
    with DuckDBStore(path) as st:
        assert stored_params(st.read_run()[0].params).communities.parallel is False
