r"""Bursts of followers in time: the most followers an account gained within any window.

Bought followers arrive together (a batch delivered within hours); organic
followers arrive spread over the account's life.  From the ``since`` time of
every follow, for each account :math:`v` with :math:`n_v` timed followers:

.. math::
    k_v = \max_t \left|\{u \to v : t \le \mathrm{since}_{uv} < t + W\}\right|, \qquad
    e_v = \max\left(\min(n_v, 1),\ \min\{k : P(\mathrm{Poisson}(\lambda_v) \le k) \ge 1 - W/S\}\right),
    \quad \lambda_v = n_v W / S

where :math:`W` is the window (default one day) and :math:`S` the time span of
all timed follows (latest minus earliest ``since``, plus :math:`W`): with
followers arriving evenly (a Poisson process of rate :math:`n_v / S`) a window
holds :math:`\mathrm{Poisson}(\lambda_v)` of them, and :math:`e_v` is the count
that only one of the :math:`S / W` windows is expected to exceed, the busiest
window of an even audience (at least 1: a single follower is its own peak).  The burst excess :math:`\max(0, k_v - e_v)` out of
:math:`n_v` is the share of the audience that arrived in one burst; the caller shrinks it (Beta prior) so a
small account whose 2 followers came on one day does not outrank one that
gained 300 in a day.  Follows without ``since`` (``-1``) are left out; an account
without timed followers has no burst signal (unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import kernel
from ..errors import GraphInputError
from ..pairs import key_order, sort_within_rows

DAY_S = 86_400


@dataclass(frozen=True)
class FollowerBursts:
    """Result of :func:`follower_bursts`; arrays of shape (n,).

    ``peak`` (int64) most followers within one window, ``peak_start`` (int64) Unix
    start of that window (-1 without timed followers), ``timed`` (int64) followers
    with a ``since``, ``expected`` (float64) :math:`e_v` (the busiest window of an even audience), ``excess`` (float64)
    :math:`\\max(0, k_v - e_v)`; ``window_s`` and ``span_s`` the :math:`W` and :math:`S` used.
    """

    peak: np.ndarray
    peak_start: np.ndarray
    timed: np.ndarray
    expected: np.ndarray
    excess: np.ndarray
    window_s: float
    span_s: float


@kernel
def _peak_windows(indptr, ts, window):  # pragma: no cover - compiled
    n = indptr.shape[0] - 1
    peak = np.zeros(n, dtype=np.int64)
    start = np.full(n, -1, dtype=np.int64)
    for v in range(n):
        lo, hi = indptr[v], indptr[v + 1]
        j = lo
        for i in range(lo, hi):  # window [ts[i], ts[i] + window): ts sorted within the row
            if j < i:
                j = i
            while j < hi and ts[j] < ts[i] + window:
                j += 1
            if j - i > peak[v]:
                peak[v] = j - i
                start[v] = ts[i]
    return peak, start


@kernel
def _poisson_quantile(lam, level):  # pragma: no cover - compiled
    """Smallest k with P(Poisson(lam[v]) <= k) >= level, for every v (float64 counts)."""
    out = np.zeros(lam.shape[0], dtype=np.float64)
    for v in range(lam.shape[0]):
        mu = lam[v]
        if mu <= 0.0:
            continue
        if mu > 500.0:  # normal approximation far from 0 (no underflow of exp(-mu))
            z = np.sqrt(-2.0 * np.log(max(1.0 - level, 1e-300)))
            z -= (2.515517 + 0.802853 * z + 0.010328 * z * z) / (
                1.0 + 1.432788 * z + 0.189269 * z * z + 0.001308 * z**3
            )
            out[v] = np.ceil(mu + z * np.sqrt(mu))
            continue
        pmf = np.exp(-mu)
        cdf = pmf
        k = 0
        while cdf < level and k < 100_000:
            k += 1
            pmf *= mu / k
            cdf += pmf
        out[v] = k
    return out


def even_peak(timed, window_s: float, span_s: float) -> np.ndarray:
    """:math:`e_v` of the module docstring for ``timed`` followers, float64 of its shape.

    Examples
    --------
    >>> even_peak([0, 1, 3, 1000], 1.0, 1000.0).tolist()
    [0.0, 1.0, 1.0, 5.0]
    """
    n = np.asarray(timed, dtype=np.float64)
    ratio = min(1.0, float(window_s) / float(span_s))
    q = _poisson_quantile(n * ratio, 1.0 - ratio if ratio < 1.0 else 1.0 - 1e-12)
    return np.maximum(q, np.minimum(n, 1.0))


def follower_bursts(n_nodes: int, follow_dst, follow_ts, *, window_s: float = DAY_S) -> FollowerBursts:
    """Peak followers per window for every account (module docstring).

    Parameters
    ----------
    n_nodes : int
    follow_dst : array_like of int, shape (f,)
        Followee of every follow.
    follow_ts : array_like of int, shape (f,)
        ``since`` in Unix seconds, ``-1`` where unknown.
    window_s : float, default one day
        Window :math:`W` in seconds (> 0).

    Examples
    --------
    >>> b = follower_bursts(2, [0, 0, 0, 1], [0, 10, 500, -1], window_s=100)
    >>> b.peak.tolist(), b.timed.tolist(), b.peak_start.tolist()
    ([2, 0], [3, 0], [0, -1])
    """
    d = np.asarray(follow_dst, dtype=np.int64)
    t = np.asarray(follow_ts, dtype=np.int64)
    if d.shape != t.shape or d.ndim != 1:
        raise GraphInputError(f"follow_dst and follow_ts must be 1-d of one length; got {d.shape} and {t.shape}.")
    if not window_s > 0:
        raise GraphInputError(f"window_s must be > 0; got {window_s}.")
    if d.size and (d.min() < 0 or d.max() >= n_nodes):
        raise GraphInputError(f"follow_dst must hold account indices in 0..{n_nodes - 1}.")
    keep = t >= 0
    d, t = d[keep], t[keep]
    timed = np.bincount(d, minlength=n_nodes).astype(np.int64)
    indptr = np.concatenate([[0], np.cumsum(timed)]).astype(np.int64)
    order = key_order(n_nodes, d)  # by followee (a counting sort), then by time within each followee
    sort_within_rows(order, indptr, t)
    t = t[order]
    del order
    w = int(np.ceil(window_s))
    if t.size:
        peak, start = _peak_windows(indptr, t, w)
    else:  # no timed follow (the kernel's answer for none, without compiling it on a first run)
        peak, start = np.zeros(n_nodes, dtype=np.int64), np.full(n_nodes, -1, dtype=np.int64)
    span = float(t.max() - t.min() + w) if t.size else float(w)
    expected = even_peak(timed, w, span) if span > w else timed.astype(np.float64)
    return FollowerBursts(peak, start, timed, expected, np.maximum(peak - expected, 0.0), float(w), span)
