"""Metrics stage: global influence, niche centrality, social ratios, tiers, hidden score.

``compute_metrics(edges, accounts, community, params=...)`` returns one array
per column of the ``accounts`` result table (names from docs/ARCHITECTURE.md):
``in_degree`` / ``out_degree`` (distinct accounts on the attention graph, self
excluded), ``reciprocity`` (mutual share of follow ties), ``followers_observed``, ``tier``, ``tier_estimated``, ``pagerank``,
``coreness``, ``niche_pagerank``, ``niche_percentile``, ``within_module_z``,
``participation``, ``niche_share``, ``social_ratio``, ``follow_back_ratio``,
``asymmetry``, the evidence behind them (``inbound_accounts``, ``inbound_events``,
``reciprocated_events``, ``niche_engaged``, ``evidence_weight``), the
empirical Bayes estimates (``*_shrunk``, ``*_sd``) and ``score_hidden``.
Definitions: docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from nichegraph.engine import (
    aggregate_by_group,
    asymmetry,
    attention_graph,
    coreness,
    follow_back_ratio,
    from_edges,
    hidden_influencer_score,
    kind_weights,
    niche_pagerank,
    pagerank,
    percentile_within,
    social_ratio,
    tiers,
)
from nichegraph.engine.centrality import in_graph
from nichegraph.engine.degree import in_degree, reciprocity
from nichegraph.engine.evidence import shrink_ratio
from nichegraph.engine.graph import Graph
from nichegraph.engine.niche_centrality import module_roles
from nichegraph.engine.tiers import TIER_NAMES, TIER_THRESHOLDS, UNKNOWN_TIER, tier_names
from nichegraph.graph_store import EdgeArrays

from .stopwatch import Stopwatch, stopwatch

METRIC_COLUMNS: tuple[str, ...] = (
    "in_degree",
    "out_degree",
    "reciprocity",
    "followers_observed",
    "tier",
    "tier_estimated",
    "pagerank",
    "coreness",
    "niche_pagerank",
    "niche_percentile",
    "within_module_z",
    "participation",
    "niche_share",
    "social_ratio",
    "follow_back_ratio",
    "asymmetry",
    "inbound_accounts",
    "inbound_events",
    "reciprocated_events",
    "niche_engaged",
    "social_ratio_shrunk",
    "social_ratio_sd",
    "follow_back_ratio_shrunk",
    "follow_back_ratio_sd",
    "niche_share_shrunk",
    "evidence_weight",
    "score_hidden",
)

#: Share of accounts with any engagement whose count the default half-weight ``h`` equals (90th percentile).
EVIDENCE_HALF_QUANTILE = 90.0


@dataclass(frozen=True)
class MetricsParams:
    """Parameters of the metrics stage (all JSON-able; stored with the run).

    damping, tol : PageRank damping and L1 tolerance (global and niche PageRank).
    follow_weight, kind_weights : attention-graph weights (kind name -> weight overrides).
    social_window_s : seconds within which a returned interaction counts (None: any time).
    tier_thresholds, tier_names : follower-count tier bounds and names.
    follows_complete : the follow layer holds every follower, so an account without a platform
        count is tiered by its observed followers (else its tier is ``unknown``).
    hidden_tiers : tier names eligible for the hidden-influencer score.
    min_evidence : distinct accounts of its niche that must engage with an account before it gets
        a hidden score (docs/metrics.md shows the data behind the default 3).
    evidence_half : engaged accounts that get half evidence weight; None: the 90th percentile of
        the engaged counts of the accounts with any (at least 1).
    """

    damping: float = 0.85
    tol: float = 1e-10
    follow_weight: float = 1.0
    kind_weights: dict = field(default_factory=dict)
    social_window_s: float | None = None
    tier_thresholds: tuple = TIER_THRESHOLDS
    tier_names: tuple = TIER_NAMES
    follows_complete: bool = False
    hidden_tiers: tuple = ("nano", "micro", UNKNOWN_TIER)
    min_evidence: int = 3
    evidence_half: float | None = None


def follow_graph(edges: EdgeArrays) -> Graph:
    """The follow graph (follower -> followee; repeats merged, self-follows dropped), built once per analysis:
    the metrics, authenticity and mutual-tie steps all read it."""
    return from_edges(edges.follow_src, edges.follow_dst, n_nodes=edges.n_nodes, self_loops="drop")


def graphs(edges: EdgeArrays, p: MetricsParams, follows: Graph | None = None):
    """The follow graph (``follows`` when given, else :func:`follow_graph`) and the attention graph."""
    n = edges.n_nodes
    follows = follow_graph(edges) if follows is None else follows
    kw = kind_weights(p.kind_weights)
    args = (edges.interaction_kind, edges.interaction_weight)
    att = attention_graph(
        n,
        edges.follow_src,
        edges.follow_dst,
        edges.interaction_src,
        edges.interaction_dst,
        *args,
        follow_weight=p.follow_weight,
        kind_weight=kw,
    )
    return follows, att


def compute_metrics(
    edges: EdgeArrays,
    accounts: pa.Table | None,
    community: np.ndarray,
    *,
    params: MetricsParams | None = None,
    timings: dict | None = None,
    fitted: dict | None = None,
    watch: Stopwatch | None = None,
    follows: Graph | None = None,
) -> dict[str, np.ndarray]:
    """Every metric column of the accounts table, for every account.

    Parameters
    ----------
    edges : EdgeArrays
        From ``store.read_edges()``.
    accounts : pyarrow.Table or None
        From ``store.read_accounts()`` (unused beyond a length check: follower
        counts come with ``edges``).
    community : ndarray of int, shape (n,)
        Community label per account (niche measures are computed inside it).
    params : MetricsParams, optional
        See :class:`MetricsParams` (defaults when omitted).
    timings : dict, optional
        Filled with seconds per sub-step (when no ``watch`` is given).
    fitted : dict, optional
        Filled with what was fitted to the data: the Beta priors per ratio and
        the evidence half-weight used (stored with the run).
    watch : Stopwatch, optional
        Times the sub-steps (``run_analysis`` passes its ``metrics`` stopwatch).
    follows : Graph, optional
        :func:`follow_graph` of ``edges`` when the caller built it already (built here otherwise).

    Returns
    -------
    dict of str to ndarray, shape (n,) each, keys :data:`METRIC_COLUMNS`.
    """
    p = params or MetricsParams()
    n = edges.n_nodes
    if accounts is not None and accounts.num_rows != n:
        raise ValueError(f"accounts has {accounts.num_rows} rows but the edges have {n} accounts.")
    step = stopwatch(watch, timings)
    columns, counts = local_metrics(edges, community, params=p, watch=step, follows=follows)
    with step("score"):
        columns.update(fit_evidence(columns, counts, params=p, fitted=fitted if fitted is not None else {}))
    return {name: columns[name] for name in METRIC_COLUMNS}


#: Per-account counts behind the fitted estimates that are not result columns themselves.
EVIDENCE_COUNTS: tuple[str, ...] = ("tier_code", "returned", "received_own", "received")


def local_metrics(
    edges: EdgeArrays,
    community: np.ndarray,
    *,
    params: MetricsParams | None = None,
    timings: dict | None = None,
    watch: Stopwatch | None = None,
    follows: Graph | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every metric that depends only on an account's own ties and its community's, before any fit to all accounts.

    An account's values here depend only on the edges incident to it and on the
    community labels of their other ends (plus PageRank and coreness, which are
    global), so a graph holding every edge incident to a set of accounts gives
    those accounts exact values (the Spark engine's per-partition step).

    Returns
    -------
    (columns, counts) : two dicts of str to ndarray, shape (n,) each
        ``columns``: :data:`METRIC_COLUMNS` except the fitted ones (``*_shrunk``,
        ``*_sd``, ``evidence_weight``, ``score_hidden``); ``counts``:
        :data:`EVIDENCE_COUNTS`, the inputs of :func:`fit_evidence`.

    ``follows`` is :func:`follow_graph` of ``edges`` when the caller has it.
    """
    p = params or MetricsParams()
    n = edges.n_nodes
    comm = np.asarray(community, dtype=np.int64)
    if comm.shape != (n,):
        raise ValueError(f"community must have one label per account ({n}); got shape {comm.shape}.")
    step = stopwatch(watch, timings)
    with step("graphs"):
        follows, att = graphs(edges, p, follows)
        follows_in = in_graph(follows)  # followers per account: follow-back and reciprocity
    with step("pagerank"):
        observed = np.bincount(follows.indices, minlength=n).astype(np.int64)
        code, estimated = tiers(
            edges.followers_count,
            observed,
            thresholds=p.tier_thresholds,
            names=p.tier_names,
            follows_complete=p.follows_complete,
        )
        order = np.argsort(comm, kind="stable")
        pr = pagerank(att, damping=p.damping, tol=p.tol, order=order)
    with step("coreness"):
        att_in = in_graph(att)  # inbound rows: coreness merges them with the outbound ones, roles read them
        core = coreness(att, att_in).astype(np.float64)
    with step("roles"):
        z, part, share = module_roles(att_in, comm)  # within_module_z, participation, niche_share
        del att_in
    with step("niche_pagerank"):
        npr = niche_pagerank(att, comm, damping=p.damping, tol=p.tol)
        pct = percentile_within(npr, comm)
    with step("social"):
        social = social_ratio(
            n,
            edges.interaction_src,
            edges.interaction_dst,
            ts=edges.interaction_ts,
            weight=edges.interaction_weight,
            window=p.social_window_s,
        )
        fb = follow_back_ratio(follows, follows_in)
        asym = asymmetry(att)
    with step("evidence"):
        counts = _evidence_counts(edges, att, comm, fb, observed)
    columns = {
        "in_degree": in_degree(att),
        "out_degree": att.out_degree().astype(np.int64),
        "reciprocity": reciprocity(follows, follows_in),
        "followers_observed": observed,
        "tier": tier_names(code, (*p.tier_names, UNKNOWN_TIER)),
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
        "inbound_accounts": social.partners,  # distinct_inbound of the interactions, found by the same scan
        "inbound_events": social.inbound,
        "reciprocated_events": social.reciprocated,
        "niche_engaged": counts.pop("niche_engaged"),
    }
    counts["tier_code"] = np.asarray(code)
    return columns, counts


def _evidence_counts(edges: EdgeArrays, att, comm: np.ndarray, fb: np.ndarray, observed: np.ndarray) -> dict:
    """The trials and successes behind each fitted ratio (docs/metrics.md, "Evidence"), per account."""
    n = edges.n_nodes
    att_src = np.repeat(np.arange(n, dtype=np.int32), np.diff(att.indptr))
    att_dst = att.indices
    followers = observed.astype(np.float64)
    own = (comm[att_src] == comm[att_dst]) & (att_src != att_dst)
    # the attention graph stores each (source, target) pair once, so counting its entries counts distinct
    # accounts: distinct_inbound(n, att_src, att_dst, community=comm) without its sort
    return {
        "niche_engaged": np.bincount(att_dst[own], minlength=n).astype(np.int64),
        "returned": np.where(followers > 0, np.nan_to_num(fb) * followers, 0.0),
        "received": np.bincount(att_dst, weights=np.where(att_src != att_dst, att.weights, 0.0), minlength=n),
        "received_own": np.bincount(att_dst[own], weights=att.weights[own], minlength=n),
    }


def fit_evidence(
    columns: dict[str, np.ndarray], counts: dict[str, np.ndarray], *, params: MetricsParams | None = None, fitted: dict
) -> dict[str, np.ndarray]:
    """The columns fitted to all accounts at once: empirical Bayes estimates, evidence weight, hidden score.

    Parameters
    ----------
    columns, counts : dict of str to ndarray, shape (n,) each
        From :func:`local_metrics` (over every account).
    params : MetricsParams, optional
    fitted : dict
        Filled with the Beta priors per ratio and the evidence half-weight used.

    Returns
    -------
    dict of str to ndarray: ``social_ratio_shrunk``, ``social_ratio_sd``,
    ``follow_back_ratio_shrunk``, ``follow_back_ratio_sd``, ``niche_share_shrunk``,
    ``evidence_weight``, ``score_hidden``.
    """
    p = params or MetricsParams()
    engaged = np.asarray(columns["niche_engaged"])
    positive = engaged[engaged > 0]
    half = (
        p.evidence_half
        if p.evidence_half is not None
        else max(float(np.percentile(positive, EVIDENCE_HALF_QUANTILE)) if positive.size else 1.0, 1.0)
    )
    followers = np.asarray(columns["followers_observed"]).astype(np.float64)
    inbound, received = np.asarray(columns["inbound_events"]), counts["received"]
    sr = shrink_ratio(np.asarray(columns["reciprocated_events"]), inbound)
    fbr = shrink_ratio(np.round(counts["returned"]), followers)
    ns = shrink_ratio(np.minimum(counts["received_own"], received), received)
    fitted.update(
        {
            "priors": {
                "social_ratio": sr.prior.as_dict(),
                "follow_back_ratio": fbr.prior.as_dict(),
                "niche_share": ns.prior.as_dict(),
            },
            "evidence_half": half,
            "min_evidence": p.min_evidence,
        }
    )

    def known(r, trials):  # no trials: the estimate would be the prior mean, but the account's share is unknown
        return np.where(trials > 0, r.estimate, np.nan), np.where(trials > 0, r.sd, np.nan)

    (sr_est, sr_sd), (fb_est, fb_sd) = known(sr, inbound), known(fbr, followers)
    names = (*p.tier_names, UNKNOWN_TIER)
    unknown = set(p.hidden_tiers) - set(names)
    if unknown:
        raise ValueError(f"hidden_tiers {sorted(unknown)} are not tier names {names}.")
    hidden = hidden_influencer_score(
        np.asarray(columns["niche_percentile"]),
        sr_est,
        fb_est,
        counts["tier_code"],
        eligible_tiers=[names.index(x) for x in p.hidden_tiers],
        engaged=engaged,
        min_evidence=p.min_evidence,
        evidence_half=half,
    )
    return {
        "social_ratio_shrunk": sr_est,
        "social_ratio_sd": sr_sd,
        "follow_back_ratio_shrunk": fb_est,
        "follow_back_ratio_sd": fb_sd,
        "niche_share_shrunk": known(ns, received)[0],
        "evidence_weight": hidden.evidence,
        "score_hidden": hidden.score,
    }


def social_by_tier(edges: EdgeArrays, metrics: dict[str, np.ndarray], *, window_s: float | None = None) -> list[dict]:
    """Social ratio and follow-back ratio aggregated per tier (rows for docs and reports).

    Each row: ``tier``, ``n`` accounts, ``n_defined`` with inbound interactions,
    ``social_mean``, ``social_median``, ``social_pooled`` (returned / all inbound
    events in the tier), ``follow_back_mean``, ``follow_back_pooled``.
    """
    n = edges.n_nodes
    s = social_ratio(
        n,
        edges.interaction_src,
        edges.interaction_dst,
        ts=edges.interaction_ts,
        weight=edges.interaction_weight,
        window=window_s,
    )
    tier = np.asarray(metrics["tier"]).astype(str)
    agg = aggregate_by_group(s.ratio, tier, numerator=s.reciprocated, denominator=s.inbound)
    follows = follow_graph(edges)
    fb = follow_back_ratio(follows)
    followers = np.bincount(follows.indices, minlength=n).astype(np.float64)
    fagg = aggregate_by_group(fb, tier, numerator=np.nan_to_num(fb) * followers, denominator=followers)
    rows = []
    for r, f in zip(agg.rows(), fagg.rows()):
        rows.append(
            {
                "tier": r["group"],
                "n": r["n"],
                "n_defined": r["n_defined"],
                "social_mean": r["mean"],
                "social_median": r["median"],
                "social_pooled": r["pooled"],
                "follow_back_n": f["n_defined"],
                "follow_back_mean": f["mean"],
                "follow_back_pooled": f["pooled"],
            }
        )
    return rows
