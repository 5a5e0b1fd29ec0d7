"""The frozen :class:`Partition` result and canonical labelling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import kernel, read_only
from ._objective import dense_range


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Relabel to ``0..k-1`` int64: largest community first, ties by smallest node index.

    The order depends only on the partition (not on label values), so equal
    partitions get equal arrays.  Integer labels in a range of at most
    ``4 n`` values are counted in O(n) (the usual case: labels are node or
    community indices); others are sorted.
    """
    labels = np.asarray(labels)
    n = labels.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    dense = dense_range(labels)
    if dense is not None and np.can_cast(labels.dtype, np.int64):
        labels = read_only(labels, np.int64)  # one signature of the kernels below
        lo, span = dense
        first, sizes = _first_and_size(labels, lo, span)
        present = np.flatnonzero(sizes)
        order = present[np.lexsort((first[present], -sizes[present]))]
        rank = np.empty(span, dtype=np.int64)
        rank[order] = np.arange(order.shape[0], dtype=np.int64)
        return _relabel(labels, rank, lo)
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    sizes = np.bincount(inv)
    order = np.lexsort((first, -sizes))
    new = np.empty(order.shape[0], dtype=np.int64)
    new[order] = np.arange(order.shape[0], dtype=np.int64)
    return new[inv]


@kernel
def _first_and_size(labels, lo, span):
    """First node and size of every label value ``lo .. lo+span-1``, int64 (span,) each (-1 / 0 if absent)."""
    first = np.full(span, -1, dtype=np.int64)
    sizes = np.zeros(span, dtype=np.int64)
    for v in range(labels.shape[0]):
        c = labels[v] - lo
        if sizes[c] == 0:
            first[c] = v
        sizes[c] += 1
    return first, sizes


@kernel
def _relabel(labels, rank, lo):
    out = np.empty(labels.shape[0], dtype=np.int64)
    for v in range(labels.shape[0]):
        out[v] = rank[labels[v] - lo]
    return out


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Partition:
    """A partition of every node of a graph into communities.

    Attributes
    ----------
    labels : ndarray of int64, shape (n_nodes,)
        Community of every node (isolated nodes included), consecutive
        ``0..k-1``, community 0 the largest (ties: smallest first node).
    levels : tuple of ndarray of int64, each shape (n_nodes,)
        Labels of the original nodes after each level of the hierarchy, finest
        first, in the same canonical form; ``levels[-1]`` equals ``labels``.
    quality : float
        Modularity (objective ``"modularity"``) or CPM quality of ``labels``.
    objective : str
    resolution : float
    """

    labels: np.ndarray
    levels: tuple
    quality: float
    objective: str = "modularity"
    resolution: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        object.__setattr__(self, "levels", tuple(_frozen(x) for x in self.levels))

    @property
    def n_nodes(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_communities(self) -> int:
        """Number of communities ``k``."""
        return int(self.labels.max()) + 1 if self.labels.size else 0

    def sizes(self) -> np.ndarray:
        """Number of nodes per community, int64 (k,) (non-increasing)."""
        return np.bincount(self.labels, minlength=self.n_communities).astype(np.int64)

    def members(self, community: int) -> np.ndarray:
        """Node indices of ``community``, int64, ascending."""
        return np.flatnonzero(self.labels == community)

    def communities(self) -> list[np.ndarray]:
        """Node indices of every community, largest first."""
        order = np.argsort(self.labels, kind="stable")
        return np.split(order, np.cumsum(self.sizes())[:-1]) if self.labels.size else []

    def as_table(self) -> dict[str, np.ndarray]:
        """Columns ``node`` and ``community`` (for pyarrow/pandas)."""
        return {"node": np.arange(self.n_nodes, dtype=np.int64), "community": self.labels}

    def __repr__(self) -> str:
        return (
            f"Partition(n_nodes={self.n_nodes}, n_communities={self.n_communities}, "
            f"{self.objective}={self.quality:.6g})"
        )
