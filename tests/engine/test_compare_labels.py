"""Partition agreement and label fit (engine.compare) against scikit-learn, igraph and naive references.

Every labelled data set of ``../shared/datasets`` (tests/engine/labelled.py): the ground truth against
Leiden's communities and against a random labelling, and the truth's own modularity and assortativity on
the graph.  Tolerance 1e-9 throughout.
"""

from __future__ import annotations

import doctest
from collections import Counter

import igraph as ig
import numpy as np
import pytest
from labelled import LABELLED, labelled
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import nichegraph.engine.compare as compare
from nichegraph.engine import from_edges, leiden
from nichegraph.engine.compare import ari, label_assortativity, label_modularity, nmi, purity
from nichegraph.engine.graph import induced_subgraph

TOL = 1e-9


@pytest.fixture(scope="module", params=LABELLED)
def data(request, tmp_path_factory):
    return labelled(request.param, tmp_path_factory.mktemp(request.param))


def _graph(d):
    return from_edges(d.src, d.dst, d.weight, n_nodes=d.n_nodes, directed=False)


def _codes(x) -> list[int]:
    return np.unique(np.asarray(x), return_inverse=True)[1].reshape(-1).tolist()


def naive_purity(found, truth) -> float:
    best: dict = {}
    for c, t in Counter(zip(np.asarray(found).tolist(), np.asarray(truth).tolist())).items():
        best[c[0]] = max(best.get(c[0], 0), t)
    return sum(best.values()) / len(found)


def naive_assortativity(src, dst, w, labels) -> float:
    """Newman (2003) eq. 2 from the symmetric mixing matrix e_ij, one entry per edge end."""
    classes = sorted(set(labels))
    at = {c: i for i, c in enumerate(classes)}
    e = np.zeros((len(classes), len(classes)))
    for u, v, x in zip(src, dst, w):
        e[at[labels[u]], at[labels[v]]] += x
        e[at[labels[v]], at[labels[u]]] += x
    e /= e.sum()
    a = e.sum(axis=1)
    return (np.trace(e) - (a * a).sum()) / (1 - (a * a).sum())


def test_agreement_matches_sklearn_and_igraph(data):
    g = _graph(data)
    rng = np.random.default_rng(1)
    found = leiden(g, seed=0).labels
    shuffled = rng.integers(0, 7, data.n_nodes)
    for part in (found, shuffled, data.truth):
        a, b = _codes(part), _codes(data.truth)
        assert nmi(part, data.truth) == pytest.approx(normalized_mutual_info_score(b, a), abs=TOL)
        assert ari(part, data.truth) == pytest.approx(adjusted_rand_score(b, a), abs=TOL)
        assert nmi(part, data.truth) == pytest.approx(ig.compare_communities(a, b, method="nmi"), abs=TOL)
        assert ari(part, data.truth) == pytest.approx(ig.compare_communities(a, b, method="adjusted_rand"), abs=TOL)
        assert purity(part, data.truth) == pytest.approx(naive_purity(part, data.truth), abs=TOL)
    assert nmi(data.truth, data.truth) == 1.0 and purity(data.truth, data.truth) == 1.0


def test_label_fit_matches_igraph_and_naive(data):
    g = _graph(data)
    G = data.igraph()
    codes = _codes(data.truth)
    assert label_modularity(g, data.truth) == pytest.approx(G.modularity(codes, weights="weight"), abs=TOL)
    r = label_assortativity(g, data.truth)
    assert r == pytest.approx(naive_assortativity(data.src.tolist(), data.dst.tolist(), data.weight.tolist(),
                                                  data.truth.tolist()), abs=TOL)
    if np.all(data.weight == 1.0):  # igraph's nominal assortativity has no weights
        assert r == pytest.approx(G.assortativity_nominal(codes, directed=False), abs=TOL)
    assert 0 < r <= 1  # every one of these labellings clusters on its graph


def test_purity_and_assortativity_edge_cases():
    assert purity([], []) == 1.0
    assert purity([0, 1, 2], ["a", "a", "a"]) == 1.0  # singletons are pure: read purity next to NMI
    assert purity([0, 0, 0], ["a", "b", "b"]) == pytest.approx(2 / 3)
    g = from_edges([0, 2], [1, 3], n_nodes=4, directed=False)
    assert label_assortativity(g, [0, 0, 1, 1]) == pytest.approx(1.0)
    assert label_assortativity(g, [0, 1, 0, 1]) == pytest.approx(-1.0)
    assert np.isnan(label_assortativity(g, [5, 5, 5, 5]))  # one class holds every edge end
    assert np.isnan(label_assortativity(from_edges([], [], n_nodes=3, directed=False), [0, 1, 2]))
    with pytest.raises(ValueError):
        purity([0, 1], [0])


def test_induced_subgraph_matches_networkx(data):
    import networkx as nx
    g = _graph(data)
    rng = np.random.default_rng(2)
    keep = np.sort(rng.choice(data.n_nodes, size=data.n_nodes // 2, replace=False))
    sub = induced_subgraph(g, keep)
    H = nx.Graph()
    H.add_weighted_edges_from(zip(data.src.tolist(), data.dst.tolist(), data.weight.tolist()))
    S = H.subgraph(keep.tolist())
    pos = {int(v): i for i, v in enumerate(keep)}
    s, d, w = sub.edges()
    mine = {(int(a), int(b)): x for a, b, x in zip(s, d, w) if a <= b}
    theirs = {tuple(sorted((pos[u], pos[v]))): x["weight"] for u, v, x in S.edges(data=True)}
    assert mine.keys() == theirs.keys()
    assert all(mine[k] == pytest.approx(theirs[k]) for k in mine)
    assert np.array_equal(sub.node_ids, np.asarray(g.node_ids)[keep])


def test_docstring_examples():
    assert doctest.testmod(compare).failed == 0
