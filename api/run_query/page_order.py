"""Walking a numeric column's sort order: binary searches, the cursor position, partial top-k.

A sequence is a column's ascending order ``(value, idx)`` or descending order
``(-value, idx)``; rows whose value is null come last in both, by ``idx``.
"""

from __future__ import annotations

import math

import numpy as np

from .columns import NumericColumn


def bisect_value(num: NumericColumn, x: float, *, left: bool) -> int:
    """Position in ``num.order`` of the first valid value ``>= x`` (left) or ``> x`` (right)."""
    lo, hi = 0, num.n_valid
    if x == -math.inf:
        return 0
    if x == math.inf:
        return num.n_valid
    vals, order = num.values, num.order
    while lo < hi:
        mid = (lo + hi) // 2
        v = vals[order[mid]]
        if v < x or (not left and v == x):
            lo = mid + 1
        else:
            hi = mid
    return lo


def positions(num: NumericColumn, desc: bool, a: int, b: int) -> np.ndarray:
    """Rows at positions [a, b) of the ascending or descending order."""
    return (num.order_desc if desc else num.order)[a:b]


def comes_after(num: NumericColumn, desc: bool, row: int, after: tuple[float, int]) -> bool:
    """Whether ``row`` comes after the cursor position in the sequence."""
    cv, ci = after
    v = num.values[row]
    if math.isnan(cv):
        return bool(math.isnan(v) and row > ci)
    if math.isnan(v):
        return True
    if desc:
        return bool(v < cv or (v == cv and row > ci))
    return bool(v > cv or (v == cv and row > ci))


def start_after(num: NumericColumn, desc: bool, after: tuple[float, int]) -> int:
    """First position of the sort order after the cursor (binary search, O(log n))."""
    lo, hi = 0, len(num.order)
    while lo < hi:
        mid = (lo + hi) // 2
        row = int(positions(num, desc, mid, mid + 1)[0])
        if comes_after(num, desc, row, after):
            hi = mid
        else:
            lo = mid + 1
    return lo


def top_k(num: NumericColumn, cands: np.ndarray, desc: bool, k: int, after) -> np.ndarray:
    """The first ``k`` candidates in the sequence order, after the cursor."""
    cands = cands.astype(np.int32, copy=False)
    v = num.values[cands]
    if after is not None:
        cv, ci = after
        if math.isnan(cv):
            keep = np.isnan(v) & (cands > ci)
        elif desc:
            keep = np.isnan(v) | (v < cv) | ((v == cv) & (cands > ci))
        else:
            keep = np.isnan(v) | (v > cv) | ((v == cv) & (cands > ci))
        cands, v = cands[keep], v[keep]
    nan = np.isnan(v)
    valid, vv = cands[~nan], v[~nan]
    key = -vv if desc else vv
    tie = valid
    if len(valid) > 4 * k:
        kth = np.partition(key, k - 1)[k - 1]
        sel = key <= kth
        valid, key, tie = valid[sel], key[sel], tie[sel]
    first = valid[np.lexsort((tie, key))][:k]
    if len(first) < k:
        rest = np.sort(cands[nan])[: k - len(first)]
        first = np.concatenate([first, rest])
    return first
