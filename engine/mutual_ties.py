"""Mutual ties: pairs of accounts that follow each other or both interact with the other.

``mutual_ties`` returns, per account, its strongest mutual ties as an edge
list sorted by account, then strength (descending), then mutual follow, then
the other account's index, keeping at most ``per_node`` ties per account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


def _pair_weights(n: int, src, dst, weight) -> tuple[np.ndarray, np.ndarray]:
    """Distinct directed pairs ``src * n + dst`` (self pairs dropped, sorted int64) and their summed weights."""
    src = np.asarray(src, np.int64)
    dst = np.asarray(dst, np.int64)
    keep = src != dst
    key = src[keep] * n + dst[keep]
    w = np.ones(len(key)) if weight is None else np.asarray(weight, np.float64)[keep]
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq, np.bincount(inv, weights=w, minlength=len(uniq))


def mutual_ties(
    n: int, follow_src, follow_dst, interaction_src, interaction_dst, interaction_weight, *, per_node: int = 20
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
        Weight of every event (summed per ordered pair).
    per_node : int, default 20
        Ties kept per account.

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
    fk, _ = _pair_weights(n, follow_src, follow_dst, None)
    ik, iw = _pair_weights(n, interaction_src, interaction_dst, interaction_weight)
    f_mut = fk[np.isin((fk % n) * n + fk // n, fk, assume_unique=True)] if n else fk
    if len(ik):
        rev = (ik % n) * n + ik // n
        pos = np.minimum(np.searchsorted(ik, rev), len(ik) - 1)
        has = ik[pos] == rev
        i_mut = ik[has]
        i_str = np.minimum(iw[has], iw[pos[has]])
    else:
        i_mut, i_str = ik, iw
    keys = np.union1d(f_mut, i_mut)
    strength = np.zeros(len(keys))
    strength[np.searchsorted(keys, i_mut)] = i_str
    follow = np.isin(keys, f_mut, assume_unique=True)
    u, v = keys // max(n, 1), keys % max(n, 1)
    order = np.lexsort((v, ~follow, -strength, u))
    u, v, strength, follow = u[order], v[order], strength[order], follow[order]
    counts = np.bincount(u, minlength=n)
    start = np.concatenate([[0], np.cumsum(counts)])[:-1]
    rank_in_account = np.arange(len(u)) - start[u] if len(u) else np.zeros(0, np.int64)
    keep = rank_in_account < per_node
    return MutualTies(u[keep].astype(np.int32), v[keep].astype(np.int32), strength[keep], follow[keep])
