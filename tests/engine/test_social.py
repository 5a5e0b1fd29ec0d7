"""Social vs parasocial ratios and the attention graph against naive Python."""

from __future__ import annotations

import numpy as np
import pytest
from zoo import random_arcs

from nichegraph.engine import (
    KINDS,
    GraphInputError,
    aggregate_by_group,
    asymmetry,
    attention_graph,
    follow_back_ratio,
    from_edges,
    kind_weights,
    social_ratio,
)


def random_events(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 25))
    m = int(rng.integers(0, 150))
    s, d = rng.integers(0, n, m), rng.integers(0, n, m)
    ts = rng.integers(0, 1000, m)
    ts[rng.random(m) < 0.1] = -1  # some events without time
    w = rng.integers(1, 4, m).astype(float)
    return n, s, d, ts, w


def naive_social(n, s, d, ts, w, window):
    rec, inb = [0.0] * n, [0.0] * n
    ev = list(zip(s.tolist(), d.tolist(), ts.tolist(), w.tolist()))
    for u, v, t, c in ev:
        if u == v:
            continue
        inb[v] += c
        back = [t2 for a, b, t2, _ in ev if a == v and b == u]
        if window is None:
            ok = bool(back)
        else:
            ok = t >= 0 and any(t2 >= 0 and abs(t2 - t) <= window for t2 in back)
        if ok:
            rec[v] += c
    return rec, inb


@pytest.mark.parametrize("window", [None, 0, 30, 200])
@pytest.mark.parametrize("seed", range(8))
def test_social_ratio_matches_naive(seed, window):
    n, s, d, ts, w = random_events(seed)
    got = social_ratio(n, s, d, ts=ts, weight=w, window=window)
    rec, inb = naive_social(n, s, d, ts, w, window)
    assert np.allclose(got.reciprocated, rec) and np.allclose(got.inbound, inb)
    ratio = [r / i if i > 0 else np.nan for r, i in zip(rec, inb)]
    assert np.allclose(got.ratio, ratio, equal_nan=True, atol=1e-12)
    senders = [{a for a, b in zip(s.tolist(), d.tolist()) if b == v and a != v} for v in range(n)]
    assert got.partners.tolist() == [len(x) for x in senders]


def test_social_ratio_errors():
    with pytest.raises(GraphInputError, match="timestamps"):
        social_ratio(2, [0], [1], window=10)
    with pytest.raises(GraphInputError, match="node indices"):
        social_ratio(2, [0], [2])


@pytest.mark.parametrize("seed", range(6))
def test_follow_back_and_asymmetry_match_naive(seed):
    rng, n, s, d = random_arcs(seed, 100)
    w = rng.random(s.shape[0]) + 0.5
    pairs = {(a, b) for a, b in zip(s.tolist(), d.tolist()) if a != b}
    fb = []
    for v in range(n):
        followers = {a for a, b in pairs if b == v}
        fb.append(len({a for a in followers if (v, a) in pairs}) / len(followers) if followers else np.nan)
    assert np.allclose(follow_back_ratio(from_edges(s, d, n_nodes=n)), fb, equal_nan=True, atol=1e-12)
    a_in, a_out = np.zeros(n), np.zeros(n)
    for a, b, x in zip(s.tolist(), d.tolist(), w.tolist()):
        if a != b:
            a_out[a] += x
            a_in[b] += x
    tot = a_in + a_out
    ref = [(i - o) / t if t > 0 else np.nan for i, o, t in zip(a_in, a_out, tot)]
    assert np.allclose(asymmetry(from_edges(s, d, w, n_nodes=n)), ref, equal_nan=True, atol=1e-12)


def test_aggregate_by_group():
    vals = np.array([0.5, np.nan, 1.0, 0.0, 0.25])
    groups = np.array(["micro", "micro", "nano", "nano", "nano"])
    agg = aggregate_by_group(vals, groups, numerator=[1, 0, 2, 0, 1], denominator=[2, 0, 2, 3, 4])
    rows = {r["group"]: r for r in agg.rows()}
    assert rows["micro"]["n"] == 2 and rows["micro"]["n_defined"] == 1 and rows["micro"]["mean"] == 0.5
    assert rows["nano"]["median"] == 0.25 and abs(rows["nano"]["mean"] - 1.25 / 3) < 1e-12
    assert rows["nano"]["pooled"] == 3 / 9 and rows["micro"]["pooled"] == 0.5


def test_attention_graph_weights_match_naive():
    rng = np.random.default_rng(5)
    n = 12
    fs, fd = rng.integers(0, n, 30), rng.integers(0, n, 30)
    isrc, idst = rng.integers(0, n, 60), rng.integers(0, n, 60)
    kind = rng.integers(0, len(KINDS), 60)
    cnt = rng.integers(1, 3, 60).astype(float)
    kw = kind_weights({"like": 0.1, "repost": 2.0})
    g = attention_graph(n, fs, fd, isrc, idst, kind, cnt, follow_weight=0.5, kind_weight=kw)
    ref: dict[tuple[int, int], float] = {}
    for a, b in zip(fs.tolist(), fd.tolist()):
        if a != b:
            ref[(a, b)] = ref.get((a, b), 0.0) + 0.5
    for a, b, k, c in zip(isrc.tolist(), idst.tolist(), kind.tolist(), cnt.tolist()):
        if a != b:
            ref[(a, b)] = ref.get((a, b), 0.0) + kw[k] * c
    src, dst, w = g.edges()
    got = {(int(a), int(b)): float(x) for a, b, x in zip(src, dst, w)}
    assert got.keys() == ref.keys()
    assert all(abs(got[k] - ref[k]) < 1e-12 for k in ref)
    assert kw[KINDS.index("like")] == 0.1 and kw[KINDS.index("mention")] == 1.0


def test_attention_graph_errors():
    with pytest.raises(GraphInputError, match="unknown interaction kind"):
        kind_weights({"poke": 1.0})
    with pytest.raises(GraphInputError, match="interaction_kind"):
        attention_graph(2, [], [], [0], [1], [9])
    with pytest.raises(GraphInputError, match="kind_weight"):
        attention_graph(2, [], [], [0], [1], [0], kind_weight=[1.0])
