"""Simple per-node measures: degrees, strengths and reciprocity."""

from __future__ import annotations

import numpy as np

from ._jit import prange, serial_or_parallel
from .graph import Graph, _row_sums


def in_degree(g: Graph, *, weighted: bool = False) -> np.ndarray:
    """In-degree (distinct in-neighbours, int64) or in-strength (float64) per node, shape (n_nodes,).

    Self-loops count like any other stored entry; build the graph with
    ``self_loops="drop"`` to leave them out.
    """
    if weighted:
        return np.bincount(g.indices, weights=g.weights, minlength=g.n_nodes).astype(np.float64)
    return np.bincount(g.indices, minlength=g.n_nodes).astype(np.int64)


def out_degree(g: Graph, *, weighted: bool = False) -> np.ndarray:
    """Out-degree (distinct out-neighbours, int64) or out-strength (float64) per node, shape (n_nodes,)."""
    if weighted:
        return out_strength(g)
    return g.out_degree().astype(np.int64)


def out_strength(g: Graph) -> np.ndarray:
    """Sum of the stored weights of each row, float64 of shape (n_nodes,).

    For undirected graphs a self-loop is stored once, matching networkx's adjacency-matrix row sums.
    """
    return _row_sums(g.indptr, g.weights)


def reciprocity(g: Graph, transposed: Graph | None = None) -> np.ndarray:
    r"""Share of each node's ties that are mutual, float64 of shape (n_nodes,).

    .. math:: r_u = \frac{|N^+(u) \cap N^-(u)|}{|N^+(u) \cup N^-(u)|}

    where :math:`N^+` and :math:`N^-` are out- and in-neighbours other than
    ``u`` itself.  Nodes without ties get 0.0.  ``transposed``: ``g``'s
    transpose when the caller has it (``engine.centrality.in_graph(g)``).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> reciprocity(from_edges([0, 1, 0], [1, 0, 2], n_nodes=4)).tolist()
    [0.5, 1.0, 0.0, 0.0]
    """
    if not g.directed:
        raise ValueError("reciprocity needs a directed graph")
    mutual, union, _ = mutual_counts(g, transposed)
    return np.where(union > 0, mutual / np.where(union > 0, union, 1), 0.0)


def mutual_counts(g: Graph, transposed: Graph | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Mutual, all and inbound neighbours of every node of a directed graph, self excluded.

    Returns ``(mutual, union, inbound)``, int64 arrays of shape (n_nodes,):
    :math:`|N^+(u) \cap N^-(u)|`, :math:`|N^+(u) \cup N^-(u)|` and :math:`|N^-(u)|`
    (out- and in-neighbours other than ``u``; one merge of the sorted out-row and in-row per node).
    ``transposed`` is ``g``'s transpose when the caller has it (default: :meth:`Graph.transpose`).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> [x.tolist() for x in mutual_counts(from_edges([0, 1, 0, 2], [1, 0, 2, 2], n_nodes=3))]
    [[1, 1, 0], [2, 1, 1], [1, 1, 1]]
    """
    gt = g.transpose() if transposed is None else transposed
    return _mutual_counts.pick(g.indices.shape[0])(g.indptr, g.indices, gt.indptr, gt.indices)


@serial_or_parallel
def _mutual_counts(out_ptr, out_idx, in_ptr, in_idx):
    n = out_ptr.shape[0] - 1
    mutual = np.zeros(n, dtype=np.int64)
    union = np.zeros(n, dtype=np.int64)
    inbound = np.zeros(n, dtype=np.int64)
    for u in prange(n):
        i, i_end = out_ptr[u], out_ptr[u + 1]
        j, j_end = in_ptr[u], in_ptr[u + 1]
        both = 0
        every = 0
        into = 0
        while i < i_end or j < j_end:
            a = out_idx[i] if i < i_end else 2147483647
            b = in_idx[j] if j < j_end else 2147483647
            v = min(a, b)
            if v != u:
                every += 1
                if a == b:
                    both += 1
                if b == v:
                    into += 1
            if a == v:
                i += 1
            if b == v:
                j += 1
        mutual[u] = both
        union[u] = every
        inbound[u] = into
    return mutual, union, inbound
