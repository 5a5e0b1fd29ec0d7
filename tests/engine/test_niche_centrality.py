"""Niche centrality against networkx, scipy and naive Python."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest
from scipy.stats import percentileofscore
from zoo import directed_zoo

from nichegraph.engine import (
    GraphInputError,
    from_edges,
    niche_pagerank,
    niche_share,
    participation,
    percentile_within,
    within_module_z,
)

ZOO = directed_zoo(min_nodes=1)
IDS = [z[0] for z in ZOO]


def edges_dict(s, d, w):
    w = np.ones(len(s)) if w is None else np.asarray(w)
    acc: dict[tuple[int, int], float] = {}
    for a, b, c in zip(np.asarray(s).tolist(), np.asarray(d).tolist(), w.tolist()):
        acc[(a, b)] = acc.get((a, b), 0.0) + c
    return acc


@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_niche_pagerank_matches_networkx_per_community(case):
    _, n, s, d, w, comm = case
    comm = np.asarray(comm)
    got = niche_pagerank(from_edges(s, d, w, n_nodes=n), comm, tol=1e-13)
    expect = np.zeros(n)
    E = edges_dict(s, d, w)
    for c in np.unique(comm):
        members = np.flatnonzero(comm == c).tolist()
        H = nx.DiGraph()
        H.add_nodes_from(members)
        H.add_weighted_edges_from((a, b, x) for (a, b), x in E.items() if comm[a] == c and comm[b] == c)
        pr = nx.pagerank(H, tol=1e-15, max_iter=100_000)
        for v in members:
            expect[v] = pr[v] * len(members)
    assert np.abs(got - expect).max() < 1e-8


def test_niche_pagerank_deterministic_across_threads():
    rng = np.random.default_rng(1)
    n, m = 30_000, 150_000
    g = from_edges(rng.integers(0, n, m), rng.integers(0, n, m), n_nodes=n)
    comm = rng.integers(0, 40, n)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = niche_pagerank(g, comm)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a, niche_pagerank(g, comm))


@pytest.mark.parametrize("seed", range(5))
def test_percentile_within_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    vals = rng.integers(0, 6, n).astype(float) / 3.0  # many ties
    comm = rng.integers(0, 4, n)
    got = percentile_within(vals, comm)
    for i in range(n):
        ref = percentileofscore(vals[comm == comm[i]], vals[i], kind="mean")
        assert abs(got[i] - ref) < 1e-9


def test_percentile_nan_and_noise():
    v = np.array([1.0, 1.0 + 1e-14, np.nan, 3.0])
    got = percentile_within(v, [0, 0, 0, 0])
    assert np.isnan(got[2])
    assert got[0] == got[1]  # float noise does not split a tie


def naive_roles(n, s, d, w, comm, weighted):
    """kappa to own community, per-community strengths (rows = out-links), self-loops ignored."""
    own = [0.0] * n
    per = [dict() for _ in range(n)]
    for (a, b), x in edges_dict(s, d, w).items():
        if a == b:
            continue
        x = x if weighted else 1.0
        per[a][comm[b]] = per[a].get(comm[b], 0.0) + x
        if comm[a] == comm[b]:
            own[a] += x
    return own, per


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("case", ZOO, ids=IDS)
def test_guimera_amaral_roles_match_naive(case, weighted):
    _, n, s, d, w, comm = case
    comm = [int(c) for c in comm]
    g = from_edges(s, d, w, n_nodes=n)
    own, per = naive_roles(n, s, d, w, comm, weighted)
    z_ref, p_ref, share_ref = [], [], []
    for i in range(n):
        members = [j for j in range(n) if comm[j] == comm[i]]
        ks = [own[j] for j in members]
        mean = sum(ks) / len(ks)
        sd = (sum((k - mean) ** 2 for k in ks) / len(ks)) ** 0.5
        z_ref.append((own[i] - mean) / sd if sd > 0 else 0.0)
        tot = sum(per[i].values())
        p_ref.append(1.0 - sum((x / tot) ** 2 for x in per[i].values()) if tot > 0 else 0.0)
        share_ref.append(own[i] / tot if tot > 0 else np.nan)
    assert np.allclose(within_module_z(g, comm, weighted=weighted), z_ref, atol=1e-10, rtol=0)
    assert np.allclose(participation(g, comm, weighted=weighted), p_ref, atol=1e-10, rtol=0)
    assert np.allclose(niche_share(g, comm, weighted=weighted), share_ref, atol=1e-10, rtol=0, equal_nan=True)


def test_undirected_roles_are_guimera_amaral():
    """On an undirected graph the rows are the full neighbourhoods (GA's original setting)."""
    G = nx.karate_club_graph()
    comm_sets = nx.community.greedy_modularity_communities(G)
    comm = np.zeros(34, dtype=int)
    for c, members in enumerate(comm_sets):
        comm[list(members)] = c
    s, d = zip(*G.edges())
    g = from_edges(s, d, n_nodes=34, directed=False)
    p = participation(g, comm, weighted=False)
    for i in range(34):
        k = G.degree(i)
        counts = np.bincount(comm[list(G.neighbors(i))], minlength=len(comm_sets))
        assert abs(p[i] - (1 - ((counts / k) ** 2).sum())) < 1e-12


def test_bad_labels():
    g = from_edges([0], [1])
    with pytest.raises(GraphInputError, match="community"):
        niche_pagerank(g, [0])
    with pytest.raises(GraphInputError, match="community"):
        within_module_z(g, [0.5, 1.0])


# -- the shared zoo (tests/engine/zoo.py, undirected graphs) ---------------------------------
from zoo import zoo as shared_zoo  # noqa: E402


@pytest.mark.parametrize("name", sorted(shared_zoo()))
def test_shared_zoo_roles_match_naive(name):
    z = shared_zoo()[name]
    n = z.n_nodes
    comm = z.truth if z.truth is not None else np.arange(n) % 3
    g = z.engine()
    H = z.networkx()
    z_ref, p_ref = [], []
    kin = [sum(d["weight"] for u, d in H[i].items() if u != i and comm[u] == comm[i]) for i in range(n)]
    for i in range(n):
        members = [j for j in range(n) if comm[j] == comm[i]]
        mean = sum(kin[j] for j in members) / len(members)
        sd = (sum((kin[j] - mean) ** 2 for j in members) / len(members)) ** 0.5
        z_ref.append((kin[i] - mean) / sd if sd > 0 else 0.0)
        per: dict[int, float] = {}
        for u, d in H[i].items():
            if u != i:
                per[comm[u]] = per.get(comm[u], 0.0) + d["weight"]
        tot = sum(per.values())
        p_ref.append(1 - sum((x / tot) ** 2 for x in per.values()) if tot > 0 else 0.0)
    assert np.allclose(within_module_z(g, comm), z_ref, atol=1e-10, rtol=0)
    assert np.allclose(participation(g, comm), p_ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("seed", range(8))
def test_module_roles_equals_the_three_measures(seed):
    from nichegraph.engine.niche_centrality import module_roles, niche_share, participation, within_module_z

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    m = int(rng.integers(0, 120))
    g = from_edges(rng.integers(0, n, m), rng.integers(0, n, m), rng.random(m) + 0.1, n_nodes=n)
    comm = rng.integers(0, 4, n)
    for weighted in (True, False):
        z, part, share = module_roles(g, comm, weighted=weighted)
        assert np.array_equal(z, within_module_z(g, comm, weighted=weighted), equal_nan=True)
        assert np.array_equal(part, participation(g, comm, weighted=weighted), equal_nan=True)
        assert np.array_equal(share, niche_share(g, comm, weighted=weighted), equal_nan=True)
