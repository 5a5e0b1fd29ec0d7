"""Reach portfolios: lazy greedy equals plain greedy, and is within its guarantee of a brute-force optimum."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from naive import audiences

from nichegraph.engine import GraphInputError
from nichegraph.engine.influence import audience_graph, greedy_max_coverage, max_reach_portfolio, unique_reach


def _random_world(seed, n=14, m=45):
    rng = np.random.default_rng(seed)
    # skewed followee choice so some audiences overlap heavily
    dst = np.minimum((rng.pareto(1.2, m) * 2).astype(int), n - 1)
    src = rng.integers(0, n, m)
    return audience_graph(src, dst, n_nodes=n), src, dst


def _naive_greedy(aud, k, allowed):
    covered, chosen, gains = set(), [], []
    for _ in range(k):
        best, best_gain = None, 0
        for u in range(len(aud)):
            if allowed[u] and u not in chosen:
                g = len(aud[u] - covered)
                if g > best_gain:
                    best, best_gain = u, g
        if best is None:
            break
        chosen.append(best)
        gains.append(best_gain)
        covered |= aud[best]
    return chosen, gains


@pytest.mark.parametrize("seed", range(25))
def test_lazy_greedy_is_plain_greedy_and_within_1_minus_1_over_e(seed):
    g, src, dst = _random_world(seed)
    n = g.n_nodes
    aud = audiences(src, dst, n)
    rng = np.random.default_rng(seed + 100)
    allowed = rng.random(n) < 0.8
    for k in (1, 2, 3, 4):
        pf = max_reach_portfolio(g, k, candidates=allowed)
        chosen, gains = _naive_greedy(aud, k, allowed)
        assert pf.nodes.tolist() == chosen
        assert pf.marginal_gain.tolist() == gains
        assert pf.total == unique_reach(g, pf.nodes)
        assert np.all(allowed[pf.nodes])
        opt = max((len(set().union(*[aud[u] for u in c])) for c in
                   itertools.combinations(np.flatnonzero(allowed).tolist(), min(k, int(allowed.sum())))),
                  default=0)
        assert pf.total >= (1 - 1 / math.e) * opt
        assert pf.total <= opt
        assert pf.guarantee == pytest.approx(1 - 1 / math.e)


@pytest.mark.parametrize("seed", range(25))
def test_budgeted_greedy_within_half_1_minus_1_over_e(seed):
    g, src, dst = _random_world(seed, n=12, m=40)
    n = g.n_nodes
    aud = audiences(src, dst, n)
    rng = np.random.default_rng(seed)
    costs = rng.uniform(0.5, 4.0, n)
    budget = float(rng.uniform(2.0, 8.0))
    pf = max_reach_portfolio(g, n, costs=costs, budget=budget)
    assert pf.total_cost <= budget + 1e-9
    assert pf.total == unique_reach(g, pf.nodes)
    opt = 0
    for r in range(1, n + 1):
        for c in itertools.combinations(range(n), r):
            if costs[list(c)].sum() <= budget:
                opt = max(opt, len(set().union(*[aud[u] for u in c])))
    assert pf.total >= 0.5 * (1 - 1 / math.e) * opt
    assert pf.total <= opt


def test_budget_prefers_the_best_single_account_when_greedy_is_fooled():
    # account 0: 10 followers, cost 10; account 1: 1 follower, cost 0.5.  Budget 10.
    src = np.concatenate([np.arange(2, 12), [12]])
    dst = np.concatenate([np.zeros(10, int), [1]])
    g = audience_graph(src, dst, n_nodes=13)
    costs = np.ones(13)
    costs[0], costs[1] = 10.0, 0.5
    pf = max_reach_portfolio(g, 5, costs=costs, budget=10.0)
    assert pf.strategy == "best-single" and pf.nodes.tolist() == [0] and pf.total == 10


def test_stops_when_nothing_adds_reach_and_handles_empty_graphs():
    g = audience_graph([1, 2], [0, 0], n_nodes=4)
    pf = max_reach_portfolio(g, 3)
    assert pf.nodes.tolist() == [0] and pf.total == 2
    empty = audience_graph([], [], n_nodes=0)
    assert max_reach_portfolio(empty, 3).nodes.size == 0
    assert max_reach_portfolio(g, 3, candidates=np.zeros(4, bool)).total == 0


def test_generic_coverage_and_errors():
    indptr = np.array([0, 2, 4, 5], dtype=np.int64)
    indices = np.array([0, 1, 1, 2, 3], dtype=np.int64)
    cov = greedy_max_coverage(indptr, indices, 4, 3)
    assert cov.nodes.tolist() == [0, 1, 2] and cov.gains.tolist() == [2, 1, 1]
    g = audience_graph([1], [0])
    with pytest.raises(GraphInputError, match="budget"):
        max_reach_portfolio(g, 1, costs=np.ones(2))
    with pytest.raises(GraphInputError, match="> 0"):
        max_reach_portfolio(g, 1, costs=np.array([0.0, 1.0]), budget=1)
    with pytest.raises(GraphInputError, match="boolean mask"):
        max_reach_portfolio(g, 1, candidates=np.ones(5, bool))
    with pytest.raises(GraphInputError, match="k must be"):
        max_reach_portfolio(g, 0)
