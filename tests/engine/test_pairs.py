"""Counting-sort pair grouping (engine.pairs) and the mutual ties built on it, against plain numpy and Python."""

from __future__ import annotations

import numpy as np
import pytest

from nichegraph.engine.mutual_ties import mutual_ties
from zoo import parallel_kernels

from nichegraph.engine.pairs import collapse_by_time, key_order, pair_csr, pair_order, sort_within_rows


def random_pairs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    m = int(rng.integers(0, 300))
    a, b = rng.integers(0, n, m).astype(np.int32), rng.integers(0, n, m).astype(np.int32)
    w = rng.random(m) * rng.integers(1, 5, m)
    return n, a, b, w


@pytest.mark.parametrize("seed", range(20))
def test_pair_order_is_the_stable_key_sort(seed):
    n, a, b, _ = random_pairs(seed)
    key = a.astype(np.int64) * n + b
    assert pair_order(n, a, b).tolist() == np.argsort(key, kind="stable").tolist()
    some = np.flatnonzero(a != b)
    assert pair_order(n, a, b, some).tolist() == some[np.argsort(key[some], kind="stable")].tolist()


@pytest.mark.parametrize("drop_self", [False, True])
@pytest.mark.parametrize("seed", range(20))
def test_pair_csr_matches_unique_and_bincount_bit_for_bit(seed, drop_self):
    n, a, b, w = random_pairs(seed)
    keep = a != b if drop_self else np.ones(a.size, bool)
    key = a[keep].astype(np.int64) * n + b[keep]
    uniq, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv.reshape(-1), weights=w[keep], minlength=uniq.size)
    got = pair_csr(n, a, b, w, drop_self=drop_self)
    assert got.indptr.tolist() == np.searchsorted(uniq // n if n else uniq, np.arange(n + 1)).tolist()
    assert got.rows().tolist() == (uniq // n).tolist()
    assert got.indices.tolist() == (uniq % n).tolist()
    assert got.weight.tolist() == sums.tolist()  # same additions in the same order: equal, not close
    counted = pair_csr(n, a, b, drop_self=drop_self)
    assert counted.weight.tolist() == np.bincount(inv.reshape(-1), minlength=uniq.size).astype(float).tolist()
    given = pair_csr(n, a, b, w, drop_self=drop_self, order=pair_order(n, a, b))  # the order given, then filtered
    for name in ("indptr", "indices", "weight"):
        assert getattr(given, name).tolist() == getattr(got, name).tolist()


def test_pair_csr_empty_and_one_node():
    r = pair_csr(3, np.zeros(0, np.int32), np.zeros(0, np.int32))
    assert r.indptr.tolist() == [0, 0, 0, 0] and r.indices.size == 0 and r.weight.size == 0
    r = pair_csr(1, np.array([0, 0]), np.array([0, 0]), drop_self=True)
    assert r.indptr.tolist() == [0, 0] and r.indices.size == 0


def naive_ties(n, fs, fd, isrc, idst, w):
    fol = {(s, d) for s, d in zip(fs, fd) if s != d}
    iw: dict = {}
    for s, d, x in zip(isrc, idst, w):
        if s != d:
            iw[(s, d)] = iw.get((s, d), 0.0) + x
    out = []
    for u in range(n):
        row = []
        for v in range(n):
            mf = (u, v) in fol and (v, u) in fol
            mi = (u, v) in iw and (v, u) in iw
            if u != v and (mf or mi):
                s = min(iw[(u, v)], iw[(v, u)]) if mi else 0.0
                row.append((-s, not mf, v, u, s, mf))
        out.extend(sorted(row))
    return out


def ties_world(seed, max_n, follows):
    """A random world of ``follows`` follows and 90 weighted interactions among at most ``max_n`` accounts."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, max_n))
    fs, fd = rng.integers(0, n, follows), rng.integers(0, n, follows)
    isrc, idst = rng.integers(0, n, 90), rng.integers(0, n, 90)
    return n, fs, fd, isrc, idst, rng.integers(1, 4, 90).astype(float)


@pytest.mark.parametrize("seed", range(12))
def test_mutual_ties_and_their_top_cut_match_naive(seed):
    n, fs, fd, isrc, idst, w = ties_world(100 + seed, 15, 70)
    want = naive_ties(n, fs.tolist(), fd.tolist(), isrc.tolist(), idst.tolist(), w.tolist())
    full = mutual_ties(n, fs, fd, isrc, idst, w, per_node=n)
    got = list(zip(full.account.tolist(), full.other.tolist(), full.strength.tolist(), full.mutual_follow.tolist()))
    assert got == [(t[3], t[2], t[4], t[5]) for t in want]
    for k in (0, 1, 2, 5):
        cut, direct = full.top(k), mutual_ties(n, fs, fd, isrc, idst, w, per_node=k)
        for name in ("account", "other", "strength", "mutual_follow"):
            assert getattr(cut, name).tolist() == getattr(direct, name).tolist()
        assert np.all(np.bincount(cut.account, minlength=n) <= k)


@pytest.mark.parametrize("seed", range(15))
def test_key_order_and_collapse_by_time_match_naive(seed):
    n, a, b, w = random_pairs(seed)
    rng = np.random.default_rng(seed)
    ts = np.where(rng.random(a.size) < 0.2, -rng.integers(1, 3, a.size), rng.integers(0, 5, a.size)).astype(np.int64)
    assert key_order(n, a).tolist() == np.argsort(a, kind="stable").tolist()
    sums: dict = {}
    for x, y, t, c in zip(a.tolist(), b.tolist(), ts.tolist(), w.tolist()):  # event order, as the kernel adds
        k = (x, y, t if t >= 0 else -1)
        sums[k] = sums.get(k, 0.0) + c
    want = sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] < 0, kv[0][2]))
    got = collapse_by_time(pair_order(n, a, b), a, b, ts, w)
    assert [x.tolist() for x in got] == [[k[i] for k, _ in want] for i in range(3)] + [[v for _, v in want]]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("seed", range(8))
def test_parallel_counting_pass_is_the_stable_sort_at_any_thread_count(seed, threads, monkeypatch):
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(1, 30))
    m = int(rng.integers(0, 5000))
    a = rng.integers(0, n, m).astype(np.int32)
    if seed % 2:  # skewed keys: one popular key, as with a popular account
        a[rng.random(m) < 0.6] = n - 1
    some = np.flatnonzero(rng.random(m) < 0.7)
    with parallel_kernels(monkeypatch, threads):
        assert key_order(n, a).tolist() == np.argsort(a, kind="stable").tolist()
        assert key_order(n, a, some).tolist() == some[np.argsort(a[some], kind="stable")].tolist()
        second = rng.integers(0, 7, m)
        order = key_order(n, a)
        sort_within_rows(order, np.concatenate([[0], np.cumsum(np.bincount(a, minlength=n))]), second)
        assert order.tolist() == np.lexsort((second, a)).tolist()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("seed", range(4))
def test_parallel_mutual_ties_match_naive_at_any_thread_count(seed, threads, monkeypatch):
    n, fs, fd, isrc, idst, w = ties_world(400 + seed, 15, 70)
    want = naive_ties(n, fs.tolist(), fd.tolist(), isrc.tolist(), idst.tolist(), w.tolist())
    with parallel_kernels(monkeypatch, threads):
        full = mutual_ties(n, fs, fd, isrc, idst, w, per_node=n)
        cut = mutual_ties(n, fs, fd, isrc, idst, w, per_node=2)
    got = list(zip(full.account.tolist(), full.other.tolist(), full.strength.tolist(), full.mutual_follow.tolist()))
    assert got == [(t[3], t[2], t[4], t[5]) for t in want]
    assert cut.other.tolist() == full.top(2).other.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_mutual_ties_from_the_follow_graph_equal_those_from_the_follow_arrays(seed):
    from nichegraph.engine import from_edges

    n, fs, fd, isrc, idst, w = ties_world(200 + seed, 20, 80)
    follows = from_edges(fs, fd, n_nodes=n, self_loops="drop")
    for k in (1, 3, n):
        a = mutual_ties(n, fs, fd, isrc, idst, w, per_node=k)
        b = mutual_ties(n, fs, fd, isrc, idst, w, per_node=k, follows=follows)
        for name in ("account", "other", "strength", "mutual_follow"):
            assert getattr(a, name).tolist() == getattr(b, name).tolist()


@pytest.mark.parametrize("seed", range(5))
def test_pair_directions_match_a_set_of_arcs(seed):
    from nichegraph.engine.pairs import pair_directions

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    m = int(rng.integers(0, 200))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    arcs = {(int(x), int(y)) for x, y in zip(a, b) if x != y}
    ref = sorted({(min(x, y), max(x, y)): (y, x) in arcs for x, y in arcs}.items())
    indptr, cols, both = pair_directions(n, a, b)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    assert [((int(u), int(v)), bool(x)) for u, v, x in zip(rows, cols, both)] == ref
