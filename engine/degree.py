"""Simple per-node measures on a directed graph: degrees and reciprocity."""

from __future__ import annotations

import numpy as np

from ._jit import prange, serial_or_parallel
from .graph import Graph


def in_degree(g: Graph) -> np.ndarray:
    """Number of distinct in-neighbours (self-loops included), int64 of shape (n_nodes,)."""
    return np.bincount(g.indices, minlength=g.n_nodes).astype(np.int64)


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
