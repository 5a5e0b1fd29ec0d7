"""from_edges against a naive dictionary reference over a zoo of edge lists."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from nichegraph.engine import Graph, GraphInputError, from_edges


def naive_csr(src, dst, w, n, directed, drop_loops):
    rows = [defaultdict(float) for _ in range(n)]
    for u, v, x in zip(src, dst, w):
        if u == v and drop_loops:
            continue
        rows[u][v] += x
        if not directed and u != v:
            rows[v][u] += x
    return rows


def csr_rows(g: Graph):
    return [dict(zip(g.indices[g.indptr[u]:g.indptr[u + 1]].tolist(),
                     g.weights[g.indptr[u]:g.indptr[u + 1]].tolist())) for u in range(g.n_nodes)]


def edge_zoo():
    rng = np.random.default_rng(7)
    yield "empty", [], [], None, 0
    yield "one node", [], [], None, 1
    yield "self loop only", [0], [0], [2.5], 1
    yield "isolated nodes", [0, 1], [1, 2], None, 6
    yield "duplicates", [0, 0, 0, 1], [1, 1, 1, 0], [1.0, 2.0, 3.0, 4.0], 2
    yield "both directions", [0, 1, 2, 2], [1, 0, 2, 0], [1.0, 1.0, 5.0, 2.0], 3
    for k in range(5):
        n = int(rng.integers(2, 40))
        m = int(rng.integers(0, 200))
        yield f"random {k}", rng.integers(0, n, m), rng.integers(0, n, m), rng.random(m), n


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("self_loops", ["keep", "drop"])
@pytest.mark.parametrize("case", list(edge_zoo()), ids=lambda c: c[0])
def test_from_edges_matches_naive(case, directed, self_loops):
    name, src, dst, w, n = case
    w_arr = None if w is None else np.asarray(w, dtype=float)
    g = from_edges(np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64), w_arr,
                   n_nodes=n, directed=directed, self_loops=self_loops)
    ref = naive_csr(src, dst, [1.0] * len(src) if w is None else w, n, directed, self_loops == "drop")
    got = csr_rows(g)
    assert g.n_nodes == n
    assert [sorted(r) for r in got] == [sorted(r) for r in ref]
    for r_got, r_ref in zip(got, ref):
        for v in r_ref:
            assert r_got[v] == pytest.approx(r_ref[v], abs=1e-12)
    for u in range(n):  # rows sorted, strictly increasing
        row = g.indices[g.indptr[u]:g.indptr[u + 1]]
        assert np.all(np.diff(row) > 0)
    assert g.indices.dtype == np.int32 and g.indptr.dtype == np.int64 and g.weights.dtype == np.float64


def test_strength_counts_self_loop_twice_when_undirected():
    g = from_edges([0, 1], [0, 2], [3.0, 1.0], n_nodes=3, directed=False)
    assert g.strength().tolist() == [6.0, 1.0, 1.0]
    assert g.total_weight() == pytest.approx(4.0)
    assert g.n_edges == 2


def test_transpose_and_symmetrize():
    g = from_edges([0, 0, 1], [1, 2, 0], [1.0, 2.0, 3.0], n_nodes=4)
    t = g.transpose()
    assert csr_rows(t) == [{1: 3.0}, {0: 1.0}, {0: 2.0}, {}]
    s = g.symmetrize()
    assert not s.directed
    assert csr_rows(s) == [{1: 4.0, 2: 2.0}, {0: 4.0}, {0: 2.0}, {}]


def test_graph_is_immutable():
    g = from_edges([0], [1])
    with pytest.raises(AttributeError):
        g.directed = False  # type: ignore[misc]


@pytest.mark.parametrize("bad, message", [
    (dict(src=[0.5], dst=[1]), "integer"),
    (dict(src=[0, 1], dst=[1]), "same length"),
    (dict(src=[-1], dst=[1]), "non-negative"),
    (dict(src=[0], dst=[5], n_nodes=3), "n_nodes=3"),
    (dict(src=[0], dst=[1], weight=[np.nan]), "NaN"),
    (dict(src=[0], dst=[1], weight=[1.0, 2.0]), "one value per edge"),
    (dict(src=[0], dst=[1], self_loops="maybe"), "self_loops"),
])
def test_bad_input_is_explained(bad, message):
    kwargs = dict(bad)
    src, dst = kwargs.pop("src"), kwargs.pop("dst")
    with pytest.raises(GraphInputError, match=message):
        from_edges(np.asarray(src), np.asarray(dst), **kwargs)


def test_matches_scipy_on_random_graph():
    import scipy.sparse as sparse

    rng = np.random.default_rng(1)
    n, m = 500, 5000
    s, d, w = rng.integers(0, n, m), rng.integers(0, n, m), rng.random(m)
    g = from_edges(s, d, w, n_nodes=n)
    ref = sparse.coo_matrix((w, (s, d)), shape=(n, n)).tocsr()
    ref.sum_duplicates()
    ref.sort_indices()
    assert np.array_equal(g.indptr, ref.indptr)
    assert np.array_equal(g.indices, ref.indices)
    assert np.allclose(g.weights, ref.data, rtol=0, atol=1e-12)


def test_index_pairs_checks_lengths_and_range_before_the_cast():
    from nichegraph.engine.graph import index_pairs
    from nichegraph.engine.social import social_ratio

    s, d = index_pairs(3, [0, 2], np.array([[1], [0]]), dtype=np.int32)
    assert s.dtype == d.dtype == np.int32 and s.tolist() == [0, 2] and d.tolist() == [1, 0]
    assert s.flags.c_contiguous and d.flags.c_contiguous
    with pytest.raises(GraphInputError, match="follow_src and follow_dst must have the same length; got 2 and 1"):
        index_pairs(3, [0, 1], [1], names=("follow_src", "follow_dst"))
    with pytest.raises(GraphInputError, match=r"interaction endpoints must be node indices in 0\.\.2"):
        index_pairs(3, [0, -1], [1, 2], what="interaction")
    # 2**32 + 1 would wrap to 1 in int32: it is refused as an index, not read as account 1
    with pytest.raises(GraphInputError, match="node indices"):
        social_ratio(3, np.array([2**32 + 1], dtype=np.int64), [0])
