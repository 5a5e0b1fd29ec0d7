"""The affinity graph against a naive dictionary reference, and the communities stage (ids, descriptions)."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.engine import AffinityWeights, GraphInputError, affinity_graph
from nichegraph.engine.attention import KINDS


def naive_affinity(n, fs, fd, is_, id_, kind, ew, w: AffinityWeights):
    follows = {(a, b) for a, b in zip(fs, fd) if a != b}
    out = defaultdict(float)
    for a, b in follows:
        key = (min(a, b), max(a, b))
        if (b, a) in follows:
            out[key] = w.mutual_follow  # once per pair
        else:
            out[key] += w.one_way_follow
    inter = defaultdict(float)
    for a, b, k, x in zip(is_, id_, kind, ew):
        if a != b:
            inter[(min(a, b), max(a, b))] += w.kind[k] * x
    for key, x in inter.items():
        out[key] += math.log1p(x) if w.damping == "log" else x
    return {k: v for k, v in out.items() if v > 0}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("damping", ["log", "none"])
def test_affinity_matches_naive(seed, damping):
    rng = np.random.default_rng(seed)
    n = 30
    fs, fd = rng.integers(0, n, 120), rng.integers(0, n, 120)
    is_, id_ = rng.integers(0, n, 200), rng.integers(0, n, 200)
    kind = rng.integers(0, len(KINDS), 200)
    ew = rng.uniform(0.5, 3, 200)
    w = AffinityWeights.from_dict({"one_way_follow": 0.3, "kind": {"like": 0.05}, "damping": damping})
    g = affinity_graph(n, fs, fd, is_, id_, kind, ew, weights=w)
    assert not g.directed and g.n_nodes == n
    assert not np.any(g.self_loop_weights())
    ref = naive_affinity(n, fs.tolist(), fd.tolist(), is_.tolist(), id_.tolist(), kind.tolist(), ew.tolist(), w)
    src, dst, wt = g.edges()
    got = {(int(a), int(b)): float(x) for a, b, x in zip(src, dst, wt) if a < b}
    assert got.keys() == ref.keys()
    for k in ref:
        assert got[k] == pytest.approx(ref[k], rel=1e-12)


def _from_edges_affinity(n, fs, fd, is_, id_, kind, ew, w: AffinityWeights):
    """The affinity graph the way it was first built: distinct pairs per kind of tie, then ``from_edges``."""
    from nichegraph.engine import from_edges
    from nichegraph.engine.pairs import pair_csr

    directed = pair_csr(n, fs, fd, drop_self=True)
    fa, fb = directed.rows(), directed.indices
    follows = pair_csr(n, np.minimum(fa, fb), np.maximum(fa, fb))
    follow_w = np.where(follows.weight == 2, w.mutual_follow, w.one_way_follow)
    kw = np.asarray(w.kind)
    talks = pair_csr(n, np.minimum(is_, id_), np.maximum(is_, id_), kw[kind] * ew, keep=is_ != id_)
    iw = np.log1p(talks.weight) if w.damping == "log" else talks.weight
    src = np.concatenate([follows.rows(), talks.rows()])
    dst = np.concatenate([follows.indices, talks.indices])
    vals = np.concatenate([follow_w, iw])
    nz = vals > 0
    return from_edges(src[nz], dst[nz], vals[nz], n_nodes=n, directed=False, self_loops="drop")


@pytest.mark.parametrize("seed", range(6))
def test_affinity_is_from_edges_of_the_pairs_to_the_bit(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 60))
    nf, ni = int(rng.integers(0, 300)), int(rng.integers(0, 300))
    fs, fd = rng.integers(0, n, nf).astype(np.int32), rng.integers(0, n, nf).astype(np.int32)
    is_, id_ = rng.integers(0, n, ni).astype(np.int32), rng.integers(0, n, ni).astype(np.int32)
    kind = rng.integers(0, len(KINDS), ni)
    ew = rng.choice([0.0, 0.5, 1.0, 2.5], ni)
    for d in ({}, {"mutual_follow": 0.0}, {"one_way_follow": 0.0, "kind": {"mention": 0.0}}, {"damping": "none"}):
        w = AffinityWeights.from_dict(d)
        g = affinity_graph(n, fs, fd, is_, id_, kind, ew, weights=w)
        ref = _from_edges_affinity(n, fs, fd, is_, id_, kind, ew, w)
        assert g.indptr.tobytes() == ref.indptr.tobytes()
        assert g.indices.tobytes() == ref.indices.tobytes()
        assert g.weights.tobytes() == ref.weights.tobytes()
        assert np.array_equal(g.node_ids, ref.node_ids) and not g.directed


def test_affinity_defaults_and_errors():
    g = affinity_graph(4, [0, 1, 2, 3], [1, 0, 0, 3], [], [], [])
    assert g.n_nodes == 4 and g.n_edges == 2  # mutual 0-1, one way 2->0; the self-follow is dropped
    assert AffinityWeights().kind[KINDS.index("reply")] == 1.0
    with pytest.raises(GraphInputError, match="unknown interaction kind"):
        AffinityWeights.from_dict({"kind": {"poke": 1}})
    with pytest.raises(GraphInputError, match="codes"):
        affinity_graph(3, [], [], [0], [1], [9])
    with pytest.raises(GraphInputError, match="0..2"):
        affinity_graph(3, [0], [5], [], [], [])
    with pytest.raises(GraphInputError, match=">= 0"):
        affinity_graph(3, [0], [1], [], [], [], weights=AffinityWeights(mutual_follow=-1))


# -- the analysis stage ----------------------------------------------------------


def planted_edges(n_groups=4, size=12, seed=0, extra_nodes=0):
    from nichegraph.graph_store import EdgeArrays

    rng = np.random.default_rng(seed)
    n = n_groups * size + extra_nodes
    fs, fd = [], []
    for c in range(n_groups):
        for _ in range(size * 4):
            a, b = rng.integers(0, size, 2) + c * size
            fs.append(a), fd.append(b)
    for _ in range(n_groups):  # a few ties between groups
        a, b = rng.integers(0, n_groups * size, 2)
        fs.append(a), fd.append(b)
    interaction_src = rng.integers(0, size, 20)
    return (
        EdgeArrays(
            node_ids=np.array([f"acct{i}" for i in range(n)], dtype=object),
            followers_count=np.full(n, np.nan),
            follow_src=np.array(fs, np.int32),
            follow_dst=np.array(fd, np.int32),
            interaction_src=interaction_src.astype(np.int32),
            interaction_dst=(interaction_src + 1).astype(np.int32) % size,
            interaction_kind=np.ones(20, np.int8),
            interaction_ts=np.full(20, -1, np.int64),
            interaction_weight=np.ones(20),
        ),
        n_groups,
        size,
    )


def test_stage_finds_groups_and_describes_them():
    from nichegraph.api.stages.communities import COMMUNITY_COLUMNS, detect_communities

    edges, k, size = planted_edges(extra_nodes=2)
    tags = (np.array([0, 1, 2, 1, 13], np.int32), np.array(["Rust", "rust", "numba", "numba", "Go"], dtype=object))
    r = detect_communities(edges, hashtags=tags)
    assert r.community.shape == (edges.n_nodes,) and r.community.dtype == np.int64
    groups = r.community[: k * size].reshape(k, size)
    assert np.all(groups == groups[:, :1]) and np.unique(groups[:, 0]).size == k
    t = r.table
    assert tuple(t.column_names) == COMMUNITY_COLUMNS
    broad = t.filter(pa.compute.equal(t.column("level"), "broad")).to_pylist()
    assert sum(row["size"] for row in broad) == edges.n_nodes
    first = next(row for row in broad if row["community"] == r.community[0])
    assert first["top_hashtags"][:2] == ["numba", "rust"]  # 2 uses each, alphabetical
    assert 0 < first["density"] <= 1 and first["internal_edges"] > 0
    assert set(first["top_members"]) <= {f"acct{i}" for i in range(size)}
    niches = t.filter(pa.compute.equal(t.column("level"), "niche")).to_pylist()
    for row in niches:  # every niche inside its parent community
        members = np.flatnonzero(r.niche == row["community"])
        assert np.all(r.community[members] == row["parent"])


def test_stage_ids_stable_across_runs():
    from nichegraph.api.stages.communities import detect_communities, match_ids

    edges, k, size = planted_edges()
    r1 = detect_communities(edges, seed=1)
    shuffled = r1.community * 7 + 3  # arbitrary previous ids
    prev = pa.table({"id": edges.node_ids.tolist(), "community": shuffled, "niche": r1.niche})
    r2 = detect_communities(edges, seed=5, previous=prev)
    assert np.array_equal(r2.community, shuffled) and r2.matched == k
    # a previous run that knew other accounts only: unmatched communities get fresh ids above the old ones
    prev_small = pa.table({"id": ["acct0", "zzz"], "community": [40, 41]})
    ids, matched = match_ids(
        np.array([0, 0, 1]), np.array(["acct0", "acct1", "acct2"], dtype=object), prev_small, "community"
    )
    assert matched == 1 and ids.tolist() == [40, 40, 42]  # Jaccard({0,1},{acct0}) = 0.5 keeps 40
    ids, matched = match_ids(
        np.array([0, 0, 0, 1]), np.array(["acct0", "a1", "a2", "a3"], dtype=object), prev_small, "community"
    )
    assert matched == 0 and ids.tolist() == [42, 42, 42, 43]  # 1/3 < 0.5: new ids, largest first


def test_stage_deterministic_and_empty():
    from nichegraph.api.stages.communities import detect_communities

    edges, _, _ = planted_edges(seed=3)
    a = detect_communities(edges, seed=2)
    b = detect_communities(edges, seed=2)
    assert np.array_equal(a.community, b.community) and a.table.equals(b.table)
    from nichegraph.graph_store import EdgeArrays

    none32 = np.zeros(0, np.int32)
    empty = EdgeArrays(
        np.array(["a", "b", "c"], dtype=object),
        np.full(3, np.nan),
        none32,
        none32,
        none32,
        none32,
        np.zeros(0, np.int8),
        np.zeros(0, np.int64),
        np.zeros(0),
    )
    r = detect_communities(empty)
    assert r.community.tolist() == [0, 1, 2] and math.isnan(r.modularity)


def test_stage_parallel_is_thread_independent(monkeypatch):
    import numba

    import nichegraph.engine.community.local_moving as lm
    from nichegraph.api.stages.communities import CommunityParams, detect_communities

    monkeypatch.setattr(lm, "PARALLEL_MIN_NODES", 0)  # the colour-group search on this small graph too
    edges, _, _ = planted_edges(seed=3)
    before = numba.get_num_threads()
    try:
        runs = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            runs.append(detect_communities(edges, params=CommunityParams(parallel=True), seed=2))
    finally:
        numba.set_num_threads(before)
    a, b = runs
    assert np.array_equal(a.community, b.community) and np.array_equal(a.niche, b.niche) and a.table.equals(b.table)
    assert a.n_communities > 1 and a.modularity > 0.3
