"""Resolution profile (engine.resolution_profile) against every partition of small graphs, and on real data."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from labelled import labelled
from zoo import dataset

import nichegraph.engine.community.profile as profile_module
from nichegraph.engine import GraphInputError, from_edges, resolution_profile
from nichegraph.engine.community import quality
from nichegraph.engine.compare import nmi


def set_partitions(n: int):
    """Every partition of ``range(n)`` as a restricted growth string (Bell(n) of them)."""
    labels = [0] * n

    def grow(i: int, k: int):
        if i == n:
            yield np.array(labels, dtype=np.int64)
            return
        for c in range(k + 1):
            labels[i] = c
            yield from grow(i + 1, max(k, c + 1))

    yield from grow(1, 1) if n else iter(())


def exact_lines(src, dst, w, n, objective):
    """(E, K) of every partition of ``range(n)``, from the definitions: quality at gamma is E - gamma K.

    Modularity: E = sum_c L_c / m, K = sum_c (K_c / 2m)^2; CPM: E = sum_c L_c, K = sum_c n_c (n_c - 1) / 2.
    """
    parts = np.array(list(set_partitions(n)))  # (Bell(n), n)
    src, dst = np.asarray(src), np.asarray(dst)
    w = np.ones(src.size) if w is None else np.asarray(w, dtype=float)
    inside = (parts[:, src] == parts[:, dst]) @ w
    onehot = parts[:, :, None] == np.arange(n)[None, None, :]  # (P, node, community)
    if objective == "modularity":
        m = w.sum()
        strength = np.bincount(src, w, n) + np.bincount(dst, w, n)
        totals = np.einsum("pnc,n->pc", onehot, strength)
        return np.column_stack([inside / m, ((totals / (2 * m)) ** 2).sum(axis=1)])
    sizes = onehot.sum(axis=1)
    return np.column_stack([inside, (sizes * (sizes - 1) / 2).sum(axis=1)])


SMALL = {
    # two K4 joined by a bridge, and a chord between their far ends: 8 nodes, 14 edges
    "two_k4": ([0, 0, 0, 1, 1, 2, 4, 4, 4, 5, 5, 6, 3, 0], [1, 2, 3, 2, 3, 3, 5, 6, 7, 6, 7, 7, 4, 7], None),
    # a weighted path of triangles with a pendant: 8 nodes
    "weighted": ([0, 1, 2, 2, 3, 4, 5, 5, 6], [1, 2, 0, 3, 4, 5, 3, 6, 7],
                 [3.0, 2.0, 1.5, 0.5, 2.0, 2.5, 1.0, 0.7, 0.2]),
}


@pytest.mark.parametrize("objective", ["modularity", "cpm"])
@pytest.mark.parametrize("name", sorted(SMALL))
def test_profile_is_the_exact_envelope_on_small_graphs(name, objective):
    src, dst, w = SMALL[name]
    g = from_edges(src, dst, w, n_nodes=8, directed=False)
    lines = exact_lines(src, dst, w, 8, objective)
    prof = resolution_profile(g, objective=objective, resolution_range=(0.05, 5.0), min_ratio=1.001)
    steps = prof.steps
    assert steps[0].resolution_lo == 0.05 and steps[-1].resolution_hi == 5.0
    for a, b in zip(steps, steps[1:]):
        assert a.resolution_hi == pytest.approx(b.resolution_lo, rel=1e-12)
        assert not np.array_equal(a.labels, b.labels)
    for gamma in np.geomspace(0.05, 5.0, 301):
        best = float(np.max(lines[:, 0] - gamma * lines[:, 1]))
        step = next(s for s in steps if s.resolution_lo <= gamma <= s.resolution_hi)
        assert step.quality(gamma) == pytest.approx(best, abs=1e-9), gamma  # the optimum, not only the best found
        assert quality(g, step.labels, objective=objective, resolution=gamma) == pytest.approx(step.quality(gamma),
                                                                                              abs=1e-12)


def test_breakpoints_of_two_triangles():
    g = from_edges([0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], directed=False)
    prof = resolution_profile(g, resolution_range=(0.1, 10))
    # all-in-one (E 1, K 1) meets two triangles (E 6/7, K 1/2) at 2/7
    assert [s.n_communities for s in prof.steps][:2] == [1, 2]
    assert prof.steps[0].resolution_hi == pytest.approx(2 / 7, rel=1e-12)
    assert prof.macro().n_communities == 2 and prof.n_components == 1
    assert doctest.testmod(profile_module).failed == 0


@pytest.mark.parametrize("name", ["karate", "polbooks"])
def test_macro_split_of_polarised_networks(name):
    z = dataset(name)
    prof = resolution_profile(z.engine(), resolution_range=(0.01, 2.0), max_searches=40)
    macro = prof.macro()
    assert macro.n_communities == 2
    assert macro.width > 0.5  # stable over a factor of more than e^0.5 of the resolution
    assert prof.widest() is not None
    assert nmi(macro.labels, z.truth) > 0.55


def test_macro_split_of_congress(tmp_path):
    """Congress's coarsest split is two sides, but not the party line (NMI about 0.55: a 299/176 split)."""
    d = labelled("congress-twitter", tmp_path)
    g = from_edges(d.src, d.dst, d.weight, n_nodes=d.n_nodes, directed=False)
    prof = resolution_profile(g, resolution_range=(0.01, 1.0), max_searches=30)
    macro = prof.macro()
    assert prof.n_components == 1 and macro.n_communities == 2
    assert nmi(macro.labels, d.truth) > 0.5


def test_macro_split_skips_components():
    """Two disconnected two-triangle graphs: at low resolution each component is one community; the macro
    split is the first partition that cuts a component (4 communities), not the components themselves."""
    s = [0, 1, 2, 3, 4, 5, 2]
    d = [1, 2, 0, 4, 5, 3, 3]
    g = from_edges(s + [x + 6 for x in s], d + [x + 6 for x in d], directed=False)
    prof = resolution_profile(g, resolution_range=(0.05, 10))
    assert prof.n_components == 2 and prof.steps[0].n_communities == 2
    assert prof.macro().n_communities == 4
    assert prof.widest(min_communities=2).n_communities in (2, 4)


def test_bad_arguments():
    g = from_edges([0], [1], directed=False)
    with pytest.raises(GraphInputError, match="resolution_range"):
        resolution_profile(g, resolution_range=(0, 1))
    with pytest.raises(GraphInputError, match="min_ratio"):
        resolution_profile(g, min_ratio=1.0)
    with pytest.raises(GraphInputError, match="objective"):
        resolution_profile(g, objective="surprise")
    with pytest.raises(GraphInputError, match="undirected"):
        resolution_profile(from_edges([0], [1]))
    empty = resolution_profile(from_edges([], [], n_nodes=3, directed=False))
    assert len(empty.steps) == 1 and empty.steps[0].n_communities == 3
