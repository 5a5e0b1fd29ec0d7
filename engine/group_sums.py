r"""What an undirected graph says about each group of a partition, in one pass over its rows.

For a group label per node (:math:`g_v \in 0..k-1`):

* ``internal[c]`` = :math:`|\{(u, v) : u < v,\ g_u = g_v = c,\ v \in N(u)\}|`, the stored edges with
  both ends in ``c`` (each undirected edge once, self-loops not counted);
* ``inner[v]`` = :math:`\sum_{u \in N(v),\ g_u = g_v} w_{vu}`, each node's weighted degree inside its
  own group (self-loops counted), summed in row order, so the sums are bit-identical to
  ``np.bincount(src[inside], weights=w[inside])`` over :meth:`Graph.edges`.

Nothing the size of the edge list is allocated (no expanded ``src`` array, no masks).
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel
from .community.aggregation import members_by_label
from .graph import Graph


def group_sums(g: Graph, group: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges inside each group and each node's weight inside its group (module docstring).

    Parameters
    ----------
    g : Graph
        Undirected graph (both directions of every edge stored).
    group : ndarray of int, shape (n_nodes,)
        Group of every node, in ``0..k-1``.
    k : int
        Number of groups.

    Returns
    -------
    internal : ndarray of int64, shape (k,)
    inner : ndarray of float64, shape (n_nodes,)
    """
    group = np.ascontiguousarray(group, dtype=np.int64)
    return _group_sums(g.indptr, g.indices, g.weights, group, int(k))


@kernel
def _group_sums(indptr, indices, weights, group, k):
    n = indptr.shape[0] - 1
    internal = np.zeros(k, dtype=np.int64)
    inner = np.zeros(n, dtype=np.float64)
    for v in range(n):
        c = group[v]
        acc = 0.0
        count = 0
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if group[u] == c:
                acc += weights[p]
                if v < u:
                    count += 1
        inner[v] = acc
        internal[c] += count
    return internal, inner


def top_items(
    group: np.ndarray, item: np.ndarray, count: np.ndarray, k: int, n_items: int, top_k: int
) -> tuple[np.ndarray, np.ndarray]:
    r"""The ``top_k`` items of each group by summed count, largest first, ties by smaller item.

    Row :math:`i` says group ``group[i]`` used item ``item[i]`` ``count[i]`` times; the count of
    :math:`(c, t)` is :math:`\sum_{i: g_i = c, t_i = t} \mathrm{count}_i`, and items with count 0 are
    not listed.  One counting sort by group, then a tally per group: :math:`O(r + \sum_c d_c \log d_c)`
    for :math:`d_c` distinct items in group :math:`c`.

    Parameters
    ----------
    group : ndarray of int64, shape (r,)
        In ``0..k-1``.
    item : ndarray of int64, shape (r,)
        In ``0..n_items-1``.
    count : ndarray of int64, shape (r,)
        Non-negative.
    k, n_items, top_k : int

    Returns
    -------
    indptr : ndarray of int64, shape (k + 1,)
        Group ``c``'s items are ``items[indptr[c]:indptr[c + 1]]``.
    items : ndarray of int64, shape (indptr[k],)
    """
    return _top_items(
        np.ascontiguousarray(group, dtype=np.int64),
        np.ascontiguousarray(item, dtype=np.int64),
        np.ascontiguousarray(count, dtype=np.int64),
        int(k),
        int(n_items),
        int(top_k),
    )


@kernel
def _top_items(group, item, count, k, n_items, top_k):
    r = group.shape[0]
    start, rows = members_by_label(group, k, np.arange(r))  # the rows of each group, in row order
    tally = np.zeros(n_items, dtype=np.int64)
    seen = np.empty(r, dtype=np.int64)
    indptr = np.zeros(k + 1, dtype=np.int64)
    items = np.empty(min(r, k * top_k), dtype=np.int64)
    for c in range(k):
        m = 0
        for j in range(start[c], start[c + 1]):
            i = rows[j]
            if count[i] == 0:
                continue
            t = item[i]
            if tally[t] == 0:
                seen[m] = t
                m += 1
            tally[t] += count[i]
        most = 0
        for q in range(m):
            most = max(most, tally[seen[q]])
        keys = np.empty(m, dtype=np.int64)
        for q in range(m):  # ascending key: larger count first, then smaller item
            keys[q] = (most - tally[seen[q]]) * n_items + seen[q]
        keys.sort()
        take = min(top_k, m)
        for q in range(take):
            items[indptr[c] + q] = keys[q] % n_items
        indptr[c + 1] = indptr[c] + take
        for q in range(m):
            tally[seen[q]] = 0
    return indptr, items[: indptr[k]]
