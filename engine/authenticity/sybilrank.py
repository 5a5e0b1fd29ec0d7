r"""SybilRank: trust propagated from accounts known to be genuine (Cao et al. 2012).

Fake accounts made in bulk are well connected among themselves but have few
ties to genuine accounts (attack edges).  SybilRank starts a total trust
:math:`T` on a set of trusted seeds and spreads it by an early-terminated power
iteration over the undirected tie graph:

.. math::
    T^{(0)}_v = \begin{cases} T / |S| & v \in S \\ 0 & \text{else} \end{cases}, \qquad
    T^{(i+1)}_v = \sum_{u \in N(v)} \frac{w_{uv}}{d_u}\, T^{(i)}_u

with :math:`d_u = \sum_x w_{ux}` (strength), stopped after
:math:`\lceil \log_2 n \rceil` iterations: long enough to mix inside the
genuine region, too short for much trust to cross the few attack edges.
Accounts are then ranked by degree-normalised trust :math:`T_v / d_v`; this
module also divides it by its value at convergence, :math:`T / \mathrm{vol}`
(:math:`\mathrm{vol} = \sum_v d_v`), so 1 means "as trusted as a well-mixed
genuine account" and values near 0 mean "trust barely reached it".  An account
without ties gets NaN (no evidence either way).

References
----------
Q. Cao, M. Sirivianos, X. Yang, T. Pregueiro. Aiding the detection of fake accounts in
large scale social online services. NSDI 2012.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._jit import prange, serial_or_parallel
from ..errors import GraphInputError
from ..graph import Graph


@dataclass(frozen=True)
class SybilRank:
    """Result of :func:`sybilrank`; float64 arrays of shape (n,).

    ``trust`` :math:`T_v` after the last iteration, ``normalized``
    :math:`(T_v / d_v) / (T / \\mathrm{vol})` (NaN without ties), ``iterations`` run.
    """

    trust: np.ndarray
    normalized: np.ndarray
    iterations: int


@serial_or_parallel
def _propagate(indptr, indices, weights, share):  # pragma: no cover - compiled
    n = indptr.shape[0] - 1
    out = np.zeros(n, dtype=np.float64)
    for v in prange(n):
        acc = 0.0
        for k in range(indptr[v], indptr[v + 1]):
            acc += weights[k] * share[indices[k]]
        out[v] = acc
    return out


def sybilrank(g: Graph, seeds, *, iterations: int | None = None, total: float = 1.0) -> SybilRank:
    """Degree-normalised SybilRank trust of every node (module docstring).

    Parameters
    ----------
    g : Graph
        Undirected tie graph (weights: tie strength, 1.0 for plain ties); self-loops
        must be dropped.
    seeds : array_like of int
        Trusted node indices (repeats count once); at least one with ties.
    iterations : int, optional
        Default :math:`\\lceil \\log_2 n \\rceil` (at least 1).
    total : float, default 1.0
        Total trust :math:`T` (the normalised result does not depend on it).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3], [1, 2, 0, 4], n_nodes=6, directed=False)
    >>> r = sybilrank(g, [0], iterations=3)
    >>> r.normalized[:5].round(3).tolist(), bool(np.isnan(r.normalized[5]))
    ([1.0, 1.5, 1.5, 0.0, 0.0], True)
    """
    if g.directed:
        raise GraphInputError("sybilrank needs an undirected tie graph (from_edges(..., directed=False)).")
    n = g.n_nodes
    rows = np.repeat(np.arange(n), np.diff(g.indptr))
    if np.any(rows == g.indices):
        raise GraphInputError("sybilrank needs a graph without self-loops (from_edges(..., self_loops='drop')).")
    s = np.unique(np.asarray(seeds, dtype=np.int64))
    if s.size and (s[0] < 0 or s[-1] >= n):
        raise GraphInputError(f"seeds must be node indices in 0..{n - 1}.")
    deg = np.bincount(rows, weights=g.weights, minlength=n).astype(np.float64)
    s = s[deg[s] > 0]
    if s.size == 0:
        raise GraphInputError(
            "sybilrank needs at least one seed with ties (trust cannot spread from an isolated seed)."
        )
    if not total > 0:
        raise GraphInputError(f"total must be > 0; got {total}.")
    steps = max(1, math.ceil(math.log2(max(n, 2)))) if iterations is None else int(iterations)
    if steps < 0:
        raise GraphInputError(f"iterations must be >= 0; got {iterations}.")
    t = np.zeros(n, dtype=np.float64)
    t[s] = total / s.size
    safe = np.where(deg > 0, deg, 1.0)
    step = _propagate.pick(g.indices.shape[0])
    for _ in range(steps):
        t = step(g.indptr, g.indices, g.weights, t / safe)
    vol = deg.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(deg > 0, (t / safe) / (total / vol), np.nan)
    return SybilRank(t, norm, steps)
