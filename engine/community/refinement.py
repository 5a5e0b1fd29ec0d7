r"""Refinement of a partition into well-connected sub-communities (Traag et al. 2019, Algorithm A.2, ``RefinePartition``).

Inside each community ``S`` every node starts alone.  Visiting the nodes of
``S`` in the seeded random order, a node ``v`` that is still alone and *well
connected* to ``S`` (:math:`E(v, S - v) \ge s\, w_v (W_S - w_v)`) joins one of
the well-connected sub-communities ``C`` of ``S`` it has an edge to and whose
:func:`~engine.community._objective.gain` is non-negative, or stays alone
(gain 0), chosen with probability :math:`\propto \exp(\Delta H / \beta)`.
A node only ever joins a sub-community it is adjacent to, so every refined
community is connected; refined communities are subsets of the ones in ``S``.

Communities are refined independently (``prange`` over communities in the
parallel variant, chosen with ``parallel=True``).  Each community draws from
its own generator, seeded from one draw of the caller's state and the
community's index, and writes only to slots of its own nodes, so serial and
parallel runs give the same labels on any thread count.  The serial variant is
the default: on a busy machine idle OpenMP workers spinning between parallel
regions slowed the (serial) local moving more than refinement gained.
"""

from __future__ import annotations

import numpy as np

from .._jit import PREFETCH_AHEAD, kernel, prange, prefetch, serial_or_parallel
from .._splitmix import next_u64, uniform
from ._objective import gain
from ._weights import arc_weight
from .aggregation import members_by_label

#: Exponent below which a candidate's weight ``exp((g - g_max) / beta)`` is taken as 0: ``exp(-50)`` is
#: about 2e-22 of the best candidate's weight, so the total moves by less than 1e-21 relative, and such
#: a candidate is drawn with probability below 2e-22.  On aggregated levels most candidates lie far
#: below the best, so skipping their ``exp`` saves most of the search's arithmetic there.
_NEGLIGIBLE = -50.0


def refine(indptr, indices, A, node_w, comm, k, scale, beta, order, state, parallel):
    """Refined labels (int32 (n,), values ``0..kr-1`` by first node) and ``kr``.

    ``comm`` int32 (n,) holds communities ``0..k-1``; ``order`` int32 (n,)
    the visiting order; ``state`` the RNG state (advanced by one draw).
    The serial or parallel variant is picked here, in Python, so a run only
    compiles the one it uses (the parallel one takes most of the compile time).
    """
    start, members, W_S, base = _refine_setup(node_w, comm, k, order, state)
    # a small graph runs the serial compilation of the same kernel: the same labels, no threads to compile
    refine_all = _refine_all.pick(indices.shape[0]) if parallel else _refine_all.serial
    # numba hands the uint64 draw back as a Python int: keep it typed uint64, as inside a kernel
    ref = refine_all(indptr, indices, A, node_w, comm, k, scale, beta, start, members, W_S, np.uint64(base))
    return _labels_by_first_node(ref)


@kernel
def _refine_setup(node_w, comm, k, order, state):
    """Members of every community in the visiting order, their total weights ``W_S`` and the generator base."""
    n = comm.shape[0]
    start, members = members_by_label(comm, k, order)  # the visiting order inside each community
    W_S = np.zeros(k, dtype=np.float64)
    for v in range(n):
        W_S[comm[v]] += node_w[v]
    return start, members, W_S, next_u64(state)


@kernel
def _labels_by_first_node(ref):
    """Consecutive labels (int32 (n,)) numbered by first node, and how many."""
    n = ref.shape[0]
    lab = np.full(n, -1, dtype=np.int32)
    out = np.empty(n, dtype=np.int32)
    kr = 0
    for v in range(n):
        c = ref[v]
        if lab[c] < 0:
            lab[c] = kr
            kr += 1
        out[v] = lab[c]
    return out, kr


@serial_or_parallel  # both compilations give identical labels (each community has its own generator and slots)
def _refine_all(indptr, indices, A, node_w, comm, k, scale, beta, start, members, W_S, base):
    """Refine every community (in parallel); returns ``ref`` (refined cluster = a founding node id)."""
    n = indptr.shape[0] - 1
    ext = np.zeros(n, dtype=np.float64)  # E(v, S - v), then E(C, S - C) per refined C
    for v in prange(n):
        c = comm[v]
        acc = 0.0
        for p in range(indptr[v], indptr[v + 1]):  # branch-free: whether u is inside is data-dependent
            u = indices[p]
            acc += arc_weight(A, p) * ((u != v) & (comm[u] == c))
        ext[v] = acc
    ext_v = ext.copy()
    ref = np.empty(n, dtype=np.int32)  # the identity, filled without numba's generic arange
    for v in range(n):
        ref[v] = v
    W_r = node_w.copy()
    size_r = np.ones(n, dtype=np.int32)
    neigh = np.zeros(n, dtype=np.float64)
    mark = np.full(n, -1, dtype=np.int32)
    touched = np.empty(n, dtype=np.int32)  # community s uses slots start[s]..start[s+1]
    cand = np.empty(n, dtype=np.int32)
    cand_g = np.empty(n, dtype=np.float64)
    graph = (indptr, indices, A, node_w)
    refined = (ext, ext_v, ref, W_r, size_r)
    scratch = (neigh, mark, touched, cand, cand_g)
    for s in prange(k):
        st = np.empty(1, dtype=np.uint64)
        st[0] = base ^ (np.uint64(s) * np.uint64(0xD1B54A32D192ED03))
        _refine_one(graph, comm, scale, beta, members, start[s], start[s + 1], W_S[s], refined, scratch, st)
    return ref


@kernel
def _refine_one(graph, comm, scale, beta, members, lo, hi, ws, refined, scratch, state):
    """MergeNodesSubset of the paper for the community whose members are ``members[lo:hi]``.

    ``graph`` is ``(indptr, indices, A, node_w)``; ``refined`` the refined clusters' state ``(ext, ext_v,
    ref, W_r, size_r)`` and ``scratch`` ``(neigh, mark, touched, cand, cand_g)`` (see :func:`_refine_all`);
    the community writes only to its own nodes' slots ``lo..hi`` of ``touched``, ``cand`` and ``cand_g``.
    """
    indptr, indices, A, node_w = graph
    ext, ext_v, ref, W_r, size_r = refined
    neigh, mark, touched, cand, cand_g = scratch
    s = comm[members[lo]] if hi > lo else -1
    for i in range(lo, hi):
        v = members[i]
        if i + PREFETCH_AHEAD < hi:
            prefetch(indices, indptr[members[i + PREFETCH_AHEAD]])
        if size_r[ref[v]] != 1:
            continue
        wv = node_w[v]
        if ext_v[v] < scale * wv * (ws - wv):
            continue
        nt = 0
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if u == v or comm[u] != s:
                continue
            c = ref[u]
            touched[lo + nt] = c  # kept only where c is new to this node (branch-free)
            nt += mark[c] != v
            mark[c] = v
            neigh[c] += arc_weight(A, p)
        nc = 0
        gmax = 0.0
        for t in range(nt):
            c = touched[lo + t]
            if neigh[c] <= 0.0 or ext[c] < scale * W_r[c] * (ws - W_r[c]):
                continue
            g = gain(neigh[c], wv, W_r[c], scale)
            if g >= 0.0:
                cand[lo + nc] = c
                cand_g[lo + nc] = g
                nc += 1
                if g > gmax:
                    gmax = g
        chosen = -1
        if nc > 0:
            # staying alone is the candidate with gain 0; cand_g becomes each candidate's exp weight, relative
            # to the best one's (1); a weight below exp(_NEGLIGIBLE) is taken as 0 without calling exp
            alone = np.exp((0.0 - gmax) / beta) if -gmax / beta > _NEGLIGIBLE else 0.0
            total = alone
            for j in range(nc):
                x = (cand_g[lo + j] - gmax) / beta
                cand_g[lo + j] = np.exp(x) if x > _NEGLIGIBLE else 0.0
                total += cand_g[lo + j]
            r = uniform(state) * total
            acc = alone
            if r >= acc:
                for j in range(nc):
                    acc += cand_g[lo + j]
                    chosen = cand[lo + j]
                    if r < acc:
                        break
        if chosen >= 0:
            ext[chosen] = ext[chosen] + ext_v[v] - 2.0 * neigh[chosen]
            W_r[chosen] += wv
            size_r[chosen] += 1
            size_r[v] = 0
            ref[v] = chosen
        for t in range(nt):  # neigh is all zero between nodes
            neigh[touched[lo + t]] = 0.0
