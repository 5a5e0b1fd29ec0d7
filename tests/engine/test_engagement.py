"""Engagement rate kernels (engine.engagement) against naive per-account Python references."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from nichegraph.engine import engagement as E
from nichegraph.engine.errors import GraphInputError


def _naive_medians(n, author, eng, followers, views, keep):
    by_f, by_v, cnt, cnt_v = [], [], [], []
    for a in range(n):
        rf = [eng[i] / followers[a] for i in range(len(author))
              if author[i] == a and keep[i] and not np.isnan(eng[i]) and followers[a] > 0]
        rv = [eng[i] / views[i] for i in range(len(author))
              if author[i] == a and keep[i] and not np.isnan(eng[i]) and views[i] > 0]
        by_f.append(float(np.median(rf)) if rf else np.nan)
        by_v.append(float(np.median(rv)) if rv else np.nan)
        cnt.append(len(rf))
        cnt_v.append(len(rv))
    return np.array(by_f), np.array(by_v), np.array(cnt), np.array(cnt_v)


@pytest.mark.parametrize("seed", range(12))
def test_post_rates_match_naive_medians(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 15))
    p = int(rng.integers(0, 80))
    author = rng.integers(0, n, p)
    eng = rng.integers(0, 500, p).astype(float)
    eng[rng.random(p) < 0.2] = np.nan  # posts without metrics
    followers = rng.integers(0, 5000, n).astype(float)
    followers[rng.random(n) < 0.2] = np.nan  # unknown counts
    followers[rng.random(n) < 0.1] = 0.0  # no followers: undefined rate
    views = rng.integers(0, 20_000, p).astype(float)
    views[rng.random(p) < 0.3] = np.nan
    keep = rng.random(p) < 0.8
    got = E.post_rates(n, author, eng, followers, views=views, in_window=keep & ~np.isnan(eng))
    ref = _naive_medians(n, author, eng, followers, views, keep)
    np.testing.assert_allclose(got.by_followers, ref[0], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got.by_views, ref[1], rtol=1e-12, equal_nan=True)
    assert got.posts.tolist() == ref[2].tolist() and got.posts_with_views.tolist() == ref[3].tolist()


@pytest.mark.parametrize("seed", range(10))
def test_grouped_quantiles_equal_numpy_per_group(seed):
    rng = np.random.default_rng(100 + seed)
    m, k = int(rng.integers(0, 200)), int(rng.integers(1, 12))
    values = rng.normal(size=m)
    values[rng.random(m) < 0.15] = np.nan
    values[rng.random(m) < 0.2] = 0.5  # ties
    groups = rng.integers(0, k, m)
    qs = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
    got = E.grouped_quantiles(values, groups, k, qs)
    for g in range(k):
        mine = values[(groups == g) & ~np.isnan(values)]
        assert got.count[g] == mine.size
        if mine.size:
            np.testing.assert_array_equal(got.values[g], np.quantile(mine, qs))  # same method, bit for bit
        else:
            assert np.isnan(got.values[g]).all()


def test_shrinkage_never_lets_one_post_outrank_many():
    # one post at 50% vs forty posts at 10%, peers at 1%: the single post must not win at the
    # stage's default half weight (12 posts); a weak prior (5 posts) would let it win
    rate = np.array([0.5, 0.1])
    shrunk = E.shrink_to_peers(rate, np.array([1, 40]), np.array([0.01, 0.01]), half=12.0)
    assert shrunk[1] > shrunk[0]
    weak = E.shrink_to_peers(rate, np.array([1, 40]), np.array([0.01, 0.01]), half=5.0)
    assert weak[0] > weak[1]
    # many posts: the own rate dominates; no posts (NaN rate) stays unknown
    big = E.shrink_to_peers(np.array([0.2, np.nan]), np.array([10_000, 0]), np.array([0.01, 0.01]), half=5.0)
    assert abs(big[0] - 0.2) < 1e-3 and np.isnan(big[1])


def test_shrinkage_is_the_evidence_weighted_mean():
    rng = np.random.default_rng(7)
    r, n, m = rng.random(50), rng.integers(0, 30, 50), rng.random(50)
    h = 3.0
    ref = [(k / (k + h)) * a + (h / (k + h)) * b for a, k, b in zip(r, n, m)]
    np.testing.assert_allclose(E.shrink_to_peers(r, n, m, half=h), ref, rtol=1e-12)


def test_log_rate_and_peer_benchmarks():
    got = E.log_rate([12, 3, 0, 4], [4, 1, 2, 0], [100.0, 0.0, 50.0, 10.0])
    np.testing.assert_allclose(got, [0.03, np.nan, 0.0, np.nan], equal_nan=True)
    quart, peers = E.peer_benchmarks([0.1, 0.3, np.nan, 0.2, 0.9], [0, 0, 0, 1, -1], 2)
    np.testing.assert_allclose(quart[0], np.quantile([0.1, 0.3], (0.25, 0.5, 0.75)))
    np.testing.assert_allclose(quart[3], [0.2, 0.2, 0.2])
    assert np.isnan(quart[4]).all() and peers.tolist() == [2, 2, 2, 1, 0]


def test_bad_input_is_refused():
    with pytest.raises(GraphInputError):
        E.post_rates(2, [0, 2], [1.0, 1.0], [1.0, 1.0])  # author out of range
    with pytest.raises(GraphInputError):
        E.post_rates(2, [0], [-1.0], [1.0, 1.0])  # negative engagements
    with pytest.raises(GraphInputError):
        E.grouped_quantiles([1.0], [0], 1, qs=(1.5,))


def test_empty_and_docstring_examples():
    r = E.post_rates(3, [], [], [1.0, np.nan, 3.0])
    assert np.isnan(r.by_followers).all() and r.posts.tolist() == [0, 0, 0]
    assert doctest.testmod(E).failed == 0
