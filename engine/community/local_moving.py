"""Fast local moving (Traag, Waltman & van Eck 2019, Algorithm A.2).

A queue holds every node once, in a random order drawn from the seed.  Each
popped node moves to the neighbouring community (or a new, empty one) with
the largest positive :func:`~engine.community._objective.gain`; when it moves,
its neighbours outside the new community re-enter the queue.  Ties go to the
first community met in CSR order, so the result is a pure function of the
inputs and the order.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from ._objective import gain


@kernel
def move_nodes(indptr, indices, A, node_w, comm, scale, order, tol):
    """Move nodes in place in ``comm`` (int32, labels in ``0..n-1``); return the number of moves.

    Parameters
    ----------
    indptr, indices, A : CSR arrays (int64 (n+1,), int32 (nnz,), float64 (nnz,))
        Search adjacency (self-loops as ``2 w``).
    node_w : float64 (n,)
        Node weights of the objective.
    comm : int32 (n,)
        Initial communities, updated in place.
    scale : float
        Objective scale ``s``.
    order : int32 (n,)
        Initial queue order (a permutation of the nodes).
    tol : float
        A move must raise ``H`` by more than ``tol``.
    """
    n = indptr.shape[0] - 1
    W = np.zeros(n, dtype=np.float64)
    size = np.zeros(n, dtype=np.int32)
    for v in range(n):
        W[comm[v]] += node_w[v]
        size[comm[v]] += 1
    empty = np.empty(n, dtype=np.int32)
    n_empty = 0
    for c in range(n - 1, -1, -1):
        if size[c] == 0:
            empty[n_empty] = c
            n_empty += 1
    queue = order.copy()
    in_queue = np.ones(n, dtype=np.bool_)
    head = 0
    count = n
    neigh = np.zeros(n, dtype=np.float64)
    mark = np.full(n, -1, dtype=np.int32)
    touched = np.empty(n, dtype=np.int32)
    moves = 0
    while count > 0:
        v = queue[head]
        head += 1
        if head == n:
            head = 0
        count -= 1
        in_queue[v] = False
        a = comm[v]
        wv = node_w[v]
        nt = 0
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if u == v:
                continue
            c = comm[u]
            if mark[c] != v:
                mark[c] = v
                neigh[c] = 0.0
                touched[nt] = c
                nt += 1
            neigh[c] += A[p]
        W[a] -= wv
        k_va = neigh[a] if mark[a] == v else 0.0
        stay = gain(k_va, wv, W[a], scale)
        best = a
        best_gain = stay
        for t in range(nt):
            c = touched[t]
            if c == a:
                continue
            g = gain(neigh[c], wv, W[c], scale)
            if g > best_gain:
                best_gain = g
                best = c
        if size[a] > 1 and n_empty > 0 and 0.0 > best_gain:
            best = empty[n_empty - 1]
            best_gain = 0.0
        if best != a and best_gain - stay > tol:
            if size[best] == 0:
                n_empty -= 1
            comm[v] = best
            W[best] += wv
            size[best] += 1
            size[a] -= 1
            if size[a] == 0:
                empty[n_empty] = a
                n_empty += 1
            moves += 1
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if not in_queue[u] and comm[u] != best:
                    in_queue[u] = True
                    tail = head + count
                    if tail >= n:
                        tail -= n
                    queue[tail] = u
                    count += 1
        else:
            W[a] += wv
    return moves
