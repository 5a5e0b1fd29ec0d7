"""PageRank, degrees and coreness against networkx over a zoo of graphs."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest
from zoo import directed_zoo

from nichegraph.engine import GraphInputError, NotConverged, coreness, from_edges, pagerank
from nichegraph.engine.degree import in_degree, out_degree

ZOO = [case[:5] for case in directed_zoo(min_nodes=1)]
IDS = [z[0] for z in ZOO]


def to_nx(n, src, dst, w, directed=True):
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_nodes_from(range(n))
    w = np.ones(len(src)) if w is None else w
    for a, b, c in zip(np.asarray(src).tolist(), np.asarray(dst).tolist(), np.asarray(w).tolist()):
        if G.has_edge(a, b):
            G[a][b]["weight"] += c
        else:
            G.add_edge(a, b, weight=c)
    return G


def nx_pr(G, n, **kw):
    ref = nx.pagerank(G, tol=1e-15, max_iter=100_000, **kw)
    return np.array([ref[i] for i in range(n)])


METHODS = ("power", "gauss-seidel")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_pagerank_matches_networkx(case, method):
    _, n, s, d, w = case
    g = from_edges(s, d, w, n_nodes=n)
    expect = nx_pr(to_nx(n, s, d, w), n)
    got = pagerank(g, tol=1e-13, method=method)
    assert got.shape == (n,)
    assert np.abs(got - expect).max() < 1e-8
    assert abs(got.sum() - 1.0) < 1e-12


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_personalized_and_dangling_match_networkx(case, method):
    _, n, s, d, w = case
    rng = np.random.default_rng(n)
    pers = rng.random(n)
    pers[: n // 2] = 0.0
    if pers.sum() == 0:
        pers[-1] = 1.0
    dang = rng.random(n) + 0.1
    g = from_edges(s, d, w, n_nodes=n)
    G = to_nx(n, s, d, w)
    expect = nx_pr(G, n, alpha=0.7, personalization=dict(enumerate(pers)), dangling=dict(enumerate(dang)))
    got = pagerank(g, damping=0.7, tol=1e-13, personalization=pers, dangling=dang, method=method)
    assert np.abs(got - expect).max() < 1e-8
    # any node order gives the same scores
    got2 = pagerank(
        g, damping=0.7, tol=1e-13, personalization=pers, dangling=dang, order=rng.permutation(n), method=method
    )
    assert np.abs(got2 - got).max() < 1e-12


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_undirected_pagerank_matches_networkx(case, method):
    _, n, s, d, w = case
    g = from_edges(s, d, w, n_nodes=n, directed=False)
    assert np.abs(pagerank(g, tol=1e-13, method=method) - nx_pr(to_nx(n, s, d, w, directed=False), n)).max() < 1e-8


def test_networkx_tolerance_conversion():
    """networkx's tol t (sum < N t) equals our tol N t: same number of iterations, same vector."""
    _, n, s, d, w = ZOO[-1]
    G = to_nx(n, s, d, w)
    ref = nx.pagerank(G, tol=1e-6)
    got = pagerank(from_edges(s, d, w, n_nodes=n), tol=n * 1e-6, method="power")
    assert np.abs(got - np.array([ref[i] for i in range(n)])).max() < 1e-12


@pytest.mark.parametrize("method", METHODS)
def test_pagerank_deterministic_across_threads(method):
    rng = np.random.default_rng(7)
    n, m = 40_000, 200_000  # several Gauss-Seidel blocks
    g = from_edges(rng.integers(0, n, m), rng.integers(0, n, m), rng.random(m), n_nodes=n)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = pagerank(g, method=method)
        numba.set_num_threads(before)
        b = pagerank(g, method=method)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a, b)


def test_gauss_seidel_at_least_as_accurate_as_power_on_many_blocks():
    """Block Gauss-Seidel at tol lands no farther from the exact vector than power iteration at tol."""
    rng = np.random.default_rng(11)
    n, m = 50_000, 400_000
    s, d = rng.integers(0, n, m), rng.integers(0, n, m)
    g = from_edges(s, d, n_nodes=n)
    exact = pagerank(g, tol=1e-15, method="power")
    power = pagerank(g, tol=1e-10, method="power")
    gs = pagerank(g, tol=1e-10, method="gauss-seidel", order=rng.permutation(n))
    assert np.abs(gs - exact).sum() <= max(np.abs(power - exact).sum(), 1e-12)
    assert np.abs(gs - power).sum() < 1e-9
    assert abs(gs.sum() - 1.0) < 1e-12


def test_pagerank_errors():
    g = from_edges([0, 1], [1, 0])
    with pytest.raises(GraphInputError, match="damping"):
        pagerank(g, damping=1.0)
    with pytest.raises(GraphInputError, match="personalization"):
        pagerank(g, personalization=[0.0, 0.0])
    with pytest.raises(GraphInputError, match="one value per node"):
        pagerank(g, personalization=[1.0])
    with pytest.raises(GraphInputError, match="permutation"):
        pagerank(g, order=[0, 0])
    with pytest.raises(NotConverged):
        pagerank(from_edges([0, 1, 2], [1, 2, 0]), nstart=[1.0, 0.0, 0.0], max_iter=3, method="power")
    with pytest.raises(GraphInputError, match="method"):
        pagerank(g, method="magic")
    with pytest.raises(GraphInputError, match="non-negative"):
        pagerank(from_edges([0], [1], [-1.0]))
    assert pagerank(from_edges([], [], n_nodes=0)).shape == (0,)


@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_coreness_matches_networkx(case):
    _, n, s, d, w = case
    G = nx.Graph(to_nx(n, s, d, w))
    G.remove_edges_from(list(nx.selfloop_edges(G)))
    ref = nx.core_number(G)
    got = coreness(from_edges(s, d, w, n_nodes=n))
    assert got.tolist() == [ref[i] for i in range(n)]
    assert coreness(from_edges(s, d, w, n_nodes=n, directed=False)).tolist() == got.tolist()


@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_degrees_match_networkx(case):
    _, n, s, d, w = case
    G = to_nx(n, s, d, w)
    g = from_edges(s, d, w, n_nodes=n)
    assert in_degree(g).tolist() == [G.in_degree(i) for i in range(n)]
    assert out_degree(g).tolist() == [G.out_degree(i) for i in range(n)]
    assert np.allclose(in_degree(g, weighted=True), [G.in_degree(i, weight="weight") for i in range(n)])
    assert np.allclose(out_degree(g, weighted=True), [G.out_degree(i, weight="weight") for i in range(n)])


# -- the shared zoo (tests/engine/zoo.py, undirected graphs) ---------------------------------
from zoo import zoo as shared_zoo  # noqa: E402

SHARED = sorted(shared_zoo())


@pytest.mark.parametrize("name", SHARED)
def test_shared_zoo_pagerank_and_coreness_match_networkx(name):
    z = shared_zoo()[name]
    g, H = z.engine(), z.networkx()
    n = z.n_nodes
    if n == 0:
        assert pagerank(g).shape == (0,) and coreness(g).shape == (0,)
        return
    ref = nx.pagerank(H, tol=1e-15, max_iter=100_000)
    assert np.abs(pagerank(g, tol=1e-13) - np.array([ref[i] for i in range(n)])).max() < 1e-8
    S = nx.Graph(H)
    S.remove_edges_from(list(nx.selfloop_edges(S)))
    core = nx.core_number(S)
    assert coreness(g).tolist() == [core[i] for i in range(n)]


@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_in_graph_equals_transpose(case):
    from nichegraph.engine.centrality import in_graph

    _, n, s, d, w = case
    g = from_edges(s, d, w, n_nodes=n)
    a, b = in_graph(g), g.transpose()
    assert a.indptr.tolist() == b.indptr.tolist() and a.indices.tolist() == b.indices.tolist()
    assert np.allclose(a.weights, b.weights) and a.directed


# -- the push sweep of directed graphs (engine/pagerank_push.py) -----------------------------


@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_push_gives_the_pull_iterates_bit_for_bit_in_any_number_of_ranges(case):
    """Every destination range adds a node's terms in increasing source order, as the pull sweep does."""
    from nichegraph.engine import centrality as C
    from nichegraph.engine.pagerank_push import _row_splits, range_cuts

    _, n, s, d, w = case
    g = from_edges(s, d, w, n_nodes=n)
    p = np.random.default_rng(n).random(n) + 0.1
    p /= p.sum()
    st = out_degree(g, weighted=True)
    unit = bool(g.nnz == 0 or (g.weights.min() == 1.0 and g.weights.max() == 1.0))
    tptr, tsrc, tw = C._in_csr(g.indptr, g.indices, g.weights, np.arange(n, dtype=np.int64), unit)
    pull = C._run_power(tptr, tsrc, tw, unit, st, p, p, p.copy(), 0.85, 1e-12, 1000)
    for bs in (1, 2, C._BLOCK):  # nodes per partial sum; the cuts fall on these blocks
        one = None
        for ranges in (1, 2, 3, 7):
            cuts = range_cuts(g.indices, n, ranges, bs)
            plan = (cuts, _row_splits.serial(g.indptr, g.indices, cuts))
            push = C._run_push(g.indptr, g.indices, g.weights, unit, st, p, p, p.copy(), 0.85, 1e-12, 1000, plan, bs)
            one = push if one is None else one
            assert np.array_equal(push, one), (ranges, bs)
        # the dangling mass is summed by blocks: with the pull's blocks, the pull's iterates
        assert bs != C._BLOCK or np.array_equal(one, pull)
    # pagerank() normalises p once more: rounding only
    assert np.abs(pagerank(g, tol=1e-12, personalization=p, nstart=p) - pull).sum() < 1e-14


@pytest.mark.parametrize("ranges", [1, 2, 3, 7])
def test_row_splits_cut_every_row_at_the_range_bounds(ranges):
    from nichegraph.engine.pagerank_push import _row_splits, range_cuts

    rng = np.random.default_rng(ranges)
    for n, m in ((0, 0), (1, 0), (1, 3), (5, 0), (50, 400), (1000, 20_000)):
        g = from_edges(rng.integers(0, max(n, 1), m), rng.integers(0, max(n, 1), m), n_nodes=n)
        assert np.all(range_cuts(g.indices, n, ranges, 8)[1:-1] % 8 == 0)
        cuts = range_cuts(g.indices, n, ranges)
        assert cuts.shape == (ranges + 1,) and cuts[0] == 0 and cuts[-1] == n
        assert np.all(np.diff(cuts) >= 0)
        if m >= 100 * ranges:  # ranges of about equal in-arc counts
            arcs = np.diff(np.concatenate([[0], np.cumsum(np.bincount(g.indices, minlength=n))])[cuts])
            assert arcs.max() - arcs.min() <= 2 * np.bincount(g.indices).max() + 1
        for variant in (_row_splits.serial, _row_splits.parallel):
            splits = variant(g.indptr, g.indices, cuts)
            assert splits.shape == (ranges - 1, n) and splits.dtype == np.int32
            for u in range(n):
                row = g.indices[g.indptr[u] : g.indptr[u + 1]]
                bounds = [0, *splits[:, u].tolist(), row.size]
                for c in range(ranges):
                    part = row[bounds[c] : bounds[c + 1]]
                    assert np.all((part >= cuts[c]) & (part < cuts[c + 1]))
                assert bounds == sorted(bounds)
