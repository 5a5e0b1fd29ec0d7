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


def reciprocity(g: Graph) -> np.ndarray:
    r"""Share of each node's ties that are mutual, float64 of shape (n_nodes,).

    .. math:: r_u = \frac{|N^+(u) \cap N^-(u)|}{|N^+(u) \cup N^-(u)|}

    where :math:`N^+` and :math:`N^-` are out- and in-neighbours other than
    ``u`` itself.  Nodes without ties get 0.0.

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> reciprocity(from_edges([0, 1, 0], [1, 0, 2], n_nodes=4)).tolist()
    [0.5, 1.0, 0.0, 0.0]
    """
    if not g.directed:
        raise ValueError("reciprocity needs a directed graph")
    gt = g.transpose()
    return _reciprocity.pick(g.indices.shape[0])(g.indptr, g.indices, gt.indptr, gt.indices)


@serial_or_parallel
def _reciprocity(out_ptr, out_idx, in_ptr, in_idx):
    n = out_ptr.shape[0] - 1
    r = np.zeros(n, dtype=np.float64)
    for u in prange(n):
        i, i_end = out_ptr[u], out_ptr[u + 1]
        j, j_end = in_ptr[u], in_ptr[u + 1]
        mutual = 0
        union = 0
        while i < i_end or j < j_end:
            a = out_idx[i] if i < i_end else 2147483647
            b = in_idx[j] if j < j_end else 2147483647
            v = min(a, b)
            if v != u:
                union += 1
                if a == b:
                    mutual += 1
            if a == v:
                i += 1
            if b == v:
                j += 1
        if union > 0:
            r[u] = mutual / union
    return r
