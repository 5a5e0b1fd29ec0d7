"""Community detection: modularity against networkx/igraph, move deltas, aggregation, Leiden invariants."""

from __future__ import annotations

import math

import networkx as nx
import numba
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from zoo import zoo

from nichegraph import engine
from nichegraph.engine import GraphInputError, from_edges
from nichegraph.engine.community import (
    Partition,
    leiden,
    leiden_levels,
    louvain,
    louvain_levels,
    modularity,
    move_delta,
    quality,
)
from nichegraph.engine.community._objective import community_totals, h_value, make_objective, work_graph
from nichegraph.engine.community.aggregation import aggregate, sum_by_label

ZOO = zoo()
NAMES = sorted(ZOO)


def label_sets(n: int, rng):
    yield np.zeros(n, dtype=np.int64)
    yield np.arange(n)
    yield rng.integers(0, 3, n)
    yield rng.integers(0, max(n // 3, 1), n) * 7 - 5  # arbitrary, negative and sparse label values


def nx_modularity(H, labels, resolution):
    groups = {}
    for v, c in enumerate(labels.tolist()):
        groups.setdefault(c, set()).add(v)
    return nx.community.modularity(H, list(groups.values()), weight="weight", resolution=resolution)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("resolution", [1.0, 0.5, 2.0])
def test_modularity_matches_networkx_and_igraph(name, resolution):
    z = ZOO[name]
    g, H, G = z.engine(), z.networkx(), z.igraph()
    rng = np.random.default_rng(3)
    for labels in label_sets(z.n_nodes, rng):
        ours = modularity(g, labels, resolution=resolution)
        ig_q = G.modularity(list(np.unique(labels, return_inverse=True)[1].reshape(-1)), weights="weight",
                            resolution=resolution) if z.n_nodes else float("nan")
        if H.number_of_edges() == 0:  # undefined: networkx divides by zero, igraph and we give NaN
            assert math.isnan(ours) and math.isnan(ig_q)
            continue
        assert ours == pytest.approx(nx_modularity(H, labels, resolution), abs=1e-9)
        assert ours == pytest.approx(ig_q, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_modularity_is_identical_on_any_thread_count(name):
    # the per-node sums run on numba's threads; the per-community sums must not depend on how many
    z = ZOO[name]
    g = z.engine()
    rng = np.random.default_rng(5)
    before = numba.get_num_threads()
    try:
        for labels in label_sets(z.n_nodes, rng):
            numba.set_num_threads(1)
            one = (modularity(g, labels), quality(g, labels, objective="cpm", resolution=0.3))
            numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
            two = (modularity(g, labels), quality(g, labels, objective="cpm", resolution=0.3))
            assert np.array_equal(one, two, equal_nan=True)
    finally:
        numba.set_num_threads(before)


def naive_cpm(z, labels, resolution):
    e = {}
    for u, v, w in zip(z.src.tolist(), z.dst.tolist(), z.weight.tolist()):
        if labels[u] == labels[v]:
            e[labels[u]] = e.get(labels[u], 0.0) + w
    sizes = {c: int((labels == c).sum()) for c in np.unique(labels).tolist()}
    return sum(e.values()) - resolution * sum(s * (s - 1) / 2 for s in sizes.values())


@pytest.mark.parametrize("name", NAMES)
def test_cpm_quality_matches_naive(name):
    z = ZOO[name]
    g = z.engine()
    rng = np.random.default_rng(5)
    for labels in label_sets(z.n_nodes, rng):
        assert quality(g, labels, objective="cpm", resolution=0.3) == pytest.approx(
            naive_cpm(z, labels, 0.3), abs=1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 1])
@pytest.mark.parametrize("objective", ["modularity", "cpm"])
def test_predicted_move_delta_equals_actual_change(name, objective):
    z = ZOO[name]
    g = z.engine()
    if objective == "modularity" and g.total_weight() == 0:
        return
    rng = np.random.default_rng(11)
    for labels in list(label_sets(z.n_nodes, rng))[1:]:
        before = quality(g, labels, objective=objective, resolution=0.7)
        for _ in range(15):
            v = int(rng.integers(z.n_nodes))
            target = int(rng.choice(np.append(np.unique(labels), labels.max() + 1)))  # incl. a new community
            moved = labels.copy()
            moved[v] = target
            after = quality(g, moved, objective=objective, resolution=0.7)
            pred = move_delta(g, labels, v, target, objective=objective, resolution=0.7)
            assert pred == pytest.approx(after - before, abs=1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 1])
@pytest.mark.parametrize("objective", ["modularity", "cpm"])
def test_aggregation_preserves_quality(name, objective):
    z = ZOO[name]
    g = z.engine()
    wg = work_graph(g, objective)
    obj = make_objective(objective, 1.3, wg)
    rng = np.random.default_rng(2)
    fine = rng.integers(0, max(z.n_nodes // 2, 1), z.n_nodes)
    fine = np.unique(fine, return_inverse=True)[1].astype(np.int32)
    kf = int(fine.max()) + 1
    coarse_of_fine = rng.integers(0, 3, kf).astype(np.int32)
    coarse = coarse_of_fine[fine]
    ip, ix, A = aggregate(wg.indptr, wg.indices, wg.A, fine, kf)
    nw = sum_by_label(wg.node_w, fine, kf)
    h0 = h_value(*community_totals.parallel(wg.indptr, wg.indices, wg.A, wg.node_w, coarse, 3), obj.scale, obj.cpm)
    h1 = h_value(*community_totals.parallel(ip, ix, A, nw, coarse_of_fine, 3), obj.scale, obj.cpm)
    assert h1 == pytest.approx(h0, abs=1e-9)
    assert A.sum() == pytest.approx(wg.A.sum())
    assert np.allclose(sum_by_label(wg.node_w, fine, kf), np.bincount(fine, weights=wg.node_w, minlength=kf))


def assert_connected_communities(g, labels):
    if g.n_nodes == 0:
        return
    src, dst, _ = g.edges()
    same = labels[src] == labels[dst]
    adj = sp.csr_matrix((np.ones(int(same.sum())), (src[same], dst[same])), shape=(g.n_nodes, g.n_nodes))
    n_comp, _ = connected_components(adj, directed=False)
    assert n_comp == int(labels.max()) + 1, "a community is not connected"


def assert_partition_contract(p: Partition, n: int):
    assert isinstance(p, Partition)
    assert p.labels.dtype == np.int64 and p.labels.shape == (n,)
    assert not p.labels.flags.writeable
    if n:
        assert set(np.unique(p.labels).tolist()) == set(range(p.n_communities))
        assert np.all(np.diff(p.sizes()) <= 0)
        assert p.sizes().sum() == n
    assert np.array_equal(p.levels[-1], p.labels) if p.levels else n == 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("objective", ["modularity", "cpm"])
def test_leiden_contract_and_connected(name, objective):
    z = ZOO[name]
    g = z.engine()
    res = 1.0 if objective == "modularity" else 0.2
    for seed in range(3):
        p = leiden(g, objective=objective, resolution=res, seed=seed)
        assert_partition_contract(p, z.n_nodes)
        assert_connected_communities(g, p.labels)
        if z.n_nodes:
            expected = quality(g, p.labels, objective=objective, resolution=res)
            assert (math.isnan(p.quality) and math.isnan(expected)) or p.quality == pytest.approx(expected, abs=1e-12)
            # never worse than every node alone
            single = quality(g, np.arange(z.n_nodes), objective=objective, resolution=res)
            assert math.isnan(single) or p.quality >= single - 1e-12
        for lvl in p.levels:  # each level a partition the next one coarsens
            assert lvl.shape == (z.n_nodes,)


@pytest.mark.parametrize("name", NAMES)
def test_louvain_contract(name):
    z = ZOO[name]
    g = z.engine()
    p = louvain(g, seed=4)
    assert_partition_contract(p, z.n_nodes)
    levels = list(louvain_levels(g, seed=4))
    assert len(levels) == len(p.levels)
    for fine, coarse in zip(levels, levels[1:]):  # each level merges whole communities of the previous one
        pairs = np.unique(np.stack([fine, coarse]), axis=1)
        assert np.unique(pairs[0]).shape[0] == pairs.shape[1]


def test_known_answers():
    rc = ZOO["ring_of_cliques"].engine()
    p = leiden(rc, seed=0)
    assert p.n_communities == 6
    assert np.array_equal(np.sort(p.sizes()), np.full(6, 4))
    assert np.all(p.labels.reshape(6, 4) == p.labels.reshape(6, 4)[:, :1])
    tc = leiden(ZOO["two_cliques"].engine(), seed=0)
    assert tc.labels.tolist() == [0] * 5 + [1] * 5
    iso = leiden(ZOO["isolated"].engine(), seed=0)  # isolated nodes stay alone
    assert iso.n_communities == 6 and iso.sizes().tolist() == [3, 1, 1, 1, 1, 1]
    lv = louvain(rc, seed=0)
    assert lv.n_communities == 6


def test_deterministic_across_runs_and_threads():
    g = ZOO["lfr_mu0.3"].engine()
    before = numba.get_num_threads()
    try:
        out = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS), 1):
            numba.set_num_threads(threads)
            out.append((leiden(g, seed=42).labels, leiden(g, seed=42, parallel=True).labels, louvain(g, seed=42).labels,
                        leiden(g, seed=42, objective="cpm", resolution=0.05).labels))
    finally:
        numba.set_num_threads(before)
    for other in out[1:]:
        for a, b in zip(out[0], other):
            assert np.array_equal(a, b)
    # a different seed is allowed to differ, but the result stays a valid partition
    assert_partition_contract(leiden(g, seed=43), g.n_nodes)


def test_levels_generator_and_iterations():
    g = ZOO["lfr_mu0.3"].engine()
    levels = list(leiden_levels(g, seed=1, n_iterations=2))
    p = leiden(g, seed=1, n_iterations=2)
    assert all(np.array_equal(a, b) for a, b in zip(levels, p.levels))
    stable = leiden(g, seed=1, n_iterations=-1)
    assert stable.quality >= leiden(g, seed=1, n_iterations=1).quality - 1e-12
    # starting from a partition: never worse than it
    start = leiden(g, seed=1, n_iterations=1).labels
    assert leiden(g, seed=5, n_iterations=1, initial=start).quality >= modularity(g, start) - 1e-12


def test_bad_input_raises_clear_errors():
    d = from_edges([0, 1], [1, 2], directed=True)
    with pytest.raises(GraphInputError, match="symmetrize"):
        leiden(d)
    with pytest.raises(GraphInputError, match="symmetrize"):
        modularity(d, [0, 0, 0])
    g = d.symmetrize()
    with pytest.raises(GraphInputError, match="objective"):
        leiden(g, objective="surprise")
    with pytest.raises(GraphInputError, match="resolution"):
        leiden(g, resolution=-1)
    with pytest.raises(GraphInputError, match="one label per node"):
        modularity(g, [0, 1])
    with pytest.raises(GraphInputError, match="n_iterations"):
        leiden(g, n_iterations=0)
    with pytest.raises(GraphInputError, match="non-negative"):
        leiden(from_edges([0], [1], [-1.0], directed=False))


def test_exported_from_engine():
    for name in ("leiden", "louvain", "modularity", "leiden_levels", "louvain_levels", "Partition"):
        assert hasattr(engine, name)


def test_visit_orders_are_permutations():
    from nichegraph.engine.community import _rng
    state = _rng.new_state(9)
    for n in (0, 1, 5, 64, 65, 1000):
        for block in (1, 7, 64):
            o = _rng.block_permutation(state, n, block)
            assert o.dtype == np.int32 and np.array_equal(np.sort(o), np.arange(n))
    a, b = _rng.new_state(3), _rng.new_state(3)
    assert np.array_equal(_rng.permutation(a, 50), _rng.permutation(b, 50))


@pytest.mark.parametrize("name", ["lfr_mu0.3", "weighted", "random"])
def test_polish_never_lowers_quality_and_keeps_connectivity(name):
    g = ZOO[name].engine()
    for seed in range(4):
        plain = leiden(g, seed=seed, polish=False)
        polished = leiden(g, seed=seed, polish=True)
        assert polished.quality >= plain.quality - 1e-12
        assert_connected_communities(g, polished.labels)


def test_parallel_refinement_gives_identical_labels():
    # below PARALLEL_MIN_NODES parallel=True only parallelises refinement and aggregation: same labels as serial
    from nichegraph.engine.community.local_moving import PARALLEL_MIN_NODES
    g = ZOO["lfr_mu0.3"].engine()
    assert g.n_nodes < PARALLEL_MIN_NODES
    before = numba.get_num_threads()
    try:
        serial = leiden(g, seed=7).labels
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        par2 = leiden(g, seed=7, parallel=True).labels
        numba.set_num_threads(1)
        par1 = leiden(g, seed=7, parallel=True).labels
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(serial, par2) and np.array_equal(serial, par1)
