"""PageRank's power iteration pushed along out-arcs: no transposed CSR to build.

:func:`engine.centrality.pagerank` pulls every node's new score from its
in-neighbours, which on a directed graph needs the in-neighbour (transposed)
CSR, a counting sort whose scattered writes cost as much as a dozen sweeps.
Pushing instead walks the out-neighbour CSR as it is stored: every source
``u`` adds ``w_uv x_u / s_u`` to an accumulator of each out-neighbour ``v``.

Sources are cut into :data:`PUSH_CHUNKS` fixed ranges of about equal arc
counts, each with its own accumulator vector, so chunks run in parallel
without sharing a slot; the chunks do not depend on the thread count, so
neither does the result.  Within a chunk sources are visited in increasing
order, so each accumulator adds its terms in the order the pull sweep would;
the chunk sums are then added in chunk order.  The iterates equal the pull
sweep's up to that regrouping of one sum (rounding, far below any tolerance).
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange, serial_or_parallel

#: Source ranges (and accumulator vectors of ``n_nodes`` floats) of one push sweep.  Fixed, so the
#: result does not depend on the thread count.  Each range costs every sweep one more vector to add
#: and zero, which a single thread pays too (benchmarks/RESULTS.md, "PageRank without a transpose").
PUSH_CHUNKS = 2


def chunk_cuts(indptr: np.ndarray, chunks: int = PUSH_CHUNKS) -> np.ndarray:
    """First source of each of ``chunks`` ranges of about equal arc counts, int64 of shape (chunks + 1,).

    ``cuts[0] = 0`` and ``cuts[-1] = n_nodes``; ranges may be empty.
    """
    n = indptr.shape[0] - 1
    nnz = int(indptr[-1])
    targets = (np.arange(chunks + 1, dtype=np.int64) * nnz) // chunks
    cuts = np.searchsorted(indptr, targets, side="left").astype(np.int64)
    cuts[0], cuts[-1] = 0, n
    return np.minimum(np.maximum.accumulate(cuts), n)


@serial_or_parallel
def _push(indptr, indices, weights, unit, cuts, x, inv_s, acc):
    """``acc[c, v] += w_uv * x[u] * inv_s[u]`` for every arc ``u -> v`` with ``cuts[c] <= u < cuts[c + 1]``.

    ``indices`` is a uint32 view (no wraparound code in the scatter); ``weights``
    is unused when ``unit``.  Dangling sources have ``inv_s = 0`` and push zero.
    """
    for c in prange(cuts.shape[0] - 1):
        a = acc[c]
        for u in range(cuts[c], cuts[c + 1]):
            zu = x[u] * inv_s[u]
            if unit:
                for p in range(np.uint64(indptr[u]), np.uint64(indptr[u + 1])):
                    a[np.uint64(indices[p])] += zu
            else:
                for p in range(np.uint64(indptr[u]), np.uint64(indptr[u + 1])):
                    a[np.uint64(indices[p])] += weights[p] * zu


@kernel
def take_column(acc, v):
    """``sum_c acc[c, v]`` (float64 (chunks, n) ``acc``), added in chunk order; the column is zeroed."""
    s = acc[0, v]
    acc[0, v] = 0.0
    for c in range(1, acc.shape[0]):
        s += acc[c, v]
        acc[c, v] = 0.0
    return s


@serial_or_parallel
def _finish(acc, inv_s, dang, alpha, dvec, pvec, coef_p, xold, xnew, bs, parts):
    """``xnew[v] = alpha * sum_c acc[c, v] + alpha * dang * dvec[v] + coef_p * pvec[v]``; ``acc`` is zeroed.

    In fixed blocks of ``bs`` nodes: ``parts[b, 0]`` the block's L1 change,
    ``parts[b, 1]`` its new dangling mass (nodes with ``inv_s = 0``).
    """
    n = xnew.shape[0]
    for b in prange(parts.shape[0]):
        lo = b * bs
        hi = min(lo + bs, n)
        err = 0.0
        dm = 0.0
        for v in range(lo, hi):
            x = alpha * take_column(acc, v) + alpha * dang * dvec[v] + coef_p * pvec[v]
            xnew[v] = x
            err += abs(x - xold[v])
            if inv_s[v] == 0.0:
                dm += x
        parts[b, 0] = err
        parts[b, 1] = dm
