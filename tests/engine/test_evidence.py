"""Empirical Bayes shrinkage and evidence counts, checked against slow plain-Python references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from zoo import random_arcs

from nichegraph.engine import GraphInputError, hidden_influencer_score
from nichegraph.engine.evidence import BetaPrior, distinct_inbound, evidence_weight, fit_beta_prior, shrink_ratio


def naive_fit(successes, trials):
    """Kleinman's beta-binomial method of moments, one account at a time (the formulas of engine/evidence.py)."""
    pairs = [(float(k), float(n)) for k, n in zip(successes, trials, strict=True) if n > 0]
    if len(pairs) < 2:
        return 1.0, 1.0
    total = sum(n for _, n in pairs)
    mu = sum(k for k, _ in pairs) / total
    if mu <= 0 or mu >= 1:
        return 1.0, 1.0
    s = 0.0
    share_sum = 0.0
    den = 0.0
    for k, n in pairs:
        s += n * (k / n - mu) ** 2
        share_sum += 1 - n / total
        den += (1 - n / total) * (n - 1)
    if den <= 0:
        return 1.0, 1.0
    rho = (s / (mu * (1 - mu)) - share_sum) / den
    rho = min(max(rho, 1e-6), 1 - 1e-6)
    strength = 1 / rho - 1
    return mu * strength, (1 - mu) * strength


def naive_shrink(successes, trials, alpha, beta):
    est, sd = [], []
    for k, n in zip(successes, trials, strict=True):
        a, b = k + alpha, n - k + beta
        est.append(a / (a + b))
        sd.append(math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))))
    return est, sd


def _cases():
    rng = np.random.default_rng(7)
    out = {
        "uniform four": ([0, 1, 2, 3, 4], [4, 4, 4, 4, 4]),
        "overdispersed": ([0, 0, 10, 10, 1, 9], [10, 10, 10, 10, 10, 10]),
        "with zero trials": ([0, 3, 0, 5], [0, 4, 2, 9]),
        "weighted events": ([0.25, 2.5, 1.0, 3.75], [1.0, 3.0, 2.5, 4.0]),
        "all singletons": ([1, 0, 1, 1], [1, 1, 1, 1]),
        "all zero": ([0, 0, 0], [3, 5, 1]),
        "one account": ([2], [5]),
    }
    for i in range(6):
        m = int(rng.integers(3, 60))
        n = rng.integers(0, 40, m).astype(float)
        p = rng.beta(rng.uniform(0.2, 5), rng.uniform(0.2, 5), m)
        out[f"random {i}"] = (rng.binomial(n.astype(int), p).astype(float), n)
    return out


@pytest.mark.parametrize("name", list(_cases()))
def test_fit_and_shrink_match_the_naive_reference(name):
    k, n = _cases()[name]
    prior = fit_beta_prior(k, n)
    alpha, beta = naive_fit(k, n)
    assert prior.alpha == pytest.approx(alpha, rel=1e-10) and prior.beta == pytest.approx(beta, rel=1e-10)
    r = shrink_ratio(k, n)
    est, sd = naive_shrink(k, n, alpha, beta)
    assert np.allclose(r.estimate, est, rtol=1e-10) and np.allclose(r.sd, sd, rtol=1e-10)
    raw = [kk / nn if nn > 0 else math.nan for kk, nn in zip(k, n, strict=True)]
    assert np.allclose(r.raw, raw, equal_nan=True)


def test_moments_fit_recovers_a_known_prior():
    """10,000 accounts drawn from Beta(2, 6) with 5-60 trials each: the fit lands near (2, 6)."""
    rng = np.random.default_rng(1)
    n = rng.integers(5, 60, 10_000)
    k = rng.binomial(n, rng.beta(2.0, 6.0, n.size))
    prior = fit_beta_prior(k, n)
    assert prior.mean == pytest.approx(0.25, abs=0.01)
    assert prior.strength == pytest.approx(8.0, rel=0.1)


def test_shrinkage_never_lets_one_observation_outrank_many():
    """1 of 1 answered ranks below 40 of 50 once the population mean is low; the order follows evidence."""
    k = np.array([1, 40, 0, 1, 2, 0, 1, 3])
    n = np.array([1, 50, 4, 10, 12, 6, 8, 20])
    r = shrink_ratio(k, n)
    assert r.raw[0] > r.raw[1] and r.estimate[0] < r.estimate[1]
    # more trials, less uncertainty; every estimate sits between its raw share and the prior mean
    assert r.sd[1] < r.sd[0]
    lo, hi = np.minimum(r.raw, r.prior.mean), np.maximum(r.raw, r.prior.mean)
    assert np.all((r.estimate >= lo - 1e-12) & (r.estimate <= hi + 1e-12))


def test_bad_counts_are_refused_with_a_reason():
    with pytest.raises(GraphInputError, match="successes <= trials"):
        fit_beta_prior([3], [2])
    with pytest.raises(GraphInputError, match="finite"):
        shrink_ratio([np.nan], [1])
    with pytest.raises(GraphInputError, match="one length"):
        shrink_ratio([1, 2], [3])
    with pytest.raises(GraphInputError, match="half"):
        evidence_weight([1], 0.0)


def test_given_prior_is_used():
    r = shrink_ratio([1, 0], [1, 0], prior=BetaPrior(1.0, 9.0, 5))
    assert r.estimate.tolist() == pytest.approx([2 / 11, 0.1]) and math.isnan(r.raw[1])


@pytest.mark.parametrize("seed", range(5))
def test_distinct_inbound_matches_sets(seed):
    rng, n, src, dst = random_arcs(seed, 200)
    comm = rng.integers(0, 3, n)
    everyone = [set() for _ in range(n)]
    own = [set() for _ in range(n)]
    for s, d in zip(src.tolist(), dst.tolist(), strict=True):
        if s != d:
            everyone[d].add(s)
            if comm[s] == comm[d]:
                own[d].add(s)
    assert distinct_inbound(n, src, dst).tolist() == [len(x) for x in everyone]
    assert distinct_inbound(n, src, dst, community=comm).tolist() == [len(x) for x in own]


def test_hidden_score_needs_evidence_naive():
    """The score against a loop over the formula H = E * N * S * W, NaN below the minimum evidence."""
    rng = np.random.default_rng(4)
    n = 300
    pct = rng.uniform(0, 100, n)
    sr = np.where(rng.random(n) < 0.3, np.nan, rng.random(n))
    fb = np.where(rng.random(n) < 0.3, np.nan, rng.random(n))
    code = rng.integers(0, 5, n)
    engaged = rng.integers(0, 20, n)
    h = hidden_influencer_score(pct, sr, fb, code, eligible_tiers=(0, 1, 4), engaged=engaged, min_evidence=3,
                                evidence_half=6.0)
    for v in range(n):
        if engaged[v] < 3:
            assert math.isnan(h.score[v])
            continue
        parts = [x for x in (sr[v], fb[v]) if not math.isnan(x)]
        social = sum(parts) / len(parts) if parts else 0.0
        want = (pct[v] / 100) * social * engaged[v] / (engaged[v] + 6.0) if code[v] in (0, 1, 4) else 0.0
        assert h.score[v] == pytest.approx(want, abs=1e-12)
