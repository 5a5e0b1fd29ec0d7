r"""The undirected affinity graph that community detection runs on.

Two accounts are close when they follow each other, when one follows the
other, and when they interact.  The weight of the pair :math:`\{u, v\}` is

.. math::

    w_{uv} = w_{\mathrm{mutual}}\,[u \leftrightarrow v]
           + w_{\mathrm{one\ way}}\,[u \to v \text{ xor } v \to u]
           + d\Big(\sum_{e \in \{u, v\}} w_{\mathrm{kind}(e)}\, c_e\Big)

where a mutual follow counts once (not once per direction), :math:`c_e` is an
interaction event's own weight (its count), the sum runs over events in either
direction, and :math:`d` is the damping: ``"log"`` (default) :math:`d(x) =
\ln(1 + x)` so one very chatty pair cannot outweigh a community, ``"none"``
:math:`d(x) = x`.  Self-loops (following or mentioning oneself) are dropped:
they say nothing about who belongs with whom.

Default weights (:class:`AffinityWeights`): mutual follow 1.0, one-way follow
0.5 (chosen on labelled data, ``docs/communities.md``: 0.25 split one side of
a network whose ties are mostly one-way); per interaction kind (codes index :data:`engine.attention.KINDS`, the
same order as ``graph_store.schema.INTERACTION_KINDS``): mention 0.5, reply
1.0, repost 0.5, quote 0.75, like 0.1, comment 0.75, share 0.5.  A reply or a
comment is a conversation, a mention or repost weaker evidence, a like the
weakest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._jit import kernel
from .attention import KINDS
from .errors import GraphInputError
from .graph import Graph, index_pairs
from .pairs import pair_csr, pair_directions

_DEFAULT_KINDS = {
    "mention": 0.5,
    "reply": 1.0,
    "repost": 0.5,
    "quote": 0.75,
    "like": 0.1,
    "comment": 0.75,
    "share": 0.5,
}


@dataclass(frozen=True)
class AffinityWeights:
    """Weights of the affinity graph (see the module docstring for the formula).

    Attributes
    ----------
    mutual_follow : float, default 1.0
    one_way_follow : float, default 0.5
    kind : tuple of float, default per :data:`engine.attention.KINDS`
        Weight per interaction kind code.
    damping : {"log", "none"}, default "log"
        Applied to the summed interaction weight of a pair.
    """

    mutual_follow: float = 1.0
    one_way_follow: float = 0.5
    kind: tuple = field(default_factory=lambda: tuple(_DEFAULT_KINDS[k] for k in KINDS))
    damping: str = "log"

    @classmethod
    def from_dict(cls, d: dict | None) -> AffinityWeights:
        """Build from ``{"mutual_follow": .., "one_way_follow": .., "kind": {name: w}, "damping": ..}``."""
        d = dict(d or {})
        kinds = dict(_DEFAULT_KINDS)
        for name, w in (d.pop("kind", None) or {}).items():
            if name not in KINDS:
                raise GraphInputError(
                    f"unknown interaction kind {name!r} in affinity weights; known: {', '.join(KINDS)}."
                )
            kinds[name] = float(w)
        unknown = set(d) - {"mutual_follow", "one_way_follow", "damping"}
        if unknown:
            raise GraphInputError(
                f"unknown affinity weight(s) {sorted(unknown)}; use mutual_follow, one_way_follow, kind, damping."
            )
        return cls(kind=tuple(kinds[k] for k in KINDS), **d)

    def check(self) -> None:
        vals = [self.mutual_follow, self.one_way_follow, *self.kind]
        if not all(np.isfinite(v) and v >= 0 for v in vals):
            raise GraphInputError(f"affinity weights must be finite and >= 0; got {self}.")
        if self.damping not in ("log", "none"):
            raise GraphInputError(f"damping must be 'log' or 'none'; got {self.damping!r}.")


def affinity_graph(
    n_nodes: int,
    follow_src,
    follow_dst,
    interaction_src,
    interaction_dst,
    interaction_kind,
    interaction_weight=None,
    *,
    weights: AffinityWeights | None = None,
    node_ids=None,
) -> Graph:
    """Build the undirected, weighted affinity graph of accounts.

    Parameters
    ----------
    n_nodes : int
        Number of accounts (isolated ones are kept as isolated nodes).
    follow_src, follow_dst : array_like of int, shape (f,)
        Follower and followee index of each follow (repeats count once).
    interaction_src, interaction_dst : array_like of int, shape (i,)
        Endpoints of each interaction event (direction ignored).
    interaction_kind : array_like of int, shape (i,)
        Kind code per event, an index into :data:`engine.attention.KINDS`.
    interaction_weight : array_like of float, shape (i,), optional
        Event weight (default 1.0).
    weights : AffinityWeights, optional
        Defaults documented in the module docstring.
    node_ids : ndarray, shape (n_nodes,), optional

    Returns
    -------
    Graph
        Undirected, no self-loops.

    Examples
    --------
    >>> g = affinity_graph(3, [0, 1, 2], [1, 0, 0], [2], [1], [1])
    >>> g.weights.round(4).tolist()  # 0-1 mutual, 0-2 one way, 1-2 one reply: ln 2
    [1.0, 0.5, 1.0, 0.6931, 0.5, 0.6931]
    """
    w = weights or AffinityWeights()
    w.check()
    n = int(n_nodes)
    fs, fd = index_pairs(n, follow_src, follow_dst, names=("follow_src", "follow_dst"), what="follow", dtype=np.int32)
    is_, id_ = index_pairs(
        n,
        interaction_src,
        interaction_dst,
        names=("interaction_src", "interaction_dst"),
        what="interaction",
        dtype=np.int32,
    )
    kinds = np.asarray(interaction_kind).reshape(-1)
    if not np.issubdtype(kinds.dtype, np.integer):
        kinds = kinds.astype(np.int64)  # codes given as floats (or an empty list): as the int64 cast did
    if kinds.shape != is_.shape:
        raise GraphInputError(f"interaction_kind must have one code per interaction ({is_.size}); got {kinds.size}.")
    kw = np.asarray(w.kind, dtype=np.float64)
    if kinds.size and (kinds.min() < 0 or kinds.max() >= kw.size):
        raise GraphInputError(f"interaction_kind codes must be in 0..{kw.size - 1} (indices into {KINDS}).")
    ew = (
        np.ones(is_.size)
        if interaction_weight is None
        else np.asarray(interaction_weight, dtype=np.float64).reshape(-1)
    )
    if ew.shape != is_.shape or not np.all(np.isfinite(ew)) or (ew.size and ew.min() < 0):
        raise GraphInputError("interaction_weight must be one finite, non-negative weight per interaction.")

    # follows: each unordered pair once with the directions its arcs run (mutual or one way); interactions:
    # each pair's weights summed in event order; both grouped by counting sorts (engine.pairs), and temporaries
    # dropped as soon as they are used (they set the peak memory)
    f_indptr, f_cols, mutual = pair_directions(n, fs, fd)
    del fs, fd
    follow_w = np.where(mutual, w.mutual_follow, w.one_way_follow)
    del mutual
    talks = pair_csr(n, np.minimum(is_, id_), np.maximum(is_, id_), kw[kinds] * ew, keep=is_ != id_)
    del is_, id_
    iw = np.log1p(talks.weight) if w.damping == "log" else talks.weight
    indptr, indices, values = _symmetric_union(f_indptr, f_cols, follow_w, talks.indptr, talks.indices, iw)
    ids = np.arange(n, dtype=np.int64) if node_ids is None else np.asarray(node_ids)
    if len(ids) != n:
        raise GraphInputError(f"node_ids has {len(ids)} entries but the graph has {n} nodes.")
    return Graph(indptr, indices, values, ids, False)


@kernel
def _symmetric_union(f_indptr, f_cols, f_w, t_indptr, t_cols, t_w):  # pragma: no cover - compiled
    """The undirected CSR of two sets of pairs ``u < v`` (rows sorted), a pair's positive weights summed.

    Row ``v`` lists its pairs with ``u < v`` (filled while rows ``u`` are walked, in ascending ``u``) and
    then those with ``v < w`` (ascending): sorted, as :func:`engine.from_edges` leaves it, with the same
    sums (a pair has at most one weight from each set, and the sum of two is the same in either order).
    """
    n = f_indptr.shape[0] - 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    for sweep in range(2):
        if sweep == 1:
            for v in range(n):
                indptr[v + 1] += indptr[v]
            nnz = indptr[n]
            indices = np.empty(nnz, dtype=np.int32)
            weights = np.empty(nnz, dtype=np.float64)
            fill = indptr[:n].copy()
        else:
            indices = np.empty(0, dtype=np.int32)
            weights = np.empty(0, dtype=np.float64)
            fill = np.empty(0, dtype=np.int64)
        for u in range(n):
            i, i_end = f_indptr[u], f_indptr[u + 1]
            j, j_end = t_indptr[u], t_indptr[u + 1]
            while i < i_end or j < j_end:
                if j == j_end or (i < i_end and f_cols[i] < t_cols[j]):
                    v, a, b = f_cols[i], f_w[i], 0.0
                    i += 1
                elif i == i_end or t_cols[j] < f_cols[i]:
                    v, a, b = t_cols[j], 0.0, t_w[j]
                    j += 1
                else:
                    v, a, b = f_cols[i], f_w[i], t_w[j]
                    i += 1
                    j += 1
                if a > 0 and b > 0:
                    x = a + b
                elif a > 0:
                    x = a
                elif b > 0:
                    x = b
                else:
                    continue
                if sweep == 0:
                    indptr[u + 1] += 1
                    indptr[v + 1] += 1
                else:
                    indices[fill[u]] = v
                    weights[fill[u]] = x
                    fill[u] += 1
                    indices[fill[v]] = u
                    weights[fill[v]] = x
                    fill[v] += 1
    return indptr, indices, weights
