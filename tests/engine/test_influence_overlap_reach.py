"""Audience overlap and unique reach: exact kernels vs Python sets, sketches within their documented bounds."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from naive import audiences
from zoo import directed_zoo

from nichegraph.engine import GraphInputError
from nichegraph.engine.influence import (
    audience_graph,
    audience_overlap,
    estimate_reach,
    minhash_sketches,
    reach_sketch,
    unique_reach,
)


def _zoo():
    """(name, follow_src, follow_dst, n) of the shared directed zoo (edge cases and random graphs)."""
    return [(name, src, dst, n) for name, n, src, dst, _, _ in directed_zoo()]


@pytest.mark.parametrize("name,src,dst,n", list(_zoo()), ids=[z[0] for z in _zoo()])
def test_exact_overlap_and_reach_match_python_sets(name, src, dst, n):
    g = audience_graph(src, dst, n_nodes=n)
    aud = audiences(src, dst, n)
    if n == 0:
        assert unique_reach(g, []) == 0
        return
    pairs = [(a, b) for a in range(n) for b in range(n)]
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    o = audience_overlap(g, a, b)
    for t, (x, y) in enumerate(pairs):
        inter = len(aud[x] & aud[y])
        union = len(aud[x] | aud[y])
        assert o.intersection[t] == inter and o.union[t] == union
        assert o.jaccard[t] == pytest.approx(inter / union if union else 0.0)
        mn = min(len(aud[x]), len(aud[y]))
        assert o.overlap_coefficient[t] == pytest.approx(inter / mn if mn else 0.0)
    rng = np.random.default_rng(n)
    for _ in range(10):
        s = rng.choice(n, size=int(rng.integers(0, n + 1)), replace=True)
        want = len(set().union(*[aud[u] for u in s.tolist()])) if s.size else 0
        assert unique_reach(g, s) == want


def _two_audiences(rng, size_a, size_b, shared, universe):
    ids = rng.choice(universe, size=size_a + size_b - shared, replace=False)
    a = ids[:size_a]
    b = np.concatenate([ids[:shared], ids[size_a:]])
    src = np.concatenate([a, b])
    dst = np.concatenate([np.zeros(size_a, int), np.ones(size_b, int)])
    return audience_graph(src, dst, n_nodes=universe), shared / (size_a + size_b - shared)


@pytest.mark.parametrize("shared", [0, 300, 1500, 3000])
def test_minhash_within_three_sigma_for_99_percent_of_seeds(shared):
    rng = np.random.default_rng(shared)
    g, jac = _two_audiences(rng, 3000, 4000, shared, 20_000)
    k = 128
    sigma = math.sqrt(jac * (1 - jac) / k)
    errs = []
    for seed in range(300):
        sk = minhash_sketches(g, [0, 1], k=k, seed=seed)
        errs.append(sk.jaccard([0], [1])[0] - jac)
    errs = np.array(errs)
    if sigma == 0:
        assert np.all(errs == 0)
        return
    inside = np.mean(np.abs(errs) <= 3 * sigma)
    assert inside >= 0.99, (inside, sigma)
    # unbiased: the mean over 300 seeds is within 4 standard errors of J
    assert abs(errs.mean()) <= 4 * sigma / math.sqrt(len(errs))
    assert sk.std_error(jac) == pytest.approx(sigma)


def test_minhash_identical_and_empty_audiences():
    g = audience_graph([2, 3, 2, 3], [0, 0, 1, 1], n_nodes=5)
    sk = minhash_sketches(g, k=16, seed=3)
    assert sk.jaccard([0], [1])[0] == 1.0
    assert sk.jaccard([0], [4])[0] == 0.0  # node 4 has no followers
    assert sk.intersection([0], [1])[0] == pytest.approx(2.0)


@pytest.mark.parametrize("true_size,p", [(50, 10), (3000, 10), (60_000, 11)])
def test_hyperloglog_within_three_sigma_for_99_percent_of_seeds(true_size, p):
    rng = np.random.default_rng(true_size)
    universe = true_size * 2
    followers = 8 + rng.choice(universe - 8, size=true_size, replace=False)  # no self-follows
    owners = rng.integers(0, 8, true_size)  # 8 accounts share these followers
    g = audience_graph(followers, owners, n_nodes=universe)
    assert unique_reach(g, np.arange(8)) == true_size
    sigma = 1.04 / math.sqrt(2 ** p) * true_size
    ests = np.array([estimate_reach(g, np.arange(8), p=p, seed=s).estimate for s in range(300)])
    inside = np.mean(np.abs(ests - true_size) <= 3 * sigma)
    assert inside >= 0.99, inside
    assert abs(ests.mean() - true_size) <= 4 * sigma / math.sqrt(len(ests)) + 0.01 * true_size


def test_hyperloglog_per_node_sketches_merge_like_the_union():
    rng = np.random.default_rng(2)
    g = audience_graph(rng.integers(0, 5000, 20_000), rng.integers(0, 30, 20_000), n_nodes=5000)
    nodes = np.arange(30)
    per = reach_sketch(g, nodes, p=12, seed=9, per_node=True)
    whole = reach_sketch(g, nodes, p=12, seed=9)
    np.testing.assert_array_equal(per.registers.max(axis=0), whole.registers[0])
    sub = per.union([0, 3, 5])
    assert sub.estimate == reach_sketch(g, [0, 3, 5], p=12, seed=9).union().estimate


def test_sketches_are_deterministic_across_thread_counts():
    rng = np.random.default_rng(5)
    g = audience_graph(rng.integers(0, 3000, 30_000), rng.integers(0, 200, 30_000), n_nodes=3000)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = minhash_sketches(g, k=32, seed=4).signatures
        ra = reach_sketch(g, np.arange(200), per_node=True, p=8, seed=4).registers
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = minhash_sketches(g, k=32, seed=4).signatures
        rb = reach_sketch(g, np.arange(200), per_node=True, p=8, seed=4).registers
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ra, rb)
    assert not np.array_equal(a, minhash_sketches(g, k=32, seed=5).signatures)


def test_bad_input_is_explained():
    g = audience_graph([1], [0])
    with pytest.raises(GraphInputError, match="outside"):
        unique_reach(g, [5])
    with pytest.raises(GraphInputError, match="same length"):
        audience_overlap(g, [0], [0, 1])
    with pytest.raises(GraphInputError, match="p must be between"):
        estimate_reach(g, [0], p=30)
    with pytest.raises(GraphInputError, match="engine.Graph"):
        unique_reach("not a graph", [0])
