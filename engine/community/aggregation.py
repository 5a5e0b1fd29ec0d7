r"""Aggregation: one node per community, edge weights summed.

The aggregate adjacency is :math:`A'_{CD} = \sum_{u \in C, v \in D} A_{uv}`;
with self-loops stored as ``2 w`` this keeps every community's internal
weight on its diagonal, so node strengths, ``H`` and hence modularity and
CPM are exactly preserved (tested).

Weights are summed in float64 and stored as float32 where that is exact:
:func:`aggregate` tries float32 when ``A`` is one shared number (every arc
of the same weight, as in an unweighted graph) or already float32 (such a
graph aggregated before), and keeps the float32 result only if every stored
sum equals its float64 value (whole numbers below :math:`2^{24}`, in
practice), else aggregates again in float64.  The kernels read the same
values either way, so the labels are identical (tested); the aggregated
levels are read with 8 bytes per arc instead of 12, and the search on them is
bound by memory traffic.  Other weighted graphs keep float64 throughout.
"""

from __future__ import annotations

import numpy as np

from .._jit import PREFETCH_AHEAD, kernel, prange, prefetch, serial_or_parallel
from ._weights import arc_weight


@kernel
def members_by_label(labels, k, order):
    """Counting sort of the nodes by label: ``(start int64 (k+1,), members int32 (n,))``.

    The members of label ``c`` are ``members[start[c]:start[c+1]]``, in the
    order they appear in ``order`` (int (n,), a permutation of the nodes).
    """
    n = labels.shape[0]
    start = np.zeros(k + 1, dtype=np.int64)
    for v in range(n):
        start[labels[v] + 1] += 1
    for c in range(k):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    members = np.empty(n, dtype=np.int32)
    for i in range(n):
        v = order[i]
        members[fill[labels[v]]] = v
        fill[labels[v]] += 1
    return start, members


@serial_or_parallel
def _aggregate_slices(indptr, indices, A, labels, k, start, members, cuts, region, row_len, buf_idx, buf_w, inexact):
    """Rows of communities ``cuts[s]..cuts[s+1]`` written compactly from ``region[s]`` of the buffers.

    One slice per iteration of the parallel loop, each with its own scratch
    (``mark``/``acc`` of size ``k``); rows list neighbours in the order first
    met, so the result does not depend on the slicing.  ``inexact[s]`` is
    set where a sum changed when stored in ``buf_w`` (a float32 buffer).
    """
    for s in prange(cuts.shape[0] - 1):
        acc = np.zeros(k, dtype=np.float64)
        mark = np.full(k, -1, dtype=np.int32)
        touched = np.empty(k + 1, dtype=np.int32)  # one spare slot for the branch-free append
        pos = region[s]
        n = members.shape[0]
        for c in range(cuts[s], cuts[s + 1]):
            nt = 0
            for i in range(start[c], start[c + 1]):
                v = members[i]
                if i + PREFETCH_AHEAD < n:
                    prefetch(indices, indptr[members[i + PREFETCH_AHEAD]])
                for p in range(indptr[v], indptr[v + 1]):
                    d = labels[indices[p]]
                    touched[nt] = d  # kept only where d is new to this community (branch-free)
                    nt += mark[d] != c
                    mark[d] = c
                    acc[d] += arc_weight(A, p)
            for t in range(nt):
                d = touched[t]
                buf_idx[pos] = d
                buf_w[pos] = acc[d]
                if buf_w[pos] != acc[d]:
                    inexact[s] = True
                acc[d] = 0.0  # acc is all zero between communities
                pos += 1
            row_len[c] = nt


def aggregate(indptr, indices, A, labels, k, n_slices=1, parallel=False):
    """Aggregate CSR ``(indptr int64 (k+1,), indices int32, A)`` of ``labels`` (int32, ``0..k-1``).

    ``A`` of the result is float32 where that stores every sum exactly and
    ``A`` given is a number or float32 (module docstring), else float64.
    Rows list neighbours in the order first met (deterministic).  The
    communities are cut into ``n_slices`` ranges of about equal edge count,
    aggregated independently (on numba's threads with ``parallel``) into
    disjoint regions of one buffer of ``nnz`` slots, whose gaps are then
    closed in place; the result is identical for any ``n_slices``.  The
    arrays returned are views of that buffer: trimming must not raise peak
    memory, and closing the gaps in place is cheaper than copying into
    fresh arrays.
    """
    nnz = indices.shape[0]
    if np.ndim(A) == 0 or A.dtype == np.float32:
        out_ptr, out_idx, out_w, exact = _aggregate_into(
            indptr, indices, A, labels, k, n_slices, parallel, np.empty(nnz, dtype=np.float32)
        )
        if exact:
            return out_ptr, out_idx, out_w
        del out_ptr, out_idx, out_w
    out_ptr, out_idx, out_w, _ = _aggregate_into(
        indptr, indices, A, labels, k, n_slices, parallel, np.empty(nnz, dtype=np.float64)
    )
    return out_ptr, out_idx, out_w


def _aggregate_into(indptr, indices, A, labels, k, n_slices, parallel, buf_w):
    """:func:`aggregate` with the weights stored in ``buf_w`` (nnz,); also returns whether every sum fit exactly.

    The serial or parallel slice kernel is picked here, in Python, so a run
    only compiles the one it uses.
    """
    nnz = indices.shape[0]
    start, members, cuts, region, n_slices = _plan_slices(indptr, labels, k, n_slices, nnz)
    row_len = np.zeros(k, dtype=np.int64)
    buf_idx = np.empty(nnz, dtype=np.int32)
    inexact = np.zeros(n_slices, dtype=np.bool_)
    # a small graph runs the serial compilation of the same kernel: the same sums, no threads to compile
    aggregate_slices = _aggregate_slices.pick(nnz) if parallel else _aggregate_slices.serial
    aggregate_slices(indptr, indices, A, labels, k, start, members, cuts, region, row_len, buf_idx, buf_w, inexact)
    out_ptr = _close_gaps(k, n_slices, cuts, region, row_len, buf_idx, buf_w)
    return out_ptr, buf_idx[: out_ptr[k]], buf_w[: out_ptr[k]], not inexact.any()


@kernel
def _plan_slices(indptr, labels, k, n_slices, nnz):
    """Members by community and the cut of the communities into slices of about equal arc count.

    Slice ``s`` holds communities ``cuts[s]..cuts[s+1]``, about ``nnz / n_slices`` arcs, and writes from ``region[s]``;
    returns ``start, members, cuts, region`` and the number of slices (at most ``k``).
    """
    n = indptr.shape[0] - 1
    start, members = members_by_label(labels, k, np.arange(n).astype(np.int32))  # int32 like every caller
    n_slices = max(1, min(n_slices, k))
    cuts = np.zeros(n_slices + 1, dtype=np.int64)
    region = np.zeros(n_slices + 1, dtype=np.int64)
    arcs = 0
    s = 1
    for c in range(k):
        for i in range(start[c], start[c + 1]):
            arcs += indptr[members[i] + 1] - indptr[members[i]]
        if s < n_slices and arcs >= s * nnz / n_slices:
            cuts[s] = c + 1
            region[s] = arcs
            s += 1
    for r in range(s, n_slices + 1):
        cuts[r] = k
        region[r] = nnz
    return start, members, cuts, region, n_slices


@kernel
def _close_gaps(k, n_slices, cuts, region, row_len, buf_idx, buf_w):
    """Row pointers (int64 (k + 1,)) of the aggregated graph, after moving every slice down onto them."""
    out_ptr = np.zeros(k + 1, dtype=np.int64)
    for c in range(k):
        out_ptr[c + 1] = out_ptr[c] + row_len[c]
    # close the gaps in place: slice s moves down from region[s] to out_ptr[cuts[s]] (never up, and never
    # onto a later slice's rows), in slice order; slice 0 is already in place
    for s in range(1, n_slices):
        src = region[s]
        dst = out_ptr[cuts[s]]
        for j in range(out_ptr[cuts[s + 1]] - dst):
            buf_idx[dst + j] = buf_idx[src + j]
            buf_w[dst + j] = buf_w[src + j]
    return out_ptr


def sum_by_label(values, labels, k):
    """``out[c] = sum(values[labels == c])``, float64 (k,), added in index order (``np.bincount``)."""
    return np.bincount(labels, weights=values, minlength=k).astype(np.float64, copy=False)
