"""Random visiting orders for community detection, drawn from the explicit SplitMix64 stream.

The state is a one-element ``uint64`` array created from the user's seed (see
:mod:`engine._splitmix`) and passed down to every kernel that draws (node orders,
refinement choices), so results depend on the seed alone.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel
from .._splitmix import new_state, next_u64, uniform

__all__ = ["block_permutation", "new_state", "next_u64", "permutation", "uniform"]


@kernel
def permutation(state, n):
    """A uniformly random permutation of ``0..n-1`` (int32, Fisher-Yates)."""
    out = np.empty(n, dtype=np.int32)
    for i in range(n):  # the identity, without numba's generic arange (one compilation fewer)
        out[i] = i
    for i in range(n - 1, 0, -1):
        j = np.int64(next_u64(state) % np.uint64(i + 1))
        t = out[i]
        out[i] = out[j]
        out[j] = t
    return out


@kernel
def block_permutation(state, n, block):
    """A random visiting order that keeps memory locality: blocks of ``block`` consecutive
    nodes in a uniformly random order, each block entered at a random offset (rotated).

    int32 of shape (n,), a permutation of ``0..n-1``.  With ``block == 1`` this is
    :func:`permutation`.
    """
    nb = (n + block - 1) // block
    blocks = permutation(state, nb)
    out = np.empty(n, dtype=np.int32)
    pos = 0
    for i in range(nb):
        b = blocks[i]
        lo = b * block
        hi = min(lo + block, n)
        size = hi - lo
        shift = np.int64(next_u64(state) % np.uint64(size))
        for j in range(size):
            out[pos] = lo + (j + shift) % size
            pos += 1
    return out
