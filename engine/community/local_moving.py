"""Fast local moving (Traag, Waltman & van Eck 2019, Algorithm A.2), serial and batched.

:func:`move_nodes` is the paper's algorithm.  A queue holds every node once,
in a random order drawn from the seed.  Each popped node moves to the
neighbouring community (or a new, empty one) with the largest positive
:func:`~engine.community._objective.gain`; when it moves, its neighbours
outside the new community re-enter the queue.  Ties go to the first
community met in CSR order, so the result is a pure function of the inputs
and the order.

:func:`move_nodes_batched` is the same search organised so that the costly
part runs on several threads without the result depending on how many.  It
works in *rounds*: a round visits the active nodes (all of them in the
first round) in the seeded order, ``batch`` nodes at a time, and each batch
is handled in three steps:

1. **propose** (parallel): every node of the batch finds its best move against
   the partition as it was when the batch started;
2. **apply** (serial, in order): a proposal is applied if its gain, recomputed
   on the current state, is still above ``tol``: the node's edge weights into
   its own and its target community are corrected for the neighbours that
   moved earlier in the batch (each proposal remembers them), and community
   weights are read as they are now.  The target itself is not chosen again;
   a node whose neighbourhood changed is visited again next round (step 3);
3. **activate** (parallel): the neighbours of the nodes that moved, outside
   their new community and already visited in this round, are marked for the
   next round (a flag: the order of the writes does not matter).

The search stops after a round without moves.  Every applied move raises
the quality by exactly its recomputed gain, more than ``tol``, as in the
serial version.  Proposals depend only on the state at the start of their
batch and the apply step is serial, so labels are identical for any number
of threads, one included (they differ from :func:`move_nodes`'s: it is a
different visiting schedule).
"""

from __future__ import annotations

import numba
import numpy as np

from .._jit import PREFETCH_AHEAD, kernel, parallel_kernel, prange, prefetch
from ._objective import gain
from ._weights import arc_weight

#: With ``parallel=True``, graphs with at least this many nodes run :func:`move_nodes_batched`;
#: smaller ones run :func:`move_nodes`.  Until a graph's per-node arrays outgrow the last-level
#: cache, the serial queue (with its row prefetch) is faster than the batched schedule on two
#: threads: it makes 20% fewer visits and each costs about half as much.  First pass from
#: singletons on the planted benchmark graphs, serial against batched on 2 threads: 0.085 s
#: against 0.125 s at 100k nodes, 0.70 s against 0.80 s at 500k, 1.97 s against 2.23 s at 1M;
#: at 2M nodes the batched schedule wins (5.06 s against 5.98 s).  A property of the graph,
#: never of the thread count.
BATCHED_MIN_NODES = 1_500_000

#: Nodes per batch of :func:`move_nodes_batched` (part of the algorithm: labels depend on it).
BATCH_SIZE = 2048

#: Earlier nodes of its batch that a node's proposal remembers as neighbours (more: found again by a scan).
_EARLY = 8

_NEW = -1  # proposal: leave for a new, empty community
_STAY = -2  # proposal: no move (the apply step then reads nothing else of the node)

#: A round finds its active nodes by scanning only the chunks of 2**_CHUNK_BITS order positions
#: flagged as holding one (late rounds have few).
_CHUNK_BITS = 6


@kernel
def _communities(comm, node_w):
    """Weight ``W`` (float64 (n,)) and ``size`` (int32 (n,)) of every community id ``0..n-1`` of ``comm``,
    and the stack of unused ids (int32 (n,), its first ``n_empty`` slots; the smallest id on top)."""
    n = comm.shape[0]
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
    return W, size, empty, n_empty


@kernel(inline="always")
def _join(a, best, wv, W, size, empty, n_empty):
    """Book a node of weight ``wv`` moving from ``a`` (its weight already out of ``W[a]``) to ``best``.

    ``best`` is a used id or the top of the unused stack; returns the new ``n_empty``.
    """
    if size[best] == 0:
        n_empty -= 1
    W[best] += wv
    size[best] += 1
    size[a] -= 1
    if size[a] == 0:
        empty[n_empty] = a
        n_empty += 1
    return n_empty


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
    W, size, empty, n_empty = _communities(comm, node_w)
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
        if count > PREFETCH_AHEAD:  # start loading the row of a node a few visits ahead
            ahead = head + PREFETCH_AHEAD
            prefetch(indices, indptr[queue[ahead if ahead < n else ahead - n]])
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
            neigh[c] += arc_weight(A, p)
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
        for t in range(nt):  # v is visited again later: its marks must not survive this visit
            mark[touched[t]] = -1
        if size[a] > 1 and n_empty > 0 and 0.0 > best_gain:
            best = empty[n_empty - 1]
            best_gain = 0.0
        if best != a and best_gain - stay > tol:
            comm[v] = best
            n_empty = _join(a, best, wv, W, size, empty, n_empty)
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



def _propose_all(indptr, indices, A, node_w, state, W, size, scale, tol, batch,
                 target, k_own, k_tgt, early, early_w, n_early, keys, vals, used):
    """Best move of every node of ``batch`` against ``state`` / ``W`` / ``size`` (read only).

    ``state`` int64 (n,) packs every node's community (:func:`_comm`) and
    batch position (:func:`_bpos`), so one memory access per neighbour
    serves both.  For ``v = batch[i]`` writes ``target[i]`` (community to
    join; ``_STAY`` to stay; ``_NEW`` for a new empty one), ``k_own[i]`` and
    ``k_tgt[i]`` (edge weight into its own and into the target community),
    and the batch positions ``j < i`` of its neighbours with the edge weights
    in ``early[i, :n_early[i]]`` / ``early_w`` (CSR order).  The
    batch is cut into ``keys.shape[0]`` slices, one per thread, each with its
    own scratch row: neighbouring communities are summed in a small
    open-addressing table (``keys``/``vals``, filled slots listed in ``used``,
    cleared after each node), so no array of size ``n`` per thread is needed.
    A node's answer does not depend on the slice it falls in.
    """
    nb = batch.shape[0]
    n_slices = keys.shape[0]
    for t in prange(n_slices):
        hk = keys[t]
        hv = vals[t]
        hu = used[t]
        hi = (t + 1) * nb // n_slices
        for i in range(t * nb // n_slices, hi):
            v = batch[i]
            if i + PREFETCH_AHEAD < hi:
                prefetch(indices, indptr[batch[i + PREFETCH_AHEAD]])
            m = 16
            while m < 2 * (indptr[v + 1] - indptr[v]):
                m *= 2
            mask = m - 1
            nt = 0
            ne = 0
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if u == v:
                    continue
                x = state[u]
                j = _bpos(x)
                if 0 <= j < i:
                    if ne < _EARLY:
                        early[i, ne] = j
                        early_w[i, ne] = arc_weight(A, p)
                    ne += 1
                c = _comm(x)
                h = (c * 40503) & mask
                while hk[h] != c and hk[h] != -1:
                    h = (h + 1) & mask
                if hk[h] == c:
                    hv[h] += arc_weight(A, p)
                else:
                    hk[h] = c
                    hv[h] = arc_weight(A, p)
                    hu[nt] = h
                    nt += 1
            n_early[i] = ne
            a = _comm(state[v])
            wv = node_w[v]
            k_va = 0.0
            for j in range(nt):
                if hk[hu[j]] == a:
                    k_va = hv[hu[j]]
            stay = gain(k_va, wv, W[a] - wv, scale)
            best = a
            best_gain = stay
            best_k = k_va
            for j in range(nt):  # first met wins ties, as in move_nodes
                c = hk[hu[j]]
                if c != a:
                    g = gain(hv[hu[j]], wv, W[c], scale)
                    if g > best_gain:
                        best_gain = g
                        best = c
                        best_k = hv[hu[j]]
            if size[a] > 1 and 0.0 > best_gain:
                best = _NEW
                best_gain = 0.0
                best_k = 0.0
            for j in range(nt):
                hk[hu[j]] = -1
            target[i] = best if best != a and best_gain - stay > tol else _STAY
            k_own[i] = k_va
            k_tgt[i] = best_k


def _activate_all(indptr, indices, state, batch, moved, active, pos, chunk_active):
    """``active[u] = True`` for every neighbour ``u`` of a moved batch node outside its new community
    that this round is not still to visit (:func:`_pending`); flags its chunk of the visiting order
    (``chunk_active[pos[u] >> _CHUNK_BITS]``, ``pos`` the position of every node in the order)."""
    for i in prange(batch.shape[0]):
        if moved[i]:
            v = batch[i]
            c = _comm(state[v])
            for p in range(indptr[v], indptr[v + 1]):
                x = state[indices[p]]
                if _comm(x) != c and not _pending(x):
                    active[indices[p]] = True
                    chunk_active[pos[indices[p]] >> _CHUNK_BITS] = True


# Node state packed in one int64: community in bits 0-31, batch position + 1 in bits 32-61
# (0: not in the batch), bit 62 set while the node waits for its batch in this round.
_COMM = np.int64(0xFFFFFFFF)
_PENDING = np.int64(1) << np.int64(62)


@kernel(inline="always")
def _comm(x):
    return np.int32(x & _COMM)


@kernel(inline="always")
def _bpos(x):
    return np.int64(((x & ~_PENDING) >> np.int64(32)) - 1)


@kernel(inline="always")
def _pending(x):
    return (x & _PENDING) != 0


# Serial and parallel compilations of the same functions; identical results.
_propose_serial = kernel(_propose_all)
_propose_parallel = parallel_kernel(_propose_all)
_activate_serial = kernel(_activate_all)
_activate_parallel = parallel_kernel(_activate_all)


@kernel
def _corrected_weights(indptr, indices, A, v, i, a, t, k_a, k_t, early, early_w, n_early, state, moved,
                       moved_from, moved_to):
    """Edge weights of ``v`` (batch position ``i``) into ``a`` and ``t`` after the moves made earlier in the batch.

    ``k_a``/``k_t`` were measured when the batch started; each earlier
    neighbour that moved from ``moved_from[j]`` to ``moved_to[j]`` takes its
    edge weight out of the one and into the other (in CSR order).
    """
    ne = n_early[i]
    if ne <= _EARLY:
        for e in range(ne):
            j = early[i, e]
            if moved[j]:
                k_a, k_t = _moved_weight(k_a, k_t, a, t, early_w[i, e], moved_from[j], moved_to[j])
        return k_a, k_t
    for p in range(indptr[v], indptr[v + 1]):  # more early neighbours than remembered: scan
        u = indices[p]
        j = _bpos(state[u])
        if u != v and 0 <= j < i and moved[j]:
            k_a, k_t = _moved_weight(k_a, k_t, a, t, arc_weight(A, p), moved_from[j], moved_to[j])
    return k_a, k_t


@kernel(inline="always")
def _moved_weight(k_a, k_t, a, t, w, src, dst):
    """``k_a``/``k_t`` after a neighbour joined by an edge of weight ``w`` moved from ``src`` to ``dst``."""
    if src == a:
        k_a -= w
    if dst == a:
        k_a += w
    if src == t:
        k_t -= w
    if dst == t:
        k_t += w
    return k_a, k_t


@kernel
def move_nodes_batched(indptr, indices, A, node_w, comm, scale, order, tol, batch_size, n_slices, parallel):
    """Batched fast local moving (module docstring); same arguments and result as :func:`move_nodes` plus:

    batch_size : int
        Nodes per batch (part of the algorithm: labels depend on it).
    n_slices : int
        Scratch rows for the propose step, normally the thread count (labels do not depend on it).
    parallel : bool
        Run the propose and activate steps on numba's threads.
    """
    n = indptr.shape[0] - 1
    W, size, empty, n_empty = _communities(comm, node_w)
    cap = 16
    for v in range(n):
        while cap < 2 * (indptr[v + 1] - indptr[v]):
            cap *= 2
    keys = np.full((n_slices, cap), -1, dtype=np.int32)
    vals = np.zeros((n_slices, cap), dtype=np.float64)
    used = np.empty((n_slices, cap), dtype=np.int32)
    state = comm.astype(np.int64)  # see _comm / _bpos / _pending
    active = np.ones(n, dtype=np.bool_)
    pos = np.empty(n, dtype=np.int32)
    for i in range(n):
        pos[order[i]] = i
    n_chunks = (n >> _CHUNK_BITS) + 1
    chunk_active = np.ones(n_chunks, dtype=np.bool_)
    current = np.empty(n, dtype=np.int32)
    target = np.empty(batch_size, dtype=np.int32)
    k_own = np.empty(batch_size, dtype=np.float64)
    k_tgt = np.empty(batch_size, dtype=np.float64)
    early = np.empty((batch_size, _EARLY), dtype=np.int32)
    early_w = np.empty((batch_size, _EARLY), dtype=np.float64)
    moved_from = np.empty(batch_size, dtype=np.int32)
    moved_to = np.empty(batch_size, dtype=np.int32)
    n_early = np.empty(batch_size, dtype=np.int32)
    moved = np.zeros(batch_size, dtype=np.bool_)
    moves = 0
    while True:
        na = 0  # this round: the active nodes, in the seeded order
        for ch in range(n_chunks):
            if not chunk_active[ch]:
                continue
            chunk_active[ch] = False
            for i in range(ch << _CHUNK_BITS, min(n, (ch + 1) << _CHUNK_BITS)):
                v = order[i]
                if active[v]:
                    active[v] = False
                    current[na] = v
                    state[v] |= _PENDING
                    na += 1
        if na == 0:
            for v in range(n):
                comm[v] = _comm(state[v])
            return moves
        for lo in range(0, na, batch_size):
            batch = current[lo:min(lo + batch_size, na)]
            nb = batch.shape[0]
            for i in range(nb):  # batch position in, pending out
                state[batch[i]] = (state[batch[i]] & _COMM) | (np.int64(i + 1) << np.int64(32))
            if parallel:
                _propose_parallel(indptr, indices, A, node_w, state, W, size, scale, tol, batch,
                                  target, k_own, k_tgt, early, early_w, n_early, keys, vals, used)
            else:
                _propose_serial(indptr, indices, A, node_w, state, W, size, scale, tol, batch,
                                target, k_own, k_tgt, early, early_w, n_early, keys, vals, used)
            for i in range(nb):
                moved[i] = False
                t = target[i]
                if t == _STAY:
                    continue
                v = batch[i]
                a = _comm(state[v])
                k_a, k_t = _corrected_weights(indptr, indices, A, v, i, a, t, k_own[i], k_tgt[i], early, early_w,
                                              n_early, state, moved, moved_from, moved_to)
                wv = node_w[v]
                stay = gain(k_a, wv, W[a] - wv, scale)
                if t == _NEW:
                    if size[a] <= 1:
                        continue
                    best = empty[n_empty - 1]
                    g = 0.0
                elif size[t] == 0:  # the target emptied earlier in the batch
                    active[v] = True
                    chunk_active[pos[v] >> _CHUNK_BITS] = True
                    continue
                else:
                    best = t
                    g = gain(k_t, wv, W[t], scale)
                if not g - stay > tol:
                    continue
                state[v] = (state[v] & ~_COMM) | np.int64(best)
                W[a] -= wv
                n_empty = _join(a, best, wv, W, size, empty, n_empty)
                moved[i] = True
                moved_from[i] = a
                moved_to[i] = best
                moves += 1
            if parallel:
                _activate_parallel(indptr, indices, state, batch, moved[:nb], active, pos, chunk_active)
            else:
                _activate_serial(indptr, indices, state, batch, moved[:nb], active, pos, chunk_active)
            for i in range(nb):
                state[batch[i]] &= _COMM


def local_moving(indptr, indices, A, node_w, comm, scale, order, tol, parallel: bool = False) -> int:
    """Fast local moving of ``comm`` in place; returns the number of moves.

    ``parallel=False``: :func:`move_nodes`.  ``parallel=True``:
    :func:`move_nodes_batched` on numba's threads for graphs of at least
    :data:`BATCHED_MIN_NODES` nodes (:func:`move_nodes` below).  Either way the
    labels do not depend on the thread count.
    """
    n = indptr.shape[0] - 1
    if not parallel or n < BATCHED_MIN_NODES:
        return int(move_nodes(indptr, indices, A, node_w, comm, scale, order, tol))
    return int(move_nodes_batched(indptr, indices, A, node_w, comm, scale, order, tol, BATCH_SIZE,
                                  numba.get_num_threads(), True))
