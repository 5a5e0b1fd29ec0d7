"""PageRank's power iteration pushed along out-arcs: no transposed CSR to build.

:func:`engine.centrality.pagerank` pulls every node's new score from its
in-neighbours, which on a directed graph needs the in-neighbour (transposed)
CSR, a counting sort whose scattered writes cost as much as a dozen sweeps.
Pushing instead walks the out-neighbour CSR as it is stored: every source
``u`` adds ``w_uv x_u / s_u`` to one accumulator slot per out-neighbour ``v``.

In parallel, the *destinations* are cut into ranges of about equal in-arc
counts, one per thread: range ``c`` walks every source's row but only the arcs
whose target lies in the range (rows are sorted, so that is one slice per row,
found once per call by :func:`push_plan`).  The ranges write disjoint slots
of a single accumulator, so no per-thread copies are added up, and every slot
receives its terms in increasing source order whatever the number of ranges:
the iterates equal the pull sweep's bit for bit, for any thread count.  On one
thread there is one range, and the sweep is the plain scatter over the CSR.
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import kernel, prange, prefetch, serial_or_parallel

#: How many arcs ahead the scatter :func:`~engine._jit.prefetch` es its target slot: the
#: accumulator of a large graph does not fit the core's cache, and the arcs to come are known
#: (the index stream).  A cache hint only: no effect on results (benchmarks/RESULTS.md,
#: "Directed PageRank on one thread").
PUSH_AHEAD = 128


def range_cuts(indices: np.ndarray, n: int, ranges: int, align: int = 1) -> np.ndarray:
    """First node of each of ``ranges`` destination ranges of about equal in-arc counts.

    int64 of shape (ranges + 1,), non-decreasing, ``cuts[0] = 0`` and
    ``cuts[-1] = n``, inner cuts multiples of ``align``; ranges may be empty.
    """
    cuts = np.zeros(ranges + 1, dtype=np.int64)
    cuts[-1] = n
    if ranges > 1 and indices.shape[0]:
        in_arcs = np.cumsum(np.bincount(indices, minlength=n), dtype=np.int64)
        targets = (np.arange(1, ranges, dtype=np.int64) * indices.shape[0]) // ranges
        inner = np.searchsorted(in_arcs, targets, side="right")
        cuts[1:-1] = np.minimum((inner + align // 2) // align * align, n)
    return cuts


@serial_or_parallel
def _row_splits(indptr, indices, cuts):
    """``splits[c - 1, u]``: offset in row ``u`` of its first arc with target ``>= cuts[c]``, for ``0 < c < R``.

    int32 of shape (R - 1, n_nodes); rows of ``indices`` are sorted, so the arcs
    of row ``u`` into range ``c`` are ``indptr[u] + [splits[c - 1, u], splits[c, u])``.
    """
    n = indptr.shape[0] - 1
    inner = cuts.shape[0] - 2
    splits = np.empty((inner, n), dtype=np.int32)
    for u in prange(n):
        lo = indptr[u]
        p = lo
        hi = indptr[u + 1]
        for c in range(inner):
            bound = cuts[c + 1]
            while p < hi and indices[p] < bound:
                p += 1
            splits[c, u] = p - lo
    return splits


def push_plan(indptr: np.ndarray, indices: np.ndarray, align: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(cuts, splits)``: the destination ranges of one push sweep over this CSR.

    One range per numba thread where the ``prange`` compilations run
    (:meth:`~engine._jit.SerialOrParallel.pick` of the arc count), else one.
    ``cuts`` (:func:`range_cuts`, aligned to ``align``) and ``splits``
    (:func:`_row_splits`; shape (0, n) for one range).  The number of ranges
    never changes a result, only how the sweep is shared out.
    """
    n = indptr.shape[0] - 1
    parallel = _row_splits.pick(indices.shape[0]) is _row_splits.parallel
    ranges = max(1, min(numba.get_num_threads(), n)) if parallel else 1
    cuts = range_cuts(indices, n, ranges, align)
    if ranges == 1:
        return cuts, np.zeros((0, n), dtype=np.int32)
    return cuts, _row_splits.parallel(indptr, indices, cuts)


@kernel(inline="always")
def _push_range(c, indptr, indices, weights, unit, splits, x, inv_s, acc):
    """``acc[v] += w_uv * x[u] * inv_s[u]`` for the arcs ``u -> v`` of destination range ``c``, ``u`` increasing.

    ``splits`` (int32 (R - 1, n)) cuts every row at the range bounds
    (:func:`_row_splits`).  ``indices`` is a uint32 view (no wraparound code in
    the scatter); ``weights`` is unused when ``unit``.  Dangling sources have
    ``inv_s = 0`` and push zero.  The slot of the arc :data:`PUSH_AHEAD`
    positions on is prefetched.
    """
    n = indptr.shape[0] - 1
    last = splits.shape[0]
    end = np.uint64(max(indices.shape[0], 1) - 1)
    ahead = np.uint64(PUSH_AHEAD)
    for u in range(n):
        lo = indptr[u]
        a = lo if c == 0 else lo + splits[c - 1, u]
        b = indptr[u + 1] if c == last else lo + splits[c, u]
        if a < b:
            zu = x[u] * inv_s[u]
            if unit:
                for p in range(np.uint64(a), np.uint64(b)):
                    prefetch(acc, np.uint64(indices[min(p + ahead, end)]))
                    acc[np.uint64(indices[p])] += zu
            else:
                for p in range(np.uint64(a), np.uint64(b)):
                    prefetch(acc, np.uint64(indices[min(p + ahead, end)]))
                    acc[np.uint64(indices[p])] += weights[p] * zu


@serial_or_parallel
def _push(indptr, indices, weights, unit, splits, x, inv_s, acc):
    """:func:`_push_range` of every destination range, the ranges in parallel: ``acc[v] += sum_u w_uv x_u / s_u``."""
    for c in prange(splits.shape[0] + 1):
        _push_range(c, indptr, indices, weights, unit, splits, x, inv_s, acc)


@kernel(inline="always")
def take(acc, v):
    """``acc[v]``, which is zeroed for the next sweep."""
    s = acc[v]
    acc[v] = 0.0
    return s


@serial_or_parallel
def _sweep(
    indptr, indices, weights, unit, splits, cuts, x, inv_s, acc, dang, alpha, dvec, pvec, coef_p, xnew, bs, parts
):
    """One power iteration pushed along out-arcs, each destination range pushed then closed by one thread.

    Range ``c`` (``cuts[c] <= v < cuts[c + 1]``, inner cuts multiples of ``bs``)
    runs :func:`_push_range`, then in fixed blocks of ``bs`` nodes sets
    ``xnew[v] = alpha * acc[v] + alpha * dang * dvec[v] + coef_p * pvec[v]``
    (``acc`` zeroed), ``parts[b, 0]`` to the block's L1 change against ``x``
    and ``parts[b, 1]`` to its new dangling mass (nodes with ``inv_s = 0``).
    Only range ``c`` writes its slots, so they are final once it has pushed:
    one parallel region per iteration.
    """
    n = xnew.shape[0]
    for c in prange(splits.shape[0] + 1):
        _push_range(c, indptr, indices, weights, unit, splits, x, inv_s, acc)
        for b in range(cuts[c] // bs, (cuts[c + 1] + bs - 1) // bs):
            lo = b * bs
            hi = min(lo + bs, n)
            err = 0.0
            dm = 0.0
            for v in range(lo, hi):
                y = alpha * take(acc, v) + alpha * dang * dvec[v] + coef_p * pvec[v]
                xnew[v] = y
                err += abs(y - x[v])
                if inv_s[v] == 0.0:
                    dm += y
            parts[b, 0] = err
            parts[b, 1] = dm
