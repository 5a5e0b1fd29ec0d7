"""Mutual ties: pairs of accounts that follow each other or both interact with the other.

``mutual_ties`` returns, per account, its strongest mutual ties as an edge
list sorted by account, then strength (descending), then mutual follow, then
the other account's index, keeping at most ``per_node`` ties per account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._jit import kernel, prange, serial_or_parallel
from ._sort import stable_argsort
from .errors import GraphInputError
from .graph import Graph
from .pairs import find_in_row, pair_csr


@dataclass(frozen=True)
class MutualTies:
    """Mutual ties as an edge list, grouped by ``account`` (ascending).

    Attributes
    ----------
    account, other : ndarray of int32, shape (m,)
        The two accounts of each tie; every tie appears once per side.
    strength : ndarray of float64, shape (m,)
        ``min(w(account -> other), w(other -> account))`` over interaction weights
        (0 for a follow-only tie).
    mutual_follow : ndarray of bool, shape (m,)
        Whether the two accounts follow each other.
    """

    account: np.ndarray
    other: np.ndarray
    strength: np.ndarray
    mutual_follow: np.ndarray

    def top(self, per_node: int) -> MutualTies:
        """The first ``per_node`` ties of every account (what ``mutual_ties(..., per_node=per_node)`` returns)."""
        starts = np.flatnonzero(np.diff(self.account, prepend=-1)) if self.account.size else np.zeros(0, np.int64)
        rank = np.arange(self.account.size) - np.repeat(starts, np.diff(np.append(starts, self.account.size)))
        keep = rank < per_node
        return MutualTies(self.account[keep], self.other[keep], self.strength[keep], self.mutual_follow[keep])


@serial_or_parallel
def _ties(f_ptr, f_idx, i_ptr, i_idx, i_w, per_node):  # pragma: no cover - compiled
    """Every account's mutual ties from its follow row and its interaction row, ordered and cut to ``per_node``.

    Account ``u`` fills its own slots ``f_ptr[u] + i_ptr[u]`` onwards (it has at most as many ties as
    follows plus interaction partners), so accounts are independent; a second pass packs the kept ties.
    """
    n = f_ptr.shape[0] - 1
    cap = f_idx.shape[0] + i_idx.shape[0]
    account = np.empty(cap, dtype=np.int32)
    other = np.empty(cap, dtype=np.int32)
    strength = np.empty(cap, dtype=np.float64)
    follow = np.empty(cap, dtype=np.bool_)
    kept = np.zeros(n + 1, dtype=np.int64)
    for u in prange(n):
        row = f_ptr[u] + i_ptr[u]
        t = row
        p, pe = f_ptr[u], f_ptr[u + 1]
        q, qe = i_ptr[u], i_ptr[u + 1]
        while p < pe or q < qe:  # merge the two rows, ascending by the other account
            if q >= qe or (p < pe and f_idx[p] < i_idx[q]):
                v, in_f, in_i = f_idx[p], True, False
                p += 1
            elif p >= pe or i_idx[q] < f_idx[p]:
                v, in_f, in_i = i_idx[q], False, True
                q += 1
            else:
                v, in_f, in_i = f_idx[p], True, True
                p += 1
                q += 1
            mf = in_f and find_in_row(f_ptr, f_idx, v, u) >= 0
            s = 0.0
            mi = False
            if in_i:
                back = find_in_row(i_ptr, i_idx, v, u)
                if back >= 0:
                    mi = True
                    s = min(i_w[q - 1], i_w[back])
            if mf or mi:
                account[t] = u
                other[t] = v
                strength[t] = s
                follow[t] = mf
                t += 1
        in_order = True  # rows are mostly in order already (all follow-only ties, say): check before sorting
        for k in range(row + 1, t):
            if strength[k] > strength[k - 1] or (strength[k] == strength[k - 1] and follow[k] and not follow[k - 1]):
                in_order = False
                break
        if not in_order:  # by strength (descending), then mutual follows first, then the other account (stable)
            _sort_row(other, strength, follow, np.int64(row), np.int64(t))
        kept[u + 1] = min(t - row, per_node)
    for u in range(n):
        kept[u + 1] += kept[u]
    total = kept[n]
    out_account = np.empty(total, dtype=np.int32)
    out_other = np.empty(total, dtype=np.int32)
    out_strength = np.empty(total, dtype=np.float64)
    out_follow = np.empty(total, dtype=np.bool_)
    for u in prange(n):
        row = f_ptr[u] + i_ptr[u]
        for k in range(kept[u + 1] - kept[u]):
            out_account[kept[u] + k] = account[row + k]
            out_other[kept[u] + k] = other[row + k]
            out_strength[kept[u] + k] = strength[row + k]
            out_follow[kept[u] + k] = follow[row + k]
    return out_account, out_other, out_strength, out_follow


@kernel
def _sort_row(other, strength, follow, row, end):  # pragma: no cover - compiled
    """Order ``[row, end)`` of the three arrays by strength (descending), mutual follows first, then
    as they stand (two stable sorts; plain loops, which compile far faster than fancy indexing)."""
    m = end - row
    not_follow = np.empty(m, dtype=np.int32)
    for k in range(m):
        not_follow[k] = 0 if follow[row + k] else 1
    by_follow = stable_argsort(not_follow)
    neg = np.empty(m, dtype=np.float64)
    for k in range(m):
        neg[k] = -strength[row + by_follow[k]]
    by_strength = stable_argsort(neg)
    o = np.empty(m, dtype=np.int32)
    s = np.empty(m, dtype=np.float64)
    f = np.empty(m, dtype=np.bool_)
    for k in range(m):
        src = row + by_follow[by_strength[k]]
        o[k] = other[src]
        s[k] = strength[src]
        f[k] = follow[src]
    for k in range(m):
        other[row + k] = o[k]
        strength[row + k] = s[k]
        follow[row + k] = f[k]


def mutual_ties(
    n: int,
    follow_src,
    follow_dst,
    interaction_src,
    interaction_dst,
    interaction_weight,
    *,
    per_node: int = 20,
    follows: Graph | None = None,
) -> MutualTies:
    """The strongest ``per_node`` mutual ties of every account.

    Parameters
    ----------
    n : int
        Number of accounts (indices are ``0..n-1``).
    follow_src, follow_dst : array_like of int, shape (f,)
        Follower and followee of every follow.
    interaction_src, interaction_dst : array_like of int, shape (i,)
        Source and target of every interaction event.
    interaction_weight : array_like of float, shape (i,)
        Weight of every event (summed per ordered pair, in event order).
    per_node : int, default 20
        Ties kept per account.
    follows : Graph, optional
        The follow graph of ``follow_src -> follow_dst`` with repeats merged and self-follows dropped
        (``from_edges(follow_src, follow_dst, n_nodes=n, self_loops="drop")``), when the caller has it:
        its rows are the distinct follows, so they are not grouped again.

    Returns
    -------
    MutualTies

    Examples
    --------
    >>> t = mutual_ties(3, [0, 1], [1, 0], [0, 2, 2, 0], [2, 0, 0, 1], [1.0, 1.0, 1.0, 1.0])
    >>> t.account.tolist(), t.other.tolist(), t.strength.tolist(), t.mutual_follow.tolist()
    ([0, 0, 1, 2], [2, 1, 0, 0], [1.0, 0.0, 0.0, 1.0], [False, True, True, False])
    """
    n = int(n)
    if follows is None:
        f = pair_csr(n, follow_src, follow_dst, drop_self=True)
        f_ptr, f_idx = f.indptr, f.indices
    else:
        if not follows.directed or follows.n_nodes != n:
            raise GraphInputError(f"follows must be the directed follow graph of the {n} accounts.")
        f_ptr, f_idx = follows.indptr, follows.indices
    talks = pair_csr(n, interaction_src, interaction_dst, interaction_weight, drop_self=True)
    ties = _ties.pick(f_idx.shape[0] + talks.indices.shape[0])
    return MutualTies(*ties(f_ptr, f_idx, talks.indptr, talks.indices, talks.weight, max(int(per_node), 0)))
