"""Tiers, the hidden-influencer score and ranking helpers."""

from __future__ import annotations

import numpy as np
import pytest

from nichegraph.engine import TIER_NAMES, GraphInputError, hidden_influencer_score, tiers
from nichegraph.engine.tiers import tier_names


def test_tier_boundaries():
    f = np.array([0, 9_999, 10_000, 99_999, 100_000, 999_999, 1_000_000, np.nan, np.nan])
    obs = np.array([5, 5, 5, 5, 5, 5, 5, 12_000, 3])
    code, est = tiers(f, obs, follows_complete=True)
    assert tier_names(code).tolist() == ["nano", "nano", "micro", "micro", "macro", "macro", "mega", "micro", "nano"]
    assert est.tolist() == [False] * 7 + [True, True]
    # without the statement that the follows are complete, a missing count is an unknown tier, never a guess
    code, est = tiers(f, obs)
    assert tier_names(code).tolist()[7:] == ["unknown", "unknown"] and not est.any()
    assert tier_names(code).tolist()[:7] == ["nano", "nano", "micro", "micro", "macro", "macro", "mega"]


def test_tier_custom_thresholds_and_errors():
    code, _ = tiers([5.0, 50.0, 500.0], [0, 0, 0], thresholds=(10, 100), names=("s", "m", "l"))
    assert code.tolist() == [0, 1, 2]
    with pytest.raises(GraphInputError, match="increasing"):
        tiers([1.0], [0], thresholds=(100, 10, 1000))
    with pytest.raises(GraphInputError, match="thresholds"):
        tiers([1.0], [0], thresholds=(10,))
    with pytest.raises(GraphInputError, match=">= 0"):
        tiers([-1.0], [0])
    assert TIER_NAMES == ("nano", "micro", "macro", "mega")


@pytest.mark.parametrize("seed", range(5))
def test_hidden_score_matches_naive(seed):
    rng = np.random.default_rng(seed)
    n = 40
    pct = rng.random(n) * 100
    pct[rng.random(n) < 0.1] = np.nan
    sr = rng.random(n)
    sr[rng.random(n) < 0.3] = np.nan
    fb = rng.random(n)
    fb[rng.random(n) < 0.3] = np.nan
    code = rng.integers(0, 4, n)
    h = hidden_influencer_score(pct, sr, fb, code)
    for i in range(n):
        defined = [x for x in (sr[i], fb[i]) if not np.isnan(x)]
        social = sum(defined) / len(defined) if defined else 0.0
        niche = 0.0 if np.isnan(pct[i]) else pct[i] / 100
        expect = niche * social if code[i] in (0, 1) else 0.0
        assert abs(h.score[i] - expect) < 1e-12
        assert h.eligible[i] == (code[i] in (0, 1))
    h2 = hidden_influencer_score(pct, sr, fb, code, eligible_tiers=(0, 1, 2, 3))
    assert np.all(h2.score >= h.score) and h2.eligible.all()


def test_docs_metrics_examples():
    """Every worked example in docs/metrics.md runs and prints what the doc says."""
    import doctest
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
    res = doctest.testfile(str(doc), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 20
    assert res.failed == 0
