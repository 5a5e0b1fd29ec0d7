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
