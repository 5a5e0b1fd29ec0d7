"""Degree and reciprocity against naive Python."""

from __future__ import annotations

import numpy as np
import pytest
from zoo import random_arcs

from nichegraph.engine import from_edges
from nichegraph.engine.degree import in_degree, reciprocity


def neighbour_sets(n, s, d):
    """Out- and in-neighbours of every node, self left out."""
    out = [set() for _ in range(n)]
    inn = [set() for _ in range(n)]
    for u, v in zip(s.tolist(), d.tolist()):
        if u != v:
            out[u].add(v)
            inn[v].add(u)
    return out, inn


@pytest.mark.parametrize("seed", range(6))
def test_reciprocity_matches_naive(seed):
    _, n, s, d = random_arcs(seed, 120)
    g = from_edges(s, d, n_nodes=n)
    out, inn = neighbour_sets(n, s, d)
    expect = [len(out[u] & inn[u]) / len(out[u] | inn[u]) if out[u] | inn[u] else 0.0 for u in range(n)]
    assert np.allclose(reciprocity(g), expect, atol=1e-12)
    assert in_degree(g).tolist() == [sum(1 for u in range(n) if x in set(d[s == u].tolist())) for x in range(n)]


@pytest.mark.parametrize("seed", range(6))
def test_mutual_counts_match_naive_with_either_transpose(seed):
    from nichegraph.engine.centrality import in_graph
    from nichegraph.engine.degree import mutual_counts
    from nichegraph.engine.social import follow_back_ratio

    _, n, s, d = random_arcs(seed, 150)
    g = from_edges(s, d, n_nodes=n)  # self-loops kept: they must not count
    out, inn = neighbour_sets(n, s, d)
    want = [[len(out[u] & inn[u]) for u in range(n)], [len(out[u] | inn[u]) for u in range(n)], [len(x) for x in inn]]
    for t in (None, g.transpose(), in_graph(g)):
        assert [x.tolist() for x in mutual_counts(g, t)] == want
    assert reciprocity(g, in_graph(g)).tolist() == reciprocity(g).tolist()
    assert np.array_equal(follow_back_ratio(g, in_graph(g)), follow_back_ratio(g), equal_nan=True)
