r"""Niches: the small communities that modularity swallows.

Modularity has a resolution limit (Fortunato & Barthelemy 2007): communities
with fewer than about :math:`\sqrt{2m}` internal edges get merged with their
neighbours.  The Constant Potts Model (CPM, Traag, Van Dooren & Nesterov
2011) has no such limit: a group is a community when its edge density is
above a resolution :math:`\gamma` and its links to the rest are sparser than
:math:`\gamma`, whatever the size of the graph.  The difficulty is choosing
:math:`\gamma`; :func:`niches` measures it from the graph:

1. **Broad level.** Leiden with modularity finds broad communities.
2. **Noise level.** Between broad communities, edges are the graph's noise:
   their density :math:`p_{out} = W_{out} / P_{out}` (weight per pair of
   nodes in different broad communities) is what a group's links to other
   groups look like.
3. **Signal level.** Inside broad communities the density is
   :math:`\rho_{in} = \sum_c W_c / \sum_c \binom{n_c}{2}` (weight per pair
   of nodes in the same broad community); a niche is at least as dense as
   the broad community that contains it.
4. **Resolution.** :math:`\gamma = \sqrt{p_{out}\,\rho_{in}}`, the geometric
   mean of noise and signal: a niche must be denser inside than
   :math:`\gamma`, and its links to others sparser than :math:`\gamma`.
5. **Niche level.** Leiden with CPM at :math:`\gamma` on the graph with the
   edges between broad communities removed, so every niche lies inside one
   broad community (Leiden only ever joins neighbours, and Leiden communities
   are connected).
6. **No crumbs.** Nodes of a group smaller than ``min_size`` (default 5)
   join the neighbouring niche they have the most weight to: a node with a
   handful of ties cannot be denser than :math:`\gamma` with anyone in a
   large sparse niche, yet belongs to it.  Groups with no larger neighbour
   stay as they are, and every niche is then split into its connected
   parts, so niches are always connected.

``docs/niches.md`` compares this rule with the alternatives we measured
(fixed multiples of the density, a resolution scan, recursive splitting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._jit import kernel
from .community import Partition, leiden
from .community.connectivity import split_disconnected
from .community.partition import canonical_labels
from .errors import EngineError, GraphInputError
from .graph import Graph


@dataclass(frozen=True, eq=False)
class Niches:
    """Niche-level communities nested in broad communities.

    Attributes
    ----------
    labels : ndarray of int64, shape (n_nodes,)
        Niche of every node (isolated nodes get a niche of their own), 0..k-1.
    parent : ndarray of int64, shape (n_niches,)
        Broad community of every niche.
    broad : ndarray of int64, shape (n_nodes,)
        Broad community of every node (``broad[v] == parent[labels[v]]``).
    resolution : float
        The CPM resolution :math:`\\gamma` used for the niche level.
    noise_density, signal_density : float
        :math:`p_{out}` and :math:`\\rho_{in}` from which ``resolution`` was derived.
    """

    labels: np.ndarray
    parent: np.ndarray
    broad: np.ndarray
    resolution: float
    noise_density: float
    signal_density: float

    @property
    def n_niches(self) -> int:
        return int(self.parent.shape[0])

    def sizes(self) -> np.ndarray:
        """Number of nodes per niche, int64 of shape (n_niches,)."""
        return np.bincount(self.labels, minlength=self.n_niches).astype(np.int64)


def niche_resolution(g: Graph, broad: np.ndarray) -> tuple[float, float, float]:
    r"""The CPM resolution :math:`\gamma = \sqrt{p_{out}\,\rho_{in}}` for a broad partition.

    Parameters
    ----------
    g : Graph
        Undirected weighted graph.
    broad : ndarray of int, shape (n_nodes,)
        Broad community of every node, labels 0..k-1.

    Returns
    -------
    (gamma, p_out, rho_in) : tuple of float
        ``p_out`` is the edge weight per node pair between broad communities,
        ``rho_in`` the edge weight per node pair inside them (self-loops
        ignored).  ``gamma`` is 0.0 when no weight runs between
        broad communities: then nothing marks a niche boundary, and niches are
        the broad communities' connected parts.
    """
    broad = np.ascontiguousarray(broad, dtype=np.int64)
    same, off, _ = _arcs_by_group(g.indptr, g.indices, broad)
    return _resolution(g, broad, same, off)


def _resolution(g: Graph, broad: np.ndarray, same: np.ndarray, off: np.ndarray) -> tuple[float, float, float]:
    """:func:`niche_resolution` from the arcs inside one broad community (``same``) and not self-loops (``off``)."""
    w = g.weights
    w_in = float(w[off & same].sum()) / 2.0
    w_out = float(w[off & ~same].sum()) / 2.0
    k = int(broad.max(initial=-1)) + 1
    return resolution_from_weights(w_in, w_out, np.bincount(broad, minlength=k), g.n_nodes)


@kernel
def _arcs_by_group(indptr, indices, group):
    """Per stored arc: both ends in one group (bool (nnz,)), not a self-loop (bool (nnz,)); and the row
    pointers (int64 (n+1,)) of the graph that keeps only the arcs inside a group."""
    n = indptr.shape[0] - 1
    nnz = indices.shape[0]
    same = np.empty(nnz, dtype=np.bool_)
    off = np.empty(nnz, dtype=np.bool_)
    kept = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        count = 0
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            same[p] = group[u] == group[v]
            off[p] = u != v
            count += same[p]
        kept[v + 1] = kept[v] + count
    return same, off, kept


def resolution_from_weights(w_in: float, w_out: float, sizes: np.ndarray, n: int) -> tuple[float, float, float]:
    """:func:`niche_resolution` from its sums: edge weight inside and between broad communities (each pair once,
    self-loops left out), the broad communities' sizes (shape (k,)) and the number of nodes."""
    sizes = np.asarray(sizes, dtype=np.float64)
    pairs_in = float((sizes * (sizes - 1)).sum()) / 2.0
    pairs_out = (float(n) * n - float((sizes**2).sum())) / 2.0
    rho_in = w_in / pairs_in if pairs_in > 0 else 0.0
    p_out = w_out / pairs_out if pairs_out > 0 else 0.0
    return float(np.sqrt(p_out * rho_in)), p_out, rho_in


def niches(
    g: Graph,
    *,
    seed: int = 0,
    broad: np.ndarray | Partition | None = None,
    resolution: float | None = None,
    n_iterations: int = 2,
    min_size: int = 5,
    parallel: bool = False,
) -> Niches:
    r"""Find niche-scale communities nested in broad modularity communities.

    Parameters
    ----------
    g : Graph
        Undirected graph with non-negative weights (``g.symmetrize()`` a
        directed one first).
    seed : int, default 0
        Seed of both Leiden runs; same graph and seed, same niches, on any
        number of threads.
    broad : array_like of int or Partition, optional
        Broad communities to nest niches in (default: ``leiden(g, seed=seed)``
        with modularity).
    resolution : float, optional
        CPM :math:`\gamma` for the niche level (default: derived by
        :func:`niche_resolution`).
    n_iterations : int, default 2
        Leiden iterations of each run.
    min_size : int, default 5
        Nodes of smaller groups join their most-tied neighbouring niche.
    parallel : bool, default False
        Passed to both :func:`~engine.community.leiden` runs.

    Returns
    -------
    Niches

    Examples
    --------
    Two triangles joined by one edge, each triangle dense, the bridge sparse:

    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], directed=False)
    >>> niches(g).labels.tolist()
    [0, 0, 0, 1, 1, 1]
    """
    if g.directed:
        raise GraphInputError("niches needs an undirected graph; call g.symmetrize() first.")
    if broad is None:
        broad_labels = leiden(g, seed=seed, n_iterations=n_iterations, parallel=parallel).labels
    else:
        broad_labels = broad.labels if isinstance(broad, Partition) else np.asarray(broad)
        if broad_labels.shape != (g.n_nodes,):
            raise GraphInputError(f"broad must give one label per node ({g.n_nodes}); got shape {broad_labels.shape}.")
        broad_labels = canonical_labels(broad_labels)
    broad_labels = np.ascontiguousarray(broad_labels, dtype=np.int64)
    same, off, inner_indptr = _arcs_by_group(g.indptr, g.indices, broad_labels)
    gamma, p_out, rho_in = _resolution(g, broad_labels, same, off)
    del off
    if resolution is not None:
        if not (np.isfinite(resolution) and resolution >= 0):
            raise GraphInputError(f"resolution must be a finite number >= 0; got {resolution!r}.")
        gamma = float(resolution)

    # g without the edges that join different broad communities (same nodes)
    inner = Graph(inner_indptr, g.indices[same], g.weights[same], g.node_ids, False)
    del same
    labels = leiden(
        inner, objective="cpm", resolution=gamma, seed=seed, n_iterations=n_iterations, parallel=parallel
    ).labels
    labels = labels.astype(np.int64)
    size = np.bincount(labels, minlength=1).astype(np.int64, copy=False)  # here: numba's max would be one more compile
    labels = _join_small(inner.indptr, inner.indices, inner.weights, labels, size, int(min_size))
    labels = split_disconnected(inner.indptr, inner.indices, labels.astype(np.int32))[0].astype(np.int64)
    labels = canonical_labels(labels).astype(np.int64)
    k = int(labels.max(initial=-1)) + 1
    parent = np.full(k, -1, dtype=np.int64)
    parent[labels] = broad_labels
    if not np.array_equal(parent[labels], broad_labels):  # guaranteed by construction; checked, not assumed
        raise EngineError("internal error: a niche spans two broad communities")
    return Niches(labels, parent, broad_labels, gamma, p_out, rho_in)


@kernel
def _join_small(indptr, indices, weights, labels, size, min_size):
    """Move every node of a community smaller than ``min_size`` to its most-tied neighbour community (of at
    least ``min_size`` nodes), where it has one.  ``size`` int64: the nodes of each label (``np.bincount``)."""
    n = indptr.shape[0] - 1
    out = labels.copy()
    tie = np.zeros(size.shape[0], dtype=np.float64)
    for v in range(n):
        if size[labels[v]] >= min_size:
            continue
        best = -1
        best_w = 0.0
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if u != v and size[labels[u]] >= min_size:
                tie[labels[u]] += weights[p]
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if u != v and size[labels[u]] >= min_size:
                c = labels[u]
                if tie[c] > best_w or (tie[c] == best_w and best >= 0 and c < best):
                    best_w = tie[c]
                    best = c
        for p in range(indptr[v], indptr[v + 1]):
            tie[labels[indices[p]]] = 0.0
        if best >= 0:
            out[v] = best
    return out
