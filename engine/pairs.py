r"""Events grouped by ordered pair of accounts, by counting sort instead of sorting int64 pair keys.

Several measures group events (follows, interactions) by the pair of accounts
they join: :math:`(a, b)` with ``a`` and ``b`` dense indices in ``0..n-1``.
Sorting the keys ``a * n + b`` costs :math:`O(m \log m)` and an int64 key per
event; two stable counting passes (by ``b``, then by ``a``) put the events in
the same order in :math:`O(m + n)`:

* :func:`key_order` -- events by one key (one counting pass);
* :func:`pair_order` -- the event order: by ``a``, then ``b``, then event index
  (what ``np.argsort(a * n + b, kind="stable")`` gives);
* :func:`pair_csr` -- the distinct pairs as CSR rows (row ``a``, sorted column
  ``b``) with each pair's events counted and their weights summed in event
  order (so every sum equals ``np.bincount`` over the pairs' keys, bit for bit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ._jit import kernel, prange, read_only, serial_or_parallel
from ._sort import stable_argsort


@kernel
def find_in_row(indptr, indices, row, col):  # pragma: no cover - compiled
    """Position of ``col`` in the sorted CSR row ``row``, or -1."""
    lo = indptr[row]
    hi = indptr[row + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < col:
            lo = mid + 1
        else:
            hi = mid
    if lo < indptr[row + 1] and indices[lo] == col:
        return lo
    return -1


@serial_or_parallel
def _counting_pass(keys, n_keys, order, n_chunks):  # pragma: no cover - compiled
    """``order`` stably re-sorted by ``keys[order]`` (keys in ``0..n_keys-1``).

    ``order`` is cut into ``n_chunks`` consecutive slices; each slice counts its keys (a row of
    ``start``), the exclusive prefix over (key, slice) gives every slice its own run inside each key's
    block, and each slice scatters its events there in its own order: the stable order whatever
    ``n_chunks`` is, so the slices can run on separate threads.
    """
    m = order.shape[0]
    start = np.zeros((n_chunks, n_keys), dtype=np.int64)
    for c in prange(n_chunks):
        for i in range(m * c // n_chunks, m * (c + 1) // n_chunks):
            start[c, keys[order[i]]] += 1
    total = 0
    for k in range(n_keys):
        for c in range(n_chunks):
            t = start[c, k]
            start[c, k] = total
            total += t
    out = np.empty(m, dtype=np.int64)
    for c in prange(n_chunks):
        for i in range(m * c // n_chunks, m * (c + 1) // n_chunks):
            e = order[i]
            k = keys[e]
            out[start[c, k]] = e
            start[c, k] += 1
    return out


def _chunks(m: int, n_keys: int) -> int:
    """Slices of a parallel counting pass over ``m`` events: one per thread, while the per-slice key
    counts (``n_keys`` int64 each) stay within the size of the output (``m`` int64)."""
    return max(1, min(numba.get_num_threads(), m // max(n_keys, 1)))


def key_order(n_keys: int, keys, events=None) -> np.ndarray:
    """Events ordered by ``keys`` (in ``0..n_keys-1``), then event index: one counting pass, int64 event indices.

    ``events`` (ascending int64 event indices, default all) restricts the order to those events.

    Examples
    --------
    >>> key_order(3, np.array([2, 0, 2, 1])).tolist()
    [1, 3, 0, 2]
    """
    e = np.arange(len(keys), dtype=np.int64) if events is None else np.ascontiguousarray(events, dtype=np.int64)
    if e.size == 0:
        return e
    run = _counting_pass.pick(e.shape[0])
    chunks = 1 if run is _counting_pass.serial else _chunks(e.shape[0], int(n_keys))
    return run(read_only(keys, np.int32), int(n_keys), e, chunks)


@serial_or_parallel
def _sort_rows(order, indptr, row_keys):  # pragma: no cover - compiled
    """Sort ``order`` within each row by ``row_keys`` (the keys already gathered in ``order``'s order);
    rows are independent."""
    for r in prange(indptr.shape[0] - 1):
        a, b = indptr[r], indptr[r + 1]
        if b - a > 1:
            by_key = stable_argsort(row_keys[a:b])  # contiguous keys: no scattered reads while sorting
            sub = order[a:b].copy()
            for j in range(b - a):
                order[a + j] = sub[by_key[j]]


def sort_within_rows(order, indptr, keys) -> None:
    """Stably sort each row ``order[indptr[r]:indptr[r + 1]]`` of event indices by ``keys`` of the events, in place.

    After :func:`key_order` by a row key (``indptr`` from the row counts), a sort by ``keys`` within rows is
    the order of ``np.lexsort((keys, rows))``; rows are short, so this is far cheaper than a global sort.

    Examples
    --------
    >>> order = key_order(2, np.array([1, 0, 1, 0]))
    >>> sort_within_rows(order, np.array([0, 2, 4]), np.array([9, 7, 3, 7]))
    >>> order.tolist()
    [1, 3, 2, 0]
    """
    row_keys = read_only(np.asarray(keys)[order], np.int64)
    _sort_rows.pick(order.shape[0])(order, np.ascontiguousarray(indptr, dtype=np.int64), row_keys)


def pair_order(n_nodes: int, a, b, events=None) -> np.ndarray:
    """Events ordered by ``a``, then ``b``, then event index (int64 event indices).

    Parameters
    ----------
    n_nodes : int
        ``a`` and ``b`` hold indices in ``0..n_nodes-1`` (not checked: callers validate).
    a, b : ndarray of int, shape (m,)
    events : ndarray of int64, optional
        Which events to order, ascending (default all ``0..m-1``).

    Examples
    --------
    >>> pair_order(3, np.array([2, 0, 2, 0]), np.array([1, 1, 0, 1])).tolist()
    [1, 3, 2, 0]
    """
    return key_order(n_nodes, a, key_order(n_nodes, b, events))


@dataclass(frozen=True)
class PairRows:
    """Distinct ordered pairs as CSR rows: pair ``(a, indices[k])`` for ``indptr[a] <= k < indptr[a + 1]``.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32, shape (p,)
        Second account of each pair, ascending within a row.
    weight : ndarray of float64, shape (p,)
        Summed event weights of the pair, added in event order (1 per event when no weights given).
    """

    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray

    def rows(self) -> np.ndarray:
        """First account of every pair, int32 of shape (p,)."""
        n = self.indptr.shape[0] - 1
        return np.repeat(np.arange(n, dtype=np.int32), np.diff(self.indptr))


@kernel
def _collapse(a, b, w, order, n, or_bits):  # pragma: no cover - compiled
    """Distinct (a, b) of events in pair order: CSR indptr, column and summed weight (``or_bits``: the
    bitwise OR of the integer weights instead of their sum)."""
    m = order.shape[0]
    cols = np.empty(m, dtype=np.int32)
    sums = np.zeros(m, dtype=np.float64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    p = -1
    last_a = -1
    last_b = -1
    for i in range(m):
        e = order[i]
        if a[e] != last_a or b[e] != last_b:
            p += 1
            last_a = a[e]
            last_b = b[e]
            cols[p] = last_b
            indptr[last_a + 1] += 1
        if or_bits:
            sums[p] = np.int64(sums[p]) | np.int64(w[e])
        else:
            sums[p] += w[e]
    for k in range(n):
        indptr[k + 1] += indptr[k]
    return indptr, cols[: p + 1].copy(), sums[: p + 1].copy()


def pair_csr(n_nodes: int, a, b, weight=None, *, drop_self: bool = False, keep=None, order=None) -> PairRows:
    """Distinct pairs ``(a, b)`` with their summed weights (:class:`PairRows`).

    Parameters
    ----------
    n_nodes : int
    a, b : ndarray of int, shape (m,)
        Indices in ``0..n_nodes-1`` (validated by the caller).
    weight : ndarray of float, shape (m,), optional
        Per-event weight (default 1: the sums count events).
    drop_self : bool, default False
        Leave out events with ``a == b``.
    keep : ndarray of bool, shape (m,), optional
        Only the events where it is True.
    order : ndarray of int64, optional
        ``pair_order(n_nodes, a, b)`` of every event when the caller has it (not computed again;
        ``drop_self`` and ``keep`` filter it).

    Examples
    --------
    >>> r = pair_csr(3, np.array([2, 0, 2, 0]), np.array([1, 1, 0, 1]), np.array([1.0, 2.0, 3.0, 4.0]))
    >>> r.indptr.tolist(), r.indices.tolist(), r.weight.tolist()
    ([0, 1, 1, 3], [1, 0, 1], [6.0, 3.0, 1.0])
    """
    a, b = read_only(a, np.int32), read_only(b, np.int32)
    w = read_only(np.ones(a.shape[0]) if weight is None else weight, np.float64)
    mask = None if keep is None else np.asarray(keep, dtype=bool)
    if drop_self:
        mask = a != b if mask is None else mask & (a != b)
    if order is None:
        order = pair_order(n_nodes, a, b, None if mask is None else np.flatnonzero(mask))
    elif mask is not None:
        order = order[mask[order]]  # a filtered pair order is the pair order of what it keeps
    if order.size == 0:
        return PairRows(np.zeros(int(n_nodes) + 1, np.int64), np.zeros(0, np.int32), np.zeros(0))
    indptr, cols, sums = _collapse(a, b, w, order, int(n_nodes), False)
    return PairRows(indptr, cols, sums)


def pair_directions(n_nodes: int, a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs of the arcs ``a -> b`` (self-arcs left out, repeats once) and which way they run.

    Returns ``(indptr int64 (n+1,), indices int32 (p,), both bool (p,))``: pair ``{u, v}`` with
    ``u = row < v = indices[k]``, and ``both[k]`` when arcs run both ways (a mutual follow), else one way.
    The pairs are those of ``pair_csr(n, min(a, b), max(a, b))`` over the distinct arcs, from one grouping.

    Examples
    --------
    >>> indptr, cols, both = pair_directions(3, np.array([0, 1, 2, 0, 2]), np.array([1, 0, 0, 1, 2]))
    >>> indptr.tolist(), cols.tolist(), both.tolist()
    ([0, 2, 2, 2], [1, 2], [True, False])
    """
    a, b = read_only(a, np.int32), read_only(b, np.int32)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    events = np.flatnonzero(a != b)
    order = pair_order(n_nodes, lo, hi, events)
    direction = np.where(a < b, 1.0, 2.0)  # bit 1: an arc lo -> hi, bit 2: an arc hi -> lo
    indptr, cols, bits = _collapse(lo, hi, direction, order, int(n_nodes), True)
    return indptr, cols, bits == 3.0


@kernel
def _collapse_by_time(order, a, b, ts, w):  # pragma: no cover - compiled
    """Rows (a, b, ts, summed w) of events in pair order, each pair's events by time (unknown, ts < 0, last)."""
    m = order.shape[0]
    out_a = np.empty(m, dtype=np.int32)
    out_b = np.empty(m, dtype=np.int32)
    out_t = np.empty(m, dtype=np.int64)
    out_w = np.zeros(m, dtype=np.float64)
    big = np.iinfo(np.int64).max
    r = -1
    i = 0
    while i < m:
        ai, bi = a[order[i]], b[order[i]]
        t0 = ts[order[i]]
        last = t0 if t0 >= 0 else big
        in_time = True  # most pairs' events come in time order already (one event, say): no sort then
        j = i + 1
        while j < m and a[order[j]] == ai and b[order[j]] == bi:
            t = ts[order[j]]
            t = t if t >= 0 else big
            if t < last:
                in_time = False
            last = t
            j += 1
        if in_time:
            for k in range(i, j):
                e = order[k]
                t = ts[e]
                t = t if t >= 0 else big
                if k == i or t != out_t[r]:
                    r += 1
                    out_a[r] = ai
                    out_b[r] = bi
                    out_t[r] = t
                out_w[r] += w[e]
            i = j
            continue
        sub = order[i:j]
        key = np.empty(j - i, dtype=np.int64)
        for k in range(j - i):
            t = ts[sub[k]]
            key[k] = t if t >= 0 else big
        by_time = stable_argsort(key)
        for k in range(j - i):
            e = sub[by_time[k]]
            t = key[by_time[k]]
            if k == 0 or t != out_t[r]:
                r += 1
                out_a[r] = a[e]
                out_b[r] = b[e]
                out_t[r] = t
            out_w[r] += w[e]
        i = j
    r += 1
    for k in range(r):
        if out_t[k] == big:
            out_t[k] = -1
    return out_a[:r].copy(), out_b[:r].copy(), out_t[:r].copy(), out_w[:r].copy()


def collapse_by_time(order, a, b, ts, weight) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(a, b, ts)`` of events in pair order (:func:`pair_order`) with their weights summed in event order.

    Parameters
    ----------
    order : ndarray of int64, shape (k,)
        Events grouped by pair (from :func:`pair_order`), index-ascending within a pair.
    a, b : ndarray of int, shape (m,)
    ts : ndarray of int64, shape (m,)
        Event times; every negative time is one "unknown" time.
    weight : ndarray of float64, shape (m,)

    Returns
    -------
    a, b (int32), ts (int64, -1 unknown), weight (float64) : arrays of shape (r,), ordered by pair, then
    time ascending with the unknown time last.

    Examples
    --------
    >>> a, b = np.array([0, 0, 0, 1]), np.array([1, 1, 1, 0])
    >>> ts, w = np.array([5, -1, 5, 3]), np.array([1.0, 2.0, 4.0, 8.0])
    >>> [x.tolist() for x in collapse_by_time(pair_order(2, a, b), a, b, ts, w)]
    [[0, 0, 1], [1, 1, 0], [5, -1, 3], [5.0, 2.0, 8.0]]
    """
    if len(order) == 0:  # no event: the kernel's answer, without compiling it on a first run
        return (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.float64))
    return _collapse_by_time(
        np.ascontiguousarray(order, dtype=np.int64),
        read_only(a, np.int32),
        read_only(b, np.int32),
        read_only(ts, np.int64),
        read_only(weight, np.float64),
    )
