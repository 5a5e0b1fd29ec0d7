"""Arc weights as an array, or as one number when every arc weighs the same.

Unweighted graphs (every follower graph, the benchmark's planted graphs)
store ``A`` as a float64 array of ones: 8 bytes per arc that the passes of
level 0 read for nothing.  :func:`search_weights` turns such an ``A`` into
the number itself, and the kernels read arcs through :func:`arc_weight`,
which numba compiles once for an array (``A[p]``) and once for a number
(``A``).  The values are the same either way, so the results are identical
(tested); only the memory traffic differs, and reading one number instead
of an array is a large part of a local-moving pass (benchmarks/RESULTS.md,
"communities").
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload


def arc_weight(A, p):
    """Weight of arc ``p``: ``A[p]`` for an array, ``A`` itself for a number."""
    return A if np.ndim(A) == 0 else A[p]


@overload(arc_weight, inline="always")
def _arc_weight_jit(A, p):
    if isinstance(A, types.Array):
        return lambda A, p: A[p]
    if isinstance(A, (types.Float, types.Integer)):
        return lambda A, p: np.float64(A)
    return None


def search_weights(A: np.ndarray) -> np.ndarray | float:
    """``A`` (float64 (nnz,)) for the kernels: the common value as a float when all are equal, else ``A``.

    An empty ``A`` stays an array (there is no value to share).
    """
    if A.shape[0] and float(A.min()) == float(A.max()):
        return float(A[0])
    return A
