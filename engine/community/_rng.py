"""A tiny counter-based random number generator that kernels carry explicitly.

The state is a one-element ``uint64`` array created from the user's seed and
passed down to every kernel that draws (node orders, refinement choices), so
results depend on the seed alone: never on a global seed, never on threads.
The generator is SplitMix64 (Steele, Lea & Flood 2014).
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def new_state(seed: int) -> np.ndarray:
    """Generator state for ``seed`` (any Python int), a uint64 array of shape (1,)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return np.array([int(seed) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)


@kernel
def next_u64(state):
    """Advance ``state`` and return the next 64-bit output."""
    state[0] += _GOLDEN
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@kernel
def uniform(state):
    """Uniform float in [0, 1) with 53 random bits."""
    return np.float64(next_u64(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel
def permutation(state, n):
    """A uniformly random permutation of ``0..n-1`` (int32, Fisher-Yates)."""
    out = np.arange(n).astype(np.int32)
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
