"""One small stable sort for kernels, so that they do not each compile numba's generic ones.

``np.argsort(kind="mergesort")`` and ``np.sort`` inside a kernel compile numba's generic sort
implementations (a family of closures) once per key dtype and again into every kernel that calls
them; on a first run that was a large part of the compile time.  Kernels that sort short rows
(neighbour lists) call :func:`stable_argsort` instead: one function, compiled once for ``int32``
keys (indices and labels are ``int32``), a merge sort over insertion-sorted runs.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel

#: Runs of this many keys are insertion-sorted before merging.
_RUN = 16


@kernel
def stable_argsort(keys):
    """Stable ascending argsort of a 1-D array, int64 of shape ``keys.shape``.

    Same order as ``np.argsort(keys, kind="stable")``: equal keys keep their input order.
    Insertion sort on runs of :data:`_RUN` keys, then bottom-up merges (O(m log m)).
    """
    m = keys.shape[0]
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        order[i] = i
    for lo in range(0, m, _RUN):
        hi = min(lo + _RUN, m)
        for i in range(lo + 1, hi):
            x = order[i]
            k = keys[x]
            j = i - 1
            while j >= lo and keys[order[j]] > k:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = x
    if m <= _RUN:
        return order
    buf = np.empty(m, dtype=np.int64)
    width = _RUN
    while width < m:
        for lo in range(0, m, 2 * width):
            mid = min(lo + width, m)
            hi = min(lo + 2 * width, m)
            i = lo
            j = mid
            out = lo
            while i < mid and j < hi:
                if keys[order[j]] < keys[order[i]]:  # strict: ties take the left run first (stable)
                    buf[out] = order[j]
                    j += 1
                else:
                    buf[out] = order[i]
                    i += 1
                out += 1
            while i < mid:
                buf[out] = order[i]
                i += 1
                out += 1
            while j < hi:
                buf[out] = order[j]
                j += 1
                out += 1
        order, buf = buf, order
        width *= 2
    return order
