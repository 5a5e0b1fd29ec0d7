"""The Spark engine's store mode end to end in local mode, against the single-machine engine on a small
synthetic world (fixtures: conftest.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from nichegraph.api.analysis import run_analysis
from nichegraph.api.spark import SparkParams, run_spark_analysis
from nichegraph.api.spark.budget import session_max_partition
from nichegraph.graph_store.duckdb_store import DuckDBStore

from .worlds import FAST


def _run(spark, src, tmp_path, name, spark_params, params=FAST):
    path = tmp_path / f"{name}.duckdb"
    shutil.copy(src, path)
    with DuckDBStore(str(path)) as st:
        if spark_params is None:
            result = run_analysis(st, params)
        else:
            result = run_spark_analysis(st, params, spark_params, spark=spark)
    return path, result.accounts.to_pandas()


def test_by_default_a_component_that_fits_a_task_is_whole_and_agrees_with_the_single_machine(
    spark, world_store, tmp_path
):
    _, single = _run(spark, world_store, tmp_path, "single", None)
    path, dist = _run(spark, world_store, tmp_path, "spark", SparkParams())
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
    # the default budget: local[2] with 1g gives each task 512 MiB, 1,048,576 rows at 512 bytes
    assert run.params["spark"]["max_partition"] == session_max_partition(spark) == 1_048_576
    assert run.params["spark"]["partitions"] == 1
    assert tables["accounts"].num_rows == len(single)
    assert set(tables["communities"].column("level").to_pylist()) == {"broad", "niche"}
