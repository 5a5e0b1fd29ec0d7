"""The Spark engine's per-group steps without Spark: a group's halo gives its accounts the exact values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nichegraph.api.spark import work
from nichegraph.api.spark.coarse import canonical, coarse_partition, group_load
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


def _naive_halo_rows(keys, src, dst):
    """Rows with at least one end in each group, by a plain loop (the reference for the Spark count)."""
    out: dict[int, int] = {}
    for s, d in zip(src.tolist(), dst.tolist()):
        for k in {int(keys[s]), int(keys[d])}:
            out[k] = out.get(k, 0) + 1
    ids = np.array(sorted(out), dtype=np.int64)
    return ids, np.array([out[i] for i in ids.tolist()], dtype=np.int64)


def test_group_load_is_halo_rows_plus_accounts():
    keys = np.array([4, 4, 7, 9, 9, 9])
    groups, load = group_load(keys, np.array([9, 4, 100]), np.array([5, 2, 8]))
    np.testing.assert_array_equal(groups, [4, 7, 9])
    np.testing.assert_array_equal(load, [2 + 2, 0 + 1, 5 + 3])  # 7 has no halo rows; 100 is no group


def test_coarse_partition_respects_the_load_and_keeps_components_that_fit_whole():
    component = np.array([0, 0, 0, 3, 3, 5, 6, 6, 6, 6, 6, 6])
    cluster = np.full(12, -1)
    cluster[6:] = [6, 6, 6, 9, 9, 9]  # the big component: two clusters, weakly tied
    edges = (np.array([6, 9, 6]), np.array([6, 9, 9]), np.array([3.0, 3.0, 0.1]))
    # halo rows: a triangle in 0, one row in 3, nothing at 5; in 6 two triangles and the tie between them
    src = np.array([0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 6])
    dst = np.array([1, 2, 0, 4, 7, 8, 6, 10, 11, 9, 9])
    comp_rows = _naive_halo_rows(component, src, dst)
    clus_rows = _naive_halo_rows(np.where(cluster >= 0, cluster, -1 - component), src, dst)
    clus_rows = tuple(x[clus_rows[0] >= 0] for x in clus_rows)
    _, comp_load = group_load(component, *comp_rows)
    np.testing.assert_array_equal(comp_load, [3 + 3, 1 + 2, 0 + 1, 7 + 6])
    _, clus_load = group_load(cluster[6:], *clus_rows)
    np.testing.assert_array_equal(clus_load, [4 + 3, 4 + 3])  # each triangle and the tie between them

    def part(max_load, cl=cluster):
        return coarse_partition(
            component, cl, edges, component_rows=comp_rows, cluster_rows=clus_rows, max_load=max_load
        )

    got = part(7)
    loads = {p: 0 for p in got.tolist()}
    for comp, load in zip((0, 3, 5), (6, 3, 1)):
        loads[int(got[component == comp][0])] += load
    loads[int(got[6])] += 7
    loads[int(got[9])] += 7
    assert max(loads.values()) <= 7
    assert len(set(got[:3])) == 1 and len(set(got[3:5])) == 1  # the small components stay whole
    assert len(set(got[6:9])) == 1 and len(set(got[9:])) == 1 and got[6] != got[9]  # cut between the clusters
    np.testing.assert_array_equal(got, part(7))
    # a budget the big component fits: it is one partition, without label propagation (no clusters)
    whole = part(13, np.full(12, -1))
    assert len(set(whole[6:])) == 1 and np.bincount(whole)[whole[6]] == 6
    # a budget everything fits: one partition
    assert set(part(10**6, np.full(12, -1)).tolist()) == {0}


def test_canonical_labels_are_largest_first():
    np.testing.assert_array_equal(canonical(np.array([9, 4, 4, 9, 9, 1])), [0, 1, 1, 0, 0, 2])
