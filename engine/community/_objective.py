r"""Quality functions (modularity, CPM) and their move deltas, separate from any search.

Both objectives are written as one unnormalised quality over a partition
:math:`\{c\}` of a weighted undirected graph with adjacency :math:`A`
(:math:`A_{uu}` is twice the self-loop weight, so :math:`k_u = \sum_v A_{uv}`
counts a loop twice, as networkx and igraph do):

.. math::

    H = \sum_c \Big( e_c - \tfrac{s}{2}\,(W_c^2 - \delta_{cpm} W_c) \Big),
    \qquad e_c = \tfrac12 \sum_{u, v \in c} A_{uv},\quad W_c = \sum_{u \in c} w_u

* **modularity**: node weight :math:`w_u = k_u`, :math:`s = \gamma / 2m`,
  reported quality :math:`Q = H / m
  = \sum_c e_c / m - \gamma (K_c / 2m)^2` (Newman & Girvan 2004).
* **CPM** (constant Potts model, Traag, Van Dooren & Nesterov 2011): node
  weight :math:`w_u = 1` (the number of original nodes after aggregation),
  :math:`s = \gamma`, reported quality :math:`H = \sum_c e_c - \gamma \binom{n_c}{2}`.

The change of :math:`H` when node ``v`` (weight :math:`w_v`, not counting its
own self-loop) joins community ``c`` that it is not in is :func:`gain`:
:math:`k_{v,c} - s\, w_v W_c`, with :math:`k_{v,c}` the weight of ``v``'s
edges into ``c``.  Moving ``v`` from ``a`` to ``b`` changes :math:`H` by
``gain(k_vb, w_v, W_b) - gain(k_va, w_v, W_a - w_v)``.  Local moving,
refinement and the tests all use these same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import kernel, prange, read_only, serial_or_parallel
from .._sequential import sequential_sum
from ..errors import GraphInputError
from ..graph import Graph
from ..labels import check_labels

OBJECTIVES = ("modularity", "cpm")


@dataclass(frozen=True)
class WorkGraph:
    """The adjacency used by the search: CSR with self-loops stored as ``2 w``.

    ``indptr`` int64 (n+1,), ``indices`` int32 (nnz,), ``A`` float64 (nnz,),
    ``node_w`` float64 (n,) node weights of the objective.
    """

    indptr: np.ndarray
    indices: np.ndarray
    A: np.ndarray
    node_w: np.ndarray

    @property
    def n(self) -> int:
        return int(self.indptr.shape[0] - 1)


@dataclass(frozen=True)
class Objective:
    """An objective bound to one graph: its name, ``resolution``, scale ``s`` and normaliser.

    ``quality = H / norm`` (``norm = m`` for modularity, 1 for CPM).
    """

    name: str
    resolution: float
    scale: float
    norm: float
    cpm: bool


def check_undirected(g: Graph, what: str) -> None:
    """Raise :class:`GraphInputError` unless ``g`` is an undirected :class:`Graph`."""
    if not isinstance(g, Graph):
        raise GraphInputError(
            f"{what} needs an engine.Graph; got {type(g).__name__}. Build one with engine.from_edges."
        )
    if g.directed:
        raise GraphInputError(
            f"{what} works on undirected graphs; got a directed one. "
            "Call g.symmetrize() (weights of u->v and v->u are summed) or build it with from_edges(..., directed=False)."
        )
    if g.nnz and float(g.weights.min()) < 0:
        raise GraphInputError(f"{what} needs non-negative edge weights; found {float(g.weights.min())}.")


def check_resolution(resolution: float) -> float:
    r = float(resolution)
    if not np.isfinite(r) or r < 0:
        raise GraphInputError(f"resolution must be a finite number >= 0; got {resolution!r}.")
    return r


def work_graph(g: Graph, objective: str) -> WorkGraph:
    """Search adjacency of undirected ``g`` with the node weights of ``objective``."""
    if np.any(g.self_loop_weights()):
        A = _doubled_loops(g.indptr, g.indices, g.weights)
    else:  # no self-loop: the weights are the search adjacency as they are (no copy; never written)
        A = g.weights
    if objective == "modularity":
        node_w = np.ascontiguousarray(g.strength(), dtype=np.float64)
    else:
        node_w = np.ones(g.n_nodes, dtype=np.float64)
    return WorkGraph(g.indptr, g.indices, A, node_w)


def make_objective(name: str, resolution: float, wg: WorkGraph) -> Objective:
    """Bind objective ``name`` with ``resolution`` to the graph ``wg``."""
    if name not in OBJECTIVES:
        raise GraphInputError(f"objective must be one of {OBJECTIVES}; got {name!r}.")
    gamma = check_resolution(resolution)
    if name == "modularity":
        two_m = float(wg.node_w.sum())
        scale = gamma / two_m if two_m > 0 else 0.0
        return Objective(name, gamma, scale, two_m / 2.0 if two_m > 0 else np.nan, False)
    return Objective(name, gamma, gamma, 1.0, True)


@kernel(inline="always")
def gain(k_vc, w_v, W_c, scale):
    """Change of ``H`` when a node with weight ``w_v`` and ``k_vc`` edge weight into ``c`` joins ``c``."""
    return k_vc - scale * w_v * W_c


@kernel
def _doubled_loops(indptr, indices, weights):
    A = weights.copy()
    n = indptr.shape[0] - 1
    for u in range(n):
        for p in range(indptr[u], indptr[u + 1]):
            if indices[p] == u:
                A[p] = 2.0 * weights[p]
    return A


@serial_or_parallel
def community_totals(indptr, indices, A, node_w, labels, k):
    """Per community: ``2 e_c`` (sum of ``A`` inside) and ``W_c``, float64 arrays (k,).

    Each node's weight into its own community is summed on numba's threads,
    then the nodes are added to their community in node order: the same sums
    in the same order on any thread count.
    """
    n = indptr.shape[0] - 1
    own = np.empty(n, dtype=np.float64)  # weight of the arcs from u into its own community
    for u in prange(n):
        c = labels[u]
        acc = 0.0
        for p in range(indptr[u], indptr[u + 1]):  # branch-free: whether an arc is inside is data-dependent
            acc += A[p] * (labels[indices[p]] == c)
        own[u] = acc
    inside = np.zeros(k, dtype=np.float64)
    W = np.zeros(k, dtype=np.float64)
    for u in range(n):
        W[labels[u]] += node_w[u]
        inside[labels[u]] += own[u]
    return inside, W


def h_value(inside, W, scale, cpm):
    """Unnormalised quality ``H`` from :func:`community_totals`, summed over communities in order.

    :math:`H = \\sum_c \\tfrac12 e_c - \\tfrac12 s\\, p_c` with :math:`p_c = W_c^2` (minus :math:`W_c`
    for CPM); ``inside``, ``W`` float64 (k,).
    """
    pen = W * W
    if cpm:
        pen = pen - W
    return float(sequential_sum(0.5 * inside - 0.5 * scale * pen))


def compact_labels(labels) -> tuple[np.ndarray, int]:
    """Map integer labels to ``0..k-1`` (int32, in increasing order of value); return ``(labels, k)``.

    Labels in a range of at most ``4 n`` values (node or community indices)
    are counted in O(n); others are sorted.
    """
    labels = np.asarray(labels)
    if labels.size == 0:
        return np.zeros(0, dtype=np.int32), 0
    dense = dense_range(labels)
    if dense is not None and np.can_cast(labels.dtype, np.int64):
        return _compact_counted(read_only(labels.reshape(-1), np.int64), *dense)  # one signature
    _, inverse = np.unique(labels, return_inverse=True)
    inv = inverse.astype(np.int32).reshape(-1)
    return inv, int(inv.max()) + 1


def dense_range(labels: np.ndarray) -> tuple[int, int] | None:
    """``(lo, span)`` when non-empty integer ``labels`` take values in ``lo .. lo+span-1`` with
    ``span <= 4 n + 16`` (node or community indices: they can be counted in O(n)), else None."""
    if not np.issubdtype(labels.dtype, np.integer):
        return None
    lo, hi = int(labels.min()), int(labels.max())
    return (lo, hi - lo + 1) if hi - lo < 4 * labels.size + 16 else None


@kernel
def _compact_counted(labels, lo, span):
    new = np.full(span, -1, dtype=np.int32)
    for v in range(labels.shape[0]):
        new[labels[v] - lo] = 0
    k = 0
    for c in range(span):
        if new[c] == 0:
            new[c] = k
            k += 1
    out = np.empty(labels.shape[0], dtype=np.int32)
    for v in range(labels.shape[0]):
        out[v] = new[labels[v] - lo]
    return out, k


def _h(wg: WorkGraph, obj: Objective, labels) -> float:
    lab, k = compact_labels(labels)
    inside, W = community_totals.pick(wg.indices.shape[0])(wg.indptr, wg.indices, wg.A, wg.node_w, lab, k)
    return float(h_value(inside, W, obj.scale, obj.cpm))


def quality(g: Graph, labels, *, objective: str = "modularity", resolution: float = 1.0) -> float:
    """Quality of a partition: modularity ``Q`` or CPM ``H`` (see module docstring).

    Parameters
    ----------
    g : Graph
        Undirected weighted graph.
    labels : array_like of int, shape (n_nodes,)
        Community of every node (any integers).
    objective : {"modularity", "cpm"}
    resolution : float, default 1.0
        :math:`\\gamma`.

    Returns
    -------
    float
        NaN for modularity of a graph without edges (undefined, as in igraph).
    """
    check_undirected(g, "quality")
    labels = check_labels(labels, g.n_nodes)
    wg = work_graph(g, objective)
    obj = make_objective(objective, resolution, wg)
    if not obj.cpm and not np.isfinite(obj.norm):
        return float("nan")
    return _h(wg, obj, labels) / obj.norm


def modularity(g: Graph, labels, *, resolution: float = 1.0) -> float:
    r"""Newman-Girvan modularity of ``labels`` on undirected ``g``.

    .. math:: Q = \sum_c \Big[\frac{L_c}{m} - \gamma \Big(\frac{K_c}{2m}\Big)^2\Big]

    with :math:`L_c` the weight of edges inside ``c`` (a self-loop counted
    once), :math:`K_c` the sum of strengths in ``c`` (a self-loop counted
    twice) and :math:`m` the total edge weight: the networkx and igraph
    convention.

    Parameters
    ----------
    g : Graph
        Undirected weighted graph (directed graphs raise
        :class:`~engine.GraphInputError`: call ``g.symmetrize()`` first).
    labels : array_like of int, shape (n_nodes,)
        Community of every node.
    resolution : float, default 1.0
        :math:`\gamma`.

    Returns
    -------
    float
        ``nan`` when the graph has no edges (modularity is undefined there).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], directed=False)
    >>> round(modularity(g, [0, 0, 0, 1, 1, 1]), 6)
    0.357143
    """
    return quality(g, labels, objective="modularity", resolution=resolution)


def move_delta(
    g: Graph, labels, v: int, target: int, *, objective: str = "modularity", resolution: float = 1.0
) -> float:
    """Predicted change of :func:`quality` when node ``v`` moves to community label ``target``.

    ``target`` may be a label no node has (a new, empty community).  Uses the
    same :func:`gain` as the search kernels.
    """
    check_undirected(g, "move_delta")
    labels = np.asarray(check_labels(labels, g.n_nodes), dtype=np.int64)
    wg = work_graph(g, objective)
    obj = make_objective(objective, resolution, wg)
    a = labels[v]
    if target == a:
        return 0.0
    k_va = k_vb = 0.0
    for p in range(wg.indptr[v], wg.indptr[v + 1]):
        u = wg.indices[p]
        if u == v:
            continue
        if labels[u] == a:
            k_va += wg.A[p]
        elif labels[u] == target:
            k_vb += wg.A[p]
    W_a = float(wg.node_w[labels == a].sum()) - wg.node_w[v]
    W_b = float(wg.node_w[labels == target].sum())
    dh = gain(k_vb, wg.node_w[v], W_b, obj.scale) - gain(k_va, wg.node_w[v], W_a, obj.scale)
    return float(dh) / obj.norm
