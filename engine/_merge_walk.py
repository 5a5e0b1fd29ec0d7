"""The one walk over two ascending runs of a CSR's ``indices`` that finds their common entries.

Kernels that intersect neighbour lists (triangles through a node, the shared audience of two
accounts) step through both runs with :func:`next_common` and do their own work at each match.
"""

from __future__ import annotations

from ._jit import kernel


@kernel
def next_common(indices, i, ie, j, je):  # pragma: no cover - compiled
    """Positions of the next entry the runs ``indices[i:ie]`` and ``indices[j:je]`` share.

    Both runs must be ascending without repeats.  Returns ``(p, q)``, the first
    ``i <= p < ie`` and ``j <= q < je`` with ``indices[p] == indices[q]``, or ``(ie, je)``
    when there is none; continue the walk from ``(p + 1, q + 1)``.  O(ie - i + je - j).
    """
    while i < ie and j < je:
        x = indices[i]
        y = indices[j]
        if x == y:
            return i, j
        if x < y:
            i += 1
        else:
            j += 1
    return ie, je
