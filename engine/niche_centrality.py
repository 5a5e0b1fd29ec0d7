"""Niche centrality: influence inside an account's own community.

Four measures, each computed per node from a graph and a community label per
node (any integers, e.g. from :func:`engine.leiden`):

* :func:`niche_pagerank` -- PageRank restricted to the community (only edges
  inside it, teleport and dangling mass kept inside it), scaled by community
  size so that the average member scores 1 in every community, and
  :func:`percentile_within` -- the percentile of a score among its community.
* :func:`within_module_z` and :func:`participation` -- the role measures of
  Guimera & Amaral (2005).
* :func:`niche_share` -- the share of a node's inbound attention that comes
  from its own community.

Row convention: :func:`within_module_z`, :func:`participation` and
:func:`niche_share` read the *rows* of ``g`` (a node's out-links).  For an
undirected graph this is Guimera & Amaral's definition; for inbound attention
pass ``g.transpose()`` (the metrics stage does).  Self-loops are ignored.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange, serial_or_parallel
from ._sequential import sequential_sum
from ._sort import stable_argsort
from .centrality import _BLOCK
from .errors import GraphInputError, NotConverged
from .graph import Graph, _row_sums
from .labels import check_labels
from .pagerank_push import _push, push_plan, take


def _dense_labels(c: np.ndarray) -> tuple[np.ndarray, int]:
    uniq, dense = np.unique(c, return_inverse=True)
    return dense.astype(np.int64).reshape(-1), int(uniq.shape[0])


@kernel
def _intra_filter(indptr, indices, weights, comm):
    """CSR of the edges whose endpoints share a community."""
    n = indptr.shape[0] - 1
    ptr = np.zeros(n + 1, dtype=np.int64)
    for u in range(n):
        k = 0
        for p in range(indptr[u], indptr[u + 1]):
            if comm[indices[p]] == comm[u]:
                k += 1
        ptr[u + 1] = ptr[u] + k
    idx = np.empty(ptr[n], dtype=np.int32)
    w = np.empty(ptr[n], dtype=np.float64)
    q = 0
    for u in range(n):
        for p in range(indptr[u], indptr[u + 1]):
            if comm[indices[p]] == comm[u]:
                idx[q] = indices[p]
                w[q] = weights[p]
                q += 1
    return ptr, idx, w


@serial_or_parallel
def _npr_finish(acc, inv_s, comm, dang, inv_size, alpha, xold, xnew, bs, parts):
    """``xnew[v] = alpha * acc[v] + (alpha * dang[k] + 1 - alpha) / |k|`` for ``v`` in community ``k``.

    The closing step of one pushed sweep (see :mod:`engine.pagerank_push`):
    ``acc`` is zeroed; ``parts[b]`` is the L1 change of block ``b`` of ``bs`` nodes.
    """
    n = xnew.shape[0]
    for b in prange(parts.shape[0]):
        lo = b * bs
        hi = min(lo + bs, n)
        err = 0.0
        for v in range(lo, hi):
            k = comm[v]
            x = alpha * take(acc, v) + (alpha * dang[k] + (1.0 - alpha)) * inv_size[k]
            xnew[v] = x
            err += abs(x - xold[v])
        parts[b] = err


def _comm_dangling(x, dangling, dangling_comm, ncomm):
    """Per community, the sum of ``x`` over its dangling nodes (``dangling``, ascending; their
    communities ``dangling_comm``), float64 (ncomm,), added in node order (``np.bincount``)."""
    # float64 even without dangling nodes (numpy then returns int64 zeros: another kernel signature)
    return np.bincount(dangling_comm, weights=x[dangling], minlength=ncomm).astype(np.float64, copy=False)


def niche_pagerank(
    g: Graph,
    community,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> np.ndarray:
    r"""Community-restricted PageRank scaled by community size, float64 of shape (n_nodes,).

    For every community :math:`C` PageRank is run on the subgraph of edges
    with both ends in :math:`C` (uniform teleport over :math:`C`; the mass of
    nodes without out-links inside :math:`C` is spread uniformly over
    :math:`C`), giving :math:`x^C` with :math:`\sum_{v \in C} x^C_v = 1`.  The
    result is :math:`|C| \, x^C_v`: 1 for the average member of any community,
    above 1 for members who draw more than their share of the community's
    attention.  A singleton community scores 1.

    Solved by power iteration as :func:`engine.pagerank`, pushed along the
    edges inside communities (:mod:`engine.pagerank_push`): iterations stop when the L1 change summed over all
    communities falls below ``tol``; each community's vector is then
    normalised to sum 1 (a no-op up to rounding).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3], [1, 0, 0, 4], n_nodes=5)
    >>> niche_pagerank(g, [0, 0, 0, 1, 1]).round(4).tolist()
    [1.4595, 1.3905, 0.15, 0.7018, 1.2982]
    """
    n = g.n_nodes
    comm = check_labels(community, n, "community")
    if not 0.0 <= damping < 1.0:
        raise GraphInputError(f"damping must be in [0, 1); got {damping}.")
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    if g.nnz and g.weights.min() < 0:
        raise GraphInputError("niche PageRank needs non-negative edge weights.")
    dense, k = _dense_labels(comm)
    ptr, idx, w = _intra_filter(g.indptr, g.indices, g.weights, dense)
    unit = bool(idx.size == 0 or (w.min() == 1.0 and w.max() == 1.0))
    s = _row_sums(ptr, w)  # the graph's row sums: the same kernel, compiled once
    size = np.bincount(dense, minlength=k).astype(np.float64)
    inv_size = 1.0 / size
    inv_s = np.zeros(n, dtype=np.float64)
    nz = s != 0
    inv_s[nz] = 1.0 / s[nz]
    x = inv_size[dense].copy()
    dangling = np.flatnonzero(inv_s == 0.0)
    dangling_comm = dense[dangling]
    dang = _comm_dangling(x, dangling, dangling_comm, k)
    xnew = np.empty(n)
    parts = np.zeros((n + _BLOCK - 1) // _BLOCK)
    acc = np.zeros(n, dtype=np.float64)
    dst_u = idx.view(np.uint32)
    _, splits = push_plan(ptr, idx)
    push = _push.pick(idx.shape[0])
    finish = _npr_finish.pick(idx.shape[0])
    for _ in range(max_iter):
        push(ptr, dst_u, w, unit, splits, x, inv_s, acc)
        finish(acc, inv_s, dense, dang, inv_size, float(damping), x, xnew, _BLOCK, parts)
        err = float(_serial_sum(parts))
        x, xnew = xnew, x
        dang = _comm_dangling(x, dangling, dangling_comm, k)
        if err < tol:
            total = np.bincount(dense, weights=x, minlength=k)
            return x / total[dense] * size[dense]
    raise NotConverged(f"niche PageRank did not reach tol={tol} in {max_iter} iterations.")


def _serial_sum(a):
    """``a`` (float64 (m,)) summed in index order."""
    return float(sequential_sum(a))


def percentile_within(values, community, *, decimals: int = 9) -> np.ndarray:
    r"""Percentile (0-100) of each value among the values of its community, float64 (n,).

    .. math:: \mathrm{pct}_v = 100 \, \frac{\#\{u \in C: s_u < s_v\} + \#\{u \in C: s_u \le s_v\}}{2 |C|}

    (``scipy.stats.percentileofscore(..., kind="mean")``).  Values are rounded
    to ``decimals`` decimals first so that floating-point noise does not split
    ties.  NaN values get NaN and are left out of their community.

    Examples
    --------
    >>> percentile_within([1.0, 2.0, 2.0, 5.0], [0, 0, 0, 1]).tolist()
    [16.666666666666668, 66.66666666666667, 66.66666666666667, 50.0]
    """
    v = np.asarray(values, dtype=np.float64)
    comm = check_labels(community, v.shape[0], "community")
    out = np.full(v.shape[0], np.nan)
    ok = ~np.isnan(v)
    if not ok.any():
        return out
    vv = np.round(v[ok], decimals)
    cc = _dense_labels(comm[ok])[0]
    order = np.lexsort((vv, cc))
    sv, sc = vv[order], cc[order]
    m = sv.shape[0]
    pos = np.arange(m)
    new_comm = np.ones(m, dtype=bool)
    new_comm[1:] = sc[1:] != sc[:-1]
    new_run = new_comm.copy()
    new_run[1:] |= sv[1:] != sv[:-1]
    comm_first = np.maximum.accumulate(np.where(new_comm, pos, 0))
    run_first = np.maximum.accumulate(np.where(new_run, pos, 0))
    run_id = np.cumsum(new_run) - 1
    run_last = np.flatnonzero(np.append(new_run[1:], True))  # last position of every run
    less = run_first - comm_first  # members strictly below
    less_eq = run_last[run_id] + 1 - comm_first  # members below or equal
    size = np.bincount(sc)[sc]
    pct = np.empty(m)
    pct[order] = 100.0 * (less + less_eq) / (2.0 * size)
    out[ok] = pct
    return out


@kernel
def _module_strengths(indptr, indices, weights, comm, use_w):
    """Per node: strength to own community, total strength, and sum over communities of squared strength."""
    n = indptr.shape[0] - 1
    own = np.zeros(n, dtype=np.float64)
    tot = np.zeros(n, dtype=np.float64)
    sq = np.zeros(n, dtype=np.float64)
    for u in range(n):
        a = indptr[u]
        b = indptr[u + 1]
        m = 0
        cs = np.empty(b - a, dtype=np.int32)
        ws = np.empty(b - a, dtype=np.float64)
        for p in range(a, b):
            v = indices[p]
            if v == u:
                continue
            w = weights[p] if use_w else 1.0
            cs[m] = comm[v]
            ws[m] = w
            m += 1
            tot[u] += w
            if comm[v] == comm[u]:
                own[u] += w
        if m == 0:
            continue
        o = stable_argsort(cs[:m])
        acc = 0.0
        for j in range(m):
            acc += ws[o[j]]
            if j == m - 1 or cs[o[j + 1]] != cs[o[j]]:
                sq[u] += acc * acc
                acc = 0.0
    return own, tot, sq


def _strengths(g: Graph, community, weighted: bool):
    comm = check_labels(community, g.n_nodes, "community")
    # the kernel groups by ranks of the labels (same order, so the same sums), int32 like every index
    ranks = np.unique(comm, return_inverse=True)[1].reshape(-1).astype(np.int32)
    return comm, *_module_strengths(g.indptr, g.indices, g.weights, ranks, bool(weighted))


def within_module_z(g: Graph, community, *, weighted: bool = True) -> np.ndarray:
    r"""Within-module degree z-score of Guimera & Amaral, float64 of shape (n_nodes,).

    .. math:: z_i = \frac{\kappa_i - \bar\kappa_{c_i}}{\sigma_{\kappa, c_i}}

    where :math:`\kappa_i` is the (weighted, if ``weighted``) number of links
    from ``i`` to other members of its community :math:`c_i` (rows of ``g``,
    self-loops ignored), and :math:`\bar\kappa_{c}`, :math:`\sigma_{\kappa,c}`
    are the mean and population standard deviation of :math:`\kappa` over the
    community.  Where :math:`\sigma = 0` (all members equal) ``z = 0``.

    References
    ----------
    R. Guimera, L. A. N. Amaral. Functional cartography of complex metabolic
    networks. Nature 433, 895-900 (2005).
    """
    if g.n_nodes == 0:
        return np.zeros(0)
    comm, own, _, _ = _strengths(g, community, weighted)
    return _z_from(comm, own)


def _z_from(comm, own):
    dense, k = _dense_labels(comm)
    cnt = np.bincount(dense, minlength=k).astype(np.float64)
    mean = np.bincount(dense, weights=own, minlength=k) / cnt
    dev = own - mean[dense]
    std = np.sqrt(np.bincount(dense, weights=dev * dev, minlength=k) / cnt)
    s = std[dense]
    return np.where(s > 0, dev / np.where(s > 0, s, 1.0), 0.0)


def participation(g: Graph, community, *, weighted: bool = True) -> np.ndarray:
    r"""Participation coefficient of Guimera & Amaral, float64 of shape (n_nodes,).

    .. math:: P_i = 1 - \sum_s \left(\frac{\kappa_{is}}{k_i}\right)^2

    with :math:`\kappa_{is}` the (weighted) links from ``i`` to community ``s``
    and :math:`k_i = \sum_s \kappa_{is}` (rows of ``g``, self-loops ignored).
    0 for nodes without links.  0 when all links stay in one community,
    approaching 1 when they spread evenly over many.
    """
    if g.n_nodes == 0:
        return np.zeros(0)
    _, _, tot, sq = _strengths(g, community, weighted)
    return _participation_from(tot, sq)


def _participation_from(tot, sq):
    safe = np.where(tot > 0, tot, 1.0)
    return np.where(tot > 0, 1.0 - sq / (safe * safe), 0.0)


def niche_share(g_in: Graph, community, *, weighted: bool = True) -> np.ndarray:
    r"""Share of a node's attention links that stay inside its community, float64 (n_nodes,).

    .. math:: \mathrm{share}_i = \kappa_{i c_i} / k_i

    Pass the *transposed* attention graph to get the share of **inbound**
    attention coming from the node's own community (the metrics stage does).
    NaN where the node has no links (self-loops ignored).
    """
    if g_in.n_nodes == 0:
        return np.zeros(0)
    _, own, tot, _ = _strengths(g_in, community, weighted)
    return _share_from(own, tot)


def _share_from(own, tot):
    return np.where(tot > 0, own / np.where(tot > 0, tot, 1.0), np.nan)


def module_roles(g: Graph, community, *, weighted: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(within_module_z(g, ...), participation(g, ...), niche_share(g, ...))`` from one pass over ``g``.

    The three measures share the per-node module strengths; the metrics stage passes the inbound
    attention graph and needs all three, so they are computed once.  Each is float64 of shape (n_nodes,).
    """
    if g.n_nodes == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    comm, own, tot, sq = _strengths(g, community, weighted)
    return _z_from(comm, own), _participation_from(tot, sq), _share_from(own, tot)
