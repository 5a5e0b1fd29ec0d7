"""What the Spark workers run on one group of accounts: pandas in, pandas out, the numba engine inside.

Every function takes the group's ``nodes`` frame and ``edges`` frame (schemas
below, global account indices) and returns a pandas frame; none imports
pyspark, so each is tested on its own against the single-machine stages.

``nodes``: ``idx`` int64, ``followers_count`` float64 (NaN unknown), ``label`` int64 (where a pass needs one).
Raw ``edges`` (every follow and interaction with at least one end in the group, the *halo*):
``src``, ``dst`` int64, ``follow`` bool, ``kind`` int32, ``ts`` int64, ``weight`` float64, and
``src_label``, ``dst_label`` int64 where a pass needs them.  Affinity ``edges`` (both ends in the group):
``src``, ``dst`` int64, ``weight`` float64, each pair once.

An account's affinity and attention ties, degrees, ratios and evidence counts
depend only on the edges incident to it (and the labels of their other ends),
so the halo gives the group's own accounts exact values; the group's edges
are sorted first, so the result never depends on how Spark ordered the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from nichegraph.engine import from_edges, leiden, niches
from nichegraph.graph_store import EdgeArrays

from ..stages.communities import CommunityParams, community_graph
from ..stages.metrics import EVIDENCE_COUNTS, METRIC_COLUMNS, MetricsParams, graphs, local_metrics

RAW_EDGE_COLUMNS = ("src", "dst", "follow", "kind", "ts", "weight")
#: Columns of :func:`halo_graphs`' result: ``graph`` 0 affinity (undirected, once per pair), 1 attention (directed).
GRAPH_SCHEMA = "graph int, src long, dst long, weight double"
#: Global measures computed on Spark, left out of :func:`halo_metrics`.
GLOBAL_COLUMNS = ("pagerank", "coreness", "in_degree", "out_degree")
#: Columns of :func:`halo_metrics`' result besides ``idx``.
HALO_COLUMNS = (
    tuple(
        c
        for c in METRIC_COLUMNS
        if c not in GLOBAL_COLUMNS
        and c not in ("tier", "evidence_weight", "score_hidden")
        and not c.endswith(("_shrunk", "_sd"))
    )
    + EVIDENCE_COUNTS
)


def raw_rows(edges: EdgeArrays) -> dict[str, np.ndarray]:
    """The raw edge columns (:data:`RAW_EDGE_COLUMNS`, shape (follows + interactions,)) of ``edges``: follows
    first (``kind`` 0, ``ts`` -1, ``weight`` 1), then interactions."""
    fol = len(edges.follow_src)
    return {
        "src": np.concatenate([edges.follow_src, edges.interaction_src]).astype(np.int64),
        "dst": np.concatenate([edges.follow_dst, edges.interaction_dst]).astype(np.int64),
        "follow": np.arange(fol + len(edges.interaction_src)) < fol,
        "kind": np.concatenate([np.zeros(fol, np.int32), edges.interaction_kind.astype(np.int32)]),
        "ts": np.concatenate([np.full(fol, -1, np.int64), edges.interaction_ts.astype(np.int64)]),
        "weight": np.concatenate([np.ones(fol), edges.interaction_weight.astype(np.float64)]),
    }


def _halo(nodes: pd.DataFrame, edges: pd.DataFrame) -> tuple[EdgeArrays, np.ndarray, np.ndarray]:
    """The group's halo as local :class:`EdgeArrays` over the accounts it touches (ascending global index).

    Returns ``(edges, global index per local account, owned mask)``.
    """
    edges = edges.sort_values(list(RAW_EDGE_COLUMNS), kind="stable")
    own = np.sort(nodes["idx"].to_numpy(np.int64))
    src, dst = edges["src"].to_numpy(np.int64), edges["dst"].to_numpy(np.int64)
    glob = np.unique(np.concatenate([own, src, dst]))
    loc_src, loc_dst = np.searchsorted(glob, src).astype(np.int32), np.searchsorted(glob, dst).astype(np.int32)
    followers = np.full(glob.size, np.nan)
    nodes = nodes.sort_values("idx")
    followers[np.searchsorted(glob, own)] = nodes["followers_count"].to_numpy(np.float64)
    f = edges["follow"].to_numpy(bool)
    arrays = EdgeArrays(
        node_ids=np.array([str(i) for i in glob.tolist()], dtype=object),
        followers_count=followers,
        follow_src=loc_src[f],
        follow_dst=loc_dst[f],
        interaction_src=loc_src[~f],
        interaction_dst=loc_dst[~f],
        interaction_kind=edges["kind"].to_numpy(np.int8)[~f],
        interaction_ts=edges["ts"].to_numpy(np.int64)[~f],
        interaction_weight=edges["weight"].to_numpy(np.float64)[~f],
    )
    owned = np.zeros(glob.size, dtype=bool)
    owned[np.searchsorted(glob, own)] = True
    return arrays, glob, owned


def halo_graphs(
    nodes: pd.DataFrame, edges: pd.DataFrame, community_params: CommunityParams, metrics_params: MetricsParams
) -> pd.DataFrame:
    """The affinity edges whose smaller end is in the group (so each pair comes from exactly one group) and the
    attention edges out of the group's accounts, built by the engine's own graph constructors."""
    arrays, glob, owned = _halo(nodes, edges)
    aff = community_graph(arrays, community_params)
    a_src, a_dst, a_w = aff.edges()
    keep = (a_src < a_dst) & owned[a_src]
    _, att = graphs(arrays, metrics_params)
    t_src, t_dst, t_w = att.edges()
    out = owned[t_src]
    return pd.DataFrame(
        {
            "graph": np.concatenate([np.zeros(int(keep.sum()), np.int32), np.ones(int(out.sum()), np.int32)]),
            "src": np.concatenate([glob[a_src[keep]], glob[t_src[out]]]),
            "dst": np.concatenate([glob[a_dst[keep]], glob[t_dst[out]]]),
            "weight": np.concatenate([a_w[keep], t_w[out]]),
        }
    )


def _induced(nodes: pd.DataFrame, edges: pd.DataFrame):
    """The undirected affinity graph of the group (local indices by ascending global index) and the global indices."""
    glob = np.sort(nodes["idx"].to_numpy(np.int64))
    edges = edges.sort_values(["src", "dst"])
    src = np.searchsorted(glob, edges["src"].to_numpy(np.int64))
    dst = np.searchsorted(glob, edges["dst"].to_numpy(np.int64))
    g = from_edges(src, dst, edges["weight"].to_numpy(np.float64), n_nodes=glob.size, directed=False)
    return g, glob


def broad_communities(
    nodes: pd.DataFrame, edges: pd.DataFrame, resolution: float, seed: int, n_iterations: int, parallel: bool
):
    """Leiden (modularity at ``resolution``) on the group's affinity graph; ``idx``, ``label`` (local 0..k-1).

    ``parallel`` as the single machine's ``CommunityParams.parallel``: the schedule decides the labels on large
    graphs (never the thread count), so a partition holding a whole component gets the single machine's."""
    g, glob = _induced(nodes, edges)
    part = leiden(g, resolution=resolution, seed=seed, n_iterations=n_iterations, parallel=parallel)
    return pd.DataFrame({"idx": glob, "label": np.asarray(part.labels, dtype=np.int64)})


def niche_communities(
    nodes: pd.DataFrame, edges: pd.DataFrame, gamma: float, seed: int, n_iterations: int, parallel: bool
):
    """Niches (CPM Leiden at ``gamma`` inside the broad ``label``) of the group; ``idx``, ``label`` (local);
    ``parallel`` as for :func:`broad_communities`."""
    g, glob = _induced(nodes, edges)
    broad = nodes.sort_values("idx")["label"].to_numpy(np.int64)
    broad = np.unique(broad, return_inverse=True)[1].reshape(-1)
    found = niches(g, seed=seed, broad=broad, resolution=gamma, n_iterations=n_iterations, parallel=parallel)
    return pd.DataFrame({"idx": glob, "label": np.asarray(found.labels, dtype=np.int64)})


def halo_metrics(nodes: pd.DataFrame, edges: pd.DataFrame, metrics_params: MetricsParams) -> pd.DataFrame:
    """:func:`api.stages.metrics.local_metrics` of the group's accounts (exact: their whole halo is here and
    their niches lie inside the group); ``idx`` and :data:`HALO_COLUMNS`."""
    arrays, glob, owned = _halo(nodes, edges)
    label = np.full(glob.size, -1, dtype=np.int64)
    for end in ("src", "dst"):
        label[np.searchsorted(glob, edges[end].to_numpy(np.int64))] = edges[f"{end}_label"].to_numpy(np.int64)
    nodes = nodes.sort_values("idx")
    label[np.searchsorted(glob, nodes["idx"].to_numpy(np.int64))] = nodes["label"].to_numpy(np.int64)
    columns, counts = local_metrics(arrays, label, params=metrics_params)
    merged = {**columns, **counts}
    out = {"idx": glob[owned]}
    for name in HALO_COLUMNS:
        out[name] = np.asarray(merged[name])[owned].astype(np.float64)
    return pd.DataFrame(out)
