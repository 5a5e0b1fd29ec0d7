"""Niche level: recovers planted communities that modularity merges; nested, connected, deterministic."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from nichegraph.engine import from_edges, niche_resolution, niches
from nichegraph.engine.compare import nmi
from nichegraph.engine.planted import planted_partition


def igraph_modularity_labels(g):
    import igraph as ig

    src, dst, _ = g.edges()
    keep = src < dst
    G = ig.Graph(n=g.n_nodes, edges=np.column_stack([src[keep], dst[keep]]).tolist())
    return np.asarray(G.community_leiden(objective_function="modularity", n_iterations=2).membership)


def n_connected_parts(g, labels):
    """Connected components of the graph keeping only edges inside a label."""
    src, dst, _ = g.edges()
    keep = labels[src] == labels[dst]
    a = sp.coo_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(g.n_nodes, g.n_nodes))
    return connected_components(a, directed=False)[0]


def check_structure(g, result):
    assert result.labels.shape == (g.n_nodes,)
    assert result.labels.dtype == np.int64
    assert set(np.unique(result.labels)) == set(range(result.n_niches))
    assert np.array_equal(result.parent[result.labels], result.broad)  # nested in broad communities
    assert n_connected_parts(g, result.labels) == result.n_niches  # every niche connected


def lfr(n, mu, seed, tau1, avg_degree, min_c, max_c):
    G = nx.LFR_benchmark_graph(n, tau1=tau1, tau2=1.5, mu=mu, average_degree=avg_degree, min_community=min_c,
                               max_community=max_c, seed=seed, max_iters=5000)
    truth = np.zeros(n, dtype=np.int64)
    for i, c in enumerate(sorted({frozenset(G.nodes[v]["community"]) for v in G}, key=min)):
        truth[list(c)] = i
    e = np.asarray(G.edges())
    return from_edges(e[:, 0], e[:, 1], n_nodes=n, directed=False, self_loops="drop"), truth


PLANTED = [dict(n_edges=200_000, max_size=2000, seed=1), dict(n_edges=400_000, seed=2)]
LFR = [(2000, 0.2, 4, 3, 6, 20, 200), (3000, 0.3, 8, 3, 10, 20, 150)]


@pytest.mark.parametrize("spec", PLANTED, ids=lambda s: f"planted-{s['n_edges']}")
def test_niches_beat_modularity_on_planted_graphs(spec):
    pg = planted_partition(spec["n_edges"], max_size=spec.get("max_size", 5000), seed=spec["seed"])
    result = niches(pg.graph, seed=0)
    check_structure(pg.graph, result)
    ours = nmi(pg.labels, result.labels)
    peer = nmi(pg.labels, igraph_modularity_labels(pg.graph))
    print(f"planted {spec}: niches NMI {ours:.4f} ({result.n_niches} niches), igraph modularity NMI {peer:.4f}")
    assert ours > peer
    assert ours > 0.97


@pytest.mark.parametrize("spec", LFR, ids=lambda s: f"lfr-{s[0]}-mu{s[1]}")
def test_niches_beat_modularity_on_lfr_graphs(spec):
    g, truth = lfr(*spec)
    result = niches(g, seed=0)
    check_structure(g, result)
    ours = nmi(truth, result.labels)
    peer = nmi(truth, igraph_modularity_labels(g))
    print(f"LFR {spec}: niches NMI {ours:.4f}, igraph modularity NMI {peer:.4f}")
    assert ours > peer


def test_deterministic_across_runs_and_threads():
    g = planted_partition(100_000, max_size=1000, seed=4).graph
    first = niches(g, seed=3).labels
    assert np.array_equal(first, niches(g, seed=3).labels)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = niches(g, seed=3).labels
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(first, one)


def test_resolution_is_geometric_mean_of_noise_and_signal():
    # two 4-cliques (6 edges each, density 1) joined by one edge
    src = [0, 0, 0, 1, 1, 2, 4, 4, 4, 5, 5, 6, 3]
    dst = [1, 2, 3, 2, 3, 3, 5, 6, 7, 6, 7, 7, 4]
    g = from_edges(src, dst, directed=False)
    broad = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    gamma, p_out, rho = niche_resolution(g, broad)
    assert p_out == pytest.approx(1 / 16)  # one edge over 4 * 4 pairs between the cliques
    assert rho == pytest.approx(1.0)
    assert gamma == pytest.approx(0.25)
    assert niches(g, broad=broad).labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("case", ["empty", "one node", "isolated", "disconnected", "self-loops", "weighted"])
def test_zoo(case):
    if case == "empty":
        g = from_edges([], [], n_nodes=0, directed=False)
    elif case == "one node":
        g = from_edges([], [], n_nodes=1, directed=False)
    elif case == "isolated":
        g = from_edges([0, 1], [1, 2], n_nodes=6, directed=False)
    elif case == "disconnected":  # no edge between broad communities: gamma 0, niches = connected parts
        g = from_edges([0, 1, 2, 3, 4], [1, 2, 0, 4, 5], directed=False)
    elif case == "self-loops":
        g = from_edges([0, 0, 1, 2, 3, 3], [0, 1, 2, 0, 3, 0], directed=False)
    else:
        rng = np.random.default_rng(0)
        g = from_edges(rng.integers(0, 40, 200), rng.integers(0, 40, 200), rng.random(200) * 5, directed=False)
    result = niches(g, seed=0)
    check_structure(g, result)
    if case == "isolated":
        assert result.sizes().tolist().count(1) == 3  # nodes 3, 4, 5 each alone
    if case == "disconnected":
        assert result.resolution == 0.0
        assert result.labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_lone_nodes_join_their_most_tied_niche():
    # a dense 6-clique with a pendant node 6 tied by one edge: CPM leaves 6 alone, the cleanup joins it
    src, dst = zip(*[(i, j) for i in range(6) for j in range(i + 1, 6)])
    g = from_edges(list(src) + [0], list(dst) + [6], directed=False)
    result = niches(g, broad=np.zeros(7, dtype=np.int64), resolution=0.5)
    assert result.n_niches == 1


def test_directed_graph_is_refused():
    with pytest.raises(ValueError, match="undirected"):
        niches(from_edges([0], [1]))
