"""Degree and reciprocity against naive Python."""

from __future__ import annotations

import numpy as np
import pytest
from zoo import random_arcs

from nichegraph.engine import from_edges
from nichegraph.engine.degree import in_degree, reciprocity


@pytest.mark.parametrize("seed", range(6))
def test_reciprocity_matches_naive(seed):
    _, n, s, d = random_arcs(seed, 120)
    g = from_edges(s, d, n_nodes=n)
    out = [set() for _ in range(n)]
    inn = [set() for _ in range(n)]
    for u, v in zip(s.tolist(), d.tolist()):
        if u != v:
            out[u].add(v)
            inn[v].add(u)
    expect = [len(out[u] & inn[u]) / len(out[u] | inn[u]) if out[u] | inn[u] else 0.0 for u in range(n)]
    assert np.allclose(reciprocity(g), expect, atol=1e-12)
    assert in_degree(g).tolist() == [sum(1 for u in range(n) if x in set(d[s == u].tolist())) for x in range(n)]
