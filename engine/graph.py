"""The immutable CSR graph value and its one constructor, :func:`from_edges`.

A :class:`Graph` is a compressed sparse row adjacency using scipy's names:
the out-neighbours of node ``u`` are ``indices[indptr[u]:indptr[u + 1]]``
with weights ``weights[indptr[u]:indptr[u + 1]]``, sorted by neighbour and
with duplicates summed.

Undirected graphs store every edge ``{u, v}`` (``u != v``) in both rows and a
self-loop ``{u, u}`` once, in row ``u``.  Degree-like quantities that follow
networkx and igraph (a self-loop adds twice its weight to the degree) are
computed by :meth:`Graph.strength`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ._jit import kernel, prange, read_only, serial_or_parallel
from ._sort import stable_argsort
from .errors import GraphInputError

SelfLoops = Literal["keep", "drop"]


@dataclass(frozen=True, eq=False)
class Graph:
    """Weighted graph in CSR form.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_nodes + 1,)
        Row pointers.
    indices : ndarray of int32, shape (nnz,)
        Column (neighbour) index of every stored entry, sorted within each row.
    weights : ndarray of float64, shape (nnz,)
        Weight of every stored entry (duplicates already summed).
    node_ids : ndarray, shape (n_nodes,)
        External id of every dense node index (``np.arange(n)`` when none given).
    directed : bool
        Whether ``indices`` lists out-neighbours of a directed graph (True) or
        both endpoints of undirected edges (False).
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    node_ids: np.ndarray
    directed: bool = True
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes, isolated ones included."""
        return int(self.indptr.shape[0] - 1)

    @property
    def nnz(self) -> int:
        """Number of stored CSR entries."""
        return int(self.indices.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of distinct edges (an undirected edge counts once)."""
        if self.directed:
            return self.nnz
        loops = int(np.count_nonzero(self.self_loop_weights()))
        return (self.nnz - loops) // 2 + loops

    def out_degree(self) -> np.ndarray:
        """Number of stored neighbours per node, int64 of shape (n_nodes,)."""
        return np.diff(self.indptr)

    def self_loop_weights(self) -> np.ndarray:
        """Weight of the self-loop of each node (0.0 where none), float64 (n_nodes,)."""
        if "loops" not in self._cache:
            self._cache["loops"] = _self_loop_weights(self.indptr, self.indices, self.weights)
        return self._cache["loops"]

    def strength(self) -> np.ndarray:
        r"""Weighted degree, float64 of shape (n_nodes,).

        Directed graphs: out-strength :math:`\sum_v w_{uv}`.  Undirected graphs:
        :math:`k_u = \sum_v w_{uv} + w_{uu}`, so a self-loop counts twice as in
        networkx and igraph, and :math:`\sum_u k_u = 2m`.
        """
        if "strength" not in self._cache:
            s = _row_sums(self.indptr, self.weights)
            if not self.directed:
                s = s + self.self_loop_weights()
            self._cache["strength"] = np.ascontiguousarray(s, dtype=np.float64)
        return self._cache["strength"]

    def total_weight(self) -> float:
        """Sum of edge weights, each undirected edge counted once (``m``)."""
        if self.directed:
            return float(self.weights.sum())
        return float(self.strength().sum() / 2.0)

    def transpose(self) -> Graph:
        """The reversed graph (in-neighbours become out-neighbours)."""
        if not self.directed:
            return self
        src = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
        return from_edges(self.indices, src, self.weights, n_nodes=self.n_nodes, node_ids=self.node_ids, directed=True)

    def symmetrize(self) -> Graph:
        r"""The undirected graph with weight :math:`w_{uv} + w_{vu}` per pair."""
        if not self.directed:
            return self
        src = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
        return from_edges(src, self.indices, self.weights, n_nodes=self.n_nodes, node_ids=self.node_ids, directed=False)

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stored entries as ``(src int32, dst int32, weight float64)`` arrays."""
        src = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
        return src, self.indices, self.weights


def is_edge_array(a: object) -> bool:
    """True when ``a`` is a one-dimensional array of integers."""
    return isinstance(a, np.ndarray) and a.ndim == 1 and np.issubdtype(a.dtype, np.integer)


def index_pairs(
    n_nodes: int, src, dst, *, names: tuple[str, str] = ("src", "dst"), what: str = "edge", dtype=np.int64
) -> tuple[np.ndarray, np.ndarray]:
    """``src`` and ``dst`` as flat, C-contiguous ``dtype`` arrays of equal length whose every value is a node index
    in ``0 .. n_nodes - 1``; a :class:`GraphInputError` naming ``names`` (lengths) or ``what`` (indices) otherwise.

    The indices are checked before the cast, so an index too large for ``dtype`` is refused, not wrapped.
    """
    s = np.asarray(src).reshape(-1)
    d = np.asarray(dst).reshape(-1)
    if s.shape != d.shape:
        raise GraphInputError(f"{names[0]} and {names[1]} must have the same length; got {s.size} and {d.size}.")
    if s.size and (min(s.min(), d.min()) < 0 or max(s.max(), d.max()) >= n_nodes):
        raise GraphInputError(f"{what} endpoints must be node indices in 0..{n_nodes - 1}.")
    return np.ascontiguousarray(s, dtype=dtype), np.ascontiguousarray(d, dtype=dtype)


def check_edge_arrays(src, dst, weight, n_nodes: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Validate and coerce edge arrays; raise :class:`GraphInputError` with a fix."""
    src = np.asarray(src)
    dst = np.asarray(dst)
    if src.size == 0:
        src = src.astype(np.int32)
        dst = dst.astype(np.int32)
    if not (is_edge_array(src) and is_edge_array(dst)):
        raise GraphInputError(
            "src and dst must be one-dimensional integer arrays of dense node indices; "
            f"got {src.dtype}{src.shape} and {dst.dtype}{dst.shape}. "
            "Map external ids to 0..n-1 first (graph_store does this when reading edges)."
        )
    if src.shape != dst.shape:
        raise GraphInputError(f"src and dst must have the same length; got {src.shape[0]} and {dst.shape[0]}.")
    if weight is None:
        weight = np.ones(src.shape[0], dtype=np.float64)
    else:
        weight = np.ascontiguousarray(weight, dtype=np.float64)
        if weight.shape != src.shape:
            raise GraphInputError(f"weight must have one value per edge ({src.shape[0]}); got shape {weight.shape}.")
        if not np.all(np.isfinite(weight)):
            raise GraphInputError("weight contains NaN or infinite values; drop or fix those edges first.")
    hi = int(max(src.max(initial=-1), dst.max(initial=-1)))
    lo = int(min(src.min(initial=0), dst.min(initial=0)))
    if lo < 0:
        raise GraphInputError("src and dst must be non-negative node indices; found a negative index.")
    if n_nodes is None:
        n_nodes = hi + 1
    elif hi >= n_nodes:
        raise GraphInputError(f"n_nodes={n_nodes} but an edge touches node {hi}; pass n_nodes > {hi} or leave it None.")
    if n_nodes >= np.iinfo(np.int32).max:
        raise GraphInputError("graphs are limited to 2**31 - 2 nodes (int32 indices).")
    return read_only(src, np.int32), read_only(dst, np.int32), weight, int(n_nodes)


def from_edges(
    src,
    dst,
    weight=None,
    *,
    n_nodes: int | None = None,
    directed: bool = True,
    self_loops: SelfLoops = "keep",
    node_ids: np.ndarray | None = None,
) -> Graph:
    """Build a :class:`Graph` from edge arrays in one validated step.

    Parameters
    ----------
    src, dst : array_like of int, shape (m,)
        Dense node indices in ``0 .. n_nodes - 1`` of each edge's endpoints.
    weight : array_like of float, shape (m,), optional
        Edge weights (default 1.0).  Duplicate edges have their weights summed.
    n_nodes : int, optional
        Number of nodes; defaults to ``max(src, dst) + 1``.  Nodes without
        edges are kept as isolated nodes.
    directed : bool, default True
        If False, each edge ``(u, v)`` is stored in rows ``u`` and ``v`` and
        ``(u, v)`` and ``(v, u)`` are the same edge (weights summed).
    self_loops : {"keep", "drop"}, default "keep"
        What to do with edges ``(u, u)``.  An explicit choice: nothing is
        dropped unless asked.
    node_ids : ndarray, shape (n_nodes,), optional
        External ids of the nodes (default ``arange(n_nodes)``).

    Returns
    -------
    Graph

    Examples
    --------
    >>> g = from_edges([0, 0, 1], [1, 1, 2], directed=True)
    >>> g.indptr.tolist(), g.indices.tolist(), g.weights.tolist()
    ([0, 1, 2, 2], [1, 2], [2.0, 1.0])
    """
    if self_loops not in ("keep", "drop"):
        raise GraphInputError(f"self_loops must be 'keep' or 'drop', got {self_loops!r}.")
    src, dst, weight, n = check_edge_arrays(src, dst, weight, n_nodes)
    if node_ids is None:
        node_ids = np.arange(n, dtype=np.int64)
    elif len(node_ids) != n:
        raise GraphInputError(f"node_ids has {len(node_ids)} entries but the graph has {n} nodes.")
    indptr, indices, weights = _build_csr(src, dst, weight, n, not directed, self_loops == "drop")
    return Graph(indptr, indices, weights, np.asarray(node_ids), bool(directed))


@kernel
def _count_rows(src, dst, n, symmetric, drop_loops):
    counts = np.zeros(n + 1, dtype=np.int64)
    for i in range(src.shape[0]):
        u = src[i]
        v = dst[i]
        if u == v:
            if drop_loops:
                continue
            counts[u + 1] += 1
        else:
            counts[u + 1] += 1
            if symmetric:
                counts[v + 1] += 1
    for u in range(n):
        counts[u + 1] += counts[u]
    return counts


@kernel
def _scatter(src, dst, weight, indptr, symmetric, drop_loops, indices, weights):
    fill = indptr[:-1].copy()
    for i in range(src.shape[0]):
        u = src[i]
        v = dst[i]
        w = weight[i]
        if u == v and drop_loops:
            continue
        p = fill[u]
        indices[p] = v
        weights[p] = w
        fill[u] = p + 1
        if symmetric and u != v:
            p = fill[v]
            indices[p] = u
            weights[p] = w
            fill[v] = p + 1


@serial_or_parallel
def _sort_and_merge_rows(indptr, indices, weights, new_len):
    """Sort each row by neighbour (stable) and sum duplicates in place."""
    n = indptr.shape[0] - 1
    for u in prange(n):
        a = indptr[u]
        b = indptr[u + 1]
        if b - a > 1:
            cols = indices[a:b]
            order = stable_argsort(cols)
            sc = cols[order]
            sw = weights[a:b][order]
            k = 0
            for j in range(b - a):
                if k > 0 and sc[j] == indices[a + k - 1]:
                    weights[a + k - 1] += sw[j]
                else:
                    indices[a + k] = sc[j]
                    weights[a + k] = sw[j]
                    k += 1
            new_len[u] = k
        else:
            new_len[u] = b - a


@kernel
def _compact(indptr, indices, weights, new_len):
    n = indptr.shape[0] - 1
    out = np.zeros(n + 1, dtype=np.int64)
    pos = 0
    for u in range(n):
        a = indptr[u]
        k = new_len[u]
        if pos != a:
            for j in range(k):
                indices[pos + j] = indices[a + j]
                weights[pos + j] = weights[a + j]
        pos += k
        out[u + 1] = pos
    return out


def _build_csr(src, dst, weight, n, symmetric, drop_loops):
    indptr = _count_rows(src, dst, n, symmetric, drop_loops)
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=np.int32)
    weights = np.empty(nnz, dtype=np.float64)
    _scatter(src, dst, weight, indptr, symmetric, drop_loops, indices, weights)
    new_len = np.empty(n, dtype=np.int64)
    _sort_and_merge_rows.pick(nnz)(indptr, indices, weights, new_len)
    out = _compact(indptr, indices, weights, new_len)
    k = int(out[-1])
    # Views, not copies: trimming duplicates must not raise peak memory.
    return out, indices[:k], weights[:k]


@kernel
def _self_loop_weights(indptr, indices, weights):
    n = indptr.shape[0] - 1
    out = np.zeros(n, dtype=np.float64)
    for u in range(n):
        for p in range(indptr[u], indptr[u + 1]):
            if indices[p] == u:
                out[u] = weights[p]
    return out


@kernel
def _row_sums(indptr, weights):
    n = indptr.shape[0] - 1
    out = np.zeros(n, dtype=np.float64)
    for u in range(n):
        acc = 0.0
        for p in range(indptr[u], indptr[u + 1]):
            acc += weights[p]
        out[u] = acc
    return out


def induced_subgraph(g: Graph, nodes) -> Graph:
    """The subgraph of ``g`` on ``nodes`` (every edge with both ends in it), nodes renumbered ``0..len(nodes)-1``.

    Parameters
    ----------
    g : Graph
    nodes : array_like of int, shape (k,)
        Distinct node indices; node ``i`` of the result is ``nodes[i]`` of ``g``.

    Returns
    -------
    Graph
        Same directedness; ``node_ids`` are ``g.node_ids[nodes]``.
    """
    nodes = np.asarray(nodes, dtype=np.int64).reshape(-1)
    if nodes.size and (nodes.min() < 0 or nodes.max() >= g.n_nodes):
        raise GraphInputError(f"nodes must be indices in 0..{g.n_nodes - 1}.")
    position = np.full(g.n_nodes, -1, dtype=np.int64)
    position[nodes] = np.arange(nodes.size)
    if np.count_nonzero(position >= 0) != nodes.size:
        raise GraphInputError("nodes must be distinct.")
    src, dst, w = g.edges()
    keep = (position[src] >= 0) & (position[dst] >= 0)
    if not g.directed:  # each undirected edge once (self-loops are stored once already)
        keep &= src <= dst
    return from_edges(
        position[src[keep]],
        position[dst[keep]],
        w[keep],
        n_nodes=nodes.size,
        directed=g.directed,
        node_ids=np.asarray(g.node_ids)[nodes],
    )
