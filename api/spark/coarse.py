"""The coarse partition, on the driver from what Spark found: components, label-propagation clusters and the
weighted graph between clusters.  Plain numpy and the engine; no Spark.

An account's *partition* is the group of accounts one worker analyses at
once.  Sizes are *loads*: a group's halo rows (follows and interactions with at
least one end in it) plus its accounts (``api.spark.budget``).  A connected
component whose load is at most ``max_load`` is one group, analysed whole;
a larger one is split along communities: its label-propagation clusters are
joined by Leiden (modularity at ``resolution``) on the graph between clusters
(a cluster is one node, the weight between two clusters the sum of affinity
weights between them, a cluster's own weight a self-loop), and a group whose
load (the sum of its clusters' loads, an upper bound of its halo) is still too
large is split again at twice the resolution (up to :data:`MAX_SPLITS` times,
then cut into runs of clusters in index order).  Finally groups are packed, in
order of their smallest account, into partitions whose summed load is at most
``max_load``.
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


def group_load(keys: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Load of each group: its halo rows plus its accounts.

    Parameters
    ----------
    keys : ndarray of int64, shape (n,)
        Group of each account.
    ids, rows : ndarray of int64, shape (k,)
        Halo rows counted per group (a group missing from ``ids`` has none).

    Returns
    -------
    (ndarray, ndarray)
        The groups (sorted, unique) and their loads, int64.
    """
    groups, count = np.unique(np.asarray(keys, dtype=np.int64), return_counts=True)
    load = count.astype(np.int64)
    ids, rows = np.asarray(ids, dtype=np.int64), np.asarray(rows, dtype=np.int64)
    at = np.searchsorted(groups, ids)
    found = at < groups.size
    found[found] = groups[at[found]] == ids[found]
    np.add.at(load, at[found], rows[found])
    return groups, load


def _join_clusters(cluster_load, src, dst, w, resolution, seed, max_size, depth=0) -> np.ndarray:
    """Group of each cluster (local 0..k-1) so that no group's summed load exceeds ``max_size``."""
    k = cluster_load.size
    if k == 1:
        return np.zeros(1, dtype=np.int64)
    g = from_edges(src, dst, w, n_nodes=k, directed=False)
    groups = np.asarray(leiden(g, resolution=resolution, seed=seed).labels, dtype=np.int64)
    if np.unique(groups).size == 1 and depth >= MAX_SPLITS:
        # cannot split along communities: runs of clusters in index order
        return np.cumsum(cluster_load) // max(max_size, 1)
    out = np.empty(k, dtype=np.int64)
    next_id = 0
    for grp in np.unique(groups):
        members = np.flatnonzero(groups == grp)
        if cluster_load[members].sum() <= max_size or members.size == 1:
            out[members] = next_id
            next_id += 1
            continue
        inside = np.isin(src, members) & np.isin(dst, members)
        local = np.searchsorted(members, np.stack([src[inside], dst[inside]]))
        sub = _join_clusters(
            cluster_load[members], local[0], local[1], w[inside], resolution * 2, seed, max_size, depth + 1
        )
        out[members] = sub + next_id
        next_id += int(sub.max()) + 1
    return out


def coarse_partition(
    component: np.ndarray,
    cluster: np.ndarray,
    cluster_edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    component_rows: tuple[np.ndarray, np.ndarray],
    cluster_rows: tuple[np.ndarray, np.ndarray],
    max_load: int,
    resolution: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """The partition of every account (int64, shape (n,), 0..p-1).

    Parameters
    ----------
    component : ndarray of int64, shape (n,)
        Connected component of each account (any ids).
    cluster : ndarray of int64, shape (n,)
        Label-propagation cluster of each account in a component whose load is above ``max_load`` (-1 elsewhere).
    cluster_edges : (ndarray, ndarray, ndarray)
        Clusters ``a``, ``b`` (cluster ids as in ``cluster``) and the summed affinity weight between them, each
        unordered pair once (``a == b``: weight inside the cluster).
    component_rows, cluster_rows : (ndarray, ndarray)
        Component ids (as in ``component``) / cluster ids (as in ``cluster``) and the number of follow and
        interaction rows of each one's halo (int64); missing ids have none.
    max_load : int
        Largest load (halo rows plus accounts) of one partition; only a single label-propagation cluster may
        be larger.
    """
    component = np.asarray(component, dtype=np.int64)
    cluster = np.asarray(cluster, dtype=np.int64)
    n = component.size
    comps, comp_load = group_load(component, *component_rows)
    load = comp_load[np.searchsorted(comps, component)]  # each account: the load of its group
    group = canonical(component)
    big = cluster >= 0
    if big.any():
        ids, cload = group_load(cluster[big], *cluster_rows)
        inv = np.searchsorted(ids, cluster[big])
        a, b, w = (np.asarray(x) for x in cluster_edges)
        keep = np.isin(a, ids) & np.isin(b, ids)
        a, b, w = np.searchsorted(ids, a[keep]), np.searchsorted(ids, b[keep]), np.asarray(w, np.float64)[keep]
        order = np.lexsort((b, a))
        joined = _join_clusters(cload, a[order], b[order], w[order], resolution, seed, max_load)
        # groups of big components get ids after every small component's
        group = group.copy()
        group[big] = group.max() + 1 + joined[inv]
        load = load.copy()
        load[big] = np.bincount(joined, weights=cload).astype(np.int64)[joined[inv]]
    group = canonical(group)
    size = np.zeros(int(group.max(initial=-1)) + 1, dtype=np.int64)
    size[group] = load
    first = np.full(size.size, n, dtype=np.int64)
    np.minimum.at(first, group, np.arange(n))
    part_of = np.empty(size.size, dtype=np.int64)
    part, used = -1, max_load
    for grp in np.argsort(first, kind="stable").tolist():
        if used + size[grp] > max_load:
            part, used = part + 1, 0
        part_of[grp] = part
        used += int(size[grp])
    return part_of[group]
