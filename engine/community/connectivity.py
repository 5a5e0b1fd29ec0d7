"""Connected parts of communities: split every community into its connected components.

Splitting a community into parts with no edge between them never lowers
modularity or CPM (the parts lose no internal edge and the penalty drops by
:math:`s\\, W_1 W_2 \\ge 0`), so it is a safe last step after any node move.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel


def split_disconnected(indptr, indices, labels):
    """Labels (int32, ``0..k-1`` by first node) of the connected components of every community, and ``k``.

    ``labels`` int32 (n,), non-negative.  :func:`split_disconnected_in` with every community checked
    (a Python wrapper: one compiled kernel fewer).
    """
    labels = np.ascontiguousarray(labels, dtype=np.int32)
    n_labels = int(labels.max()) + 1 if labels.shape[0] else 0
    out, k = split_disconnected_in(indptr, indices, labels, np.ones(n_labels, dtype=np.bool_))
    return out, int(k)


@kernel
def split_disconnected_in(indptr, indices, labels, check):
    """As :func:`split_disconnected`, searching only the communities ``c`` with ``check[c]``.

    The others are taken to be connected (for example because no node ever
    left them) and stay whole.  ``labels`` int (n,) in ``0..check.shape[0]-1``.
    """
    n = indptr.shape[0] - 1
    out = np.full(n, -1, dtype=np.int32)
    whole = np.full(check.shape[0], -1, dtype=np.int32)  # the label given to an unchecked community
    stack = np.empty(n, dtype=np.int32)
    k = 0
    for s in range(n):
        if out[s] >= 0:
            continue
        c = labels[s]
        if not check[c]:
            if whole[c] < 0:
                whole[c] = k
                k += 1
            out[s] = whole[c]
            continue
        out[s] = k
        stack[0] = s
        top = 1
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
