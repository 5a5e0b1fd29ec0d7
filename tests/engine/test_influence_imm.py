"""Independent cascade: RR-set and Monte-Carlo estimates vs exact live-edge enumeration; IMM vs brute force."""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
import pytest

from nichegraph.engine import GraphInputError
from nichegraph.engine.influence import audience_graph, ic_spread, imm_portfolio, sample_rr_sets

# A small follow world: (follower, followee).  Posts spread followee -> follower.
FOLLOWS = [(1, 0), (2, 0), (3, 0), (4, 1), (5, 1), (2, 1), (6, 5), (7, 6), (0, 7), (8, 3), (9, 8), (3, 9)]
N = 11  # node 10 is isolated


def _graph():
    src = np.array([a for a, _ in FOLLOWS])
    dst = np.array([b for _, b in FOLLOWS])
    return audience_graph(src, dst, n_nodes=N)


def _edge_probs(prob):
    """Propagation edges (followee -> follower) with their probabilities."""
    edges = [(b, a) for a, b in FOLLOWS]
    if prob == "wc":
        following = np.bincount([a for a, _ in FOLLOWS], minlength=N)
        return [(u, w, 1.0 / following[w]) for u, w in edges]
    return [(u, w, prob) for u, w in edges]


def exact_spread(seeds, prob):
    """Expected number of active nodes, by summing over all 2^m live-edge worlds."""
    edges = _edge_probs(prob)
    total = 0.0
    for live in itertools.product([False, True], repeat=len(edges)):
        pr = 1.0
        adj = [[] for _ in range(N)]
        for (u, w, p), on in zip(edges, live):
            pr *= p if on else 1 - p
            if on:
                adj[u].append(w)
        if pr == 0.0:
            continue
        total += pr * len(_reached(adj, seeds))
    return total


def _reached(adj, starts):
    """Every node reachable from ``starts`` along the lists ``adj[u]`` (the starts included)."""
    seen, stack = set(starts), list(starts)
    while stack:
        u = stack.pop()
        for w in adj[u]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


@pytest.mark.parametrize("prob", [0.3, "wc"])
def test_monte_carlo_and_rr_estimates_match_exact_spread(prob):
    g = _graph()
    for seeds in ([0], [1, 8], [10], [0, 5, 9]):
        want = exact_spread(seeds, prob)
        mc = ic_spread(g, seeds, probability=prob, n_sim=20_000, seed=1)
        assert abs(mc.mean - want) <= 4 * mc.std_error + 1e-12, (seeds, mc.mean, want)
        rr = sample_rr_sets(g, 40_000, probability=prob, seed=2)
        est, se = rr.spread(seeds)
        assert abs(est - want) <= 4 * se + 1e-12, (seeds, est, want)


def test_rr_sets_reverse_the_cascade():
    g = _graph()
    rr = sample_rr_sets(g, 500, probability=1.0, seed=0)
    # with p = 1 an RR set is everyone who can reach its root along followee -> follower edges
    for j in range(rr.count):
        members = rr.members[rr.offsets[j]:rr.offsets[j + 1]]
        root = int(members[0])
        assert len(set(members.tolist())) == members.size
        reach = {u for u in range(N) if root in _reachable(u)}
        assert set(members.tolist()) == reach


def _reachable(u):
    adj = [[] for _ in range(N)]
    for a, b in FOLLOWS:
        adj[b].append(a)
    return _reached(adj, [u])


@pytest.mark.parametrize("prob", [0.3, "wc"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_imm_choice_is_near_the_brute_force_optimum(prob, k):
    g = _graph()
    pf = imm_portfolio(g, k, probability=prob, epsilon=0.2, seed=3)
    assert pf.nodes.size == k
    got = exact_spread(pf.nodes.tolist(), prob)
    opt = max(exact_spread(list(c), prob) for c in itertools.combinations(range(N), k))
    assert got >= (1 - 1 / math.e - 0.2) * opt
    # the reported spread is an unbiased estimate for the chosen seeds, within its error
    assert abs(pf.total - got) <= 4 * pf.std_error
    assert pf.cumulative[-1] == pytest.approx(pf.total)


def test_imm_spread_agrees_with_monte_carlo_on_a_random_graph():
    rng = np.random.default_rng(11)
    n, m = 3000, 15_000
    src = rng.integers(0, n, m)
    dst = np.minimum((rng.pareto(1.3, m) * 5).astype(int), n - 1)
    g = audience_graph(src, dst, n_nodes=n)
    for prob in (0.05, "wc"):
        pf = imm_portfolio(g, 10, probability=prob, epsilon=0.3, seed=0)
        mc = ic_spread(g, pf.nodes, probability=prob, n_sim=4000, seed=9)
        err = math.sqrt(pf.std_error ** 2 + mc.std_error ** 2)
        assert abs(pf.total - mc.mean) <= 4 * err, (prob, pf.total, mc.mean, err)
        assert pf.details["theta"] > 0 and not pf.details["capped"]


def test_imm_respects_candidates_and_budget_and_is_deterministic():
    g = _graph()
    allowed = np.zeros(N, bool)
    allowed[[2, 4, 6, 8]] = True
    pf = imm_portfolio(g, 2, probability=0.3, candidates=allowed, seed=5)
    assert set(pf.nodes.tolist()) <= {2, 4, 6, 8}
    costs = np.arange(1, N + 1, dtype=float)
    pb = imm_portfolio(g, N, probability=0.3, costs=costs, budget=6.0, seed=5)
    assert pb.total_cost <= 6.0
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = imm_portfolio(g, 3, probability="wc", seed=8)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = imm_portfolio(g, 3, probability="wc", seed=8)
    finally:
        numba.set_num_threads(before)
    assert a.nodes.tolist() == b.nodes.tolist() and a.total == b.total
    c1 = ic_spread(g, [0], seed=4).samples
    np.testing.assert_array_equal(c1, ic_spread(g, [0], seed=4).samples)


def test_imm_errors_and_degenerate_graphs():
    g = _graph()
    with pytest.raises(GraphInputError, match="probability"):
        imm_portfolio(g, 2, probability=1.5)
    with pytest.raises(GraphInputError, match="epsilon"):
        imm_portfolio(g, 2, epsilon=0)
    with pytest.raises(GraphInputError, match="'wc'"):
        ic_spread(g, [0], probability="linear")
    one = audience_graph([], [], n_nodes=1)
    pf = imm_portfolio(one, 3, seed=0)
    assert pf.nodes.tolist() == [0] and pf.total == pytest.approx(1.0)
    assert imm_portfolio(g, 2, candidates=np.zeros(N, bool)).nodes.size == 0
