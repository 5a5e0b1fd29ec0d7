"""Parallel community detection: local moving by colour groups and sliced aggregation.

The colour-group local moving kernel is checked move for move against a slow
Python transcription of its specification, on every graph of the zoo; its
labels, and those of ``leiden(parallel=True)``, must not depend on the thread
count or the number of work slices; sliced aggregation must equal the
one-slice result exactly.  Refinement (serial and parallel) is checked node
for node against a plain-Python transcription that computes every ``exp``.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from naive import community_state
from test_community import assert_connected_communities, assert_partition_contract
from zoo import zoo

from nichegraph.engine.community import leiden, louvain, quality
from nichegraph.engine.community import local_moving as lm
from nichegraph.engine.community._objective import make_objective, work_graph
from nichegraph.engine.community._rng import block_permutation, new_state
from nichegraph.engine.community.aggregation import aggregate

ZOO = zoo()
NAMES = sorted(ZOO)
TWO = min(2, numba.config.NUMBA_NUM_THREADS)


def naive_colouring(indptr, indices, order, window):
    """Greedy colouring of each window of ``order`` (``window`` positions): each node takes the smallest
    colour that no neighbour in its own window has."""
    colour = [-1] * (len(indptr) - 1)
    for lo in range(0, len(order), window):
        here = set(order[lo:lo + window])
        for v in order[lo:lo + window]:
            taken = {colour[indices[p]] for p in range(indptr[v], indptr[v + 1]) if indices[p] in here}
            colour[v] = next(c for c in range(len(taken) + 1) if c not in taken)
    return colour


def naive_coloured_moving(indptr, indices, A, node_w, comm, scale, order, tol, window):
    """The rounds / groups / propose-apply-activate schedule of ``move_nodes_coloured``, in plain Python."""
    comm, W, size, empty = community_state(comm, node_w)
    order = [int(v) for v in order]
    colour = naive_colouring(indptr, indices, order, window)
    k = max(colour, default=-1) + 1
    groups = [[v for v in order[lo:lo + window] if colour[v] == c]
              for lo in range(0, len(order), window) for c in range(k)]

    def neighbours(v):
        return [(int(indices[p]), float(A[p])) for p in range(indptr[v], indptr[v + 1]) if indices[p] != v]

    def propose(v):
        k = {}  # insertion order = first met in CSR order
        for u, w in neighbours(v):
            k[comm[u]] = k.get(comm[u], 0.0) + w
        a, wv = comm[v], float(node_w[v])
        stay = k.get(a, 0.0) - scale * wv * (W[a] - wv)
        best, best_gain, best_k = a, stay, k.get(a, 0.0)
        for c, kc in k.items():
            if c != a and kc - scale * wv * W[c] > best_gain:
                best, best_gain, best_k = c, kc - scale * wv * W[c], kc
        if size[a] > 1 and best_gain < 0.0:
            best, best_gain, best_k = "new", 0.0, 0.0
        return (best if best != a and best_gain - stay > tol else a), k.get(a, 0.0), best_k

    active = [True] * len(comm)
    moves = 0
    while True:
        round_moves = 0
        for members in groups:
            batch = [v for v in members if active[v]]
            for v in batch:
                active[v] = False
            proposals = [propose(v) for v in batch]  # all against the state at the start of the group
            moved = []
            for v, (t, k_own, k_tgt) in zip(batch, proposals):
                a, wv = comm[v], float(node_w[v])
                if t == a:
                    continue
                stay = k_own - scale * wv * (W[a] - wv)
                if t == "new":
                    if size[a] <= 1:
                        continue
                    best, g = empty[-1], 0.0
                elif size[t] == 0:
                    active[v] = True
                    continue
                else:
                    best, g = t, k_tgt - scale * wv * W[t]
                if not g - stay > tol:
                    continue
                if size[best] == 0:
                    empty.pop()
                comm[v] = best
                W[a] -= wv
                W[best] += wv
                size[best] += 1
                size[a] -= 1
                if size[a] == 0:
                    empty.append(a)
                moved.append(v)
                moves += 1
                round_moves += 1
            for v in moved:
                for u, _ in neighbours(v):
                    if comm[u] != comm[v]:
                        active[u] = True
        if round_moves == 0:
            return np.array(comm), moves


def _inputs(name, objective, start, seed=0):
    z = ZOO[name]
    g = z.engine()
    wg = work_graph(g, objective)
    obj = make_objective(objective, 1.0 if objective == "modularity" else 0.2, wg)
    rng = np.random.default_rng(seed)
    comm = np.arange(z.n_nodes, dtype=np.int32) if start == "singletons" else \
        rng.integers(0, max(z.n_nodes // 4, 1), z.n_nodes).astype(np.int32)
    order = block_permutation(new_state(seed), z.n_nodes, 4)
    return g, wg, obj, comm, order


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 0])
@pytest.mark.parametrize("objective", ["modularity", "cpm"])
@pytest.mark.parametrize("start", ["singletons", "random"])
@pytest.mark.parametrize("window", [5, 64, lm.WINDOW])
def test_coloured_moving_matches_naive_schedule(name, objective, start, window):
    g, wg, obj, comm, order = _inputs(name, objective, start)
    if objective == "modularity" and obj.scale == 0.0:
        return  # no edges: modularity undefined, nothing to move
    tol = 1e-10
    expected, n_moves = naive_coloured_moving(wg.indptr, wg.indices, wg.A, wg.node_w, comm, obj.scale, order, tol,
                                              window)
    colour, k = lm.window_colouring(wg.indptr, wg.indices, order, window)
    for n_slices, parallel in ((1, False), (3, False), (TWO, True)):
        got = comm.copy()
        moves = lm.move_nodes_coloured(wg.indptr, wg.indices, wg.A, wg.node_w, got, obj.scale, order, colour, k, tol,
                                       window, n_slices, parallel)
        assert moves == n_moves
        assert np.array_equal(got, expected), (n_slices, parallel)
    before = quality(g, comm, objective=obj.name, resolution=obj.resolution)
    after = quality(g, expected, objective=obj.name, resolution=obj.resolution)
    assert after >= before - 1e-12


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("window", [1, 5, 64, lm.WINDOW])
def test_window_colouring_is_proper_and_matches_naive(name, window):
    g, wg, _, _, order = _inputs(name, "modularity", "singletons")
    before = numba.get_num_threads()
    try:
        runs = []
        for threads in (1, TWO):
            numba.set_num_threads(threads)
            runs.append(lm.window_colouring(wg.indptr, wg.indices, order, window))
    finally:
        numba.set_num_threads(before)
    (colour, k), (colour2, k2) = runs
    assert np.array_equal(colour, colour2) and k == k2
    assert colour.tolist() == naive_colouring(wg.indptr, wg.indices, order.tolist(), window)
    assert k == (int(colour.max()) + 1 if wg.n else 0)
    win = np.empty(wg.n, dtype=np.int64)
    win[order] = np.arange(wg.n) // window
    src = np.repeat(np.arange(wg.n), np.diff(wg.indptr))
    inside = (src != wg.indices) & (win[src] == win[wg.indices])
    assert not np.any(colour[src[inside]] == colour[wg.indices[inside]])  # no edge inside a group
    if window == 1:
        assert k == min(wg.n, 1)  # a window of one node: one colour


@pytest.fixture
def coloured_everywhere(monkeypatch):
    """Run the colour-group local moving on graphs of any size, in small windows (the zoo is small)."""
    monkeypatch.setattr(lm, "PARALLEL_MIN_NODES", 0)
    monkeypatch.setattr(lm, "WINDOW", 16)


@pytest.mark.parametrize("name", NAMES)
def test_parallel_leiden_contract_and_thread_independence(name, coloured_everywhere):
    g = ZOO[name].engine()
    before = numba.get_num_threads()
    try:
        runs = []
        for threads in (1, TWO, 1):
            numba.set_num_threads(threads)
            runs.append((leiden(g, seed=5, parallel=True), louvain(g, seed=5, parallel=True),
                         leiden(g, seed=5, parallel=True, objective="cpm", resolution=0.2)))
    finally:
        numba.set_num_threads(before)
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            assert np.array_equal(a.labels, b.labels)
    p, _, cpm = runs[0]
    for part in (p, cpm):
        assert_partition_contract(part, g.n_nodes)
        assert_connected_communities(g, part.labels)
        if g.n_nodes and g.total_weight() > 0:
            single = quality(g, np.arange(g.n_nodes), objective=part.objective, resolution=part.resolution)
            assert part.quality >= single - 1e-12


def test_parallel_leiden_quality_close_to_serial(coloured_everywhere):
    # same algorithm, another visiting schedule: quality within noise of the serial search (20 seeds)
    g = ZOO["lfr_mu0.3"].engine()
    par = [leiden(g, seed=s, parallel=True).quality for s in range(20)]
    ser = [leiden(g, seed=s).quality for s in range(20)]
    assert np.mean(par) >= np.mean(ser) - 2 * np.std(ser) / np.sqrt(20) - 1e-3


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 1])
def test_sliced_aggregation_is_identical(name):
    z = ZOO[name]
    wg = work_graph(z.engine(), "modularity")
    rng = np.random.default_rng(4)
    labels = np.unique(rng.integers(0, max(z.n_nodes // 3, 1), z.n_nodes), return_inverse=True)[1].astype(np.int32)
    k = int(labels.max()) + 1
    one = aggregate(wg.indptr, wg.indices, wg.A, labels, k)
    for n_slices, parallel in ((2, False), (5, False), (TWO, True), (k + 3, False)):
        other = aggregate(wg.indptr, wg.indices, wg.A, labels, k, n_slices, parallel)
        for a, b in zip(one, other):
            assert np.array_equal(a, b), (n_slices, parallel)


def naive_canonical(labels):
    first, sizes = {}, {}
    for v, c in enumerate(labels.tolist()):
        first.setdefault(c, v)
        sizes[c] = sizes.get(c, 0) + 1
    rank = {c: r for r, c in enumerate(sorted(first, key=lambda c: (-sizes[c], first[c])))}
    return np.array([rank[c] for c in labels.tolist()], dtype=np.int64)


def test_canonical_labels_counting_and_sorting_paths_match_naive():
    from nichegraph.engine.community import canonical_labels
    rng = np.random.default_rng(8)
    for n in (1, 2, 7, 100, 1000):
        for labels in (rng.integers(0, max(n // 3, 1), n), rng.integers(-5, 5, n),  # counted
                       rng.integers(0, 3, n) * 10**12 - 7,  # sparse values: sorted
                       rng.integers(0, 4, n).astype(np.int8), np.arange(n)[::-1].copy()):
            got = canonical_labels(labels)
            assert got.dtype == np.int64 and np.array_equal(got, naive_canonical(labels))
    assert canonical_labels(np.array([], dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 1])
def test_split_only_checked_communities(name):
    from nichegraph.engine.community.connectivity import split_disconnected, split_disconnected_in
    z = ZOO[name]
    g = z.engine()
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, z.n_nodes).astype(np.int32)  # random groups: often disconnected
    full, k = split_disconnected(g.indptr, g.indices, labels)
    same, k2 = split_disconnected_in(g.indptr, g.indices, labels, np.ones(3, dtype=np.bool_))
    assert k == k2 and np.array_equal(full, same)
    assert_connected_communities(g, full)
    for c in range(3):  # community c left whole, the others split exactly as before
        check = np.ones(3, dtype=np.bool_)
        check[c] = False
        part, _ = split_disconnected_in(g.indptr, g.indices, labels, check)
        inside = labels == c
        if inside.any():
            assert np.unique(part[inside]).shape[0] == 1
        assert np.array_equal(naive_canonical(part[~inside]), naive_canonical(full[~inside]))


def test_compact_labels_counting_and_sorting_paths():
    from nichegraph.engine.community._objective import compact_labels
    rng = np.random.default_rng(2)
    for labels in (rng.integers(0, 50, 300), rng.integers(-9, 9, 40), rng.integers(0, 3, 30) * 10**15,
                   np.array([7]), rng.integers(0, 5, 20).astype(np.int16)):
        got, k = compact_labels(labels)
        expected = np.unique(labels, return_inverse=True)[1].reshape(-1)
        assert got.dtype == np.int32 and k == expected.max() + 1 and np.array_equal(got, expected)
    assert compact_labels(np.zeros(0, dtype=np.int64))[1] == 0


@pytest.mark.parametrize("name", [n for n in NAMES if ZOO[n].n_nodes > 0])
@pytest.mark.parametrize("objective", ["modularity", "cpm"])
@pytest.mark.parametrize("beta", [0.01, 1.0])
def test_refinement_matches_naive(name, objective, beta):
    # the kernel (serial and parallel) against the plain-Python refinement that computes every exp: the kernel
    # skips exp below _NEGLIGIBLE, which must never change a choice
    from naive import refine as naive_refine

    from nichegraph.engine.community import _rng
    from nichegraph.engine.community.refinement import refine

    g, wg, obj, _, order = _inputs(name, objective, "singletons")
    comm = np.asarray(louvain(g, seed=1).labels, dtype=np.int32) if wg.n else np.zeros(0, dtype=np.int32)
    k = int(comm.max()) + 1 if wg.n else 0
    expected, kr = naive_refine(wg.indptr, wg.indices, wg.A, wg.node_w, comm, k, obj.scale, beta, order,
                                new_state(9), _rng.uniform, _rng.next_u64)
    for parallel in (False, True):
        got, got_k = refine(wg.indptr, wg.indices, wg.A, wg.node_w, comm, k, obj.scale, beta, order, new_state(9),
                            parallel)
        assert got.tolist() == expected and got_k == kr, parallel
