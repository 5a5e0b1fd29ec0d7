"""The ``touches`` serving table: one pass over the edge arrays gives the store's own event counts."""

from __future__ import annotations

import dataclasses

import pytest

from nichegraph.api.stages.serving import touches_table
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate


@pytest.mark.parametrize("seed", [3, 4])
def test_touches_from_arrays_equal_touches_from_store(tmp_path, seed):
    world = generate(n_accounts=400, n_edges=6_000, seed=seed)
    with DuckDBStore(str(tmp_path / "w.duckdb")) as st:
        st.load(world.batches())
        # aggregated rows (n > 1), repeats and self-interactions, besides the generated ones
        st.con.execute("UPDATE interactions SET n = n + 2 WHERE src % 7 = 0")
        st.con.execute("INSERT INTO interactions SELECT * REPLACE (src AS dst) FROM interactions WHERE src % 11 = 0")
        edges = st.read_edges()
        assert edges.interaction_n is not None and (edges.interaction_n > 1).any()
        assert (edges.interaction_src == edges.interaction_dst).any()
        fast = touches_table(st, edges)
        slow = touches_table(st, dataclasses.replace(edges, interaction_n=None))  # asks the store
        assert fast.schema == slow.schema
        assert fast.equals(slow)
        naive: dict[tuple[int, int], int] = {}
        for s, d, k in zip(edges.interaction_src.tolist(), edges.interaction_dst.tolist(), edges.interaction_n):
            naive[(s, d)] = naive.get((s, d), 0) + int(k)
        rows = fast.to_pylist()
        assert [(r["target"], r["source"]) for r in rows] == sorted((d, s) for s, d in naive)
        assert {(r["source"], r["target"]): r["n"] for r in rows} == naive
