"""Slow, obviously correct references shared by the engine tests."""

from __future__ import annotations


def audiences(src, dst, n):
    """Followers of every account as Python sets: ``aud[b]`` holds each ``a`` with an edge ``a -> b`` (no self)."""
    aud = [set() for _ in range(n)]
    for a, b in zip(src.tolist(), dst.tolist()):
        if a != b:
            aud[b].add(a)
    return aud
