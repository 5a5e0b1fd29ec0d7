"""Engagement stage: each account's engagement rate, its evidence, and its peers' benchmarks.

``compute_engagement(edges, posts, tier, niche, params=..., fitted=...)`` returns one array per
column of :data:`ENGAGEMENT_COLUMNS` (definitions and worked examples: docs/metrics.md,
"Engagement rate"):

``engagement_rate``         the rate ranked on: by followers, shrunk towards the tier's median
``engagement_rate_raw``     the median (platform metrics) or mean (interaction log) before shrinking
``engagement_rate_views``   median engagements / views over posts with views (platform metrics only)
``engagement_posts``        posts of the window behind the rate
``engagement_source``       ``metrics`` (platform counts), ``interactions`` (the log), or null
``engagement_tier_q1/median/q3``   quartiles of the raw rates of the account's tier
``engagement_niche_q1/median/q3``  quartiles of the raw rates of its tier inside its niche
``engagement_niche_peers``  accounts of that tier and niche with a rate (itself included)
``engagement_niche_percentile``  percentile of its rate among them

The window ends at the store's newest post (the data's "now", so a rerun gives the same result)
and reaches ``window_days`` back; a post without a time counts as inside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine import percentile_within
from nichegraph.engine.attention import KINDS
from nichegraph.engine.engagement import log_rate, peer_benchmarks, post_rates, shrink_to_peers
from nichegraph.engine.tiers import UNKNOWN_TIER
from nichegraph.graph_store import EdgeArrays

ENGAGEMENT_COLUMNS: tuple[str, ...] = (
    "engagement_rate",
    "engagement_rate_raw",
    "engagement_rate_views",
    "engagement_posts",
    "engagement_source",
    "engagement_tier_q1",
    "engagement_tier_median",
    "engagement_tier_q3",
    "engagement_niche_q1",
    "engagement_niche_median",
    "engagement_niche_q3",
    "engagement_niche_peers",
    "engagement_niche_percentile",
)

#: Post kinds whose engagement is the author's own (a repost's metrics belong to the original post).
RATED_POST_KINDS: tuple[str, ...] = ("original", "reply", "quote")
#: Platform counts summed as a post's engagements.
ENGAGEMENT_METRICS: tuple[str, ...] = ("likes", "replies", "reposts", "quotes")
#: Interaction kinds that engage with a post (a mention names an account, not a post).
ENGAGING_KINDS: tuple[str, ...] = ("reply", "repost", "quote", "like", "comment", "share")


@dataclass(frozen=True)
class EngagementParams:
    """Parameters of the engagement stage (JSON-able; stored with the run).

    window_days : the recent window, in days back from the newest post.
    half_posts : posts at which an account's own rate and its tier's median weigh the same (12: the
        "last 12 posts" most influencer-marketing tools average over).
    """

    window_days: float = 90.0
    half_posts: float = 12.0


def _floats(col) -> np.ndarray:
    return np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def post_engagements(posts: pa.Table) -> np.ndarray:
    """Engagements of each post: the sum of its reported counts (a missing one as 0), NaN when none is reported."""
    counts = np.column_stack([_floats(posts.column(m)) for m in ENGAGEMENT_METRICS]) if posts.num_rows else None
    if counts is None:
        return np.empty(0)
    reported = ~np.isnan(counts)
    return np.where(reported.any(axis=1), np.nansum(counts, axis=1), np.nan)


def window_of(posts: pa.Table, window_days: float) -> tuple[int | None, np.ndarray]:
    """(start in epoch seconds or None, in-window mask of the posts): ``window_days`` back from the newest post."""
    secs = posts.column("ts").cast(pa.timestamp("s"), safe=False).cast(pa.int64())  # sub-second times truncated
    t = np.asarray(secs.to_numpy(zero_copy_only=False), dtype=np.float64)  # NaN where no time
    if posts.num_rows == 0 or np.all(np.isnan(t)):
        return None, np.ones(posts.num_rows, dtype=bool)
    start = int(np.nanmax(t) - window_days * 86_400)
    return start, np.isnan(t) | (t >= start)


def compute_engagement(
    edges: EdgeArrays,
    posts: pa.Table,
    tier,
    niche,
    *,
    params: EngagementParams | None = None,
    fitted: dict | None = None,
) -> dict[str, np.ndarray]:
    """The engagement columns of every account (module docstring); ``fitted`` receives the benchmarks."""
    return engagement_columns(
        edges.n_nodes,
        edges.followers_count,
        posts,
        tier,
        niche,
        lambda start: engaging_inbound(edges, start),
        params=params,
        fitted=fitted,
    )


def engaging_inbound(edges: EdgeArrays, start: int | None) -> np.ndarray:
    """Interaction rows of an engaging kind (:data:`ENGAGING_KINDS`) into each account from another one, at or
    after ``start`` (epoch seconds; None: all) or without a time; float64 (n,)."""
    codes = [KINDS.index(k) for k in ENGAGING_KINDS]
    ts = edges.interaction_ts
    recent = (ts < 0) | (ts >= start) if start is not None else np.ones(ts.shape, dtype=bool)
    engaging = np.isin(edges.interaction_kind, codes) & recent & (edges.interaction_src != edges.interaction_dst)
    return np.bincount(edges.interaction_dst[engaging], minlength=edges.n_nodes).astype(np.float64)


def engagement_columns(
    n: int,
    followers_count,
    posts: pa.Table,
    tier,
    niche,
    inbound_since: Callable[[int | None], np.ndarray],
    *,
    params: EngagementParams | None = None,
    fitted: dict | None = None,
) -> dict[str, np.ndarray]:
    """:func:`compute_engagement` from the accounts' platform follower counts (float64 (n,), NaN unknown), the
    posts (author by ``idx``) and ``inbound_since(start)``, the interaction log's :func:`engaging_inbound`
    (however it is computed: on one machine or on Spark)."""
    p = params or EngagementParams()
    followers = np.asarray(followers_count, dtype=np.float64)
    tier = np.asarray(tier, dtype=object)
    rated = posts.filter(pc.is_in(posts.column("kind"), pa.array(RATED_POST_KINDS)))
    author = np.asarray(rated.column("author").to_numpy(zero_copy_only=False), dtype=np.int64)
    start, in_window = window_of(rated, p.window_days)
    eng = post_engagements(rated)
    views = _floats(rated.column("views")) if rated.num_rows else np.empty(0)
    rates = post_rates(n, author, eng, followers, views=views, in_window=in_window & ~np.isnan(eng))
    has_metrics = np.bincount(author[in_window & ~np.isnan(eng)], minlength=n) > 0
    window_posts = np.bincount(author[in_window], minlength=n)

    # the interaction log, for accounts whose posts carry no platform counts
    inbound = inbound_since(start)
    from_log = ~has_metrics & (window_posts > 0)
    raw = np.where(
        has_metrics, rates.by_followers, np.where(from_log, log_rate(inbound, window_posts, followers), np.nan)
    )
    used = np.where(has_metrics, rates.posts, np.where(from_log, window_posts, 0)).astype(np.int64)
    source = np.full(n, None, dtype=object)
    source[from_log] = "interactions"
    source[has_metrics] = "metrics"

    tier_names = sorted({str(t) for t in tier if t != UNKNOWN_TIER})
    tier_code = np.array([tier_names.index(t) if t in tier_names else -1 for t in tier], dtype=np.int64)
    tier_q, _ = peer_benchmarks(raw, tier_code, len(tier_names))
    shrunk = shrink_to_peers(raw, used, tier_q[:, 1], half=p.half_posts)
    niche = np.asarray(niche, dtype=np.int64)
    pair = np.where(tier_code >= 0, niche * max(len(tier_names), 1) + tier_code, -1)
    pair_ids, pair_code = np.unique(pair, return_inverse=True)
    pair_code = np.where(pair >= 0, pair_code, -1)
    niche_q, peers = peer_benchmarks(raw, pair_code, len(pair_ids))
    pct = percentile_within(shrunk, np.where(pair_code >= 0, pair_code, len(pair_ids)))

    if fitted is not None:
        bench = {}
        for i, name in enumerate(tier_names):
            mine = (tier_code == i) & ~np.isnan(raw)
            bench[name] = {
                "accounts": int(mine.sum()),
                **{k: _num(tier_q[np.flatnonzero(tier_code == i)[0], j]) for j, k in enumerate(("q1", "median", "q3"))},
            }
        fitted["engagement"] = {
            **dataclasses.asdict(p),
            "window_start": None if start is None else int(start),
            "accounts_from_metrics": int((has_metrics & ~np.isnan(raw)).sum()),
            "accounts_from_interactions": int((from_log & ~np.isnan(raw)).sum()),
            "tiers": bench,
        }
    return {
        "engagement_rate": shrunk,
        "engagement_rate_raw": raw,
        "engagement_rate_views": rates.by_views,
        "engagement_posts": used,
        "engagement_source": pa.array(source.tolist(), pa.string()),
        "engagement_tier_q1": tier_q[:, 0],
        "engagement_tier_median": tier_q[:, 1],
        "engagement_tier_q3": tier_q[:, 2],
        "engagement_niche_q1": niche_q[:, 0],
        "engagement_niche_median": niche_q[:, 1],
        "engagement_niche_q3": niche_q[:, 2],
        "engagement_niche_peers": peers,
        "engagement_niche_percentile": pct,
    }


def _num(v: float) -> float | None:
    return None if np.isnan(v) else float(v)
