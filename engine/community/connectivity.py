"""Connected parts of communities: split every community into its connected components.

Splitting a community into parts with no edge between them never lowers
modularity or CPM (the parts lose no internal edge and the penalty drops by
:math:`s\\, W_1 W_2 \\ge 0`), so it is a safe last step after any node move.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel


@kernel
def split_disconnected(indptr, indices, labels):
    """Labels (int32, ``0..k-1`` by first node) of the connected components of every community."""
    n = indptr.shape[0] - 1
    out = np.full(n, -1, dtype=np.int32)
    stack = np.empty(n, dtype=np.int32)
    k = 0
    for s in range(n):
        if out[s] >= 0:
            continue
        out[s] = k
        top = 0
        stack[0] = s
        top = 1
        c = labels[s]
        while top > 0:
            top -= 1
            v = stack[top]
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if out[u] < 0 and labels[u] == c:
                    out[u] = k
                    stack[top] = u
                    top += 1
        k += 1
    return out, k
