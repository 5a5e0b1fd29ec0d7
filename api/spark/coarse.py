"""The coarse partition, on the driver from what Spark found: components, label-propagation clusters and the
weighted graph between clusters.  Plain numpy and the engine; no Spark.

An account's *partition* is the group of accounts one worker analyses at
once.  A connected component of at most ``max_size`` accounts is one group;
a larger one is split along communities: its label-propagation clusters are
joined by Leiden (modularity at ``resolution``) on the graph between clusters
(a cluster is one node, the weight between two clusters the sum of affinity
weights between them, a cluster's own weight a self-loop), and a group that is
still too large is split again at twice the resolution (up to
:data:`MAX_SPLITS` times, then cut into runs of clusters in index order).
Finally small groups are packed, in order of their smallest account, into
partitions of at most ``max_size`` accounts.
"""

from __future__ import annotations

import numpy as np

from nichegraph.engine import from_edges, leiden

#: Times a too large group is split again at a doubled resolution before it is cut by cluster order.
MAX_SPLITS = 4


def canonical(keys: np.ndarray) -> np.ndarray:
    """Dense labels 0..k-1 for ``keys`` (shape (n,)), largest group first, ties by the smallest member index."""
    _, inv, size = np.unique(keys, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    first = np.full(size.size, inv.size, dtype=np.int64)
    np.minimum.at(first, inv, np.arange(inv.size))
    order = np.lexsort((first, -size))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inv].astype(np.int64)


def _join_clusters(cluster_size, src, dst, w, resolution, seed, max_size, depth=0) -> np.ndarray:
    """Group of each cluster (local 0..k-1) so that no group exceeds ``max_size`` accounts."""
    k = cluster_size.size
    if k == 1:
        return np.zeros(1, dtype=np.int64)
    g = from_edges(src, dst, w, n_nodes=k, directed=False)
    groups = np.asarray(leiden(g, resolution=resolution, seed=seed).labels, dtype=np.int64)
    if np.unique(groups).size == 1 and depth >= MAX_SPLITS:
        # cannot split along communities: runs of clusters in index order
        return np.cumsum(cluster_size) // max(max_size, 1)
    out = np.empty(k, dtype=np.int64)
    next_id = 0
    for grp in np.unique(groups):
        members = np.flatnonzero(groups == grp)
        if cluster_size[members].sum() <= max_size or members.size == 1:
            out[members] = next_id
            next_id += 1
            continue
        inside = np.isin(src, members) & np.isin(dst, members)
        local = np.searchsorted(members, np.stack([src[inside], dst[inside]]))
        sub = _join_clusters(
            cluster_size[members], local[0], local[1], w[inside], resolution * 2, seed, max_size, depth + 1
        )
        out[members] = sub + next_id
        next_id += int(sub.max()) + 1
    return out


def coarse_partition(
    component: np.ndarray,
    cluster: np.ndarray,
    cluster_edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    max_size: int,
    resolution: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """The partition of every account (int64, shape (n,), 0..p-1).

    Parameters
    ----------
    component : ndarray of int64, shape (n,)
        Connected component of each account (any ids).
    cluster : ndarray of int64, shape (n,)
        Label-propagation cluster of each account in a component above ``max_size`` (-1 elsewhere).
    cluster_edges : (ndarray, ndarray, ndarray)
        Clusters ``a``, ``b`` (cluster ids as in ``cluster``) and the summed affinity weight between them, each
        unordered pair once (``a == b``: weight inside the cluster).
    max_size : int
        Most accounts in one partition (a single label-propagation cluster may be larger).
    """
    component = np.asarray(component, dtype=np.int64)
    n = component.size
    group = canonical(component)
    big = np.asarray(cluster) >= 0
    if big.any():
        ids, inv, csize = np.unique(cluster[big], return_inverse=True, return_counts=True)
        a, b, w = (np.asarray(x) for x in cluster_edges)
        keep = np.isin(a, ids) & np.isin(b, ids)
        a, b, w = np.searchsorted(ids, a[keep]), np.searchsorted(ids, b[keep]), np.asarray(w, np.float64)[keep]
        order = np.lexsort((b, a))
        joined = _join_clusters(csize, a[order], b[order], w[order], resolution, seed, max_size)
        # groups of big components get ids after every small component's
        group = group.copy()
        group[big] = group.max() + 1 + joined[inv.reshape(-1)]
    group = canonical(group)
    size = np.bincount(group)
    first = np.full(size.size, n, dtype=np.int64)
    np.minimum.at(first, group, np.arange(n))
    part_of = np.empty(size.size, dtype=np.int64)
    part, used = -1, max_size
    for grp in np.argsort(first, kind="stable").tolist():
        if used + size[grp] > max_size:
            part, used = part + 1, 0
        part_of[grp] = part
        used += int(size[grp])
    return part_of[group]
