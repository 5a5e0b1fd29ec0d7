"""Fast local moving (Traag, Waltman & van Eck 2019, Algorithm A.2), serial and by colour groups.

:func:`move_nodes` is the paper's algorithm.  A queue holds every node once,
in a random order drawn from the seed.  Each popped node moves to the
neighbouring community (or a new, empty one) with the largest positive
:func:`~engine.community._objective.gain`; when it moves, its neighbours
outside the new community re-enter the queue.  Ties go to the first
community met in CSR order, so the result is a pure function of the inputs
and the order.

:func:`move_nodes_coloured` is the same search organised so that most of the
work runs on several threads without the result depending on how many.  The
seeded order is cut into *windows* of ``window`` consecutive positions, and
each window's nodes are coloured greedily in that order, ignoring edges that
leave the window (:func:`window_colouring`: no two adjacent nodes of one
window share a colour; the windows are coloured independently, on numba's
threads).  The nodes of one window and one colour form a *group*; groups are
visited window by window, and inside a window colour by colour.  The search
works in *rounds*; a round visits the groups in turn, and for each group, its
active nodes (all of them in the first round), in the seeded order:

1. **propose** (parallel): every node finds its best move against the
   partition as the group found it.  No two nodes of a group are adjacent, so
   the edge weights each one measures into its own and its target community
   stay exact while the others move;
2. **apply** (serial, in order): a proposal is applied if its gain, recomputed
   with the community weights as they are now, still exceeds ``tol``; a node
   whose target emptied meanwhile is visited again next round;
3. **activate** (parallel): the neighbours of the nodes that moved, outside
   their new community, are marked active (a flag: the order of the writes
   does not matter); those of later groups are visited in this round.

The windows keep the schedule close to the queue's order and its working set
in cache (sweeping whole colour classes instead made each visit about twice
as costly on the 5M-edge benchmark graph).  The search stops after a round
without moves.  Every applied move raises the quality by exactly its
recomputed gain, more than ``tol``.  Proposals depend only on the state at
the start of their group and the apply step is serial, so labels are
identical for any number of threads, one included (they differ from
:func:`move_nodes`'s: it is a different visiting schedule).
"""

from __future__ import annotations

import numba
import numpy as np

from .._jit import PREFETCH_AHEAD, kernel, parallel_kernel, prange, prefetch
from ._objective import gain
from ._weights import arc_weight
from .aggregation import members_by_label

#: With ``parallel=True``, input graphs with at least this many nodes are searched by
#: :func:`move_nodes_coloured` (see :func:`uses_colouring`); smaller ones, and aggregated levels,
#: by :func:`move_nodes`.  A property of the graph, never of the thread count.
PARALLEL_MIN_NODES = 100_000

#: Positions of the seeded order per window of :func:`move_nodes_coloured` (part of the
#: algorithm: labels depend on it).
WINDOW = 4096

#: Per-thread scratch of the propose step (``12 n`` bytes per thread) is capped at this many bytes
#: in all: with more threads than fit, a group is cut into fewer slices (labels do not depend on it).
SCRATCH_BYTES = 1 << 28

#: A group finds its active nodes by scanning only the chunks of 2**_CHUNK_BITS positions of the
#: group-ordered node list flagged as holding one (late rounds have few).
_CHUNK_BITS = 6

_NEW = -1  # proposal: leave for a new, empty community
_STAY = -2  # proposal: no move


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


@kernel(inline="always")
def _sum_by_community(indptr, indices, A, comm, v, mark, neigh, touched):
    """Edge weight from ``v`` into each neighbouring community, summed in ``neigh``; returns ``nt``.

    The communities are listed in ``touched[:nt]`` in the order first met in
    CSR order (self-loops skipped).  A community is appended branch-free
    (``touched[nt] = c; nt += mark[c] != v``): whether it is new depends on the
    data, so a branch there predicts badly.  Requires ``neigh`` all zero and
    ``mark`` free of ``v`` on entry; :func:`_clear_sums` restores that.
    """
    nt = 0
    for p in range(indptr[v], indptr[v + 1]):
        u = indices[p]
        if u == v:
            continue
        c = comm[u]
        touched[nt] = c
        nt += mark[c] != v
        mark[c] = v
        neigh[c] += arc_weight(A, p)
    return nt


@kernel(inline="always")
def _clear_sums(mark, neigh, touched, nt):
    """Undo :func:`_sum_by_community` for ``touched[:nt]`` (a node visited again must not see its old marks)."""
    for t in range(nt):
        mark[touched[t]] = -1
        neigh[touched[t]] = 0.0


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
        nt = _sum_by_community(indptr, indices, A, comm, v, mark, neigh, touched)
        W[a] -= wv
        k_va = neigh[a]  # 0 where v has no edge into a
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
        _clear_sums(mark, neigh, touched, nt)
        if size[a] > 1 and n_empty > 0 and best_gain < 0.0:
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


def _window_colouring(indptr, indices, order, window):
    """Colour every window of ``order`` greedily; returns ``colour`` (int32 (n,), values ``0..k-1``) and ``k``.

    The nodes at positions ``w * window .. (w+1) * window - 1`` of ``order``
    form window ``w``; visiting them in that order, each takes the smallest
    colour that none of its neighbours *in the same window* has, so two
    adjacent nodes of one window differ (self-loops ignored); ``k`` is the
    most colours any window uses.  Nodes of different windows are never in
    one group of :func:`move_nodes_coloured`, so their edges need not
    constrain the colours: the windows are coloured independently, in
    parallel (the same colours on any thread count), and with fewer colours
    than one greedy colouring of the whole graph: fewer, larger groups to
    search in parallel.
    """
    n = indptr.shape[0] - 1
    win = np.empty(n, dtype=np.int32)  # window of each node
    for i in prange(n):
        win[order[i]] = i // window
    colour = np.full(n, -1, dtype=np.int32)
    n_win = (n + window - 1) // window
    k_win = np.zeros(n_win, dtype=np.int32)
    for w in prange(n_win):  # a window reads and writes only its own nodes' colours
        lo = w * window
        hi = min(n, lo + window)
        taken = np.full(hi - lo + 1, -1, dtype=np.int64)  # taken[c] == v: a neighbour of v has colour c
        k = 0
        for i in range(lo, hi):
            v = order[i]
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if win[u] == w and colour[u] >= 0:
                    taken[colour[u]] = v
            c = 0
            while taken[c] == v:
                c += 1
            colour[v] = c
            k = max(k, c + 1)
        k_win[w] = k
    k = 0
    for w in range(n_win):
        k = max(k, k_win[w])
    return colour, k


# the colouring :func:`move_nodes_coloured` needs, with the same ``window``
window_colouring = parallel_kernel(_window_colouring)


def _propose_group(
    indptr, indices, A, node_w, comm, W, size, scale, tol, batch, nb, target, k_own, k_tgt, marks, sums, touched
):
    """Best move of every node ``batch[:nb]`` against ``comm`` / ``W`` / ``size`` (read only).

    Writes ``target[i]`` (community to join; ``_STAY``; ``_NEW`` for a new
    empty one) and ``k_own[i]`` / ``k_tgt[i]`` (edge weight into its own and
    into the target community).  The group is cut into ``marks.shape[0]``
    slices, one per thread, each with its own scratch row (``marks``/``sums``
    of size ``n``, cleared after each node); a node's answer does not depend on
    the slice it falls in.  Ties go to the first community met, as in
    :func:`move_nodes`.
    """
    n_slices = marks.shape[0]
    for t in prange(n_slices):
        mark = marks[t]
        neigh = sums[t]
        tt = touched[t]
        hi = (t + 1) * nb // n_slices
        for i in range(t * nb // n_slices, hi):
            v = batch[i]
            if i + PREFETCH_AHEAD < hi:
                prefetch(indices, indptr[batch[i + PREFETCH_AHEAD]])
            nt = _sum_by_community(indptr, indices, A, comm, v, mark, neigh, tt)
            a = comm[v]
            wv = node_w[v]
            k_va = neigh[a]
            stay = gain(k_va, wv, W[a] - wv, scale)
            best = a
            best_gain = stay
            best_k = k_va
            for j in range(nt):
                c = tt[j]
                if c != a:
                    g = gain(neigh[c], wv, W[c], scale)
                    if g > best_gain:
                        best_gain = g
                        best = c
                        best_k = neigh[c]
            _clear_sums(mark, neigh, tt, nt)
            if size[a] > 1 and best_gain < 0.0:
                best = _NEW
                best_gain = 0.0
                best_k = 0.0
            target[i] = best if best != a and best_gain - stay > tol else _STAY
            k_own[i] = k_va
            k_tgt[i] = best_k


def _activate_group(indptr, indices, comm, batch, nb, moved, active, pos, chunk_active, touched):
    """``active[u] = True`` for every neighbour ``u`` of a moved node of ``batch[:nb]`` outside its new community;
    flags its chunk of the group-ordered node list (``chunk_active[pos[u] >> _CHUNK_BITS]``).

    Cut into ``touched.shape[0]`` slices like :func:`_propose_group`.  Each
    moved node first lists the neighbours to activate (outside its community
    and not active yet) branch-free in its slice's ``touched`` row, then
    flags them: whether a neighbour qualifies depends on the data, so a
    branch there is mispredicted about as often as not (benchmarks/RESULTS.md,
    "communities").  Two slices may flag one node; both
    write ``True``, so the flags do not depend on the slicing.
    """
    n_slices = touched.shape[0]
    for t in prange(n_slices):
        new = touched[t]
        for i in range(t * nb // n_slices, (t + 1) * nb // n_slices):
            if not moved[i]:
                continue
            v = batch[i]
            c = comm[v]
            m = 0
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                new[m] = u
                m += (comm[u] != c) & (not active[u])
            for j in range(m):
                active[new[j]] = True
                chunk_active[pos[new[j]] >> _CHUNK_BITS] = True


# Serial and parallel compilations of the same functions; identical results.
_propose_serial = kernel(_propose_group)
_propose_parallel = parallel_kernel(_propose_group)
_activate_serial = kernel(_activate_group)
_activate_parallel = parallel_kernel(_activate_group)


@kernel
def move_nodes_coloured(indptr, indices, A, node_w, comm, scale, order, colour, k, tol, window, n_slices, parallel):
    """Local moving by colour groups (module docstring); same arguments and result as :func:`move_nodes`, plus:

    colour, k : int32 (n,), int
        Colours ``0..k-1``, proper inside every window (:data:`window_colouring` with the same ``window``).
    window : int
        Positions of ``order`` per window (part of the algorithm: labels depend on it).
    n_slices : int
        Scratch rows for the propose step, normally the thread count (labels do not depend on it).
    parallel : bool
        Run the propose and activate steps on numba's threads.
    """
    n = indptr.shape[0] - 1
    W, size, empty, n_empty = _communities(comm, node_w)
    group = np.empty(n, dtype=np.int32)  # window * k + colour
    for i in range(n):
        group[order[i]] = (i // window) * k + colour[order[i]]
    n_groups = ((n + window - 1) // window) * k
    start, members = members_by_label(group, n_groups, order)  # each group in the seeded order
    max_deg = 0
    for v in range(n):
        max_deg = max(max_deg, indptr[v + 1] - indptr[v])
    marks = np.full((n_slices, n), -1, dtype=np.int32)
    sums = np.zeros((n_slices, n), dtype=np.float64)
    touched = np.empty((n_slices, max_deg), dtype=np.int32)
    active = np.ones(n, dtype=np.bool_)
    pos = np.empty(n, dtype=np.int32)  # position of every node in members
    for i in range(n):
        pos[members[i]] = i
    chunk_active = np.ones((n >> _CHUNK_BITS) + 1, dtype=np.bool_)
    batch = np.empty(min(n, window), dtype=np.int32)
    target = np.empty(min(n, window), dtype=np.int32)
    k_own = np.empty(min(n, window), dtype=np.float64)
    k_tgt = np.empty(min(n, window), dtype=np.float64)
    moved = np.zeros(min(n, window), dtype=np.bool_)
    moves = 0
    while True:
        round_moves = 0
        for c in range(n_groups):
            if start[c + 1] == start[c]:
                continue
            nb = 0
            for ch in range(start[c] >> _CHUNK_BITS, ((start[c + 1] - 1) >> _CHUNK_BITS) + 1):
                if not chunk_active[ch]:
                    continue
                any_left = False  # active nodes of this chunk in a later group
                for i in range(max(start[c], ch << _CHUNK_BITS), min(n, (ch + 1) << _CHUNK_BITS)):
                    v = members[i]
                    if active[v]:
                        if i < start[c + 1]:
                            active[v] = False
                            batch[nb] = v
                            nb += 1
                        else:
                            any_left = True
                chunk_active[ch] = any_left or (ch << _CHUNK_BITS) < start[c]
            if nb == 0:
                continue
            propose = (indptr, indices, A, node_w, comm, W, size, scale, tol, batch, nb, target, k_own, k_tgt)
            if parallel:
                _propose_parallel(*propose, marks, sums, touched)
            else:
                _propose_serial(*propose, marks, sums, touched)
            for i in range(nb):
                moved[i] = False
                t = target[i]
                if t == _STAY:
                    continue
                v = batch[i]
                a = comm[v]
                wv = node_w[v]
                stay = gain(k_own[i], wv, W[a] - wv, scale)
                if t == _NEW:
                    if size[a] <= 1:
                        continue
                    best = empty[n_empty - 1]
                    g = 0.0
                elif size[t] == 0:  # the target emptied earlier in the group: try again next round
                    active[v] = True
                    chunk_active[pos[v] >> _CHUNK_BITS] = True
                    continue
                else:
                    best = t
                    g = gain(k_tgt[i], wv, W[t], scale)
                if not g - stay > tol:
                    continue
                comm[v] = best
                W[a] -= wv
                n_empty = _join(a, best, wv, W, size, empty, n_empty)
                moved[i] = True
                moves += 1
                round_moves += 1
            activate = (indptr, indices, comm, batch, nb, moved, active, pos, chunk_active, touched)
            if parallel:
                _activate_parallel(*activate)
            else:
                _activate_serial(*activate)
        if round_moves == 0:
            return moves


def uses_colouring(n: int, parallel: bool) -> bool:
    """Whether an input graph of ``n`` nodes is searched by colour groups (:func:`move_nodes_coloured`).

    Only input graphs are: their colouring is made once per run and serves
    every search of them (each Leiden iteration and the polish pass).  The
    aggregated levels are smaller, denser and searched once each, where
    colouring costs more than it saves and the serial queue wins (measured in
    benchmarks/RESULTS.md, "communities").
    """
    return parallel and n >= PARALLEL_MIN_NODES


def colour_windows(indptr, indices, order) -> tuple[np.ndarray, int]:
    """The colouring :func:`local_moving` needs for ``order``: :data:`window_colouring` in windows of :data:`WINDOW`."""
    return window_colouring(indptr, indices, order, WINDOW)


def local_moving(
    indptr, indices, A, node_w, comm, scale, order, tol, colouring: tuple[np.ndarray, int] | None = None
) -> int:
    """Fast local moving of ``comm`` in place; returns the number of moves.

    Without ``colouring``: :func:`move_nodes`.  With ``colouring``
    (``(colour, k)`` from :func:`colour_windows` for this ``order``'s graph): :func:`move_nodes_coloured`
    on numba's threads.  Either way the labels do not depend on the thread
    count.
    """
    if colouring is None:
        return int(move_nodes(indptr, indices, A, node_w, comm, scale, order, tol))
    n = indptr.shape[0] - 1
    colour, k = colouring
    slices = max(1, min(numba.get_num_threads(), SCRATCH_BYTES // (12 * max(n, 1))))
    return int(
        move_nodes_coloured(indptr, indices, A, node_w, comm, scale, order, colour, k, tol, WINDOW, slices, True)
    )
