"""Audience authenticity signals (engine.authenticity) against slow, obvious references.

Every kernel is compared with a plain-Python or dense-matrix version on random
inputs and on the undirected zoo (empty, one node, isolated nodes, self-loops,
disconnected, weighted, ...), and the combination's rules (weakest known
component, unknown stays unknown, small samples never outrank large ones) are
checked directly.
"""

from __future__ import annotations

import contextlib
import math

import networkx as nx
import numpy as np
import pytest
from scipy.stats import poisson
from zoo import parallel_kernels, zoo

from nichegraph.engine import from_edges
from nichegraph.engine.authenticity import (
    COMPONENTS,
    audience_authenticity,
    combine,
    engagement_pods,
    follow_ratio_score,
    follower_bursts,
    mass_follower_share,
    mass_followers,
    mutual_seeds,
    sybilrank,
)
from nichegraph.engine.authenticity.bursts import even_peak
from nichegraph.engine.authenticity.sybilrank import _propagate
from nichegraph.engine.errors import GraphInputError

# -- naive references ------------------------------------------------------------------------


def naive_peaks(n, dst, ts, window):
    """Most timed followers within [t, t + window) for any t, and the earliest such t (-1 without)."""
    peak, start = [0] * n, [-1] * n
    for v in range(n):
        times = sorted(t for d, t in zip(dst, ts) if d == v and t >= 0)
        for t0 in times:
            k = sum(1 for t in times if t0 <= t < t0 + window)
            if k > peak[v]:
                peak[v], start[v] = k, t0
    return peak, start


def naive_sybilrank(n, edges, seeds, iterations):
    """SybilRank by dense matrix powers: T <- A D^-1 T, normalised by total / volume."""
    a = np.zeros((n, n))
    for u, v, w in edges:
        a[u, v] += w
        a[v, u] += w
    deg = a.sum(axis=1)
    t = np.zeros(n)
    s = sorted({int(x) for x in seeds if deg[x] > 0})
    t[s] = 1.0 / len(s)
    p = np.divide(a, deg[None, :], out=np.zeros_like(a), where=deg[None, :] > 0)
    for _ in range(iterations):
        t = p @ t
    vol = deg.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(deg > 0, (t / deg) * vol, np.nan)


def naive_pods(n, src, dst, ts, window, min_group, min_repeats):
    """Threads, co-thread counts, pod ties, density and pod events, by plain Python loops."""
    events = sorted((d, t, s) for s, d, t in zip(src, dst, ts) if t >= 0 and s != d)
    crowd_pairs: dict = {}
    crowd = [0] * n
    i = 0
    while i < len(events):
        d0, t0, _ = events[i]
        j = i
        while j < len(events) and events[j][0] == d0 and events[j][1] < t0 + window:
            j += 1
        thread = events[i:j]
        if len({s for _, _, s in thread}) >= min_group:
            for d, _, s in thread:
                crowd_pairs[(s, d)] = crowd_pairs.get((s, d), 0) + 1
                crowd[d] += 1
        i = j
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for (s, d), c in crowd_pairs.items():
        if c >= min_repeats and crowd_pairs.get((d, s), 0) >= min_repeats:
            g.add_edge(s, d)
    ties = [g.degree(v) for v in range(n)]
    clustering = nx.clustering(g)
    density = [clustering[v] if ties[v] >= 2 else 0.0 for v in range(n)]
    pod_events = [0] * n
    for (s, d), c in crowd_pairs.items():
        if g.has_edge(s, d):
            pod_events[d] += c
    inbound = [0] * n
    for s, d, t in zip(src, dst, ts):
        if t >= 0 and s != d:
            inbound[d] += 1
    return ties, density, pod_events, crowd, inbound


def random_events(rng, n, m, span):
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    ts = rng.integers(0, span, m)
    ts[rng.random(m) < 0.1] = -1
    return src, dst, ts


def planted_pod_events(members, rounds, gap=10_000, answer=30):
    """Every member posts in turn; every other member answers within ``answer`` seconds."""
    src, dst, ts = [], [], []
    for r in range(rounds):
        p = members[r % len(members)]
        for k, q in enumerate(members):
            if q != p:
                src.append(q)
                dst.append(p)
                ts.append(gap * r + 5 * k)
    return src, dst, ts


# -- mass-followers --------------------------------------------------------------------------


def test_mass_followers_rule_and_share_match_loops():
    rng = np.random.default_rng(1)
    n = 80
    following = rng.integers(0, 5000, n).astype(float)
    followers = rng.integers(0, 300, n).astype(float)
    following[:5] = np.nan
    is_mass = mass_followers(following, followers, ratio=30, min_following=400)
    for u in range(n):
        want = (not math.isnan(following[u])) and following[u] >= 400 and following[u] >= 30 * (followers[u] + 1)
        assert bool(is_mass[u]) == want
    src, dst = rng.integers(0, n, 600), rng.integers(0, n, 600)
    g = from_edges(src, dst, n_nodes=n, self_loops="drop")
    share = mass_follower_share(g, is_mass)
    pairs = {(int(s), int(d)) for s, d in zip(src, dst) if s != d}
    for v in range(n):
        fol = [s for s, d in pairs if d == v]
        assert share.followers[v] == len(fol)
        assert share.mass[v] == sum(bool(is_mass[s]) for s in fol)
    score = follow_ratio_score(following, followers, ratio=30, min_following=400)
    for u in range(n):
        if math.isnan(following[u]):
            assert math.isnan(score[u])
        elif following[u] >= 400:
            assert score[u] == pytest.approx(min(1.0, 30 * (followers[u] + 1) / following[u]))
        else:
            assert score[u] == 1.0


def test_mass_follower_share_checks_its_input():
    g = from_edges([0], [1], n_nodes=2)
    with pytest.raises(GraphInputError, match="one flag per account"):
        mass_follower_share(g, [True])
    with pytest.raises(GraphInputError, match="directed"):
        mass_follower_share(from_edges([0], [1], n_nodes=2, directed=False), [True, False])
    with pytest.raises(GraphInputError, match=">= 0"):
        mass_followers([-1.0], [0.0])


# -- bursts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [0, 1, 2])  # 0: the serial kernels
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_follower_bursts_match_naive_windows(seed, threads, monkeypatch):
    rng = np.random.default_rng(seed)
    n = 12
    dst = rng.integers(0, n, 200)
    ts = rng.integers(0, 5000, 200)
    ts[rng.random(200) < 0.2] = -1
    with parallel_kernels(monkeypatch, threads) if threads else contextlib.nullcontext():
        b = follower_bursts(n, dst, ts, window_s=300)
    peak, start = naive_peaks(n, dst.tolist(), ts.tolist(), 300)
    assert b.peak.tolist() == peak
    assert b.peak_start.tolist() == start
    assert b.timed.tolist() == [int(((dst == v) & (ts >= 0)).sum()) for v in range(n)]
    assert np.all(b.excess == np.maximum(b.peak - b.expected, 0))


def test_follower_bursts_edge_cases():
    empty = follower_bursts(3, [], [], window_s=10)
    assert empty.peak.tolist() == [0, 0, 0] and empty.peak_start.tolist() == [-1, -1, -1]
    untimed = follower_bursts(2, [0, 1], [-1, -1])
    assert untimed.timed.tolist() == [0, 0] and untimed.excess.tolist() == [0.0, 0.0]
    one = follower_bursts(1, [0, 0, 0], [5, 5, 5], window_s=1)  # everything inside one window: no excess
    assert one.peak.tolist() == [3] and one.excess.tolist() == [0.0]
    with pytest.raises(GraphInputError, match="window_s"):
        follower_bursts(1, [0], [1], window_s=0)
    with pytest.raises(GraphInputError, match="indices"):
        follower_bursts(1, [1], [1])


def test_even_peak_is_the_poisson_quantile():
    for n in [1, 2, 3, 10, 50, 300, 2000, 40_000]:
        for window, span in [(1.0, 1000.0), (86_400.0, 4 * 366 * 86_400.0), (10.0, 40.0)]:
            ratio = window / span
            want = max(min(n, 1), poisson.ppf(1 - ratio, n * ratio))
            got = even_peak([n], window, span)[0]
            if n * ratio > 500:  # normal approximation
                assert abs(got - want) <= 0.02 * want
            else:
                assert got == want, (n, window, span)
    assert even_peak([0], 1.0, 10.0).tolist() == [0.0]


def test_a_planted_burst_stands_out():
    rng = np.random.default_rng(3)
    year = 366 * 86_400
    organic = rng.integers(0, 4 * year, 400)
    bought = 2 * year + rng.integers(0, 86_400, 300)
    dst = np.r_[np.zeros(400, int), np.ones(400, int), np.ones(300, int)]
    b = follower_bursts(2, dst, np.r_[organic, organic, bought])
    assert b.excess[0] <= 2
    assert b.excess[1] >= 290


# -- SybilRank -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(zoo()))
def test_sybilrank_matches_dense_power_iteration_on_the_zoo(name):
    z = zoo()[name]
    keep = z.src != z.dst
    g = from_edges(z.src[keep], z.dst[keep], z.weight[keep], n_nodes=z.n_nodes, directed=False)
    deg = np.diff(g.indptr)
    if not np.any(deg > 0):
        with pytest.raises(GraphInputError, match="seed with ties"):
            sybilrank(g, [0] if z.n_nodes else [])
        return
    seeds = np.flatnonzero(deg > 0)[:2]
    for iterations in (None, 1, 7):
        r = sybilrank(g, seeds, iterations=iterations)
        steps = r.iterations
        edges = list(zip(z.src[keep].tolist(), z.dst[keep].tolist(), z.weight[keep].tolist()))
        want = naive_sybilrank(z.n_nodes, edges, seeds, steps)
        np.testing.assert_allclose(r.normalized, want, rtol=1e-9, atol=1e-12, equal_nan=True)
        assert np.all(np.isnan(r.normalized) == (deg == 0))
        assert r.trust.sum() == pytest.approx(1.0 * (r.trust.sum() > 0), abs=1e-9) or r.trust.sum() <= 1.0
    assert steps == 7


def test_sybilrank_trust_barely_crosses_few_attack_edges():
    rng = np.random.default_rng(5)
    honest = nx.gnp_random_graph(200, 0.05, seed=1)
    sybil = nx.gnp_random_graph(100, 0.08, seed=2)
    edges = [(u, v) for u, v in honest.edges] + [(200 + u, 200 + v) for u, v in sybil.edges]
    edges += [(int(rng.integers(200)), 200 + int(rng.integers(100))) for _ in range(3)]  # attack edges
    src, dst = np.array(edges).T
    g = from_edges(src, dst, n_nodes=300, directed=False, self_loops="drop")
    r = sybilrank(g, [0, 50, 100])
    assert np.nanmedian(r.normalized[:200]) > 0.8
    assert np.nanmax(r.normalized[200:]) < np.nanpercentile(r.normalized[:200], 5)


def test_sybilrank_is_the_same_serial_and_parallel_and_checks_input():
    z = zoo()["random"]
    g = from_edges(z.src, z.dst, n_nodes=z.n_nodes, directed=False, self_loops="drop")
    share = np.random.default_rng(0).random(g.n_nodes)
    a = _propagate.serial(g.indptr, g.indices, g.weights, share)
    b = _propagate.parallel(g.indptr, g.indices, g.weights, share)
    assert np.array_equal(a, b)
    with pytest.raises(GraphInputError, match="undirected"):
        sybilrank(from_edges([0], [1], n_nodes=2), [0])
    with pytest.raises(GraphInputError, match="self-loops"):
        sybilrank(from_edges([0, 0], [0, 1], n_nodes=2, directed=False), [0])
    with pytest.raises(GraphInputError, match="indices"):
        sybilrank(g, [g.n_nodes])


def test_mutual_seeds_matches_a_sort():
    rng = np.random.default_rng(2)
    n = 40
    u = rng.integers(0, n, 300)
    strength = np.where(rng.random(300) < 0.5, 0.0, 1.0)
    strong = np.bincount(u[strength > 0], minlength=n)
    want = sorted(sorted(range(n), key=lambda i: (-strong[i], i))[:5])
    assert mutual_seeds(n, u, strength, k=5).tolist() == [i for i in want if strong[i] > 0]
    comm = rng.integers(0, 4, n)
    got = set(mutual_seeds(n, u, strength, k=0, community=comm, min_share=0.0).tolist())
    leaders = {min((i for i in range(n) if comm[i] == c), key=lambda i: (-strong[i], i)) for c in set(comm.tolist())}
    assert got == {i for i in leaders if strong[i] > 0}


# -- pods ------------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [0, 2])  # 0: the serial kernels
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_engagement_pods_match_naive(seed, threads, monkeypatch):
    rng = np.random.default_rng(seed)
    n = 30
    src, dst, ts = random_events(rng, n, 400, 20_000)
    ps, pd, pt = planted_pod_events([3, 7, 11, 19], rounds=12)
    src, dst, ts = np.r_[src, ps], np.r_[dst, pd], np.r_[ts, np.array(pt) + 30_000]
    for window, group, repeats in [(600, 3, 3), (2000, 2, 1), (100, 3, 2)]:
        with parallel_kernels(monkeypatch, threads) if threads else contextlib.nullcontext():
            pods = engagement_pods(n, src, dst, ts, window_s=window, min_group=group, min_repeats=repeats)
        ties, density, pod_events, crowd, inbound = naive_pods(
            n, src.tolist(), dst.tolist(), ts.tolist(), window, group, repeats
        )
        assert pods.pod_ties.tolist() == ties
        np.testing.assert_allclose(pods.density, density)
        assert pods.pod_events.tolist() == pod_events
        assert pods.crowd_events.tolist() == crowd
        assert pods.inbound.tolist() == inbound
        assert len(pods.tie_u) == sum(ties) // 2 and np.all(pods.tie_u < pods.tie_v)
    planted = engagement_pods(n, src, dst, ts)
    assert set(np.flatnonzero(planted.density == 1.0).tolist()) >= {3, 7, 11, 19}


def test_fans_of_a_big_account_are_no_pod():
    # 50 fans answer account 0 within seconds, 40 times; account 0 never joins their crowds
    src, dst, ts = [], [], []
    for r in range(40):
        for f in range(1, 51):
            src.append(f)
            dst.append(0)
            ts.append(10_000 * r + f)
    pods = engagement_pods(51, src, dst, ts)
    assert pods.pod_ties.sum() == 0 and pods.pod_events.sum() == 0
    assert pods.crowd_events[0] == 2000


def test_engagement_pods_edge_cases():
    empty = engagement_pods(3, [], [], [])
    assert empty.pod_ties.tolist() == [0, 0, 0] and empty.inbound.tolist() == [0, 0, 0]
    with pytest.raises(GraphInputError, match="min_group"):
        engagement_pods(2, [0], [1], [0], min_group=1)
    with pytest.raises(GraphInputError, match="indices"):
        engagement_pods(2, [0], [2], [0])


# -- combination -----------------------------------------------------------------------------


def test_combine_is_the_weakest_known_component():
    rng = np.random.default_rng(4)
    cols = {c: rng.random(50) for c in COMPONENTS}
    for c in COMPONENTS:
        cols[c][rng.random(50) < 0.4] = np.nan
    cols["audience"][:3] = np.nan
    for c in COMPONENTS:
        cols[c][0] = np.nan
    a = combine(cols)
    for i in range(50):
        known = [(cols[c][i], k) for k, c in enumerate(COMPONENTS) if not math.isnan(cols[c][i])]
        if not known:
            assert math.isnan(a.score[i]) and a.weakest[i] == -1 and a.known[i] == 0
        else:
            value, which = min(known)
            assert a.score[i] == value and a.weakest[i] == which and a.known[i] == len(known)
    assert a.weakest_names()[0] is None
    with pytest.raises(GraphInputError, match="unknown authenticity components"):
        combine({"likes": np.ones(2)})
    with pytest.raises(GraphInputError, match=r"\[0, 1\]"):
        combine({"trust": np.array([1.5])})


# -- all signals together --------------------------------------------------------------------


def _small_world():
    """60 organic accounts, one buyer (account 0) with 40 fresh mass-following fakes, one pod (1..4)."""
    rng = np.random.default_rng(9)
    n_org, n_fake = 60, 40
    n = n_org + n_fake
    year = 366 * 86_400
    fs, fd = [], []
    for u in range(n_org):
        for v in rng.choice(n_org, 6, replace=False):
            if u != v:
                fs += [u, v]
                fd += [v, u]  # organic ties are mutual
    fake = np.arange(n_org, n)
    fs += fake.tolist()
    fd += [0] * n_fake
    ft = [int(x) for x in rng.integers(0, 4 * year, len(fs) - n_fake)] + [2 * year + i for i in range(n_fake)]
    following = np.r_[rng.integers(50, 300, n_org), np.full(n_fake, 3000)].astype(float)
    followers = np.r_[rng.integers(20, 300, n_org), np.full(n_fake, 2)].astype(float)
    isrc, idst, its = [], [], []
    for _ in range(400):  # organic conversation: a message, answered within hours
        a, b = rng.choice(n_org, 2, replace=False)
        t = int(rng.integers(0, year))
        isrc += [a, b]
        idst += [b, a]
        its += [t, t + int(rng.integers(3600, 20_000))]
    ps, pd, pt = planted_pod_events([1, 2, 3, 4], rounds=24)
    isrc += ps
    idst += pd
    its += [year + t for t in pt]
    return n, fs, fd, ft, following, followers, isrc, idst, its


def test_audience_authenticity_finds_the_planted_cases_and_keeps_unknowns():
    n, fs, fd, ft, following, followers, isrc, idst, its = _small_world()
    kw = dict(
        follow_src=fs,
        follow_dst=fd,
        following=following,
        followers=followers,
        interaction_src=isrc,
        interaction_dst=idst,
        interaction_ts=its,
        interaction_weight=np.ones(len(isrc)),
    )
    r = audience_authenticity(n, follow_ts=ft, **kw).columns
    for c, v in r.items():
        assert len(v) == n, c
    comps = np.stack([r[f"auth_{c}"] for c in COMPONENTS])
    assert np.all(np.isnan(comps) | ((comps >= 0) & (comps <= 1)))
    assert r["auth_audience"][0] < 0.35 and r["auth_burst"][0] < 0.35  # the buyer: 40 fakes of 52 followers
    assert np.all(r["auth_follow_ratio"][60:] < 0.5) and np.all(r["mass_follower"][60:])  # the fakes
    assert np.all(r["auth_pod"][1:5] < 0.5) and np.all(r["pod_ties"][1:5] == 3)  # the pod
    organic = np.r_[5:60]
    assert np.nanmin(r["auth_audience"][organic]) > 0.5 and np.nanmin(r["auth_pod"][organic]) == 1.0
    assert np.all(np.isnan(r["auth_audience"][60:]))  # fakes have no followers: unknown, not 1
    assert np.all(np.isnan(r["auth_trust"][60:]))  # and no mutual tie
    assert np.all(r["authenticity"] == np.nanmin(comps, axis=0))
    no_times = audience_authenticity(n, follow_ts=None, **kw).columns
    assert np.all(np.isnan(no_times["auth_burst"])) and np.all(no_times["burst_timed"] == 0)


def test_one_suspicious_follower_never_outranks_hundreds():
    # account 0: 1 of 1 followers is a mass-follower; account 1: 300 of 399; accounts 2..2001 have 10
    # followers each, a Beta(1, 9)-distributed share of them mass-followers (the population the prior is
    # fitted to, large next to account 1 as in any real audience); followers 2500..2899 are
    # mass-followers, 2900..2998 ordinary, 2999 a mass-follower
    rng = np.random.default_rng(11)
    n = 3000
    src, dst = [2999, *range(2500, 2800), *range(2900, 2999)], [0] + [1] * 399
    for v in range(2, 2002):
        k = int(rng.binomial(10, rng.beta(1, 9)))
        src += [*rng.choice(np.arange(2500, 2900), k, replace=False), *rng.choice(np.arange(2900, 2999), 10 - k, replace=False)]
        dst += [v] * 10
    following = np.full(n, 100.0)
    followers = np.full(n, 50.0)
    following[2500:2900] = 5000.0
    followers[2500:2900] = 1.0
    following[2999] = 5000.0
    share = audience_authenticity(
        n,
        follow_src=src,
        follow_dst=dst,
        follow_ts=None,
        following=following,
        followers=followers,
        interaction_src=[],
        interaction_dst=[],
        interaction_ts=[],
        interaction_weight=[],
    ).columns["auth_audience"]
    assert share[0] > share[1]
    assert share[0] > 0.5 and share[1] < 0.35
