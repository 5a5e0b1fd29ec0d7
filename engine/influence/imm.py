r"""Expected spread under the independent cascade model: IMM seed selection and Monte Carlo.

Model
-----
A post by account ``u`` reaches each follower ``w`` (an edge ``u -> w`` of the
audience graph) with probability :math:`p_{uw}`, once, when ``u`` becomes
active (independent cascade, Kempe, Kleinberg & Tardos 2003).  Either one
probability for every edge (``probability=0.1``, Neo4j GDS's default) or the
*weighted cascade* ``probability="wc"``: :math:`p_{uw} = 1/d_w` with
:math:`d_w` the number of accounts ``w`` follows.  The spread
:math:`\sigma(S)` is the expected number of active accounts, seeds included.

Reverse-reachable sets
----------------------
Pick a root ``v`` uniformly and keep each edge with its probability; the
accounts that reach ``v`` form an RR set ``R``.  Then
:math:`\sigma(S) = n \Pr[S \cap R \neq \emptyset]` (Borgs, Brautbar, Chayes &
Lucier 2014), so a seed set covering a share :math:`F` of :math:`\theta`
independent RR sets has unbiased spread estimate :math:`\hat\sigma = nF` with
standard error :math:`n\sqrt{F(1-F)/\theta}`.

IMM (Tang, Shi & Xiao 2015) picks how many RR sets are enough: a sampling
phase finds a lower bound LB of the optimum, then
:math:`\theta = \lambda^* / LB` with
:math:`\lambda^* = 2n\,((1-1/e)\alpha + \beta)^2 \varepsilon^{-2}`,
:math:`\alpha = \sqrt{\ell \ln n + \ln 2}`,
:math:`\beta = \sqrt{(1-1/e)(\ln\binom{n_c}{k} + \ell \ln n + \ln 2)}`
(``n_c`` candidate accounts), and greedy max coverage on those sets is a
:math:`(1 - 1/e - \varepsilon)`-approximation with probability at least
:math:`1 - n^{-\ell}`.  As Chen (2018) showed the original reuse of the
sampling-phase sets breaks the martingale argument, the final :math:`\theta`
sets are drawn fresh.  The reported spread and marginal gains come from a
third, independent batch of RR sets, so they are unbiased for the chosen seeds.

Every RR set and simulation draws from its own counter-based stream
(``seed``, phase, index), so results are identical on any thread count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._jit import kernel
from .._splitmix import mix64, next_uniform, seed_key
from ..errors import GraphInputError
from ..graph import Graph
from ._checks import check_audience, check_costs, check_mask, check_nodes, check_positive_int
from .portfolio import BUDGET_GUARANTEE, Portfolio, greedy_max_coverage


def _check_probability(probability) -> float:
    """Return p in (0, 1], or -1.0 for the weighted cascade."""
    if isinstance(probability, str):
        if probability.lower() == "wc":
            return -1.0
        raise GraphInputError(f"probability must be a number in (0, 1] or 'wc', got {probability!r}.")
    p = float(probability)
    if not (0.0 < p <= 1.0):
        raise GraphInputError(f"probability must be in (0, 1] (or 'wc' for 1/in-degree), got {p}.")
    return p


@dataclass(frozen=True)
class RRSets:
    """Reverse-reachable sets in CSR form.

    Attributes
    ----------
    offsets : ndarray of int64, shape (theta + 1,)
    members : ndarray of int32, shape (offsets[-1],)
        Set ``j`` is ``members[offsets[j]:offsets[j + 1]]`` (its root first, no repeats).
    n_nodes : int
    """

    offsets: np.ndarray
    members: np.ndarray
    n_nodes: int

    @property
    def count(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def coverage(self, seeds) -> int:
        """Number of sets that contain at least one of ``seeds``."""
        mark = np.zeros(self.n_nodes, dtype=np.bool_)
        mark[np.asarray(seeds, dtype=np.int64)] = True
        return int(_count_hit(self.offsets, self.members, mark))

    def spread(self, seeds) -> tuple[float, float]:
        r"""Unbiased spread estimate :math:`nF` of ``seeds`` and its standard error :math:`n\sqrt{F(1-F)/\theta}`."""
        if self.count == 0:
            raise GraphInputError("no RR sets to estimate from; sample at least one.")
        f = self.coverage(seeds) / self.count
        return self.n_nodes * f, self.n_nodes * math.sqrt(f * (1.0 - f) / self.count)


#: Random streams of the RR sets: IMM's sampling phase, its node selection, and the evaluation
#: batch (also what :func:`sample_rr_sets` draws), so that the three batches are independent.
_SAMPLING, _SELECTION, _EVALUATION = 11, 12, 13


def sample_rr_sets(audience: Graph, count: int, *, probability=0.1, seed: int = 0, start: int = 0) -> RRSets:
    """Draw ``count`` RR sets (indices ``start .. start + count - 1`` of the stream for ``seed``).

    ``audience``, ``probability`` and ``seed`` as in :func:`imm_portfolio` (whose evaluation
    batch is this stream); ``start`` is the first set index, so that batches extend one stream
    exactly.
    """
    audience = check_audience(audience)
    return _draw_rr(audience.transpose(), _check_probability(probability), seed, _EVALUATION, start, count)


def _draw_rr(follows: Graph, p: float, seed: int, stream: int, start: int, count: int) -> RRSets:
    """RR sets ``start .. start + count - 1`` of ``(seed, stream)``; ``follows`` is the audience graph transposed."""
    members, offsets = _rr_generate(
        follows.indptr, follows.indices, p, seed_key(seed, stream), int(start), int(count), follows.n_nodes
    )
    return RRSets(offsets, members, follows.n_nodes)


@kernel
def _rr_generate(indptr, indices, p, key, start, count, n):
    offsets = np.zeros(count + 1, dtype=np.int64)
    cap = max(4 * count, 1024)
    flat = np.empty(cap, dtype=np.int32)
    stamp = np.full(n, -1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int32)
    pos = 0
    for t in range(count):
        j = start + t
        state = mix64(key + np.uint64(j))
        state, r = next_uniform(state)
        root = int(r * n)
        if root >= n:
            root = n - 1
        stamp[root] = j
        queue[0] = root
        head = 0
        tail = 1
        while head < tail:
            v = queue[head]
            head += 1
            a = indptr[v]
            b = indptr[v + 1]
            if b == a:
                continue
            prob = p if p > 0.0 else 1.0 / (b - a)
            for q in range(a, b):
                w = indices[q]
                if stamp[w] == j:
                    continue
                state, r = next_uniform(state)
                if r < prob:
                    stamp[w] = j
                    queue[tail] = w
                    tail += 1
        if pos + tail > cap:
            while pos + tail > cap:
                cap *= 2
            grown = np.empty(cap, dtype=np.int32)
            grown[:pos] = flat[:pos]
            flat = grown
        for i in range(tail):
            flat[pos + i] = queue[i]
        pos += tail
        offsets[t + 1] = pos
    return flat[:pos].copy(), offsets


@kernel
def _count_hit(offsets, members, mark):
    c = 0
    for j in range(offsets.shape[0] - 1):
        for q in range(offsets[j], offsets[j + 1]):
            if mark[members[q]]:
                c += 1
                break
    return c


@kernel
def _invert(offsets, members, n):
    """node -> ids of the RR sets containing it (CSR, set ids ascending)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    for q in range(members.shape[0]):
        indptr[members[q] + 1] += 1
    for u in range(n):
        indptr[u + 1] += indptr[u]
    fill = indptr[:-1].copy()
    out = np.empty(members.shape[0], dtype=np.int64)
    for j in range(offsets.shape[0] - 1):
        for q in range(offsets[j], offsets[j + 1]):
            u = members[q]
            out[fill[u]] = j
            fill[u] += 1
    return indptr, out


@kernel
def _marginal_hits(offsets, members, n, seeds):
    """Sets newly covered by each seed in order."""
    rank = np.full(n, -1, dtype=np.int64)
    for i in range(seeds.shape[0]):
        if rank[seeds[i]] < 0:
            rank[seeds[i]] = i
    out = np.zeros(seeds.shape[0], dtype=np.int64)
    for j in range(offsets.shape[0] - 1):
        m = seeds.shape[0]
        for q in range(offsets[j], offsets[j + 1]):
            r = rank[members[q]]
            if r >= 0 and r < m:
                m = r
        if m < seeds.shape[0]:
            out[m] += 1
    return out


def _select(rr: RRSets, k, mask, costs, budget):
    ind_ptr, ind = _invert(rr.offsets, rr.members, rr.n_nodes)
    return greedy_max_coverage(ind_ptr, ind, rr.count, k, candidates=mask, costs=costs, budget=budget)


def _log_comb(n: int, k: int) -> float:
    k = min(k, n)
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def imm_portfolio(
    audience: Graph,
    k: int,
    *,
    probability=0.1,
    epsilon: float = 0.2,
    ell: float = 1.0,
    seed: int = 0,
    candidates=None,
    costs=None,
    budget=None,
    eval_rr_sets: int | None = None,
    max_rr_sets: int = 20_000_000,
) -> Portfolio:
    """Choose up to ``k`` seed accounts maximising expected independent-cascade spread (IMM).

    Parameters
    ----------
    audience : Graph
        Audience graph (row ``u`` = followers of ``u``).
    k : int
        Number of seeds.
    probability : float in (0, 1] or "wc", default 0.1
        Edge activation probability (``"wc"``: 1 / number of accounts the follower follows).
    epsilon : float, default 0.2
        IMM's approximation slack: the result is within :math:`1 - 1/e - \\varepsilon` of the
        optimum with probability :math:`\\ge 1 - n^{-\\ell}`.  RR-set count grows as :math:`\\varepsilon^{-2}`.
    ell : float, default 1.0
        Confidence exponent :math:`\\ell`.
    seed : int, default 0
    candidates : ndarray of bool, shape (n,), optional
        Accounts allowed as seeds (every account still counts towards the spread).
    costs, budget : optional
        As in :func:`max_reach_portfolio`: cost-effective greedy on the RR sets plus the
        best single seed.  IMM's sample-size bound is for the cardinality case; with a
        budget the guarantee reported is :math:`\\tfrac12(1-1/e) - \\varepsilon`, a heuristic.
    eval_rr_sets : int, optional
        Size of the independent batch used to report spread and marginal gains (default: the
        final :math:`\\theta`).
    max_rr_sets : int, default 20_000_000
        Hard cap on :math:`\\theta`; if hit, ``details["capped"]`` is True and the guarantee is 0.

    Returns
    -------
    Portfolio
        ``objective="spread"``; ``total`` and ``marginal_gain`` are unbiased estimates from the
        evaluation batch, ``std_error`` the binomial standard error of ``total``.

    References
    ----------
    Y. Tang, Y. Shi, X. Xiao, "Influence Maximization in Near-Linear Time: A Martingale
    Approach", SIGMOD 2015.  W. Chen, "An Issue in the Martingale Analysis of the Influence
    Maximization Algorithm IMM", 2018.
    """
    audience = check_audience(audience)
    k = check_positive_int(k, "k")
    p = _check_probability(probability)
    if not (0.0 < float(epsilon) < 1.0):
        raise GraphInputError(f"epsilon must be in (0, 1), got {epsilon}.")
    if float(ell) <= 0:
        raise GraphInputError(f"ell must be > 0, got {ell}.")
    n = audience.n_nodes
    mask = check_mask(candidates, n)
    cost_arr, _bud = check_costs(costs, budget, n)
    n_c = int(mask.sum())
    if n == 0 or n_c == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Portfolio(
            empty,
            np.zeros(0),
            np.zeros(0),
            0.0,
            0.0,
            "spread",
            0.0,
            np.zeros(0),
            "greedy",
            {"method": "IMM", "theta": 0, "note": "no candidate accounts"},
        )
    follows = audience.transpose()
    eps, ell_f = float(epsilon), float(ell)
    log_n = math.log(max(n, 2))
    ell_p = ell_f * (1.0 + math.log(2) / log_n)
    lcnk = _log_comb(n_c, k)
    eps_p = math.sqrt(2.0) * eps

    def draw(count, stream, start=0):
        return _draw_rr(follows, p, seed, stream, start, count)

    # Sampling phase: a lower bound LB of OPT (Tang et al. 2015, Algorithm 2).
    lam_p = (2.0 + 2.0 * eps_p / 3.0) * (lcnk + ell_p * log_n + math.log(max(math.log2(n), 1.0))) * n / eps_p**2
    lb = 1.0
    parts_m: list[np.ndarray] = []
    parts_o: list[np.ndarray] = []
    have = 0
    capped = False
    for i in range(1, max(int(math.log2(n)), 1)):
        x = n / 2.0**i
        theta_i = int(math.ceil(lam_p / x))
        if theta_i > max_rr_sets:
            theta_i, capped = max_rr_sets, True
        if theta_i > have:
            extra = draw(theta_i - have, _SAMPLING, have)
            parts_m.append(extra.members)
            parts_o.append(extra.offsets[1:] + (parts_o[-1][-1] if parts_o else 0))
            have = theta_i
        rr = RRSets(np.concatenate([[0], *parts_o]).astype(np.int64), np.concatenate(parts_m), n)
        cov = _select(rr, k, mask, cost_arr if costs is not None else None, budget)
        frac = cov.covered / rr.count
        if n * frac >= (1.0 + eps_p) * x:
            lb = n * frac / (1.0 + eps_p)
            break
        if capped:
            break
    del parts_m, parts_o
    alpha = math.sqrt(ell_p * log_n + math.log(2))
    beta = math.sqrt((1 - 1 / math.e) * (lcnk + ell_p * log_n + math.log(2)))
    lam_star = 2.0 * n * ((1 - 1 / math.e) * alpha + beta) ** 2 / eps**2
    theta = max(int(math.ceil(lam_star / lb)), 1)
    if theta > max_rr_sets:
        theta, capped = max_rr_sets, True
    # Node selection on fresh sets (Chen 2018), then an independent batch for the estimates.
    rr = draw(theta, _SELECTION)
    cov = _select(rr, k, mask, cost_arr if costs is not None else None, budget)
    del rr
    n_eval = theta if eval_rr_sets is None else check_positive_int(eval_rr_sets, "eval_rr_sets")
    ev = draw(n_eval, _EVALUATION)
    seeds = cov.nodes
    hits = _marginal_hits(ev.offsets, ev.members, n, seeds).astype(np.float64)
    gains = n * hits / ev.count
    total, se = ev.spread(seeds) if seeds.size else (0.0, 0.0)
    base = BUDGET_GUARANTEE if budget is not None else 1.0 - 1.0 / math.e
    return Portfolio(
        nodes=seeds,
        marginal_gain=gains,
        cumulative=np.cumsum(gains),
        total=float(total),
        std_error=float(se),
        objective="spread",
        guarantee=0.0 if capped else max(base - eps, 0.0),
        cost=cost_arr[seeds],
        strategy=cov.strategy,
        details={
            "method": "IMM (RR sets)",
            "probability": "wc" if p < 0 else p,
            "epsilon": eps,
            "ell": ell_f,
            "theta": int(theta),
            "lower_bound": float(lb),
            "eval_rr_sets": int(ev.count),
            "eval_rr_entries": int(ev.members.shape[0]),
            "capped": capped,
            "seed": int(seed),
            "k": int(k),
            "budget": None if budget is None else float(budget),
        },
    )


@dataclass(frozen=True)
class SpreadEstimate:
    """Monte-Carlo independent-cascade spread.

    Attributes
    ----------
    mean : float
        Average number of active accounts (seeds included).
    std_error : float
        Standard deviation of the runs divided by :math:`\\sqrt{n_{sim}}`.
    samples : ndarray of float64, shape (n_sim,)
    """

    mean: float
    std_error: float
    samples: np.ndarray


def ic_spread(audience: Graph, seeds, *, probability=0.1, n_sim: int = 1000, seed: int = 0) -> SpreadEstimate:
    """Monte-Carlo estimate of the independent-cascade spread of ``seeds``.

    Parameters
    ----------
    audience : Graph
        Audience graph (posts spread from ``u`` to its followers).
    seeds : array_like of int, shape (s,)
    probability : float in (0, 1] or "wc"
    n_sim : int, default 1000
        Number of cascades; simulation ``i`` uses its own stream, so results do not depend on threads.
    seed : int

    Returns
    -------
    SpreadEstimate

    Examples
    --------
    >>> from nichegraph.engine.influence import audience_graph
    >>> g = audience_graph([1, 2], [0, 1])  # 1 follows 0, 2 follows 1
    >>> ic_spread(g, [0], probability=1.0, n_sim=10).mean
    3.0
    """
    audience = check_audience(audience)
    p = _check_probability(probability)
    n_sim = check_positive_int(n_sim, "n_sim")
    seeds = check_nodes(seeds, audience.n_nodes, "seeds")
    indeg = np.bincount(audience.indices, minlength=audience.n_nodes).astype(np.int64)
    out = _ic_simulate(audience.indptr, audience.indices, indeg, p, seeds, n_sim, seed_key(seed, 21), audience.n_nodes)
    se = float(out.std(ddof=1) / math.sqrt(n_sim)) if n_sim > 1 else float("nan")
    return SpreadEstimate(float(out.mean()), se, out)


@kernel
def _ic_simulate(indptr, indices, indeg, p, seeds, n_sim, key, n):
    out = np.empty(n_sim, dtype=np.float64)
    active = np.full(n, -1, dtype=np.int64)
    queue = np.empty(max(n, 1), dtype=np.int32)
    for s in range(n_sim):
        state = mix64(key + np.uint64(s))
        tail = 0
        for i in range(seeds.shape[0]):
            x = seeds[i]
            if active[x] != s:
                active[x] = s
                queue[tail] = x
                tail += 1
        head = 0
        while head < tail:
            u = queue[head]
            head += 1
            for q in range(indptr[u], indptr[u + 1]):
                w = indices[q]
                if active[w] == s:
                    continue
                prob = p if p > 0.0 else 1.0 / indeg[w]
                state, r = next_uniform(state)
                if r < prob:
                    active[w] = s
                    queue[tail] = w
                    tail += 1
        out[s] = tail
    return out
