"""The directed attention graph: who pays attention to whom, and how much.

An edge ``u -> v`` carries the attention ``u`` gives ``v``:

.. math:: w_{uv} = w_f \\, [u \\text{ follows } v] + \\sum_{e: u \\to v} w_{\\mathrm{kind}(e)} \\, c_e

where :math:`w_f` is the follow weight, :math:`w_k` the weight of interaction
kind ``k`` and :math:`c_e` the event's own weight (its count, 1 for a single
event).  Kind codes index :data:`KINDS` (the same order as
``graph_store.schema.INTERACTION_KINDS``; the engine does not import the store).
"""

from __future__ import annotations

import numpy as np

from .errors import GraphInputError
from .graph import Graph, SelfLoops, from_edges

#: Interaction kinds in code order.
KINDS: tuple[str, ...] = ("mention", "reply", "repost", "quote", "like", "comment", "share")

#: Default weight per kind code: a like is a quarter of a mention, the rest count one each.
DEFAULT_KIND_WEIGHTS: np.ndarray = np.array([1.0, 1.0, 1.0, 1.0, 0.25, 1.0, 1.0])
DEFAULT_KIND_WEIGHTS.setflags(write=False)

#: Default weight of a follow edge.
DEFAULT_FOLLOW_WEIGHT: float = 1.0


def kind_weights(overrides: dict[str, float] | None = None) -> np.ndarray:
    """Per-kind weight array (float64, shape (len(KINDS),)) with ``overrides`` applied by name."""
    w = DEFAULT_KIND_WEIGHTS.copy()
    for name, value in (overrides or {}).items():
        if name not in KINDS:
            raise GraphInputError(f"unknown interaction kind {name!r}; known kinds: {', '.join(KINDS)}.")
        if not np.isfinite(value) or value < 0:
            raise GraphInputError(f"weight of kind {name!r} must be finite and >= 0; got {value}.")
        w[KINDS.index(name)] = float(value)
    return w


def attention_graph(
    n_nodes: int,
    follow_src,
    follow_dst,
    interaction_src=None,
    interaction_dst=None,
    interaction_kind=None,
    interaction_weight=None,
    *,
    follow_weight: float = DEFAULT_FOLLOW_WEIGHT,
    kind_weight=None,
    self_loops: SelfLoops = "drop",
    node_ids=None,
) -> Graph:
    """Build the weighted, directed attention graph.

    Parameters
    ----------
    n_nodes : int
        Number of accounts (isolated accounts are kept).
    follow_src, follow_dst : array_like of int, shape (f,)
        Follower and followee index of each follow (edge follower -> followee).
    interaction_src, interaction_dst : array_like of int, shape (i,), optional
        Source and target of each interaction event (edge source -> target).
    interaction_kind : array_like of int, shape (i,), optional
        Kind code of each event, an index into :data:`KINDS` (default all mentions).
    interaction_weight : array_like of float, shape (i,), optional
        Event weight (default 1.0).
    follow_weight : float, default 1.0
        Weight of a follow edge.
    kind_weight : array_like of float, shape (len(KINDS),), optional
        Weight per kind code (default :data:`DEFAULT_KIND_WEIGHTS`).
    self_loops : {"drop", "keep"}, default "drop"
        Attention an account pays to itself is dropped by default.

    Returns
    -------
    Graph
        Directed graph; parallel edges are merged with their weights summed.
        Edges of weight 0 (a kind weighted 0) are left out.

    Examples
    --------
    >>> g = attention_graph(3, [0], [1], [0, 2], [1, 1], [0, 4])
    >>> g.indices.tolist(), g.weights.tolist()
    ([1, 1], [2.0, 0.25])
    """
    fs = np.asarray(follow_src, dtype=np.int64)
    fd = np.asarray(follow_dst, dtype=np.int64)
    if fs.shape != fd.shape:
        raise GraphInputError("follow_src and follow_dst must have the same length.")
    if not np.isfinite(follow_weight) or follow_weight < 0:
        raise GraphInputError(f"follow_weight must be finite and >= 0; got {follow_weight}.")
    kw = DEFAULT_KIND_WEIGHTS if kind_weight is None else np.asarray(kind_weight, dtype=np.float64)
    if kw.shape != (len(KINDS),) or not np.all(np.isfinite(kw)) or np.any(kw < 0):
        raise GraphInputError(
            f"kind_weight must hold {len(KINDS)} finite, non-negative weights (one per kind in KINDS)."
        )
    srcs = [fs]
    dsts = [fd]
    ws = [np.full(fs.shape[0], float(follow_weight))]
    if interaction_src is not None:
        s = np.asarray(interaction_src, dtype=np.int64)
        d = np.asarray(interaction_dst, dtype=np.int64)
        if s.shape != d.shape:
            raise GraphInputError("interaction_src and interaction_dst must have the same length.")
        k = (
            np.zeros(s.shape[0], dtype=np.int64)
            if interaction_kind is None
            else np.asarray(interaction_kind, dtype=np.int64)
        )
        if k.shape != s.shape:
            raise GraphInputError("interaction_kind must have one code per interaction.")
        if k.size and (k.min() < 0 or k.max() >= len(KINDS)):
            raise GraphInputError(f"interaction_kind codes must be in 0..{len(KINDS) - 1} (indices into KINDS).")
        c = np.ones(s.shape[0]) if interaction_weight is None else np.asarray(interaction_weight, dtype=np.float64)
        if c.shape != s.shape:
            raise GraphInputError("interaction_weight must have one value per interaction.")
        srcs.append(s)
        dsts.append(d)
        ws.append(kw[k] * c)
        del s, d, k, c
    del fs, fd
    # each part is dropped once concatenated: on large worlds the parts, not the graph, set the peak memory
    src = np.concatenate(srcs)
    del srcs
    dst = np.concatenate(dsts)
    del dsts
    w = np.concatenate(ws)
    del ws
    keep = w > 0
    if not keep.all():
        src, dst, w = src[keep], dst[keep], w[keep]
    return from_edges(src, dst, w, n_nodes=n_nodes, directed=True, self_loops=self_loops, node_ids=node_ids)
