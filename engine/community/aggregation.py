r"""Aggregation: one node per community, edge weights summed.

The aggregate adjacency is :math:`A'_{CD} = \sum_{u \in C, v \in D} A_{uv}`;
with self-loops stored as ``2 w`` this keeps every community's internal
weight on its diagonal, so node strengths, ``H`` and hence modularity and
CPM are exactly preserved (tested).
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel


@kernel
def aggregate(indptr, indices, A, labels, k):
    """Aggregate CSR ``(indptr int64 (k+1,), indices int32, A float64)`` of ``labels`` (int32, ``0..k-1``).

    Rows list neighbours in the order first met (deterministic).
    """
    n = indptr.shape[0] - 1
    start = np.zeros(k + 1, dtype=np.int64)
    for v in range(n):
        start[labels[v] + 1] += 1
    for c in range(k):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    members = np.empty(n, dtype=np.int32)
    for v in range(n):
        members[fill[labels[v]]] = v
        fill[labels[v]] += 1
    nnz = indices.shape[0]
    out_ptr = np.zeros(k + 1, dtype=np.int64)
    out_idx = np.empty(nnz, dtype=np.int32)
    out_w = np.empty(nnz, dtype=np.float64)
    buf = np.zeros(k, dtype=np.float64)
    mark = np.full(k, -1, dtype=np.int32)
    touched = np.empty(k, dtype=np.int32)
    pos = 0
    for c in range(k):
        nt = 0
        for i in range(start[c], start[c + 1]):
            v = members[i]
            for p in range(indptr[v], indptr[v + 1]):
                d = labels[indices[p]]
                if mark[d] != c:
                    mark[d] = c
                    buf[d] = 0.0
                    touched[nt] = d
                    nt += 1
                buf[d] += A[p]
        for t in range(nt):
            d = touched[t]
            out_idx[pos] = d
            out_w[pos] = buf[d]
            pos += 1
        out_ptr[c + 1] = pos
    # views, not copies: trimming must not raise peak memory (the buffer is freed with the level)
    return out_ptr, out_idx[:pos], out_w[:pos]


@kernel
def sum_by_label(values, labels, k):
    """``out[c] = sum(values[labels == c])``, float64 (k,)."""
    out = np.zeros(k, dtype=np.float64)
    for v in range(values.shape[0]):
        out[labels[v]] += values[v]
    return out
