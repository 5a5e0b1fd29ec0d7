"""Global influence: PageRank (plain and personalised) and coreness (degrees are in :mod:`engine.degree`).

PageRank follows networkx's definition exactly (weights, dangling nodes,
personalisation), computed by a deterministic power iteration.  Each sweep
pulls every node's score from its in-neighbours: an undirected graph's rows
already list them; a directed graph's power iteration pushes along its
out-arcs instead (:mod:`engine.pagerank_push`), so no transposed CSR is built.
Nodes can be relabelled first (``order``, for example sorted by community) so
that neighbours sit close in memory (the relabelled in-neighbour CSR is then
built once); the result is returned in the original node order.

Convergence criterion (differs from networkx by a factor N, on purpose): the
iteration stops at the first step with ``sum_v |x_v - x_v^{prev}| < tol``
(plain L1 norm).  networkx stops when that sum is ``< N * tol``; to reproduce
``networkx.pagerank(G, tol=t)`` pass ``tol=N * t``.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, prange, serial_or_parallel
from ._sequential import sequential_sum
from .degree import out_strength
from .errors import GraphInputError, NotConverged
from .graph import Graph
from .pagerank_push import _sweep, push_plan

_BLOCK = 2048  # nodes per partial sum: fixed, so results do not depend on the thread count
_GS_BLOCK = 16384  # nodes per Gauss-Seidel block (fixed for the same reason)


def _check_vector(name: str, vec, n: int) -> np.ndarray:
    v = np.ascontiguousarray(vec, dtype=np.float64)
    if v.shape != (n,):
        raise GraphInputError(f"{name} must have one value per node ({n}); got shape {v.shape}.")
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise GraphInputError(f"{name} must be finite and non-negative.")
    s = v.sum()
    if s <= 0:
        raise GraphInputError(f"{name} must not sum to zero: give at least one node a positive value.")
    return v / s


def _check_order(order, n: int) -> np.ndarray | None:
    if order is None:
        return None
    o = np.asarray(order)
    if o.shape != (n,) or not np.issubdtype(o.dtype, np.integer):
        raise GraphInputError(f"order must be a permutation of 0..{n - 1} (int array of shape ({n},)).")
    seen = np.zeros(n, dtype=np.int8)
    if n and (o.min() < 0 or o.max() >= n):
        raise GraphInputError("order must be a permutation of the node indices; found an index out of range.")
    seen[o] = 1
    if not seen.all():
        raise GraphInputError("order must be a permutation of the node indices; some node is missing or repeated.")
    return o.astype(np.int64)


@kernel
def _in_csr(indptr, indices, weights, rank, unit):
    """Transposed CSR under the relabelling ``new = rank[old]``; rows sorted by new source."""
    n = indptr.shape[0] - 1
    nnz = indices.shape[0]
    tptr = np.zeros(n + 1, dtype=np.int64)
    for p in range(nnz):
        tptr[rank[indices[p]] + 1] += 1
    for v in range(n):
        tptr[v + 1] += tptr[v]
    fill = tptr[:-1].copy()
    tsrc = np.empty(nnz, dtype=np.int32)
    tw = np.empty(0 if unit else nnz, dtype=np.float64)
    # visit sources in increasing new label so every row comes out sorted
    inv = np.empty(n, dtype=np.int64)
    for u in range(n):
        inv[rank[u]] = u
    for nu in range(n):
        u = inv[nu]
        for p in range(indptr[u], indptr[u + 1]):
            v = rank[indices[p]]
            q = fill[v]
            tsrc[q] = nu
            if not unit:
                tw[q] = weights[p]
            fill[v] = q + 1
    return tptr, tsrc, tw


@kernel(inline="always")
def _gather_sum(a, b, tsrc, tw, unit, z):
    """``sum_{p in [a, b)} tw[p] * z[tsrc[p]]`` (``tw`` = 1 when ``unit``).

    Indices are unsigned (``tsrc`` is a uint32 view, ``p`` uint64) so numba
    emits no negative-index wraparound code in the gather.
    """
    acc = 0.0
    if unit:
        for p in range(np.uint64(a), np.uint64(b)):
            acc += z[np.uint64(tsrc[p])]
    else:
        for p in range(np.uint64(a), np.uint64(b)):
            acc += tw[p] * z[np.uint64(tsrc[p])]
    return acc


@kernel(inline="always")
def _gather_sum_gs(a, b, tsrc, tw, unit, zold, znew, lo, v):
    """Like :func:`_gather_sum`, reading ``znew[u]`` for ``lo <= u < v`` (updated this sweep) and ``zold[u]`` otherwise."""
    acc = 0.0
    ulo = np.uint64(lo)
    span = np.uint64(v - lo)
    for p in range(np.uint64(a), np.uint64(b)):
        u = np.uint64(tsrc[p])
        if u - ulo < span:  # unsigned: true exactly when lo <= u < v
            zu = znew[u]
        else:
            zu = zold[u]
        if unit:
            acc += zu
        else:
            acc += tw[p] * zu
    return acc


@serial_or_parallel
def _pr_sweep(tptr, tsrc, tw, unit, gs, bs, z, inv_s, dang, alpha, dvec, pvec, coef_p, xold, xnew, znew, parts):
    """One sweep over all nodes, in fixed blocks of ``bs`` nodes run in parallel.

    Power iteration (``gs`` False): ``xnew[v] = alpha * sum_{u->v} w_uv z[u] +
    alpha * dang * dvec[v] + coef_p * pvec[v]`` with ``z[u] = x[u] / s_u``.
    Block Gauss-Seidel (``gs`` True): the same update, but in-neighbours of the
    same block that come earlier already contribute their new value.  Blocks
    are fixed (not per thread), so the result does not depend on the thread
    count.  Partial sums per block: ``parts[b, 0]`` L1 change, ``parts[b, 1]``
    new dangling mass.
    """
    n = xnew.shape[0]
    nb = parts.shape[0]
    for b in prange(nb):
        lo = b * bs
        hi = min(lo + bs, n)
        err = 0.0
        dm = 0.0
        for v in range(lo, hi):
            if gs:
                acc = _gather_sum_gs(tptr[v], tptr[v + 1], tsrc, tw, unit, z, znew, lo, v)
            else:
                acc = _gather_sum(tptr[v], tptr[v + 1], tsrc, tw, unit, z)
            x = alpha * acc + alpha * dang * dvec[v] + coef_p * pvec[v]
            xnew[v] = x
            err += abs(x - xold[v])
            if inv_s[v] == 0.0:
                dm += x
                znew[v] = 0.0
            else:
                znew[v] = x * inv_s[v]
        parts[b, 0] = err
        parts[b, 1] = dm


@kernel
def _min_max(a):
    """``(min(a), max(a))`` of a non-empty float64 array in one pass."""
    lo = a[0]
    hi = a[0]
    for i in range(1, a.shape[0]):
        if a[i] < lo:
            lo = a[i]
        elif a[i] > hi:
            hi = a[i]
    return lo, hi


def _sum_parts(parts):
    """The two columns of ``parts`` (float64 (blocks, 2)) summed in block order: ``(error, dangling)``."""
    e, d = sequential_sum(parts)
    return float(e), float(d)


def pagerank(
    g: Graph,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
    personalization=None,
    dangling=None,
    nstart=None,
    order=None,
    method: str = "power",
) -> np.ndarray:
    r"""PageRank of every node (networkx semantics), float64 of shape (n_nodes,).

    The scores solve

    .. math:: x_v = \alpha \Big(\sum_{u \to v} \frac{w_{uv}}{s_u} x_u
              + d_v \sum_{u: s_u = 0} x_u\Big) + (1 - \alpha) p_v,

    where :math:`s_u = \sum_v w_{uv}` is the out-strength, :math:`p` the
    personalisation vector (uniform by default) and :math:`d` the dangling
    distribution (``p`` by default), exactly as ``networkx.pagerank``.  An
    undirected graph is treated as directed both ways.

    Parameters
    ----------
    g : Graph
        Weighted graph; weights must be non-negative.
    damping : float, default 0.85
        The damping factor :math:`\alpha` in [0, 1).
    tol : float, default 1e-10
        ``method="power"``: stop when the L1 change :math:`\sum_v |x_v - x_v^{prev}|`
        of one iteration is below ``tol`` (networkx stops when that sum is below
        ``N * tol``: ``networkx.pagerank(G, tol=t)`` is ``pagerank(g, tol=N * t,
        method="power")``, same iterates).  ``method="gauss-seidel"``: stop when
        the L1 change of one sweep is below ``tol / 10``, which leaves the result
        at least as close to the exact PageRank vector as the power iteration
        stopped at ``tol``.
    max_iter : int, default 1000
        Raise :class:`NotConverged` after this many iterations.
    personalization, dangling, nstart : array_like of float, shape (n_nodes,), optional
        Teleport distribution, dangling-node distribution and starting vector;
        each is normalised to sum 1 (non-negative, not all zero).
    order : array_like of int, shape (n_nodes,), optional
        Process nodes in this order (a permutation): nodes whose neighbours are
        near them in ``order`` (for example sorted by community) read the score
        vector with fewer cache misses, at the price of a relabelled copy of
        the graph built first (without ``order``, an undirected graph is swept
        as stored and a directed one pushed along its out-arcs: no copy).  The
        result does not depend on ``order`` beyond floating-point rounding
        (and, for Gauss-Seidel, the tolerance).
    method : {"power", "gauss-seidel"}, default "power"
        ``"power"``: the power (Jacobi) iteration of networkx, step for step
        (the fastest on the graphs benchmarked, see benchmarks/RESULTS.md).
        ``"gauss-seidel"``: block Gauss-Seidel -- nodes are swept in fixed
        blocks of 16,384 (in ``order``); inside a block, in-neighbours already
        updated in this sweep contribute their new value; blocks run in
        parallel against the previous sweep.  Same fixed point and fewer
        sweeps, but each sweep costs more; the blocks do not depend on the
        thread count, so the result is deterministic.  The result is
        normalised to sum 1.

    Returns
    -------
    ndarray of float64, shape (n_nodes,)
        Scores summing to 1 (empty for an empty graph).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> pr = pagerank(from_edges([0, 1, 2], [1, 2, 0]))
    >>> pr.round(6).tolist()
    [0.333333, 0.333333, 0.333333]

    References
    ----------
    L. Page, S. Brin, R. Motwani, T. Winograd. The PageRank citation ranking:
    bringing order to the web. Stanford InfoLab, 1999.
    """
    n = g.n_nodes
    if not 0.0 <= damping < 1.0:
        raise GraphInputError(f"damping must be in [0, 1); got {damping}.")
    if tol <= 0:
        raise GraphInputError(f"tol must be positive; got {tol}.")
    if method not in ("gauss-seidel", "power"):
        raise GraphInputError(f"method must be 'gauss-seidel' or 'power'; got {method!r}.")
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    w_lo, w_hi = _min_max(g.weights) if g.nnz else (1.0, 1.0)
    if w_lo < 0:
        raise GraphInputError("PageRank needs non-negative edge weights; found a negative weight.")
    p = np.full(n, 1.0 / n) if personalization is None else _check_vector("personalization", personalization, n)
    d = p if dangling is None else _check_vector("dangling", dangling, n)
    x0 = np.full(n, 1.0 / n) if nstart is None else _check_vector("nstart", nstart, n)
    perm = _check_order(order, n)

    s = out_strength(g)
    if perm is None:
        rank = np.arange(n, dtype=np.int64)
    else:
        rank = np.empty(n, dtype=np.int64)
        rank[perm] = np.arange(n, dtype=np.int64)
        s, p, d, x0 = s[perm], p[perm], d[perm], x0[perm]
    unit = bool(w_lo == 1.0 and w_hi == 1.0)
    if g.directed and perm is None and method == "power":
        # push along the stored out-arcs: no transposed CSR to build
        return _run_push(g.indptr, g.indices, g.weights, unit, s, p, d, x0, float(damping), float(tol), int(max_iter))
    if not g.directed and perm is None:
        # an undirected graph stores both directions, so its rows already list the in-neighbours
        tptr, tsrc, tw = g.indptr, g.indices, (np.empty(0, dtype=np.float64) if unit else g.weights)
    else:
        tptr, tsrc, tw = _in_csr(g.indptr, g.indices, g.weights, rank, unit)
    x = _run_power(
        tptr, tsrc, tw, unit, s, p, d, x0, float(damping), float(tol), int(max_iter), method == "gauss-seidel"
    )
    if perm is None:
        return x
    out = np.empty(n, dtype=np.float64)
    out[perm] = x
    return out


def _run_power(tptr, tsrc, tw, unit, s, p, d, x0, alpha, tol, max_iter, gs=False) -> np.ndarray:
    n = s.shape[0]
    inv_s = np.zeros(n, dtype=np.float64)
    nz = s != 0
    inv_s[nz] = 1.0 / s[nz]
    x = x0.copy()
    z = np.where(nz, x * inv_s, 0.0)
    dang = float(x[~nz].sum())
    xnew = np.empty(n, dtype=np.float64)
    znew = np.empty(n, dtype=np.float64)
    bs = _GS_BLOCK if gs else _BLOCK
    parts = np.zeros(((n + bs - 1) // bs, 2), dtype=np.float64)
    stop = tol / 10.0 if gs else tol
    src_u = tsrc.view(np.uint32)
    sweep = _pr_sweep.pick(tsrc.shape[0])
    for _ in range(max_iter):
        sweep(tptr, src_u, tw, unit, gs, bs, z, inv_s, dang, alpha, d, p, 1.0 - alpha, x, xnew, znew, parts)
        err, dang = _sum_parts(parts)
        x, xnew = xnew, x
        z, znew = znew, z
        if err < stop:
            return x / x.sum() if gs else x
    raise NotConverged(f"PageRank did not reach tol={tol} (L1) in {max_iter} iterations; raise max_iter or tol.")


def _run_push(indptr, indices, weights, unit, s, p, d, x0, alpha, tol, max_iter, plan=None, bs=_BLOCK) -> np.ndarray:
    """The power iteration of :func:`_run_power` pushed along out-arcs (:mod:`engine.pagerank_push`).

    ``plan`` overrides :func:`engine.pagerank_push.push_plan`'s ``(cuts, splits)`` (inner
    cuts multiples of ``bs``, the nodes per partial sum); the iterates do not depend on it.
    """
    n = s.shape[0]
    inv_s = np.zeros(n, dtype=np.float64)
    nz = s != 0
    inv_s[nz] = 1.0 / s[nz]
    x = x0.copy()
    dang = float(x[~nz].sum())
    xnew = np.empty(n, dtype=np.float64)
    acc = np.zeros(n, dtype=np.float64)
    parts = np.zeros(((n + bs - 1) // bs, 2), dtype=np.float64)
    dst_u = indices.view(np.uint32)
    cuts, splits = push_plan(indptr, indices, bs) if plan is None else plan
    if np.any(cuts[1:-1] % bs):
        raise ValueError("push ranges must start on a block of partial sums")
    sweep = _sweep.pick(indices.shape[0])
    for _ in range(max_iter):
        sweep(
            indptr, dst_u, weights, unit, splits, cuts, x, inv_s, acc, dang, alpha, d, p, 1.0 - alpha, xnew, bs, parts
        )
        err, dang = _sum_parts(parts)
        x, xnew = xnew, x
        if err < tol:
            return x
    raise NotConverged(f"PageRank did not reach tol={tol} (L1) in {max_iter} iterations; raise max_iter or tol.")


def in_graph(g: Graph) -> Graph:
    """The transposed graph (row ``v`` lists the in-neighbours of ``v``), built by a counting sort.

    Same result as :meth:`Graph.transpose` (rows sorted, weights kept) in O(m)
    without a per-row sort.  Undirected graphs are returned unchanged.
    """
    if not g.directed or g.n_nodes == 0:
        return g
    tptr, tsrc, tw = _in_csr(g.indptr, g.indices, g.weights, np.arange(g.n_nodes, dtype=np.int64), False)
    return Graph(tptr, tsrc, tw, g.node_ids, True)


# ---------------------------------------------------------------- coreness


@serial_or_parallel
def _simple_undirected(out_ptr, out_idx, in_ptr, in_idx):
    """Neighbour lists of the simple undirected graph: per node, the union of its sorted out-row and
    in-row (the same row twice for an undirected graph) without itself; counted, then filled, node by node."""
    n = out_ptr.shape[0] - 1
    ptr = np.zeros(n + 1, dtype=np.int64)
    for u in prange(n):
        i, i_end = out_ptr[u], out_ptr[u + 1]
        j, j_end = in_ptr[u], in_ptr[u + 1]
        k = 0
        while i < i_end or j < j_end:
            a = out_idx[i] if i < i_end else 2147483647
            b = in_idx[j] if j < j_end else 2147483647
            v = min(a, b)
            if v != u:
                k += 1
            if a == v:
                i += 1
            if b == v:
                j += 1
        ptr[u + 1] = k
    for u in range(n):
        ptr[u + 1] += ptr[u]
    nb = np.empty(ptr[n], dtype=np.int32)
    for u in prange(n):
        i, i_end = out_ptr[u], out_ptr[u + 1]
        j, j_end = in_ptr[u], in_ptr[u + 1]
        k = ptr[u]
        while i < i_end or j < j_end:
            a = out_idx[i] if i < i_end else 2147483647
            b = in_idx[j] if j < j_end else 2147483647
            v = min(a, b)
            if v != u:
                nb[k] = v
                k += 1
            if a == v:
                i += 1
            if b == v:
                j += 1
    return ptr, nb


@kernel
def _core_numbers(ptr, nb):
    """Batagelj-Zaversnik O(m) k-core decomposition."""
    n = ptr.shape[0] - 1
    deg = np.empty(n, dtype=np.int64)
    md = 0
    for u in range(n):
        deg[u] = ptr[u + 1] - ptr[u]
        if deg[u] > md:
            md = deg[u]
    bins = np.zeros(md + 2, dtype=np.int64)
    for u in range(n):
        bins[deg[u]] += 1
    start = 0
    for d in range(md + 1):
        c = bins[d]
        bins[d] = start
        start += c
    pos = np.empty(n, dtype=np.int64)
    vert = np.empty(n, dtype=np.int64)
    for u in range(n):
        pos[u] = bins[deg[u]]
        vert[pos[u]] = u
        bins[deg[u]] += 1
    for d in range(md, 0, -1):
        bins[d] = bins[d - 1]
    bins[0] = 0
    for i in range(n):
        v = vert[i]
        for p in range(ptr[v], ptr[v + 1]):
            u = nb[p]
            if deg[u] > deg[v]:
                du = deg[u]
                pu = pos[u]
                pw = bins[du]
                w = vert[pw]
                if u != w:
                    pos[u] = pw
                    vert[pu] = w
                    pos[w] = pu
                    vert[pw] = u
                bins[du] += 1
                deg[u] -= 1
    return deg


def coreness(g: Graph, transposed: Graph | None = None) -> np.ndarray:
    r"""k-core number (k-shell index) of every node, int64 of shape (n_nodes,).

    Computed on the simple undirected graph underlying ``g`` (direction,
    weights, duplicate edges and self-loops ignored): node ``v`` has coreness
    ``k`` when it belongs to the k-core (the maximal subgraph with minimum
    degree ``k``) but not to the (k+1)-core.  Equals
    ``networkx.core_number(nx.Graph(G))`` with self-loops removed.  ``transposed``: the
    transpose of a directed ``g`` (:func:`in_graph`) when the caller has it.

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> coreness(from_edges([0, 1, 2, 2], [1, 2, 0, 3])).tolist()
    [2, 2, 2, 1]

    References
    ----------
    M. Kitsak et al. Identification of influential spreaders in complex networks.
    Nature Physics 6, 888-893 (2010).  V. Batagelj, M. Zaversnik. An O(m)
    algorithm for cores decomposition of networks. arXiv cs/0310049 (2003).
    """
    if g.n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    t = g if not g.directed else (in_graph(g) if transposed is None else transposed)
    ptr, nb = _simple_undirected.pick(g.indices.shape[0])(g.indptr, g.indices, t.indptr, t.indices)
    return _core_numbers(ptr, nb)
