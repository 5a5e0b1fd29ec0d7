"""``analyze --engine spark --input DIR``: Parquet in, Parquet out, the same results as the store mode, and the
same results on ``local[1]`` and ``local[2]`` with other shuffle partitions (one Spark run checks both)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nichegraph.api.spark import SparkParams
from nichegraph.api.spark.lake import LakeInputRejected
from nichegraph.api.spark.lake_run import SPARK_TABLES, run_spark_lake
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth.files import write_world

from .worlds import FAST, FAST_SOURCE, posts, world

#: The giant component's load (halo rows plus accounts) is ~2,800: cut, so every coarse step runs.
SPLIT_SOURCE = "SparkParams(max_partition=700, lpa_iterations=4)"
SPLIT = SparkParams(max_partition=700, lpa_iterations=4)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lake") / "world"
    w = world()
    write_world(w, out, fmt="parquet")
    pq.write_table(posts(w), out / "posts.parquet")
    return out


@pytest.fixture(scope="module")
def lake_run(spark, lake_dir, tmp_path_factory):
    """The lake mode in this process (local[2], 3 shuffle partitions)."""
    spark.conf.set("spark.sql.shuffle.partitions", "3")
    try:
        return run_spark_lake(str(lake_dir), str(tmp_path_factory.mktemp("out") / "run"), FAST, SPLIT, spark=spark)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "4")


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas().reset_index(drop=True)


def _plain(values: pd.Series) -> list:
    """Cells as plain Python values: lists for list cells, None for every unknown."""
    return [
        v.tolist() if isinstance(v, np.ndarray) else (None if v is None or v is pd.NA or v != v else v) for v in values
    ]


def _same(a: pd.DataFrame, b: pd.DataFrame, what: str, atol: float = 1e-12) -> None:
    assert list(a.columns) == list(b.columns), what
    assert len(a) == len(b), what
    for c in a.columns:
        x, y = a[c], b[c]
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            x, y = x.astype(float).to_numpy(), y.astype(float).to_numpy()
            assert np.array_equal(np.isnan(x), np.isnan(y)), f"{what}.{c}: unknowns differ"
            assert np.allclose(x[~np.isnan(x)], y[~np.isnan(y)], rtol=0, atol=atol), f"{what}.{c}"
        else:
            assert _plain(x) == _plain(y), f"{what}.{c}"


def test_store_mode_on_local1_gives_the_parquet_modes_results_on_local2(world_store, lake_run, tmp_path):
    """One Spark run checks two things: the store mode on another master (a new JVM, ``local[1]``, one shuffle
    partition) gives the tables of the Parquet mode on ``local[2]`` with three shuffle partitions: labels,
    tiers, degrees and coreness identical, every other value within 1e-9 (sums of floats on Spark)."""
    path = tmp_path / "store.duckdb"
    path.write_bytes(world_store.read_bytes())
    script = (
        "import sys\n"
        "import pyarrow.parquet as pq\n"
        "from nichegraph.api.spark import SparkParams, run_spark_analysis, spark_session\n"
        "from nichegraph.api.params import AnalysisParams\n"
        "from nichegraph.api.stages.metrics import MetricsParams\n"
        "from nichegraph.graph_store.duckdb_store import DuckDBStore\n"
        "spark = spark_session('local[1]', driver_memory='1g', shuffle_partitions=1)\n"
        "with DuckDBStore(sys.argv[1]) as st:\n"
        f"    res = run_spark_analysis(st, {FAST_SOURCE}, {SPLIT_SOURCE}, spark=spark)\n"
        "pq.write_table(res.accounts, sys.argv[2] + '/accounts.parquet')\n"
        "pq.write_table(res.communities, sys.argv[2] + '/communities.parquet')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path)], check=True)
    with DuckDBStore(str(path)) as st:
        run, tables = st.read_run()
    out = lake_run.output
    got = _frame(pq.read_table(os.path.join(out, "accounts.parquet")))
    stored = _frame(pq.read_table(tmp_path / "accounts.parquet"))
    # every measure, authenticity and engagement included (those come from other code in each mode)
    for c in ("community", "niche", "tier", "coreness", "in_degree", "authenticity_weakest"):
        assert got[c].equals(stored[c]), c
    _same(stored, got, "accounts", atol=1e-9)
    assert got["community"].max() > 0  # the split found several communities
    _same(
        _frame(pq.read_table(tmp_path / "communities.parquet")),
        _frame(pq.read_table(os.path.join(out, "communities.parquet"))),
        "communities",
        atol=1e-9,
    )
    for name, order in SPARK_TABLES.items():
        mine = pq.read_table(os.path.join(out, f"{name}.parquet")).to_pandas()
        theirs = tables[name].to_pandas()[list(mine.columns)]
        assert len(mine) > 0, name
        _same(
            theirs.sort_values(list(order)).reset_index(drop=True),
            mine.sort_values(list(order)).reset_index(drop=True),
            name,
            atol=1e-9,
        )
    manifest = json.loads(open(os.path.join(out, "manifest.json")).read())
    assert manifest["counts"]["accounts"] == len(got) == run.counts["accounts"]
    assert manifest["counts"]["follows"] == run.counts["follows"]
    for params in (manifest["params"], run.params):
        assert params["engine"] == "spark" and params["spark"]["max_partition"] == SPLIT.max_partition
    assert manifest["params"]["spark"]["partitions"] == run.params["spark"]["partitions"] > 1
    assert set(manifest["tables"]) == {"accounts", "communities", *SPARK_TABLES}


def test_bad_input_is_refused_with_file_field_and_reason(spark, lake_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("accounts", "follows"):
        (bad / f"{name}.parquet").write_bytes((lake_dir / f"{name}.parquet").read_bytes())
    itr = pq.read_table(lake_dir / "interactions.parquet")
    kinds = itr.column("kind").to_pylist()
    kinds[7] = "poke"
    pq.write_table(
        itr.set_column(itr.schema.get_field_index("kind"), "kind", pa.array(kinds)), bad / "interactions.parquet"
    )
    with pytest.raises(LakeInputRejected) as err:
        run_spark_lake(str(bad), str(tmp_path / "out"), FAST, SPLIT, spark=spark)
    issue = err.value.issues[0]
    assert issue.file.endswith("interactions.parquet") and issue.field == "kind" and "'poke'" in issue.reason
    assert not (tmp_path / "out").exists()
    # a column of the wrong type, through the command line: exit code 2, the message, nothing written
    pq.write_table(
        itr.set_column(itr.schema.get_field_index("weight"), "weight", pa.array(["1"] * itr.num_rows)),
        bad / "interactions.parquet",
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "nichegraph.api.cli",
            "analyze",
            "--engine",
            "spark",
            "--input",
            str(bad),
            "--output",
            str(tmp_path / "out2"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2, run.stderr
    assert "interactions.parquet: field 'weight': column of type string: expected double" in run.stderr
    assert not (tmp_path / "out2").exists()
    os.remove(bad / "follows.parquet")
    with pytest.raises(LakeInputRejected, match="no follows table"):
        run_spark_lake(str(bad), str(tmp_path / "out"), FAST, SPLIT, spark=spark)
