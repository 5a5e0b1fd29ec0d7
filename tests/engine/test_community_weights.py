"""Uniform arc weights passed to the kernels as one number give exactly the results of the array.

:func:`engine.community._weights.search_weights` hands the kernels a float
instead of ``A`` when every arc weighs the same; numba compiles each kernel
for both.  Every kernel and both algorithms must return identical labels,
graphs and move counts either way, on every graph of the zoo, with the
weights as they are and all set to one constant (2.5).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from zoo import zoo

from nichegraph.engine import from_edges
from nichegraph.engine.community import leiden, louvain
from nichegraph.engine.community import local_moving as lm
from nichegraph.engine.community._objective import make_objective, work_graph
from nichegraph.engine.community._rng import block_permutation, new_state
from nichegraph.engine.community._weights import arc_weight, search_weights
from nichegraph.engine.community.aggregation import aggregate
from nichegraph.engine.community.refinement import refine

ZOO = zoo()
NAMES = sorted(ZOO)
TWO = min(2, numba.config.NUMBA_NUM_THREADS)


def graphs(name):
    """The zoo graph as it is, and with every edge weighing 2.5 (one shared value, not 1)."""
    z = ZOO[name]
    yield "as is", z.engine()
    yield "all 2.5", from_edges(z.src, z.dst, np.full(len(z.src), 2.5), n_nodes=z.n_nodes, directed=False)


def test_search_weights_shares_only_a_common_value():
    assert search_weights(np.full(5, 2.5)) == 2.5 and isinstance(search_weights(np.full(5, 2.5)), float)
    mixed = np.array([1.0, 2.0, 1.0])
    assert search_weights(mixed) is mixed
    empty = np.zeros(0)
    assert search_weights(empty) is empty
    # a self-loop is stored as 2 w in the search adjacency: not uniform any more
    g = from_edges([0, 1, 1], [1, 2, 1], directed=False)
    A = work_graph(g, "modularity").A
    assert sorted(set(A.tolist())) == [1.0, 2.0] and search_weights(A) is A
    assert arc_weight(2.5, 7) == 2.5 and arc_weight(mixed, 1) == 2.0


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 1])
@pytest.mark.parametrize("objective", ["modularity", "cpm"])
def test_kernels_identical_with_shared_weight(name, objective):
    for kind, g in graphs(name):
        wg = work_graph(g, objective)
        shared = search_weights(wg.A)
        obj = make_objective(objective, 1.0 if objective == "modularity" else 0.2, wg)
        if objective == "modularity" and obj.scale == 0.0:
            continue
        n = wg.n
        order = block_permutation(new_state(1), n, 4)
        tol = 1e-10
        results = []
        for A in (wg.A, shared):
            serial = np.arange(n, dtype=np.int32)
            m1 = lm.move_nodes(wg.indptr, wg.indices, A, wg.node_w, serial, obj.scale, order, tol)
            coloured = np.arange(n, dtype=np.int32)
            colour, k_colours = lm.window_colouring(wg.indptr, wg.indices, order, 16)
            m2 = lm.move_nodes_coloured(wg.indptr, wg.indices, A, wg.node_w, coloured, obj.scale, order, colour,
                                        k_colours, tol, 16, TWO, True)
            k = int(serial.max()) + 1
            ref, kr = refine(wg.indptr, wg.indices, A, wg.node_w, serial, k, obj.scale, 0.01, order, new_state(2),
                             True)
            agg = aggregate(wg.indptr, wg.indices, A, ref, kr, TWO, True)
            results.append((m1, serial, m2, coloured, ref, kr, *agg))
        for a, b in zip(*results):
            assert np.array_equal(a, b), (name, kind)


@pytest.mark.parametrize("name", NAMES)
def test_leiden_and_louvain_identical_with_shared_weight(name, monkeypatch):
    import sys
    mod = sys.modules["nichegraph.engine.community.leiden"]
    monkeypatch.setattr(lm, "PARALLEL_MIN_NODES", 0)  # the colour-group search too, on these small graphs
    for kind, g in graphs(name):
        runs = []
        for share in (True, False):
            monkeypatch.setattr(mod, "search_weights", search_weights if share else (lambda A: A))
            runs.append([leiden(g, seed=3), leiden(g, seed=3, parallel=True), louvain(g, seed=3),
                         leiden(g, seed=3, objective="cpm", resolution=0.3)])
        for a, b in zip(*runs):
            assert np.array_equal(a.labels, b.labels), (name, kind)
            assert len(a.levels) == len(b.levels)
            assert a.quality == b.quality or (np.isnan(a.quality) and np.isnan(b.quality))


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 1])
@pytest.mark.parametrize("weight", [1.0, 2.5, 0.1])
def test_aggregation_stores_float32_only_where_exact(name, weight):
    # a shared weight aggregates into float32 when every sum fits exactly (whole numbers, halves), into float64
    # otherwise (sums of 0.1); either way the values equal the float64 aggregation of the weight array
    z = ZOO[name]
    g = from_edges(z.src, z.dst, np.full(len(z.src), weight), n_nodes=z.n_nodes, directed=False)
    wg = work_graph(g, "modularity")
    labels = np.random.default_rng(6).integers(0, max(2, z.n_nodes // 3), z.n_nodes).astype(np.int32)
    labels = np.unique(labels, return_inverse=True)[1].astype(np.int32)
    k = int(labels.max()) + 1
    for n_slices, parallel in ((1, False), (TWO, True)):
        wide = aggregate(wg.indptr, wg.indices, wg.A.astype(np.float64), labels, k, n_slices, parallel)
        shared = search_weights(wg.A)
        got = aggregate(wg.indptr, wg.indices, shared, labels, k, n_slices, parallel)
        assert wide[2].dtype == np.float64
        assert np.array_equal(got[0], wide[0]) and np.array_equal(got[1], wide[1])
        assert np.array_equal(got[2].astype(np.float64), wide[2])
        if np.ndim(shared) == 0:
            exact = np.array_equal(wide[2].astype(np.float32).astype(np.float64), wide[2])
            assert got[2].dtype == (np.float32 if exact else np.float64)
            if weight != 0.1 and wide[2].size:
                assert got[2].dtype == np.float32
        # aggregating the float32 level again stays exact
        if got[2].dtype == np.float32 and got[0].shape[0] > 2:
            top = np.arange(k, dtype=np.int32) // 2
            again = aggregate(got[0], got[1], got[2], top, int(top.max()) + 1)
            again_wide = aggregate(wide[0], wide[1], wide[2], top, int(top.max()) + 1)
            assert again[2].dtype == np.float32
            assert np.array_equal(again[2].astype(np.float64), again_wide[2])


def test_aggregation_falls_back_to_float64_past_float32_precision():
    # three arcs of 2**23 + 1 (each exact in float32) into one community pair: their sum, 25165827, is odd
    # and above 2**24, so float32 cannot hold it
    w = np.float32(2 ** 23 + 1)
    indptr = np.array([0, 1, 2, 3, 6], dtype=np.int64)
    indices = np.array([3, 3, 3, 0, 1, 2], dtype=np.int32)
    A = np.full(6, w, dtype=np.float32)
    labels = np.array([0, 0, 0, 1], dtype=np.int32)
    ip, ix, aw = aggregate(indptr, indices, A, labels, 2)
    assert aw.dtype == np.float64
    assert ip.tolist() == [0, 1, 2] and ix.tolist() == [1, 0]
    assert aw.tolist() == [3.0 * (2 ** 23 + 1)] * 2
