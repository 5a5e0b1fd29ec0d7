"""Leiden and Louvain: readable multilevel loops over the kernels.

References
----------
V. A. Traag, L. Waltman, N. J. van Eck, "From Louvain to Leiden: guaranteeing
well-connected communities", Scientific Reports 9, 5233 (2019).
V. D. Blondel, J.-L. Guillaume, R. Lambiotte, E. Lefebvre, "Fast unfolding of
communities in large networks", J. Stat. Mech. (2008) P10008.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numba
import numpy as np

from ..errors import GraphInputError
from ..graph import Graph
from ..labels import check_labels
from . import _rng
from ._objective import (
    OBJECTIVES,
    Objective,
    WorkGraph,
    check_undirected,
    compact_labels,
    make_objective,
    quality,
    work_graph,
)
from ._weights import search_weights
from .aggregation import aggregate, sum_by_label
from .connectivity import split_disconnected_in
from .local_moving import colour_windows, local_moving, uses_colouring
from .partition import Partition, canonical_labels
from .refinement import refine

#: Nodes are visited in a random order of blocks of this many consecutive ids (each block
#: entered at a random offset): random like the paper's order, but rows and community
#: arrays of neighbouring ids stay in cache on graphs whose ids have locality (e.g. accounts
#: loaded community by community), and nothing is lost on graphs without it.
ORDER_BLOCK = 64


def _slices(parallel: bool) -> int:
    """Work slices for the parallel kernels: the thread count (results never depend on it)."""
    return numba.get_num_threads() if parallel else 1


def _setup(
    g: Graph, objective: str, resolution: float, what: str
) -> tuple[WorkGraph, np.ndarray | float, Objective, float]:
    """Search graph, its arc weights for the kernels (:func:`search_weights`), objective, move tolerance."""
    check_undirected(g, what)
    if objective not in OBJECTIVES:
        raise GraphInputError(f"objective must be one of {OBJECTIVES}; got {objective!r}.")
    wg = work_graph(g, objective)
    obj = make_objective(objective, resolution, wg)
    mean_w = float(wg.A.sum()) / wg.A.shape[0] if wg.A.shape[0] else 1.0  # weights are checked non-negative
    return wg, search_weights(wg.A), obj, 1e-10 * mean_w


def _leiden_iteration(
    wg: WorkGraph,
    A,
    obj: Objective,
    part: np.ndarray,
    beta: float,
    tol: float,
    state: np.ndarray,
    parallel: bool = False,
    unrefined: list | None = None,
    level0: list | None = None,
) -> Iterator[np.ndarray]:
    """One run of the Leiden algorithm from ``part``; yields the flat labels after each level.

    Appends to ``unrefined`` (when given) each time a level is aggregated on
    the unrefined partition (refinement merged nothing): from then on a
    community is no longer guaranteed to be connected.  ``level0`` keeps the
    colouring of the input graph across calls (:func:`_level0_colouring`).
    """
    indptr, indices, node_w = wg.indptr, wg.indices, wg.node_w
    node_of = np.arange(wg.n, dtype=np.int32)  # original node -> node of the current level
    level0 = [] if level0 is None else level0
    first = True  # the level being searched is the input graph
    while True:
        n = indptr.shape[0] - 1
        order = _rng.block_permutation(state, n, ORDER_BLOCK)
        colouring = _level0_colouring(wg, order, parallel, level0) if first else None
        local_moving(indptr, indices, A, node_w, part, obj.scale, order, tol, colouring)
        first = False
        part, k = compact_labels(part)
        yield part[node_of]
        if k == n:  # every community is one node: nothing left to aggregate
            return
        refined, kr = refine(indptr, indices, A, node_w, part, k, obj.scale, beta, order, state, parallel)
        if kr == n:  # refinement merged nothing: aggregate on the partition itself
            refined, kr = part, k
            if unrefined is not None:
                unrefined.append(True)
        initial = np.empty(kr, dtype=np.int32)
        initial[refined] = part  # each refined community starts in its parent community
        indptr, indices, A = aggregate(indptr, indices, A, refined, kr, _slices(parallel), parallel)
        node_w = sum_by_label(node_w, refined, kr)
        node_of = refined[node_of]
        part = initial


def _level0_colouring(wg: WorkGraph, order: np.ndarray, parallel: bool, level0: list):
    """The colouring of the input graph for :func:`local_moving` (None where it is searched serially,
    :func:`uses_colouring`), made in ``order`` the first time and kept in ``level0``: every search of
    that graph uses it."""
    if not uses_colouring(wg.n, parallel):
        return None
    if not level0:
        level0.append(colour_windows(wg.indptr, wg.indices, order))
    return level0[0]


def _polish(
    wg: WorkGraph,
    A,
    obj: Objective,
    labels: np.ndarray,
    tol: float,
    state: np.ndarray,
    parallel: bool,
    connected: bool,
    level0: list,
) -> np.ndarray:
    """Final pass: fast local moving of the original nodes, then split any community that became disconnected.

    ``connected``: every community of ``labels`` is known to be connected, so
    only those that lose a node here need a search.
    """
    part = labels.astype(np.int32)
    order = _rng.block_permutation(state, wg.n, ORDER_BLOCK)
    local_moving(
        wg.indptr, wg.indices, A, wg.node_w, part, obj.scale, order, tol, _level0_colouring(wg, order, parallel, level0)
    )
    # only a community that lost a node can have come apart: one that only gained nodes gained
    # each with an edge into it, and its members all stayed
    check = np.zeros(wg.n, dtype=np.bool_)
    if connected:
        check[labels[part != labels]] = True
    else:
        check[:] = True
    part, _ = split_disconnected_in(wg.indptr, wg.indices, part, check)
    return canonical_labels(part)


def _check_common(n_iterations: int, beta: float) -> None:
    if isinstance(n_iterations, bool) or not isinstance(n_iterations, (int, np.integer)) or n_iterations == 0:
        raise GraphInputError(
            f"n_iterations must be a positive int, or negative for 'until stable'; got {n_iterations!r}."
        )
    if not (float(beta) > 0 and np.isfinite(beta)):
        raise GraphInputError(f"beta (refinement randomness) must be > 0; got {beta!r}.")


@dataclass(frozen=True)
class LeidenParams:
    r"""The parameters of :func:`leiden` and :func:`leiden_levels` (each also a keyword of both).

    Attributes
    ----------
    resolution : float, default 1.0
        :math:`\gamma` of the objective (see :mod:`engine.community._objective`).
    objective : {"modularity", "cpm"}, default "modularity"
    seed : int, default 0
        The only source of randomness (node orders, refinement choices).  The
        same graph and seed give identical labels on any thread count.
    n_iterations : int, default 2
        Number of Leiden iterations, each starting from the previous result
        (as igraph's ``community_leiden``); negative: iterate until the
        partition stops changing.
    beta : float, default 0.01
        Randomness of the refinement (:math:`\theta` in the paper), in units
        of edge weight, as in igraph.
    initial : array_like of int, shape (n_nodes,), optional
        Starting partition (default: every node alone).
    polish : bool, default True
        After the last iteration, one more fast local moving pass over the
        original nodes, then every community that a move left disconnected is
        split into its connected parts.  Neither step can lower the quality,
        and communities stay connected.  (Not in the paper; costs about one
        local moving pass.)
    parallel : bool, default False
        Use numba's threads: local moving of the input graph by colour groups
        when it has at least
        :data:`~engine.community.local_moving.PARALLEL_MIN_NODES` nodes (see
        :mod:`engine.community.local_moving`), parallel refinement and
        aggregation.  Labels never depend on the thread count (one thread
        included); on large graphs they differ from ``parallel=False``'s,
        which runs the paper's one-node-at-a-time queue (the colour groups
        visit nodes differently; quality is the same within noise).
    """

    resolution: float = 1.0
    objective: str = "modularity"
    seed: int = 0
    n_iterations: int = 2
    beta: float = 0.01
    initial: Any = None
    polish: bool = True
    parallel: bool = False

    @classmethod
    def of(cls, params: LeidenParams | None, keywords: dict[str, Any]) -> LeidenParams:
        """``params`` (default: the defaults) with ``keywords`` replacing fields of the same name."""
        if params is None:
            return cls(**keywords)
        if not isinstance(params, cls):
            raise TypeError(f"params must be a LeidenParams (the others are keyword-only); got {params!r}.")
        return replace(params, **keywords)


def leiden_levels(g: Graph, params: LeidenParams | None = None, /, **keywords: Any) -> Iterator[np.ndarray]:
    """Yield the labels of every node after each level of each Leiden iteration.

    Labels are canonical (see :func:`~engine.community.partition.canonical_labels`);
    the last one yielded is :attr:`leiden(...).labels <Partition.labels>`.
    Parameters as in :func:`leiden`.
    """
    return _leiden_levels(g, LeidenParams.of(params, keywords))


def _leiden_levels(g: Graph, p: LeidenParams) -> Iterator[np.ndarray]:
    wg, A, obj, tol = _setup(g, p.objective, p.resolution, "leiden")
    _check_common(p.n_iterations, p.beta)
    state = _rng.new_state(p.seed)
    if p.initial is None:
        part = np.arange(wg.n, dtype=np.int32)
    else:
        part, _ = compact_labels(check_labels(p.initial, g.n_nodes, "initial"))
    level0: list = []  # the colouring of the original graph, once made
    it = 0
    previous = canonical_labels(part)
    last = previous
    parallel = bool(p.parallel)
    while it != p.n_iterations:
        unrefined: list = []  # of the last iteration
        for flat in _leiden_iteration(wg, A, obj, part.copy(), p.beta, tol, state, parallel, unrefined, level0):
            last = canonical_labels(flat)
            yield last
        it += 1
        if p.n_iterations < 0 and np.array_equal(last, previous):
            break
        previous = last
        part = last.astype(np.int32)
    if p.polish and wg.n:
        final = _polish(wg, A, obj, last, tol, state, parallel, not unrefined, level0)
        if not np.array_equal(final, last):
            yield final


def leiden(g: Graph, params: LeidenParams | None = None, /, **keywords: Any) -> Partition:
    r"""Communities by the Leiden algorithm (Traag, Waltman & van Eck 2019).

    Each iteration runs fast local moving (a queue of nodes in seeded random
    order), refines every community into well-connected sub-communities
    (random merges with probability :math:`\propto e^{\Delta H/\beta}`), and
    aggregates the *refined* partition, starting the next level from the
    unrefined one, until no community can be merged.  Every community of the
    result is connected.  Labels never depend on the thread count.

    Parameters
    ----------
    g : Graph
        Undirected graph with non-negative weights (directed graphs raise
        :class:`~engine.GraphInputError`; call ``g.symmetrize()`` first).
    params : LeidenParams, optional
        All parameters at once (default: :class:`LeidenParams`' defaults).
    **keywords
        Any field of :class:`LeidenParams` (``resolution``, ``objective``, ``seed``,
        ``n_iterations``, ``beta``, ``initial``, ``polish``, ``parallel``), replacing
        the one of ``params``.

    Returns
    -------
    Partition
        ``labels`` int64 (n_nodes,), ``levels`` from :func:`leiden_levels`, ``quality``.

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], directed=False)
    >>> p = leiden(g, seed=1)
    >>> p.labels.tolist(), round(p.quality, 6)
    ([0, 0, 0, 1, 1, 1], 0.357143)
    """
    p = LeidenParams.of(params, keywords)
    levels = tuple(_leiden_levels(g, p))
    labels = levels[-1] if levels else np.zeros(0, dtype=np.int64)
    q = quality(g, labels, objective=p.objective, resolution=p.resolution)
    return Partition(labels, levels, q, p.objective, float(p.resolution))


def louvain_levels(
    g: Graph, *, resolution: float = 1.0, objective: str = "modularity", seed: int = 0, parallel: bool = False
) -> Iterator[np.ndarray]:
    """Yield the labels of every node after each Louvain level (canonical form)."""
    wg, A, obj, tol = _setup(g, objective, resolution, "louvain")
    state = _rng.new_state(seed)
    indptr, indices, node_w = wg.indptr, wg.indices, wg.node_w
    node_of = np.arange(wg.n, dtype=np.int32)
    first = True
    while True:
        n = indptr.shape[0] - 1
        part = np.arange(n, dtype=np.int32)
        order = _rng.block_permutation(state, n, ORDER_BLOCK)
        local_moving(
            indptr,
            indices,
            A,
            node_w,
            part,
            obj.scale,
            order,
            tol,
            _level0_colouring(wg, order, parallel, []) if first else None,
        )
        part, k = compact_labels(part)
        if k == n and not first:
            return
        first = False
        yield canonical_labels(part[node_of])
        if k == n:
            return
        indptr, indices, A = aggregate(indptr, indices, A, part, k, _slices(parallel), parallel)
        node_w = sum_by_label(node_w, part, k)
        node_of = part[node_of]


def louvain(
    g: Graph, *, resolution: float = 1.0, objective: str = "modularity", seed: int = 0, parallel: bool = False
) -> Partition:
    r"""Communities by the Louvain method (Blondel et al. 2008), with queue-based local moving.

    Local moving on singletons, aggregation of the result, repeated until a
    level moves no node.  Unlike :func:`leiden`, communities may be
    disconnected.  Parameters as in :func:`leiden`.

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], directed=False)
    >>> louvain(g).labels.tolist()
    [0, 0, 0, 1, 1, 1]
    """
    levels = tuple(louvain_levels(g, resolution=resolution, objective=objective, seed=seed, parallel=parallel))
    labels = levels[-1] if levels else np.zeros(0, dtype=np.int64)
    q = quality(g, labels, objective=objective, resolution=resolution)
    return Partition(labels, levels, q, objective, float(resolution))
