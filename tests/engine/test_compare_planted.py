"""Partition agreement measures against naive formulas, and the planted generator's promises."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from nichegraph.engine.compare import ari, nmi
from nichegraph.engine.planted import planted_partition


def naive_nmi(a, b):
    n = len(a)
    ca, cb, cab = Counter(a), Counter(b), Counter(zip(a, b))
    ha = -sum(c / n * math.log(c / n) for c in ca.values())
    hb = -sum(c / n * math.log(c / n) for c in cb.values())
    if ha + hb == 0:
        return 1.0
    mi = sum(c / n * math.log(c * n / (ca[x] * cb[y])) for (x, y), c in cab.items())
    return 2 * mi / (ha + hb)


def naive_ari(a, b):
    n = len(a)
    comb = lambda x: x * (x - 1) / 2
    index = sum(comb(c) for c in Counter(zip(a, b)).values())
    sa = sum(comb(c) for c in Counter(a).values())
    sb = sum(comb(c) for c in Counter(b).values())
    expected = sa * sb / comb(n)
    return (index - expected) / ((sa + sb) / 2 - expected)


@pytest.mark.parametrize("seed", range(5))
def test_nmi_and_ari_match_naive(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 6, 300)
    b = np.where(rng.random(300) < 0.4, rng.integers(0, 9, 300), a)
    assert nmi(a, b) == pytest.approx(naive_nmi(a.tolist(), b.tolist()), abs=1e-12)
    assert ari(a, b) == pytest.approx(naive_ari(a.tolist(), b.tolist()), abs=1e-12)
    assert nmi(a, a) == pytest.approx(1.0)
    assert nmi(a, b) == pytest.approx(nmi(b, a))


def test_planted_partition_is_deterministic_and_mixes_as_asked():
    p1 = planted_partition(50_000, mixing=0.3, max_size=300, seed=3)
    p2 = planted_partition(50_000, mixing=0.3, max_size=300, seed=3)
    assert np.array_equal(p1.graph.indices, p2.graph.indices) and np.array_equal(p1.labels, p2.labels)
    g, labels = p1.graph, p1.labels
    src, dst, _ = g.edges()
    assert 0.25 < np.mean(labels[src] != labels[dst]) < 0.36
    assert 0.8 * 50_000 < g.n_edges <= 50_000 * 1.05
    sizes = np.bincount(labels)
    assert sizes.min() >= 20 and sizes.max() <= 300
    assert not np.any(src == dst)
