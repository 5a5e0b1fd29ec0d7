r"""Unique reach of a set of accounts: exact union size and HyperLogLog.

The unique reach of accounts :math:`S` is :math:`|\bigcup_{u \in S} A_u|`, the
number of distinct followers of any of them (an account in ``S`` counts when
it follows another member of ``S``).

:func:`unique_reach` counts it exactly with one mark array, :math:`O(n + \sum_{u\in S}|A_u|)`.
:func:`reach_sketch` builds a HyperLogLog (Flajolet, Fusy, Gandouet & Meunier
2007) with :math:`m = 2^p` one-byte registers; its relative standard error is

.. math::

    \frac{\sigma_{\hat R}}{R} \approx \frac{1.04}{\sqrt{2^p}}

(1.6% at ``p = 12``, 4 KiB), with the usual linear-counting correction for
small cardinalities (:math:`\hat R \le 2.5 m`) and a 64-bit hash, so no
large-range correction is needed.  Sketches of single accounts merge by a
register-wise maximum, so the reach of any union of sketched accounts costs
:math:`O(m)` per member.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._jit import kernel, parallel_kernel, prange
from .._splitmix import mix64, seed_key
from ..errors import GraphInputError
from ..graph import Graph
from ._checks import check_audience, check_nodes, check_positive_int


def unique_reach(audience: Graph, nodes) -> int:
    """Exact number of distinct followers of the accounts ``nodes``.

    Parameters
    ----------
    audience : Graph
        Audience graph (row ``u`` = followers of ``u``).
    nodes : array_like of int, shape (s,)
        The accounts (repeats are harmless).

    Returns
    -------
    int

    Examples
    --------
    >>> from nichegraph.engine.influence import audience_graph
    >>> g = audience_graph([2, 3, 3, 4], [0, 0, 1, 1])
    >>> unique_reach(g, [0, 1])
    3
    """
    audience = check_audience(audience)
    nodes = check_nodes(nodes, audience.n_nodes)
    return int(_union_size(audience.indptr, audience.indices, audience.n_nodes, nodes))


@kernel
def _union_size(indptr, indices, n, nodes):
    seen = np.zeros(n, dtype=np.bool_)
    c = 0
    for t in range(nodes.shape[0]):
        u = nodes[t]
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            if not seen[v]:
                seen[v] = True
                c += 1
    return c


@dataclass(frozen=True)
class ReachEstimate:
    """An estimated unique reach with its standard error.

    Attributes
    ----------
    estimate : float
    std_error : float
        :math:`1.04\\,\\hat R/\\sqrt{m}` (the asymptotic HyperLogLog error).
    p : int
        Precision (``m = 2**p`` registers).
    """

    estimate: float
    std_error: float
    p: int

    @property
    def relative_error(self) -> float:
        return 1.04 / math.sqrt(2**self.p)


@dataclass(frozen=True)
class HyperLogLog:
    """HyperLogLog registers of one or more audiences.

    Attributes
    ----------
    registers : ndarray of uint8, shape (s, 2**p)
        One row per sketched account (or one row for a union).
    nodes : ndarray of int64, shape (s,)
        Which account each row sketches (``-1`` for a merged union).
    p : int
    seed : int
    """

    registers: np.ndarray
    nodes: np.ndarray
    p: int
    seed: int

    def union(self, rows=None) -> ReachEstimate:
        """Reach of the union of rows ``rows`` (all rows when None), by register-wise maximum."""
        regs = self.registers if rows is None else self.registers[np.asarray(rows, dtype=np.int64)]
        if regs.shape[0] == 0:
            return ReachEstimate(0.0, 0.0, self.p)
        return hll_estimate(regs.max(axis=0), self.p)


def hll_estimate(registers: np.ndarray, p: int) -> ReachEstimate:
    r"""Cardinality estimate from one register row.

    :math:`E = \alpha_m m^2 / \sum_j 2^{-M_j}`; when :math:`E \le 2.5 m` and some
    register is 0, linear counting :math:`m \ln(m / V)` (``V`` zero registers).
    """
    m = 1 << p
    regs = np.asarray(registers)
    if regs.shape != (m,):
        raise GraphInputError(f"registers must have shape ({m},) for p={p}, got {regs.shape}.")
    alpha = {16: 0.673, 32: 0.697, 64: 0.709}.get(m, 0.7213 / (1.0 + 1.079 / m))
    e = alpha * m * m / float(np.sum(np.ldexp(1.0, -regs.astype(np.int64))))
    zeros = int(np.count_nonzero(regs == 0))
    if e <= 2.5 * m and zeros > 0:
        e = m * math.log(m / zeros)
    return ReachEstimate(float(e), float(1.04 * e / math.sqrt(m)), int(p))


def _check_p(p) -> int:
    p = check_positive_int(p, "p", 4)
    if p > 18:
        raise GraphInputError(f"p must be between 4 and 18 (2**p registers per sketch), got {p}.")
    return p


def reach_sketch(audience: Graph, nodes, *, p: int = 12, seed: int = 0, per_node: bool = False) -> HyperLogLog:
    """HyperLogLog sketch of the union of the audiences of ``nodes``.

    Parameters
    ----------
    audience : Graph
        Audience graph (row ``u`` = followers of ``u``).
    nodes : array_like of int, shape (s,)
        Accounts.
    p : int, default 12
        Precision: ``2**p`` registers, relative error :math:`1.04/\\sqrt{2^p}`.
    seed : int, default 0
        Picks the hash; only sketches with the same ``seed`` and ``p`` merge.
    per_node : bool, default False
        Keep one register row per account (``s * 2**p`` bytes) so any subset's
        union can be estimated later with :meth:`HyperLogLog.union`.

    Returns
    -------
    HyperLogLog

    Examples
    --------
    >>> from nichegraph.engine.influence import audience_graph
    >>> g = audience_graph([2, 3, 3, 4], [0, 0, 1, 1])
    >>> round(reach_sketch(g, [0, 1], p=8).union().estimate)
    3
    """
    audience = check_audience(audience)
    p = _check_p(p)
    nodes = check_nodes(nodes, audience.n_nodes)
    key = seed_key(seed, 77)
    if per_node:
        regs = _hll_rows(audience.indptr, audience.indices, nodes, p, key)
        return HyperLogLog(regs, nodes, p, int(seed))
    regs = _hll_union(audience.indptr, audience.indices, nodes, p, key)
    return HyperLogLog(regs.reshape(1, -1), np.array([-1], dtype=np.int64), p, int(seed))


def estimate_reach(audience: Graph, nodes, *, p: int = 12, seed: int = 0) -> ReachEstimate:
    """HyperLogLog estimate of :func:`unique_reach` (see :func:`reach_sketch`)."""
    return reach_sketch(audience, nodes, p=p, seed=seed).union()


@kernel
def _hll_add(regs, row, h, p):
    idx = np.int64(h >> np.uint64(64 - p))
    rest = h << np.uint64(p)
    rank = 1
    top = np.uint64(1) << np.uint64(63)
    limit = 64 - p + 1
    while rank < limit and (rest & top) == np.uint64(0):
        rank += 1
        rest = rest << np.uint64(1)
    if rank > regs[row, idx]:
        regs[row, idx] = rank


@kernel
def _hll_union(indptr, indices, nodes, p, key):
    regs = np.zeros((1, 1 << p), dtype=np.uint8)
    for t in range(nodes.shape[0]):
        u = nodes[t]
        for q in range(indptr[u], indptr[u + 1]):
            _hll_add(regs, 0, mix64(np.uint64(indices[q]) ^ key), p)
    return regs[0]


@parallel_kernel
def _hll_rows(indptr, indices, nodes, p, key):
    regs = np.zeros((nodes.shape[0], 1 << p), dtype=np.uint8)
    for t in prange(nodes.shape[0]):
        u = nodes[t]
        for q in range(indptr[u], indptr[u + 1]):
            _hll_add(regs, t, mix64(np.uint64(indices[q]) ^ key), p)
    return regs
