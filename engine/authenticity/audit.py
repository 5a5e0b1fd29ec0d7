"""Every authenticity signal of every account, from plain arrays, and their combination.

:func:`audience_authenticity` runs the signals of this package
(:mod:`.mass_followers`, :mod:`.bursts`, :mod:`.sybilrank`, :mod:`.pods`),
shrinks their shares with :func:`engine.evidence.shrink_ratio` and combines
them with :func:`.combine.combine`.  :func:`mutual_seeds` is the default choice
of SybilRank's trusted seeds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import GraphInputError
from ..evidence import evidence_weight, shrink_ratio
from ..graph import Graph, from_edges
from ..mutual_ties import MutualTies, mutual_ties
from .bursts import DAY_S, follower_bursts
from .combine import combine
from .mass_followers import MASS_RATIO, MIN_FOLLOWING, follow_ratio_score, mass_follower_share, mass_followers
from .pods import engagement_pods
from .sybilrank import sybilrank

#: Columns of :meth:`AuthenticityReport.columns`, in order.
AUTHENTICITY_COLUMNS: tuple[str, ...] = (
    "authenticity",
    "authenticity_weakest",
    "auth_audience",
    "auth_burst",
    "auth_trust",
    "auth_pod",
    "auth_follow_ratio",
    "mass_follower",
    "mass_followers",
    "burst_peak",
    "burst_timed",
    "burst_start",
    "trust_normalized",
    "trust_seed",
    "pod_ties",
    "pod_density",
    "pod_events",
)


@dataclass(frozen=True)
class AuthenticityParams:
    """Parameters of the authenticity signals (JSON-able; stored with a run).

    mass_ratio, min_following : the mass-follower rule (:mod:`.mass_followers`).
    burst_window_s : burst window :math:`W` in seconds (:mod:`.bursts`).
    audience_half : followers at which the audience and burst shares count half: each shrunk share is
        weighted by ``n / (n + audience_half)`` (:func:`engine.evidence.evidence_weight`), so an audience
        of one or two followers never looks as bought as one of hundreds.
    seed_share : share of accounts taken as SybilRank seeds by :func:`mutual_seeds` (at least one).
    seed_min_share : share of a community's members that must converse (a two-way interacting mutual
        tie) before its leader is a seed (:func:`mutual_seeds`).
    sybil_iterations : SybilRank iterations (None: ceil(log2 n)).
    trust_full : normalised SybilRank trust counted as full trust (the trust component is
        ``min(1, normalized / trust_full)``): the early-terminated walk leaves genuine accounts of
        slowly mixing regions below the well-mixed level 1 (docs/metrics.md).
    trust_half : mutual ties at which low trust counts half (the doubt ``1 - min(1, normalized /
        trust_full)`` is weighted by ``d / (d + trust_half)``, :func:`engine.evidence.evidence_weight`):
        an account with one tie that trust did not reach is weak evidence.
    pod_window_s, pod_min_group, pod_min_repeats : :mod:`.pods` parameters.
    """

    mass_ratio: float = MASS_RATIO
    min_following: float = MIN_FOLLOWING
    burst_window_s: float = float(DAY_S)
    audience_half: float = 5.0
    seed_share: float = 0.001
    seed_min_share: float = 0.1
    sybil_iterations: int | None = None
    trust_full: float = 0.25
    trust_half: float = 3.0
    pod_window_s: float = 600.0
    pod_min_group: int = 3
    pod_min_repeats: int = 3

    @classmethod
    def from_any(cls, params) -> AuthenticityParams:
        """From an AuthenticityParams, a dict of its fields, or None (defaults)."""
        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(params) - known
        if unknown:
            raise GraphInputError(f"unknown authenticity parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**params)


@dataclass(frozen=True)
class AuthenticityReport:
    """Result of :func:`audience_authenticity`: ``columns`` (name -> array of shape (n,), keys
    :data:`AUTHENTICITY_COLUMNS`) and ``fitted`` (JSON-able: Beta priors, seeds, iterations)."""

    columns: dict
    fitted: dict


def mutual_seeds(n: int, tie_u, tie_strength, *, k: int, community=None, min_share: float = 0.1) -> np.ndarray:
    """Accounts with the most mutual ties that carry interactions both ways (int64, sorted).

    A tie with ``strength > 0`` means both accounts addressed the other; fake
    accounts made in bulk follow but do not converse, so they rarely qualify.
    The ``k`` accounts with the most such ties are seeds and, when ``community``
    labels are given, so is the leader of every community where at least
    ``min_share`` of the members hold such a tie (SybilRank needs seeds in every
    genuine community, or trust does not reach it within its few iterations:
    Cao et al. 2012, section 4.3; a farm of fakes grouped with the one account
    that bought them is a community where almost nobody converses, and gets no
    seed).  Ties are broken by the lower index; accounts without such a tie are
    never seeds.

    Examples
    --------
    >>> mutual_seeds(4, [0, 1, 1, 2, 2, 3], [1.0, 1.0, 2.0, 2.0, 0.0, 0.0], k=2).tolist()
    [0, 1]
    >>> mutual_seeds(4, [0, 1, 1, 2, 2, 3], [1.0, 1.0, 2.0, 2.0, 0.0, 0.0], k=1, community=[0, 0, 1, 1]).tolist()
    [1, 2]
    >>> mutual_seeds(4, [0, 1, 1, 2], [1.0, 1.0, 2.0, 2.0], k=1, community=[0, 0, 1, 1], min_share=0.6).tolist()
    [1]
    """
    u = np.asarray(tie_u, dtype=np.int64)
    strong = np.bincount(u[np.asarray(tie_strength) > 0], minlength=n)
    order = np.lexsort((np.arange(n), -strong))
    top = order[: max(int(k), 0)]
    chosen = [top]
    if community is not None:
        c = np.asarray(community, dtype=np.int64)
        if c.shape != (n,):
            raise GraphInputError(f"community must have one label per account ({n}); got shape {c.shape}.")
        by = np.lexsort((np.arange(n), -strong, c))  # within each community, the strongest first
        first = np.ones(n, dtype=bool)
        first[1:] = c[by][1:] != c[by][:-1]
        _, inverse, size = np.unique(c, return_inverse=True, return_counts=True)
        conversing = np.bincount(inverse, weights=(strong > 0).astype(np.float64), minlength=size.size)
        lively = (conversing / size >= min_share)[inverse]
        chosen.append(by[first & lively[by]])
    picked = np.unique(np.concatenate(chosen)) if n else np.zeros(0, np.int64)
    return picked[strong[picked] > 0]


def _known_share(successes, trials) -> tuple[np.ndarray, dict]:
    r = shrink_ratio(successes, trials)
    return np.where(np.asarray(trials) > 0, r.estimate, np.nan), r.prior.as_dict()


def audience_authenticity(
    n: int,
    *,
    follow_src,
    follow_dst,
    follow_ts,
    following,
    followers,
    interaction_src,
    interaction_dst,
    interaction_ts,
    interaction_weight,
    seeds=None,
    community=None,
    params=None,
    ties: MutualTies | None = None,
    follows: Graph | None = None,
) -> AuthenticityReport:
    """Every signal, its evidence and the combined score (formulas: :mod:`.combine` and the signal modules).

    Parameters
    ----------
    n : int
        Accounts (indices ``0..n-1``).
    follow_src, follow_dst : array_like of int, shape (f,)
        Follower and followee of every follow.
    follow_ts : array_like of int, shape (f,), or None
        ``since`` in Unix seconds (-1 unknown); None: no burst signal for anyone.
    following, followers : array_like of float, shape (n,)
        Counts for the mass-follower rule (platform counts where known, else observed).
    interaction_src, interaction_dst, interaction_ts, interaction_weight : array_like, shape (i,)
        Interaction events (ts < 0: unknown time).
    seeds : array_like of int, optional
        Trusted accounts for SybilRank; default :func:`mutual_seeds` with ``seed_share`` (and the
        leader of every community when ``community`` is given).
    community : array_like of int, shape (n,), optional
        Community per account, for the default seeds.
    params : AuthenticityParams or dict, optional
    ties : MutualTies, optional
        Every mutual tie of every account (``mutual_ties(..., per_node=n)`` of these arrays), when the
        caller already has them (``analyze`` computes them once for this stage and the ``mutuals`` table).
    follows : Graph, optional
        ``from_edges(follow_src, follow_dst, n_nodes=n, self_loops="drop")`` when the caller has it
        (``analyze`` builds the follow graph once for every stage).
    """
    p = AuthenticityParams.from_any(params)
    fs = np.asarray(follow_src, dtype=np.int64)
    fd = np.asarray(follow_dst, dtype=np.int64)
    if follows is None:
        follows = from_edges(fs, fd, n_nodes=n, self_loops="drop")
    is_mass = mass_followers(following, followers, ratio=p.mass_ratio, min_following=p.min_following)
    share = mass_follower_share(follows, is_mass)
    audience_share, audience_prior = _known_share(share.mass, share.followers)

    nan = np.full(n, np.nan)
    burst_cols: dict[str, np.ndarray] = {
        "burst_peak": np.full(n, -1, np.int64),
        "burst_timed": np.zeros(n, np.int64),
        "burst_start": np.full(n, -1, np.int64),
    }
    burst_component, burst_prior = nan, None
    if follow_ts is not None:
        keep = fs != fd
        b = follower_bursts(n, fd[keep], np.asarray(follow_ts, dtype=np.int64)[keep], window_s=p.burst_window_s)
        excess_share, burst_prior = _known_share(np.round(b.excess), b.timed)
        burst_component = 1.0 - excess_share * evidence_weight(b.timed, p.audience_half)
        burst_cols = {"burst_peak": b.peak, "burst_timed": b.timed, "burst_start": b.peak_start}

    if ties is None:
        ties = mutual_ties(
            n, fs, fd, interaction_src, interaction_dst, interaction_weight, per_node=max(n, 1), follows=follows
        )
    if seeds is None:
        seeds = mutual_seeds(
            n,
            ties.account,
            ties.strength,
            k=max(1, int(round(p.seed_share * n))),
            community=community,
            min_share=p.seed_min_share,
        )
    seeds = np.asarray(seeds, dtype=np.int64)
    once = ties.account < ties.other  # mutual_ties lists every tie from both sides
    tie_graph = from_edges(ties.account[once], ties.other[once], n_nodes=n, directed=False, self_loops="drop")
    trust_cols = {"trust_normalized": nan, "trust_seed": np.zeros(n, dtype=bool)}
    trust_component, iterations = nan, 0
    if ties.account.size and np.any(np.bincount(ties.account, minlength=n)[seeds] > 0):
        sr = sybilrank(tie_graph, seeds, iterations=p.sybil_iterations)
        ties_per_account = np.diff(tie_graph.indptr)
        doubt = (1.0 - np.minimum(sr.normalized / p.trust_full, 1.0)) * evidence_weight(ties_per_account, p.trust_half)
        trust_component, iterations = 1.0 - doubt, sr.iterations
        seed_flag = np.zeros(n, dtype=bool)
        seed_flag[seeds] = True
        trust_cols = {"trust_normalized": sr.normalized, "trust_seed": seed_flag}

    pods = engagement_pods(
        n,
        interaction_src,
        interaction_dst,
        interaction_ts,
        window_s=p.pod_window_s,
        min_group=p.pod_min_group,
        min_repeats=p.pod_min_repeats,
    )
    pod_share, pod_prior = _known_share(pods.pod_events, pods.crowd_events)
    pod_component = np.where(pods.inbound > 0, 1.0 - pods.density * np.nan_to_num(pod_share), np.nan)

    fr = follow_ratio_score(following, followers, ratio=p.mass_ratio, min_following=p.min_following)
    parts = {
        "audience": 1.0 - audience_share * evidence_weight(share.followers, p.audience_half),
        "burst": burst_component,
        "trust": trust_component,
        "pod": pod_component,
        "follow_ratio": fr,
    }
    a = combine(parts)
    columns = {
        "authenticity": a.score,
        "authenticity_weakest": a.weakest_names(),
        **{f"auth_{k}": v for k, v in parts.items()},
        "mass_follower": is_mass,
        "mass_followers": share.mass,
        **burst_cols,
        **trust_cols,
        "pod_ties": pods.pod_ties,
        "pod_density": pods.density,
        "pod_events": pods.pod_events,
    }
    fitted = {
        "priors": {"audience": audience_prior, "burst": burst_prior, "pod": pod_prior},
        "seeds": int(seeds.size),
        "sybil_iterations": iterations,
        "params": dataclasses.asdict(p),
    }
    return AuthenticityReport({c: columns[c] for c in AUTHENTICITY_COLUMNS}, fitted)
