"""Counter-based hashing and random numbers for the campaign kernels.

Every random draw is a pure function of ``(seed, stream, counter)`` through
SplitMix64 (Steele, Lea & Flood 2014), so results never depend on thread
count or call order.  All arithmetic stays in ``uint64`` (mixing it with
signed integers would silently turn numba values into float64).
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@kernel
def mix64(x):
    """SplitMix64 finaliser of ``x + golden``: a bijective 64-bit hash (uint64 -> uint64)."""
    z = np.uint64(x) + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel
def next_uniform(state):
    """Advance a SplitMix64 stream; return ``(new_state, u)`` with ``u`` uniform in [0, 1)."""
    s = np.uint64(state) + _GOLDEN
    z = (s ^ (s >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return s, float(z >> _S11) * _INV53


def seed_key(seed: int, stream: int) -> np.uint64:
    """A 64-bit key for ``(seed, stream)``; distinct streams give unrelated keys."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    x = np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF)
    return np.uint64(mix64(np.uint64(mix64(x)) ^ np.uint64(int(stream) & 0xFFFFFFFFFFFFFFFF)))
