r"""Engagement rate: how much of its audience an account's posts move, with the evidence behind it.

The definitions follow what the platforms and the industry publish (docs/metrics.md):

* **by followers** (Instagram, TikTok and the influencer-marketing industry): a post's engagements
  (likes + replies + reposts + quotes, whatever the platform reports) divided by the author's
  followers, summarised per account by the **median** over its posts of a recent window;
* **by views** (X analytics "engagement rate", YouTube): engagements divided by the post's
  impressions / views, where the platform reports them, with the same median.

.. math::
    r_p = \frac{e_p}{F_{a(p)}}, \qquad
    \mathrm{ER}_a = \operatorname{median}\{ r_p : p \in W_a \}, \qquad
    \mathrm{ER}^{\mathrm{views}}_a = \operatorname{median}\{ e_p / V_p : p \in W_a, V_p > 0 \}

where :math:`W_a` are the account's posts in the window, :math:`F` its follower count and
:math:`V_p` a post's views.  A median over two posts says less than one over fifty, so the
ranked estimate is shrunk towards the peers' median :math:`m_g` (same tier) with the evidence
weight of :func:`engine.evidence.evidence_weight`:

.. math::
    \widetilde{\mathrm{ER}}_a = w_a\,\mathrm{ER}_a + (1 - w_a)\, m_{g(a)}, \qquad w_a = \frac{n_a}{n_a + h}

with :math:`n_a = |W_a|` and :math:`h` posts at which own median and peers weigh the same.
Everything here takes and returns arrays; undefined values are NaN (stored as NULL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._jit import kernel
from .errors import GraphInputError
from .evidence import evidence_weight

#: Below this many values :func:`grouped_quantiles` sorts in numpy (milliseconds) instead of calling
#: its kernel, whose compilation on a first run costs far more; above it the kernel is faster.
NUMPY_QUANTILES_BELOW = 20_000

#: Quartiles reported for benchmarks: first quartile, median, third quartile.
QUARTILES: tuple[float, float, float] = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class GroupQuantiles:
    """Result of :func:`grouped_quantiles`.

    ``values`` float64 (n_groups, len(qs)): the quantiles of each group's values (NaN for a group
    without any); ``count`` int64 (n_groups,): the non-NaN values of each group.
    """

    values: np.ndarray
    count: np.ndarray


def grouped_quantiles(values, groups, n_groups: int, qs=QUARTILES) -> GroupQuantiles:
    """Quantiles of ``values`` within each group, NaN values left out (numpy's ``linear`` method).

    Parameters
    ----------
    values : array_like of float, shape (m,)
    groups : array_like of int, shape (m,)
        Group of each value, in ``0..n_groups-1``.
    n_groups : int
    qs : sequence of float in [0, 1]

    Returns
    -------
    GroupQuantiles
        Equal to ``np.nanquantile(values[groups == g], qs)`` for every group ``g`` (NaN when empty).

    Examples
    --------
    >>> r = grouped_quantiles([1.0, 3.0, 2.0, 10.0, np.nan], [0, 0, 0, 1, 1], 3, qs=(0.5,))
    >>> r.values[:, 0].tolist(), r.count.tolist()
    ([2.0, 10.0, nan], [3, 1, 0])
    """
    v = np.asarray(values, dtype=np.float64)
    g = np.asarray(groups, dtype=np.int64)
    q = np.asarray(qs, dtype=np.float64)
    if v.shape != g.shape or v.ndim != 1:
        raise GraphInputError(f"values and groups must be 1-d arrays of one length; got {v.shape} and {g.shape}.")
    if g.size and (g.min() < 0 or g.max() >= n_groups):
        raise GraphInputError(f"groups must lie in 0..{n_groups - 1}.")
    if q.size and (q.min() < 0 or q.max() > 1):
        raise GraphInputError("quantiles must lie in [0, 1].")
    ok = ~np.isnan(v)
    v, g = np.ascontiguousarray(v[ok]), np.ascontiguousarray(g[ok])
    quantiles = _group_quantiles if v.shape[0] >= NUMPY_QUANTILES_BELOW else _group_quantiles_numpy
    out, count = quantiles(v, g, int(n_groups), q)
    return GroupQuantiles(out, count)


def _group_quantiles_numpy(v, g, n_groups, q):
    """:func:`_group_quantiles` in numpy, for inputs too small to repay compiling the kernel.

    Same operations on the same sorted values, so the same results: sort by value, then stably
    by group (each group's values in ascending order), and numpy's linear interpolation.
    """
    count = np.bincount(g, minlength=n_groups).astype(np.int64)
    out = np.full((n_groups, q.shape[0]), np.nan)
    if v.shape[0] == 0:
        return out, count
    by_value = np.argsort(v)
    sorted_v = v[by_value][np.argsort(g[by_value], kind="stable")]
    has = np.flatnonzero(count)
    c = count[has][:, None]
    start = (np.cumsum(count) - count)[has][:, None]
    pos = q[None, :] * (c - 1)
    lo = np.floor(pos).astype(np.int64)
    frac = pos - lo
    a, b = sorted_v[start + lo], sorted_v[start + np.minimum(lo + 1, c - 1)]
    diff = b - a
    with np.errstate(invalid="ignore"):  # both sides of the choice are evaluated
        out[has] = np.where(frac >= 0.5, b - diff * (1.0 - frac), a + diff * frac)  # numpy's _lerp
    return out, count


@kernel
def _group_quantiles(v, g, n_groups, q):  # pragma: no cover - compiled
    """Counting sort of ``v`` by group, a sort inside each group, numpy's linear interpolation."""
    count = np.zeros(n_groups, dtype=np.int64)
    for i in range(g.shape[0]):
        count[g[i]] += 1
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for k in range(n_groups):
        start[k + 1] = start[k] + count[k]
    fill = start[:-1].copy()
    buf = np.empty(v.shape[0], dtype=np.float64)
    for i in range(g.shape[0]):
        buf[fill[g[i]]] = v[i]
        fill[g[i]] += 1
    out = np.full((n_groups, q.shape[0]), np.nan)
    for k in range(n_groups):
        c = count[k]
        if c == 0:
            continue
        s = start[k]
        part = buf[s : s + c]
        part.sort()  # in place: no array per group
        for j in range(q.shape[0]):
            pos = q[j] * (c - 1)
            lo = int(np.floor(pos))
            hi = min(lo + 1, c - 1)
            frac = pos - lo
            a, b = part[lo], part[hi]
            diff = b - a
            out[k, j] = b - diff * (1.0 - frac) if frac >= 0.5 else a + diff * frac  # numpy's _lerp
    return out, count


@dataclass(frozen=True)
class PostRates:
    """Result of :func:`post_rates`; arrays of shape (n_accounts,).

    ``by_followers`` median over the window's posts with engagements of engagements / followers
    (NaN without such a post or without a positive follower count); ``by_views`` median of
    engagements / views over the posts with views; ``posts`` int64 the posts behind
    ``by_followers``; ``posts_with_views`` int64 those behind ``by_views``.
    """

    by_followers: np.ndarray
    by_views: np.ndarray
    posts: np.ndarray
    posts_with_views: np.ndarray


def post_rates(n_accounts: int, author, engagements, followers, *, views=None, in_window=None) -> PostRates:
    """Per-account median engagement rate of posts, by followers and by views (module docstring).

    Parameters
    ----------
    n_accounts : int
    author : array_like of int, shape (p,)
        Author index of each post.
    engagements : array_like of float, shape (p,)
        Engagements of each post (likes + replies + reposts + quotes); NaN where the platform
        reported none (the post then counts for neither rate).
    followers : array_like of float, shape (n_accounts,)
        Follower count per account; NaN where unknown.
    views : array_like of float, shape (p,), optional
        Views / impressions of each post; NaN where not reported.
    in_window : array_like of bool, shape (p,), optional
        Posts inside the recent window (default: all).

    Examples
    --------
    >>> r = post_rates(2, [0, 0, 0, 1], [10.0, 30.0, 20.0, 5.0], [100.0, np.nan], views=[100.0, np.nan, 400.0, 50.0])
    >>> r.by_followers.tolist(), r.posts.tolist(), r.by_views.round(4).tolist()
    ([0.2, nan], [3, 0], [0.075, 0.1])
    """
    a = np.asarray(author, dtype=np.int64)
    e = np.asarray(engagements, dtype=np.float64)
    f = np.asarray(followers, dtype=np.float64)
    if a.shape != e.shape or a.ndim != 1:
        raise GraphInputError(f"author and engagements must be 1-d arrays of one length; got {a.shape} and {e.shape}.")
    if f.shape != (n_accounts,):
        raise GraphInputError(f"followers must have one value per account ({n_accounts}); got shape {f.shape}.")
    if a.size and (a.min() < 0 or a.max() >= n_accounts):
        raise GraphInputError(f"authors must be account indices in 0..{n_accounts - 1}.")
    if np.any(e < 0) or np.any(f < 0):
        raise GraphInputError("engagements and followers must be >= 0 (NaN where unknown).")
    keep = np.ones(a.shape, dtype=bool) if in_window is None else np.asarray(in_window, dtype=bool)
    if keep.shape != a.shape:
        raise GraphInputError("in_window must have one value per post.")
    fa = f[a] if a.size else np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_f = np.where(keep & (fa > 0), e / np.where(fa > 0, fa, 1.0), np.nan)
    med = grouped_quantiles(by_f, a, n_accounts, qs=(0.5,))
    if views is None:
        by_v = np.full(a.shape, np.nan)
    else:
        v = np.asarray(views, dtype=np.float64)
        if v.shape != a.shape:
            raise GraphInputError("views must have one value per post.")
        with np.errstate(divide="ignore", invalid="ignore"):
            by_v = np.where(keep & (v > 0), e / np.where(v > 0, v, 1.0), np.nan)
    med_v = grouped_quantiles(by_v, a, n_accounts, qs=(0.5,))
    return PostRates(med.values[:, 0], med_v.values[:, 0], med.count, med_v.count)


def log_rate(engaged_events, posts, followers) -> np.ndarray:
    r"""Engagement rate from an interaction log: :math:`(E_a / P_a) / F_a`, float64 (n,).

    ``engaged_events`` inbound engagement events in the window, ``posts`` the account's posts in
    the window, ``followers`` its follower count.  A mean per post (a log rarely says which post
    an event answered); NaN without posts or without a positive follower count.

    Examples
    --------
    >>> log_rate([30, 5, 2], [3, 0, 2], [100.0, 50.0, np.nan]).tolist()
    [0.1, nan, nan]
    """
    e = np.asarray(engaged_events, dtype=np.float64)
    p = np.asarray(posts, dtype=np.float64)
    f = np.asarray(followers, dtype=np.float64)
    if not (e.shape == p.shape == f.shape) or e.ndim != 1:
        raise GraphInputError("engaged_events, posts and followers must be 1-d arrays of one length.")
    ok = (p > 0) & (f > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, e / np.where(ok, p * f, 1.0), np.nan)


def shrink_to_peers(rate, posts, peer_median, *, half: float) -> np.ndarray:
    r"""The rate pulled towards the peers' median by the evidence weight of its posts, float64 (n,).

    :math:`w\,r + (1 - w)\,m` with :math:`w = n / (n + h)`; NaN where the rate is NaN; the rate
    itself where the peer median is NaN (no peers to lean on).

    Examples
    --------
    >>> shrink_to_peers([0.5, 0.5, np.nan], [1, 99, 3], [0.1, 0.1, 0.1], half=1.0).round(4).tolist()
    [0.3, 0.496, nan]
    """
    r = np.asarray(rate, dtype=np.float64)
    n = np.asarray(posts, dtype=np.float64)
    m = np.asarray(peer_median, dtype=np.float64)
    if not (r.shape == n.shape == m.shape) or r.ndim != 1:
        raise GraphInputError("rate, posts and peer_median must be 1-d arrays of one length.")
    w = evidence_weight(n, half)
    return np.where(np.isnan(m), r, w * r + (1.0 - w) * m)


def peer_benchmarks(rate, group, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Each account's peer-group quartiles and peer count: ``(quartiles (n, 3), peers int64 (n,))``.

    ``group`` (n,) int in ``0..n_groups-1`` (-1 for an account in no group: NaN quartiles, 0 peers).
    Peers are the accounts of the group with a rate (the account itself included).
    """
    r = np.asarray(rate, dtype=np.float64)
    g = np.asarray(group, dtype=np.int64)
    if r.shape != g.shape or r.ndim != 1:
        raise GraphInputError("rate and group must be 1-d arrays of one length.")
    member = g >= 0
    q = grouped_quantiles(r[member], g[member], n_groups)
    quart = np.full((r.shape[0], len(QUARTILES)), np.nan)
    peers = np.zeros(r.shape[0], dtype=np.int64)
    quart[member] = q.values[g[member]]
    peers[member] = q.count[g[member]]
    return quart, peers
