"""The Spark engine's per-group steps without Spark: a group's halo gives its accounts the exact values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nichegraph.api.spark import work
from nichegraph.api.spark.coarse import canonical, coarse_partition
from nichegraph.api.stages.communities import CommunityParams, community_graph
from nichegraph.api.stages.metrics import MetricsParams, compute_metrics, graphs
from nichegraph.graph_store.synth import generate


def _world():
    return generate(n_accounts=400, n_edges=4000, seed=3)


def _edges(tmp_path):
    from nichegraph.graph_store.duckdb_store import DuckDBStore

    with DuckDBStore(str(tmp_path / "w.duckdb")) as st:
        st.load(_world().batches())
        return st.read_edges()


def _raw(e) -> pd.DataFrame:
    fol = len(e.follow_src)
    return pd.DataFrame(
        {
            "src": np.concatenate([e.follow_src, e.interaction_src]).astype(np.int64),
            "dst": np.concatenate([e.follow_dst, e.interaction_dst]).astype(np.int64),
            "follow": np.arange(fol + len(e.interaction_src)) < fol,
            "kind": np.concatenate([np.zeros(fol, np.int32), e.interaction_kind.astype(np.int32)]),
            "ts": np.concatenate([np.full(fol, -1, np.int64), e.interaction_ts]),
            "weight": np.concatenate([np.ones(fol), e.interaction_weight]),
        }
    )


def test_halo_metrics_are_exact_for_the_groups_accounts(tmp_path):
    e = _edges(tmp_path)
    n = e.n_nodes
    labels = (np.arange(n) * 7919 % 5).astype(np.int64)  # any grouping of whole labels
    whole = compute_metrics(e, None, labels)
    raw = _raw(e)
    raw["src_label"], raw["dst_label"] = labels[raw.src], labels[raw.dst]
    got = {}
    for grp in range(5):
        own = np.flatnonzero(labels == grp)
        halo = raw[np.isin(raw.src, own) | np.isin(raw.dst, own)]
        nodes = pd.DataFrame({"idx": own, "followers_count": e.followers_count[own], "label": labels[own]})
        got[grp] = work.halo_metrics(
            nodes.sample(frac=1, random_state=grp), halo.sample(frac=1, random_state=grp), MetricsParams()
        )
    res = pd.concat(got.values()).sort_values("idx")
    assert res["idx"].tolist() == list(range(n))
    for c in work.HALO_COLUMNS:
        if c in whole:
            # niche PageRank converges per niche here, over all niches at once there: equal to its tolerance
            rtol = 1e-7 if c == "niche_pagerank" else 1e-12
            np.testing.assert_allclose(res[c].to_numpy(), np.asarray(whole[c], dtype=float), rtol=rtol, err_msg=c)


def test_halo_graphs_give_the_engines_affinity_and_attention_edges_once(tmp_path):
    e = _edges(tmp_path)
    n = e.n_nodes
    raw = _raw(e)
    parts = []
    for grp in range(3):
        own = np.flatnonzero(np.arange(n) % 3 == grp)
        halo = raw[np.isin(raw.src, own) | np.isin(raw.dst, own)]
        nodes = pd.DataFrame({"idx": own, "followers_count": e.followers_count[own]})
        parts.append(work.halo_graphs(nodes, halo, CommunityParams(), MetricsParams()))
    got = pd.concat(parts)
    aff = community_graph(e)
    s, d, w = aff.edges()
    up = s < d
    want = pd.DataFrame({"src": s[up], "dst": d[up], "weight": w[up]}).sort_values(["src", "dst"])
    mine = got[got.graph == 0].sort_values(["src", "dst"])
    np.testing.assert_array_equal(mine[["src", "dst"]].to_numpy(), want[["src", "dst"]].to_numpy())
    np.testing.assert_allclose(mine.weight.to_numpy(), want.weight.to_numpy(), rtol=1e-12)
    _, att = graphs(e, MetricsParams())
    s, d, w = att.edges()
    mine = got[got.graph == 1].sort_values(["src", "dst"])
    np.testing.assert_array_equal(mine.src.to_numpy(), s)
    np.testing.assert_array_equal(mine.dst.to_numpy(), d)


def test_coarse_partition_respects_the_size_and_keeps_small_components_whole():
    component = np.array([0, 0, 0, 3, 3, 5, 6, 6, 6, 6, 6, 6])
    cluster = np.full(12, -1)
    cluster[6:] = [6, 6, 6, 9, 9, 9]  # the big component: two clusters, weakly tied
    edges = (np.array([6, 9, 6]), np.array([6, 9, 9]), np.array([3.0, 3.0, 0.1]))
    part = coarse_partition(component, cluster, edges, max_size=4)
    assert np.bincount(part).max() <= 4
    assert len(set(part[:3])) == 1 and len(set(part[3:5])) == 1
    assert len(set(part[6:9])) == 1 and len(set(part[9:])) == 1 and part[6] != part[9]
    np.testing.assert_array_equal(part, coarse_partition(component, cluster, edges, max_size=4))


def test_canonical_labels_are_largest_first():
    np.testing.assert_array_equal(canonical(np.array([9, 4, 4, 9, 9, 1])), [0, 1, 1, 0, 0, 2])
