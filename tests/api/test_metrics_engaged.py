"""``niche_engaged``: distinct accounts of an account's niche that follow it or interact with it (plain Python)."""

from __future__ import annotations

import numpy as np
import pytest

from nichegraph.api.stages.metrics import MetricsParams, compute_metrics
from nichegraph.engine.attention import KINDS
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate


@pytest.mark.parametrize("kind_weights", [{}, {"mention": 0.0, "reply": 0.0}])
def test_niche_engaged_counts_distinct_accounts_of_the_niche(tmp_path, kind_weights):
    world = generate(n_accounts=300, n_edges=5_000, seed=9)
    with DuckDBStore(str(tmp_path / "w.duckdb")) as st:
        st.load(world.batches())
        edges = st.read_edges()
    n = edges.n_nodes
    comm = np.random.default_rng(1).integers(0, 4, n)
    got = compute_metrics(edges, None, comm, params=MetricsParams(kind_weights=kind_weights))["niche_engaged"]
    pairs = set(zip(edges.follow_src.tolist(), edges.follow_dst.tolist()))
    for s, d, k in zip(edges.interaction_src.tolist(), edges.interaction_dst.tolist(), edges.interaction_kind):
        if kind_weights.get(KINDS[k], 1.0) > 0:
            pairs.add((s, d))
    want = np.zeros(n, dtype=np.int64)
    for s, d in pairs:
        if s != d and comm[s] == comm[d]:
            want[d] += 1
    assert got.dtype == np.int64
    assert np.array_equal(got, want)
    assert want.sum() > 0
