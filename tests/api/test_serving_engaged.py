"""The ``engaged`` and ``mutuals`` serving tables from the engine's pair grouping, against plain references."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.api.stages.authenticity import all_mutual_ties
from nichegraph.api.stages.serving import engaged_table, mutuals_table
from nichegraph.engine.mutual_ties import mutual_ties
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate


def arrow_engaged(edges) -> pa.Table:
    """The table as Arrow's own group-by and sort make it (the reference)."""
    src = np.asarray(edges.interaction_src, np.int64)
    dst = np.asarray(edges.interaction_dst, np.int64)
    ts = np.asarray(edges.interaction_ts, np.int64)
    keep = src != dst
    t = pa.table(
        {
            "engager": pa.array(src[keep].astype(np.int32), pa.int32()),
            "account": pa.array(dst[keep].astype(np.int32), pa.int32()),
            "ts": pa.array(ts[keep], pa.int64(), mask=ts[keep] < 0),
            "weight": pa.array(np.asarray(edges.interaction_weight, np.float64)[keep], pa.float64()),
        }
    )
    t = t.group_by(["engager", "account", "ts"]).aggregate([("weight", "sum")])
    t = t.select(["engager", "account", "ts", "weight_sum"]).rename_columns(["engager", "account", "ts", "weight"])
    return t.sort_by([("account", "ascending"), ("engager", "ascending"), ("ts", "ascending")])


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    world = generate(n_accounts=300, n_edges=8_000, seed=5)
    with DuckDBStore(str(tmp_path_factory.mktemp("engaged") / "w.duckdb")) as st:
        st.load(world.batches())
        e = st.read_edges()
    rng = np.random.default_rng(0)
    m = e.interaction_src.size
    # unknown times (several negative values: one null group), repeated times, self-interactions, fractional weights
    ts = np.where(rng.random(m) < 0.2, -rng.integers(1, 3, m), rng.integers(0, 4, m) * 3600).astype(np.int64)
    dst = np.where(rng.random(m) < 0.05, e.interaction_src, e.interaction_dst).astype(np.int32)
    w = rng.random(m) * 3
    return dataclasses.replace(e, interaction_ts=ts, interaction_dst=dst, interaction_weight=w)


def test_engaged_table_equals_arrow_group_by(edges):
    got, want = engaged_table(edges), arrow_engaged(edges)
    assert got.schema == want.schema
    assert got.num_rows < edges.interaction_src.size  # events were merged
    assert got.equals(want)


def test_mutuals_cut_from_all_ties_equals_direct(edges):
    ties = all_mutual_ties(edges)
    for k in (1, 3, 100):
        direct = mutual_ties(
            edges.n_nodes,
            edges.follow_src,
            edges.follow_dst,
            edges.interaction_src,
            edges.interaction_dst,
            edges.interaction_weight,
            per_node=k,
        )
        cut = mutuals_table(edges, per_node=k, ties=ties)
        assert cut.equals(mutuals_table(edges, per_node=k))
        assert cut.column("other").to_numpy().tolist() == direct.other.tolist()
        assert cut.column("strength").to_numpy().tolist() == direct.strength.tolist()
