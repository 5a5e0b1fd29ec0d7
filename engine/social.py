"""Social versus parasocial attention: is the relationship returned?

A *social* tie is one the account returns; a *parasocial* one is one-sided
(the audience attends to the account, the account does not attend back).
Three per-account measures and their group aggregates:

* :func:`social_ratio` -- share of inbound interaction events whose source the
  account interacts with in return (optionally within a time window).
* :func:`follow_back_ratio` -- share of the account's followers it follows back.
* :func:`asymmetry` -- inbound versus outbound attention, in [-1, 1].
* :func:`aggregate_by_group` -- per group (tier, community) counts, mean,
  median and pooled ratio.

Undefined ratios (no inbound events, no followers, no attention) are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._jit import kernel
from ._sort import stable_argsort
from .degree import mutual_counts
from .errors import GraphInputError
from .graph import Graph, index_pairs
from .pairs import pair_order


@dataclass(frozen=True)
class SocialRatio:
    """Result of :func:`social_ratio`; arrays of float64, shape (n_nodes,).

    Attributes
    ----------
    ratio : reciprocated / inbound, NaN where ``inbound == 0``.
    reciprocated : weight of inbound events returned by the account.
    inbound : weight of all inbound events (self-interactions excluded).
    partners : int64, distinct other accounts with an inbound event (what
        :func:`engine.evidence.distinct_inbound` counts; found in the same scan).
    """

    ratio: np.ndarray
    reciprocated: np.ndarray
    inbound: np.ndarray
    partners: np.ndarray


@kernel
def _canonical_groups(order, sorted_key, ts):
    """Inside each run of equal pair keys (event indices ascending, as :func:`engine.pairs.pair_order`
    gives them), order events by (time, event index): a stable sort by time where the run is not in time
    order already."""
    m = order.shape[0]
    a = 0
    while a < m:
        b = a + 1
        in_time = True
        while b < m and sorted_key[b] == sorted_key[a]:
            if ts[order[b]] < ts[order[b - 1]]:
                in_time = False
            b += 1
        if not in_time:
            sub = order[a:b].copy()
            by_time = stable_argsort(ts[sub])
            for j in range(b - a):
                order[a + j] = sub[by_time[j]]
        a = b


@kernel
def _returned_within(order, src, ts, a0, first, stop, step, window, ok):
    """One pass over a pair's events ``order[first:stop:step]`` (sorted by time; ``step`` 1 forwards, -1
    backwards): set ``ok[k]`` where the nearest event before it in the pass, in the opposite direction,
    lies within ``window`` of it.  Events with ``ts < 0`` neither match nor count as partners."""
    seen0 = -1  # time of the last event from a0 in this pass, -1 before any
    seen1 = -1  # ... from the other account
    for k in range(first, stop, step):
        e = order[k]
        t = ts[e]
        if t < 0:
            continue
        d0 = src[e] == a0
        other = seen1 if d0 else seen0
        if other >= 0 and abs(t - other) <= window:
            ok[k] = True
        if d0:
            seen0 = t
        else:
            seen1 = t


@kernel
def _reciprocated(src, dst, ts, w, order, window, use_window):
    """Scan events sorted by (unordered pair, time); see :func:`social_ratio`.

    For every event the nearest earlier and later event of the same pair in the
    opposite direction are found in two linear passes (timestamps < 0 never
    act as partners within a window).  Each pair also adds one partner to each
    account it holds an event towards.
    """
    m = order.shape[0]
    n_out = 0
    for i in range(src.shape[0]):
        if src[i] + 1 > n_out:
            n_out = src[i] + 1
        if dst[i] + 1 > n_out:
            n_out = dst[i] + 1
    rec = np.zeros(n_out)
    inb = np.zeros(n_out)
    partners = np.zeros(n_out, dtype=np.int64)
    ok = np.zeros(m, dtype=np.bool_)
    start = 0
    while start < m:
        e0 = order[start]
        a0 = min(src[e0], dst[e0])
        b0 = max(src[e0], dst[e0])
        end = start + 1
        while end < m:
            e = order[end]
            if min(src[e], dst[e]) != a0 or max(src[e], dst[e]) != b0:
                break
            end += 1
        # group [start, end): one unordered pair {a0, b0}, sorted by time
        has0 = False  # an event a0 -> b0
        has1 = False  # an event b0 -> a0
        for k in range(start, end):
            if src[order[k]] == a0:
                has0 = True
            else:
                has1 = True
        partners[b0] += 1 if has0 else 0
        partners[a0] += 1 if has1 else 0
        if not use_window:
            for k in range(start, end):
                ok[k] = has0 and has1
        else:
            _returned_within(order, src, ts, a0, start, end, 1, window, ok)  # an earlier return
            _returned_within(order, src, ts, a0, end - 1, start - 1, -1, window, ok)  # a later one
        start = end
    for k in range(m):
        e = order[k]
        v = dst[e]
        inb[v] += w[e]
        if ok[k]:
            rec[v] += w[e]
    return rec, inb, partners


def social_ratio(
    n_nodes: int,
    src,
    dst,
    *,
    ts=None,
    weight=None,
    window: float | None = None,
) -> SocialRatio:
    r"""Share of inbound interactions that come from partners the account answers.

    .. math:: \mathrm{social}_v = \frac{\sum_{e = (u \to v), u \ne v} c_e \, R(e)}
                                       {\sum_{e = (u \to v), u \ne v} c_e}

    where :math:`c_e` is the event weight and :math:`R(e) = 1` when ``v`` has
    at least one interaction towards ``u`` (any kind, any time), or, with
    ``window`` set, at least one at a time :math:`t'` with
    :math:`|t' - t_e| \le` ``window``.  Events without a timestamp (``ts < 0``)
    never count as reciprocated within a window.

    Parameters
    ----------
    n_nodes : int
    src, dst : array_like of int, shape (i,)
        Source and target of each interaction event.
    ts : array_like of int64, shape (i,), optional
        Event time in seconds, ``-1`` where unknown (needed with ``window``).
    weight : array_like of float, shape (i,), optional
        Event weight (count); default 1.
    window : float, optional
        Maximum time between an event and its return, in seconds.

    Returns
    -------
    SocialRatio

    Examples
    --------
    >>> r = social_ratio(3, [0, 1, 2, 2], [1, 0, 1, 1])
    >>> r.ratio.tolist()[:2], r.inbound.tolist()
    ([1.0, 0.3333333333333333], [1.0, 3.0, 0.0])
    """
    s, d = index_pairs(n_nodes, src, dst, what="interaction", dtype=np.int32)
    w = np.ones(s.shape[0]) if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
    if w.shape != s.shape:
        raise GraphInputError("weight must have one value per interaction.")
    if window is not None:
        if ts is None:
            raise GraphInputError("a time window needs event timestamps (ts).")
        if window < 0:
            raise GraphInputError(f"window must be >= 0 seconds; got {window}.")
    t = np.full(s.shape[0], -1, dtype=np.int64) if ts is None else np.ascontiguousarray(ts, dtype=np.int64)
    if t.shape != s.shape:
        raise GraphInputError("ts must have one value per interaction.")
    keep = np.flatnonzero(s != d)  # self-interactions are neither inbound nor returned
    lo, hi = np.minimum(s, d), np.maximum(s, d)
    order = pair_order(n_nodes, hi, lo, keep)  # grouped by unordered pair; each group put in canonical order below
    if order.size:
        _canonical_groups(order, hi[order].astype(np.int64) * n_nodes + lo[order], t)
    del lo, hi
    rec = np.zeros(n_nodes)
    inb = np.zeros(n_nodes)
    partners = np.zeros(n_nodes, dtype=np.int64)
    if order.size:
        r, i, c = _reciprocated(
            s, d, t, w, order.astype(np.int64), np.int64(0 if window is None else int(window)), window is not None
        )
        rec[: r.shape[0]] = r
        inb[: i.shape[0]] = i
        partners[: c.shape[0]] = c
    ratio = np.where(inb > 0, rec / np.where(inb > 0, inb, 1.0), np.nan)
    return SocialRatio(ratio, rec, inb, partners)


def follow_back_ratio(follows: Graph, transposed: Graph | None = None) -> np.ndarray:
    r"""Share of an account's followers that it follows back, float64 of shape (n_nodes,).

    .. math:: \mathrm{fb}_v = \frac{|\{u \ne v: u \to v, v \to u\}|}{|\{u \ne v: u \to v\}|}

    ``follows`` is the directed follow graph (follower -> followee); NaN for
    accounts without followers.  ``transposed``: its transpose when the caller
    has it (:func:`engine.degree.mutual_counts`).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> follow_back_ratio(from_edges([0, 1, 2], [1, 0, 1])).tolist()
    [1.0, 0.5, nan]
    """
    returned, _, followers = mutual_counts(follows, transposed)
    return np.where(followers > 0, returned / np.where(followers > 0, followers, 1), np.nan)


def asymmetry(g: Graph) -> np.ndarray:
    r"""Attention asymmetry :math:`(a^{in}_v - a^{out}_v) / (a^{in}_v + a^{out}_v)`, float64 (n_nodes,).

    :math:`a^{in}` and :math:`a^{out}` are the weighted in- and out-strength on
    the attention graph ``g`` (self-loops ignored).  +1: only receives
    attention (purely parasocial audience), -1: only gives, 0: balanced.  NaN
    without any attention.

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> asymmetry(from_edges([0, 1, 2], [1, 0, 1], n_nodes=4)).tolist()
    [0.0, 0.3333333333333333, -1.0, nan]
    """
    n = g.n_nodes
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
    keep = src != g.indices
    w = g.weights[keep]
    a_out = np.bincount(src[keep], weights=w, minlength=n)
    a_in = np.bincount(g.indices[keep], weights=w, minlength=n)
    tot = a_in + a_out
    return np.where(tot > 0, (a_in - a_out) / np.where(tot > 0, tot, 1.0), np.nan)


@dataclass(frozen=True)
class GroupAggregate:
    """Per-group summary of a per-account ratio (arrays indexed like ``groups``).

    ``groups`` the group labels (sorted), ``n`` accounts per group, ``n_defined``
    accounts with a defined (non-NaN) value, ``mean`` and ``median`` of the
    defined values (NaN if none), ``pooled`` = sum(numerator) / sum(denominator)
    over the group (NaN when no numerator/denominator were given or the
    denominator is 0).
    """

    groups: np.ndarray
    n: np.ndarray
    n_defined: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    pooled: np.ndarray

    def rows(self) -> list[dict]:
        """One dict per group."""
        return [
            {
                "group": g.item() if hasattr(g, "item") else g,
                "n": int(a),
                "n_defined": int(b),
                "mean": float(c),
                "median": float(d),
                "pooled": float(e),
            }
            for g, a, b, c, d, e in zip(self.groups, self.n, self.n_defined, self.mean, self.median, self.pooled)
        ]


def aggregate_by_group(values, groups, *, numerator=None, denominator=None) -> GroupAggregate:
    """Aggregate a per-account ratio by group (tier, community, ...).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Per-account ratio, NaN where undefined.
    groups : array_like, shape (n,)
        Group label of every account.
    numerator, denominator : array_like of float, shape (n,), optional
        The ratio's parts, for the pooled ratio (e.g. ``SocialRatio.reciprocated``
        and ``.inbound``).
    """
    v = np.asarray(values, dtype=np.float64)
    gr = np.asarray(groups)
    if gr.shape != v.shape:
        raise GraphInputError("groups must have one label per value.")
    labels, inv = np.unique(gr, return_inverse=True)
    inv = inv.reshape(-1)
    k = labels.shape[0]
    n = np.bincount(inv, minlength=k)
    ok = ~np.isnan(v)
    nd = np.bincount(inv[ok], minlength=k)
    mean = np.full(k, np.nan)
    med = np.full(k, np.nan)
    for j in range(k):
        vals = v[ok & (inv == j)]
        if vals.size:
            mean[j] = vals.mean()
            med[j] = np.median(vals)
    pooled = np.full(k, np.nan)
    if numerator is not None and denominator is not None:
        num = np.bincount(inv, weights=np.asarray(numerator, dtype=np.float64), minlength=k)
        den = np.bincount(inv, weights=np.asarray(denominator, dtype=np.float64), minlength=k)
        pooled = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return GroupAggregate(labels, n, nd, mean, med, pooled)
