"""`nichegraph export` and `run_tables`: a real analysis run of a small synthetic world written to Parquet,
CSV, GEXF and GraphML and read back (the graph files with networkx, as Gephi users' other tool would)."""

from __future__ import annotations

import csv
import math

import networkx as nx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from nichegraph.api.analysis import AnalysisParams, run_analysis
from nichegraph.api.cli import app
from nichegraph.api.export import run_tables
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate

runner = CliRunner()


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("export") / "s.duckdb")
    world = generate(n_accounts=300, n_edges=4_000, seed=5)
    with DuckDBStore(path) as st:
        st.load(world.batches())
        run_analysis(st, AnalysisParams(seed=0))
        record, tables = run_tables(st, edges=True)
    return path, record, tables


def _export(path, *args):
    result = runner.invoke(app, ["export", "--store", path, *args])
    assert result.exit_code == 0, result.output
    return result


def test_run_tables_hold_every_measure_communities_and_edges(analysed):
    _, record, tables = analysed
    accounts = tables["accounts"]
    for column in ("id", "tier", "community", "niche", "pagerank", "score_hidden"):
        assert column in accounts.column_names
    assert accounts.num_rows == record.counts["accounts"]
    assert {"broad", "niche"} <= set(tables["communities"].column("level").to_pylist())
    assert tables["follows"].num_rows > 0 and tables["interactions"].num_rows > 0


def test_parquet_reads_back_equal(analysed, tmp_path):
    path, _, tables = analysed
    _export(path, "--format", "parquet", "--out", str(tmp_path / "out"), "--edges")
    for name, table in tables.items():
        assert pq.read_table(tmp_path / "out" / f"{name}.parquet").equals(table), name


def test_csv_has_every_row_and_column(analysed, tmp_path):
    path, _, tables = analysed
    _export(path, "--format", "csv", "--out", str(tmp_path / "out"))
    with open(tmp_path / "out" / "accounts.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    accounts = tables["accounts"]
    assert len(rows) == accounts.num_rows
    assert list(rows[0]) == accounts.column_names
    assert [r["id"] for r in rows] == accounts.column("id").to_pylist()
    assert [int(r["community"]) for r in rows] == accounts.column("community").to_pylist()
    assert (tmp_path / "out" / "communities.csv").is_file()
    assert not (tmp_path / "out" / "follows.csv").exists()  # edges only with --edges


def _same(value, expected) -> bool:
    if isinstance(expected, float):
        return math.isclose(float(value), expected, rel_tol=0, abs_tol=0)
    return value == expected


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_graph_files_read_back_with_networkx(analysed, tmp_path, fmt):
    path, _, tables = analysed
    out = tmp_path / f"run.{fmt}"
    _export(path, "--format", fmt, "--out", str(out), "--edges")
    g = nx.read_gexf(out) if fmt == "gexf" else nx.read_graphml(out)
    accounts = tables["accounts"].to_pylist()
    assert set(g.nodes) == {a["id"] for a in accounts}
    for row in accounts:
        attrs = g.nodes[row["id"]]
        for key, expected in row.items():
            if key == "id":
                continue
            if expected is None:
                assert key not in attrs, (row["id"], key)  # an unknown stays unknown, never NaN
            else:
                assert _same(attrs[key], expected), (row["id"], key, attrs[key], expected)
    follows = {(a, b) for a, b in zip(tables["follows"].column("follower").to_pylist(),
                                      tables["follows"].column("followee").to_pylist(), strict=True)}
    exported = {(a, b) for a, b, d in g.edges(data=True) if d.get("type") == "follow"} if fmt == "graphml" else None
    if fmt == "graphml":
        assert follows <= exported
    else:
        assert follows <= set(g.edges())


def test_export_without_a_run_is_a_clear_error(tmp_path):
    path = str(tmp_path / "empty.duckdb")
    with DuckDBStore(path) as st:
        st.load(generate(n_accounts=100, n_edges=300, seed=1).batches())
    result = runner.invoke(app, ["export", "--store", path, "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "nichegraph analyze" in str(result.exception) + result.output
    assert not (tmp_path / "x").exists()  # nothing half-written


def test_pandas_frames(analysed):
    path, _, tables = analysed
    with DuckDBStore(path, read_only=True) as st:
        _, frames = run_tables(st, as_pandas=True)
    assert list(frames["accounts"].columns) == tables["accounts"].column_names
    assert len(frames["accounts"]) == tables["accounts"].num_rows
