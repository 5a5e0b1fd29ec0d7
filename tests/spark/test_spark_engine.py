"""The Spark engine end to end in local mode (one SparkSession for the whole test session), against the
single-machine engine on a small synthetic world."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from nichegraph.api.analysis import run_analysis
from nichegraph.api.params import AnalysisParams
from nichegraph.api.spark import SparkParams, run_spark_analysis, spark_session
from nichegraph.api.stages.metrics import MetricsParams
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate

# fitted priors and the hidden score need nothing of Spark; a looser PageRank tolerance keeps the suite short
FAST = AnalysisParams(metrics=MetricsParams(tol=1e-9))


@pytest.fixture(scope="session")
def spark():
    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=4)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def world_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("spark") / "world.duckdb"
    with DuckDBStore(str(path)) as st:
        st.load(generate(n_accounts=300, n_edges=2500, seed=5).batches())
    return path


def _run(spark, src, tmp_path, name, spark_params, params=FAST):
    path = tmp_path / f"{name}.duckdb"
    shutil.copy(src, path)
    with DuckDBStore(str(path)) as st:
        if spark_params is None:
            result = run_analysis(st, params)
        else:
            result = run_spark_analysis(st, params, spark_params, spark=spark)
    return path, result.accounts.to_pandas()


def test_one_partition_agrees_with_the_single_machine_engine(spark, world_store, tmp_path):
    _, single = _run(spark, world_store, tmp_path, "single", None)
    path, dist = _run(spark, world_store, tmp_path, "spark", SparkParams(max_partition=10**6))
    assert np.abs(single.pagerank - dist.pagerank).sum() < 1e-6
    for c in ("in_degree", "out_degree", "coreness", "followers_observed", "tier", "reciprocity"):
        assert single[c].equals(dist[c]), c
    assert normalized_mutual_info_score(single.community, dist.community) >= 0.95
    assert normalized_mutual_info_score(single.niche, dist.niche) >= 0.95
    # the run is an ordinary run: rank reads it unchanged
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "nichegraph.api.cli",
            "rank",
            "--store",
            str(path),
            "--by",
            "pagerank",
            "--limit",
            "5",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    ranked = json.loads(out.stdout)
    rows = ranked["rows"]
    assert [r["id"] for r in rows] == dist.sort_values(["pagerank", "idx"], ascending=[False, True]).id[:5].tolist()
    with DuckDBStore(str(path)) as st:
        run, tables = st.read_run(tables=("accounts", "communities"))
    assert run.params["engine"] == "spark"
    assert tables["accounts"].num_rows == len(single)
    assert set(tables["communities"].column("level").to_pylist()) == {"broad", "niche"}


def test_split_partitions_give_the_same_result_for_any_spark_partitioning(spark, world_store, tmp_path):
    results = []
    for shuffle in (1, 3):
        spark.conf.set("spark.sql.shuffle.partitions", str(shuffle))
        try:
            _, acc = _run(spark, world_store, tmp_path, f"split{shuffle}", SparkParams(max_partition=80, groups=2))
        finally:
            spark.conf.set("spark.sql.shuffle.partitions", "4")
        results.append(acc)
    a, b = results
    assert a.community.equals(b.community) and a.niche.equals(b.niche)
    assert np.abs(a.pagerank - b.pagerank).max() < 1e-12
    assert a.score_hidden.fillna(-1).sub(b.score_hidden.fillna(-1)).abs().max() < 1e-9
    assert a.community.nunique() > 1
