"""In-memory indices over a run's serving tables (written by :mod:`api.stages.serving`).

* :class:`MutualIndex`: each account's strongest mutual ties, CSR by account.
* :class:`BrandIndex`: who interacts with an account and who uses a hashtag,
  so a brand's audience is two slices and one merge, without the store.
* :func:`audience_from_table`: the campaign planner's audience graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from nichegraph.engine import Graph


def _ints(table: pa.Table, name: str, dtype=np.int64) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=dtype)


def _csr_rows(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(order, indptr)``: a stable sort of ``keys`` (int, 0..n-1) and the start of each key's run."""
    order = np.argsort(keys, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n))]).astype(np.int64)
    return order, indptr


def tag_slices(tags: np.ndarray) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """Group hashtag uses by tag: the stable order that sorts ``tags`` and each tag's ``(start, stop)`` in it.

    ``tags`` is an object array of strings, one per use; ``order`` (int64, same length) sorts it
    with ties kept in table order, and ``tags[order][start:stop]`` are exactly the uses of one tag.
    """
    order = np.argsort(tags, kind="stable")
    tags = tags[order]
    slices: dict[str, tuple[int, int]] = {}
    if len(tags):
        starts = np.flatnonzero(np.concatenate([[True], tags[1:] != tags[:-1]]))
        stops = np.concatenate([starts[1:], [len(tags)]])
        slices = {str(tags[a]): (int(a), int(b)) for a, b in zip(starts, stops, strict=True)}
    return order, slices


@dataclass(frozen=True)
class MutualIndex:
    """Mutual ties per account as CSR: ``indices[indptr[i]:indptr[i+1]]`` strongest first.

    A tie ``u - v`` is mutual when ``u`` and ``v`` follow each other or both
    interact with the other (:func:`engine.mutual_ties.mutual_ties`).
    """

    indptr: np.ndarray
    indices: np.ndarray
    strength: np.ndarray
    follow: np.ndarray

    @classmethod
    def from_table(cls, n: int, table: pa.Table) -> MutualIndex:
        """From a ``mutuals`` run table (``account``, ``other``, ``strength``, ``mutual_follow``) of ``n`` accounts."""
        account, other = _ints(table, "account"), _ints(table, "other", np.int32)
        strength = np.asarray(table.column("strength").to_numpy(zero_copy_only=False), np.float64)
        follow = np.asarray(table.column("mutual_follow").to_numpy(zero_copy_only=False), bool)
        # a store need not keep row order: sort by account, then strongest, mutual follow, other account
        order = np.lexsort((other, ~follow, -strength, account))
        _, indptr = _csr_rows(account, n)
        return cls(indptr, other[order], strength[order], follow[order])

    def of(self, row: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``k`` strongest ties of ``row``: ``(other rows, strengths, mutual follows)``."""
        a, b = int(self.indptr[row]), int(self.indptr[row + 1])
        b = min(b, a + k)
        return self.indices[a:b], self.strength[a:b], self.follow[a:b]


@dataclass(frozen=True)
class BrandIndex:
    """Interaction counts grouped by target, and hashtag uses grouped by (lower-case) tag."""

    n: int
    touch_ptr: np.ndarray  # int64 (n + 1,): rows touching target t are touch_src[touch_ptr[t]:touch_ptr[t+1]]
    touch_src: np.ndarray  # int32
    touch_n: np.ndarray  # float64 events
    tag_slices: dict  # lower-case tag -> (start, stop) into tag_src / tag_n
    tag_src: np.ndarray  # int32
    tag_n: np.ndarray  # float64 uses

    @classmethod
    def from_tables(cls, n: int, touches: pa.Table, hashtag_uses: pa.Table) -> BrandIndex:
        """From the ``touches`` and ``hashtag_uses`` run tables of ``n`` accounts."""
        order, ptr = _csr_rows(_ints(touches, "target"), n)
        tag_order, slices = tag_slices(
            np.asarray(hashtag_uses.column("tag").to_numpy(zero_copy_only=False), dtype=object)
        )
        return cls(
            n,
            ptr,
            _ints(touches, "source", np.int32)[order],
            _ints(touches, "n", np.float64)[order],
            slices,
            _ints(hashtag_uses, "source", np.int32)[tag_order],
            _ints(hashtag_uses, "n", np.float64)[tag_order],
        )

    def audience(self, brand_row: int, tags) -> tuple[np.ndarray, np.ndarray]:
        """Rows that touch the brand and their touches: interactions towards ``brand_row`` plus uses of ``tags``.

        Returns ``(rows, touches)``: int32 rows sorted ascending (the brand itself
        left out) and float64 counts, one per row.
        """
        a, b = int(self.touch_ptr[brand_row]), int(self.touch_ptr[brand_row + 1])
        src, cnt = [self.touch_src[a:b]], [self.touch_n[a:b]]
        for tag in dict.fromkeys(str(t).lstrip("#").lower() for t in tags):
            if tag in self.tag_slices:
                lo, hi = self.tag_slices[tag]
                src.append(self.tag_src[lo:hi])
                cnt.append(self.tag_n[lo:hi])
        rows, inverse = np.unique(np.concatenate(src), return_inverse=True)
        touches = np.bincount(inverse, weights=np.concatenate(cnt), minlength=len(rows))
        keep = (rows != brand_row) & (touches > 0)
        return rows[keep].astype(np.int32), touches[keep]


def audience_from_table(n: int, table: pa.Table) -> Graph:
    """The audience graph (row ``u`` lists ``u``'s followers) from an ``audience`` run table of ``n`` accounts."""
    from nichegraph.engine.influence import audience_graph  # numba: only when a plan needs the audience

    return audience_graph(_ints(table, "follower"), _ints(table, "account"), n_nodes=n)
