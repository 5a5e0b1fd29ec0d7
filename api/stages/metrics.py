"""Metrics stage: global influence, niche centrality, social ratios, tiers, hidden score.

``compute_metrics(edges, accounts, community, params=...)`` returns one array
per column of the ``accounts`` result table (names from docs/ARCHITECTURE.md):
``in_degree`` / ``out_degree`` (distinct accounts on the attention graph, self
excluded), ``reciprocity`` (mutual share of follow ties), ``followers_observed``, ``tier``, ``tier_estimated``, ``pagerank``,
``coreness``, ``niche_pagerank``, ``niche_percentile``, ``within_module_z``,
``participation``, ``niche_share``, ``social_ratio``, ``follow_back_ratio``,
``asymmetry``, ``score_hidden``.  Definitions: docs/metrics.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from nichegraph.engine import (aggregate_by_group, asymmetry, attention_graph, coreness, follow_back_ratio, from_edges,
                    hidden_influencer_score, kind_weights, niche_pagerank, niche_share, pagerank, participation,
                    percentile_within, social_ratio, tiers, within_module_z)
from nichegraph.engine.centrality import in_graph
from nichegraph.engine.degree import in_degree, reciprocity
from nichegraph.engine.tiers import TIER_NAMES, TIER_THRESHOLDS, tier_names
from nichegraph.graph_store import EdgeArrays

METRIC_COLUMNS: tuple[str, ...] = (
    "in_degree", "out_degree", "reciprocity", "followers_observed", "tier", "tier_estimated", "pagerank", "coreness", "niche_pagerank", "niche_percentile",
    "within_module_z", "participation", "niche_share", "social_ratio", "follow_back_ratio", "asymmetry",
    "score_hidden",
)


@dataclass(frozen=True)
class MetricsParams:
    """Parameters of the metrics stage (all JSON-able; stored with the run).

    damping, tol : PageRank damping and L1 tolerance (global and niche PageRank).
    follow_weight, kind_weights : attention-graph weights (kind name -> weight overrides).
    social_window_s : seconds within which a returned interaction counts (None: any time).
    tier_thresholds, tier_names : follower-count tier bounds and names.
    hidden_tiers : tier names eligible for the hidden-influencer score.
    """

    damping: float = 0.85
    tol: float = 1e-10
    follow_weight: float = 1.0
    kind_weights: dict = field(default_factory=dict)
    social_window_s: float | None = None
    tier_thresholds: tuple = TIER_THRESHOLDS
    tier_names: tuple = TIER_NAMES
    hidden_tiers: tuple = ("nano", "micro")

    @classmethod
    def from_any(cls, params) -> "MetricsParams":
        """From a MetricsParams, a dict, None, or an object with ``.extra["metrics"]`` (AnalysisParams)."""
        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        if not isinstance(params, dict):
            params = (getattr(params, "extra", None) or {}).get("metrics", {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(params) - known
        if unknown:
            raise ValueError(f"unknown metrics parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**params)


def graphs(edges: EdgeArrays, p: MetricsParams):
    """The follow graph, the attention graph and its transpose (inbound rows)."""
    n = edges.n_nodes
    follows = from_edges(edges.follow_src, edges.follow_dst, n_nodes=n, self_loops="drop")
    kw = kind_weights(p.kind_weights)
    args = (edges.int_kind, edges.int_weight)
    att = attention_graph(n, edges.follow_src, edges.follow_dst, edges.int_src, edges.int_dst, *args,
                          follow_weight=p.follow_weight, kind_weight=kw)
    return follows, att, in_graph(att)


def compute_metrics(edges: EdgeArrays, accounts: pa.Table | None, community: np.ndarray, *,
                    params=None, timings: dict | None = None) -> dict[str, np.ndarray]:
    """Every issue-4 column for every account.

    Parameters
    ----------
    edges : EdgeArrays
        From ``store.read_edges()``.
    accounts : pyarrow.Table or None
        From ``store.read_accounts()`` (unused beyond a length check: follower
        counts come with ``edges``).
    community : ndarray of int, shape (n,)
        Community label per account (niche measures are computed inside it).
    params : MetricsParams, dict, AnalysisParams or None
        See :class:`MetricsParams`; an AnalysisParams contributes ``extra["metrics"]``.
    timings : dict, optional
        Filled with seconds per sub-step.

    Returns
    -------
    dict of str to ndarray, shape (n,) each, keys :data:`METRIC_COLUMNS`.
    """
    import time

    p = MetricsParams.from_any(params)
    n = edges.n_nodes
    if accounts is not None and accounts.num_rows != n:
        raise ValueError(f"accounts has {accounts.num_rows} rows but the edges have {n} accounts.")
    comm = np.asarray(community, dtype=np.int64)
    if comm.shape != (n,):
        raise ValueError(f"community must have one label per account ({n}); got shape {comm.shape}.")
    t = timings if timings is not None else {}
    clock = [time.perf_counter()]

    def lap(name):
        now = time.perf_counter()
        t[name] = now - clock[0]
        clock[0] = now

    follows, att, att_in = graphs(edges, p)
    lap("graphs")
    observed = np.bincount(follows.indices, minlength=n).astype(np.int64)
    code, estimated = tiers(edges.followers_count, observed, thresholds=p.tier_thresholds, names=p.tier_names)
    order = np.argsort(comm, kind="stable")
    pr = pagerank(att, damping=p.damping, tol=p.tol, order=order)
    lap("pagerank")
    core = coreness(att).astype(np.float64)
    lap("coreness")
    npr = niche_pagerank(att, comm, damping=p.damping, tol=p.tol)
    pct = percentile_within(npr, comm)
    lap("niche_pagerank")
    z = within_module_z(att_in, comm)
    part = participation(att_in, comm)
    share = niche_share(att_in, comm)
    lap("roles")
    social = social_ratio(n, edges.int_src, edges.int_dst, ts=edges.int_ts, weight=edges.int_weight,
                          window=p.social_window_s)
    fb = follow_back_ratio(follows)
    asym = asymmetry(att)
    lap("social")
    names = tuple(p.tier_names)
    unknown = set(p.hidden_tiers) - set(names)
    if unknown:
        raise ValueError(f"hidden_tiers {sorted(unknown)} are not tier names {names}.")
    hidden = hidden_influencer_score(pct, social.ratio, fb, code,
                                     eligible_tiers=[names.index(x) for x in p.hidden_tiers])
    return {
        "in_degree": in_degree(att),
        "out_degree": att.out_degree().astype(np.int64),
        "reciprocity": reciprocity(follows),
        "followers_observed": observed,
        "tier": tier_names(code, names),
        "tier_estimated": estimated,
        "pagerank": pr,
        "coreness": core,
        "niche_pagerank": npr,
        "niche_percentile": pct,
        "within_module_z": z,
        "participation": part,
        "niche_share": share,
        "social_ratio": social.ratio,
        "follow_back_ratio": fb,
        "asymmetry": asym,
        "score_hidden": hidden.score,
    }


def social_by_tier(edges: EdgeArrays, metrics: dict[str, np.ndarray], *, window_s: float | None = None) -> list[dict]:
    """Social ratio and follow-back ratio aggregated per tier (rows for docs and reports).

    Each row: ``tier``, ``n`` accounts, ``n_defined`` with inbound interactions,
    ``social_mean``, ``social_median``, ``social_pooled`` (returned / all inbound
    events in the tier), ``follow_back_mean``, ``follow_back_pooled``.
    """
    n = edges.n_nodes
    s = social_ratio(n, edges.int_src, edges.int_dst, ts=edges.int_ts, weight=edges.int_weight, window=window_s)
    tier = np.asarray(metrics["tier"]).astype(str)
    agg = aggregate_by_group(s.ratio, tier, numerator=s.reciprocated, denominator=s.inbound)
    follows = from_edges(edges.follow_src, edges.follow_dst, n_nodes=n, self_loops="drop")
    fb = follow_back_ratio(follows)
    followers = np.bincount(follows.indices, minlength=n).astype(np.float64)
    fagg = aggregate_by_group(fb, tier, numerator=np.nan_to_num(fb) * followers, denominator=followers)
    rows = []
    for r, f in zip(agg.rows(), fagg.rows()):
        rows.append({"tier": r["group"], "n": r["n"], "n_defined": r["n_defined"], "social_mean": r["mean"],
                     "social_median": r["median"], "social_pooled": r["pooled"], "follow_back_n": f["n_defined"],
                     "follow_back_mean": f["mean"], "follow_back_pooled": f["pooled"]})
    return rows
