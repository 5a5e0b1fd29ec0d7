"""SplitMix64 (Steele, Lea & Flood 2014): the one random source of every kernel that draws.

Kernels carry their generator explicitly, so results depend on the seed alone: never on
a global seed, never on thread count or call order.  Two forms share one mixing function:

* a stream whose state is a one-element ``uint64`` array (:func:`new_state`,
  :func:`next_u64`, :func:`uniform`), for serial kernels that draw in sequence;
* pure functions of a counter (:func:`mix64`, :func:`seed_key`, :func:`next_uniform`),
  for parallel kernels where every draw must be a function of ``(seed, stream, counter)``.

All arithmetic stays in ``uint64``: mixing it with signed integers would silently turn
numba values into float64.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53: 53 random bits make a float64 in [0, 1)


def check_seed(seed) -> int:
    """The seed as a Python int; a TypeError naming the type for anything else (bools included)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return int(seed)


@kernel
def _finalize(z):
    """SplitMix64's output function: a bijection of uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel
def mix64(x):
    """SplitMix64 finaliser of ``x + golden``: a bijective 64-bit hash (uint64 -> uint64)."""
    return _finalize(np.uint64(x) + _GOLDEN)


@kernel
def next_uniform(state):
    """Advance a scalar stream; return ``(new_state, u)`` with ``u`` uniform in [0, 1)."""
    s = np.uint64(state) + _GOLDEN
    return s, float(_finalize(s) >> _S11) * _INV53


def seed_key(seed: int, stream: int) -> np.uint64:
    """A 64-bit key for ``(seed, stream)``; distinct streams give unrelated keys."""
    x = np.uint64(check_seed(seed) & 0xFFFFFFFFFFFFFFFF)
    return np.uint64(mix64(np.uint64(mix64(x)) ^ np.uint64(int(stream) & 0xFFFFFFFFFFFFFFFF)))


def new_state(seed: int) -> np.ndarray:
    """Stream state for ``seed`` (any Python int), a uint64 array of shape (1,)."""
    return np.array([check_seed(seed) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)


@kernel
def next_u64(state):
    """Advance ``state`` (uint64 array of shape (1,)) and return the next 64-bit output."""
    state[0] += _GOLDEN
    return _finalize(state[0])


@kernel
def uniform(state):
    """Uniform float in [0, 1) with 53 random bits, from the stream ``state``."""
    return np.float64(next_u64(state) >> _S11) * _INV53
