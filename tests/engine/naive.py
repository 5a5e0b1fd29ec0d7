"""Slow, obviously correct references shared by the engine tests."""

from __future__ import annotations


def audiences(src, dst, n):
    """Followers of every account as Python sets: ``aud[b]`` holds each ``a`` with an edge ``a -> b`` (no self)."""
    aud = [set() for _ in range(n)]
    for a, b in zip(src.tolist(), dst.tolist()):
        if a != b:
            aud[b].add(a)
    return aud


def community_state(comm, node_w):
    """Local moving's bookkeeping in plain Python: ``(comm list, W, size, empty)``.

    ``W[c]`` / ``size[c]``: total node weight / node count of community id ``c``
    (ids ``0..n-1``); ``empty``: the unused ids as a stack whose last element
    (the smallest id) is used first, as the kernels do.
    """
    n = len(comm)
    comm = [int(c) for c in comm]
    W = [0.0] * n
    size = [0] * n
    for v in range(n):
        W[comm[v]] += node_w[v]
        size[comm[v]] += 1
    return comm, W, size, [c for c in range(n - 1, -1, -1) if size[c] == 0]


def refine(indptr, indices, A, node_w, comm, k, scale, beta, order, state, uniform, next_u64):
    """Refinement (Traag et al. 2019, Algorithm A.2, ``RefinePartition``) in plain Python, every ``exp`` computed.

    Same generator and summation orders as :func:`engine.community.refinement.refine`, so
    its labels must equal the kernel's exactly; ``uniform`` / ``next_u64`` are the
    kernel's generator functions (called from Python).  Refined clusters are
    kept as ``{founding node: [E(C, S - C), weight, size]}``.
    """
    import math
    from bisect import bisect_right
    from itertools import accumulate

    import numpy as np

    n = len(indptr) - 1
    comm = [int(c) for c in comm]
    members = [[] for _ in range(k)]
    for v in order:
        members[comm[v]].append(int(v))
    W_S = [0.0] * k
    for v in range(n):
        W_S[comm[v]] += float(node_w[v])
    base = int(next_u64(state))

    def inside(v):  # E(v, S - v), in CSR order
        acc = 0.0
        for p in range(indptr[v], indptr[v + 1]):
            acc += float(A[p]) if indices[p] != v and comm[indices[p]] == comm[v] else 0.0
        return acc

    e_v = [inside(v) for v in range(n)]
    cluster = {v: [e_v[v], float(node_w[v]), 1] for v in range(n)}
    ref = list(range(n))
    for s in range(k):
        st = np.array([(base ^ (s * 0xD1B54A32D192ED03)) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
        ws = W_S[s]

        def well_connected(e, w):
            return e >= scale * w * (ws - w)

        for v in members[s]:
            wv = float(node_w[v])
            if cluster[ref[v]][2] != 1 or not well_connected(e_v[v], wv):
                continue
            neigh = {}  # insertion order = first met in CSR order
            for p in range(indptr[v], indptr[v + 1]):
                u = int(indices[p])
                if u != v and comm[u] == s:
                    neigh[ref[u]] = neigh.get(ref[u], 0.0) + float(A[p])
            cands = [(c, k_vc - scale * wv * cluster[c][1]) for c, k_vc in neigh.items()
                     if k_vc > 0.0 and well_connected(cluster[c][0], cluster[c][1])]
            cands = [(c, g) for c, g in cands if g >= 0.0]
            if not cands:
                continue
            gmax = max(0.0, *(g for _, g in cands))
            # staying alone (gain 0) first, then the candidates: P(choice) proportional to exp(gain / beta)
            cum = list(accumulate([math.exp((0.0 - gmax) / beta)] + [math.exp((g - gmax) / beta) for _, g in cands]))
            pick = bisect_right(cum, float(uniform(st)) * cum[-1])  # 0: stay alone
            if pick:
                c = cands[min(pick, len(cands)) - 1][0]
                e, w, size = cluster[c]
                cluster[c] = [e + e_v[v] - 2.0 * neigh[c], w + wv, size + 1]
                cluster[v][2] = 0
                ref[v] = c
    first = {}
    return [first.setdefault(c, len(first)) for c in ref], len(set(ref))
