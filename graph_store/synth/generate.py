"""Planting a world, step by step: sizes, layout, accounts, follows, interactions, names.

Every step draws from the one :class:`numpy.random.Generator` made from the seed, in the
order :func:`generate` calls them, so the same arguments give byte-identical worlds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..schema import INTERACTION_KINDS
from .events import T0, YEAR, draw_interactions
from .inauthentic import PlantSpec, plant
from .layout import Layout, Sampler, cumulative, group_sample, hub_targets, plant_layout, truncated_pareto
from .world import (
    AFFILIATIONS,
    HANDLE_WORDS,
    MIN_ACCOUNTS,
    N_ASCII_WORDS,
    ROLE_BRAND,
    ROLE_FAKE,
    ROLE_HUB,
    ROLE_MEMBER,
    World,
)

_REPLY = INTERACTION_KINDS.index("reply")

_TOPICS = (
    "gaming",
    "fitness",
    "crypto",
    "cooking",
    "knitting",
    "birding",
    "jazz",
    "anime",
    "running",
    "vegan",
    "climbing",
    "chess",
    "poetry",
    "gardening",
    "astronomy",
    "skincare",
    "retro",
    "cycling",
    "baking",
    "opera",
    "surfing",
    "tabletop",
    "diy",
    "coffee",
    "sneakers",
    "vinyl",
    "esports",
    "yoga",
    "mycology",
    "fintech",
)
_FLAVOURS = (
    "fans",
    "club",
    "nerds",
    "crew",
    "talk",
    "lab",
    "circle",
    "corner",
    "guild",
    "hub",
    "den",
    "collective",
)


def generate(
    *,
    n_accounts: int,
    n_edges: int,
    seed: int = 0,
    follow_share: float = 0.4,
    n_follows: int | None = None,
    n_interactions: int | None = None,
    min_niche: int = 30,
    max_niche: int = 3000,
    niche_exponent: float = 2.2,
    niches_per_community: float = 8.0,
    p_mutual: float = 0.6,
    employee_share: float = 0.005,
    brand_aware_share: float = 0.2,
    bought: int = 0,
    pods: int = 0,
    plant_spec: PlantSpec | None = None,
) -> World:
    """Plant a realistic social world (see the module docstring for what it holds).

    Parameters
    ----------
    n_accounts : int
        Number of accounts, at least :data:`MIN_ACCOUNTS`.
    n_edges : int
        Follows plus interactions; split by ``follow_share`` unless
        ``n_follows`` / ``n_interactions`` are given.
    seed : int
        Seed of the one :class:`numpy.random.Generator` used throughout.
    follow_share : float, default 0.4
        Share of ``n_edges`` that are follows.
    n_follows, n_interactions : int, optional
        Exact counts (override the split; if only one is given the other is
        ``n_edges`` minus it).
    min_niche, max_niche : int
        Niche size range (members); sizes ~ truncated power law with exponent
        ``niche_exponent`` (P(size = s) ∝ s^-niche_exponent).
    niches_per_community : float
        Mean number of niches per broad community.
    p_mutual : float
        Probability that a follow inside a niche is followed back.
    employee_share : float
        Share of members affiliated with the brand's company.
    brand_aware_share : float
        Share of niches whose members mention the brand and use its hashtag.
    bought, pods : int, default 0
        Opt-in inauthentic audiences (:mod:`.inauthentic`): members that bought a batch of fake
        followers (the fakes are added after the ``n_accounts`` organic accounts) and engagement
        pods; the truth is :attr:`World.inauthentic`.
    plant_spec : PlantSpec, optional
        Sizes of the batches and pods (``bought`` and ``pods`` override its counts).

    Returns
    -------
    World
        Exactly ``n_accounts`` accounts (plus the planted fakes), ``n_follows`` unique follows without
        self-loops and ``n_interactions`` interaction events.

    Raises
    ------
    ValueError
        On sizes out of range or more follows than distinct pairs allow.

    Examples
    --------
    >>> w = generate(n_accounts=500, n_edges=4000, seed=1)
    >>> (w.n_accounts, w.n_follows + w.n_interactions)
    (500, 4000)
    """
    n, n_follows, n_interactions = _check_sizes(
        n_accounts, n_edges, follow_share, n_follows, n_interactions, min_niche, max_niche, niche_exponent
    )
    rng = np.random.default_rng(seed)
    lay = plant_layout(
        rng,
        n,
        min_niche=min_niche,
        max_niche=max_niche,
        niche_exponent=niche_exponent,
        niches_per_community=niches_per_community,
    )
    acc = _plant_accounts(rng, lay, employee_share=employee_share, brand_aware_share=brand_aware_share)
    nm = lay.n_members
    # member weights: popularity (who gets followed / amplified) and activity (who acts)
    pop_cum = cumulative(np.sqrt(acc.followers[:nm].astype(np.float64) + 10.0))
    act_cum = cumulative(np.exp(rng.normal(0.0, 1.0, nm)))
    sample = Sampler(rng, lay, pop_cum, act_cum, acc.brand_aware)
    aware_members = np.flatnonzero(acc.brand_aware[lay.niche[:nm]])

    keys = _draw_follow_pairs(rng, sample, lay, acc, n_follows, p_mutual, aware_members)
    follow_src = (keys // n).astype(np.int32)
    follow_dst = (keys % n).astype(np.int32)
    follow_since = (T0 - 3 * YEAR + rng.integers(0, 4 * YEAR, keys.size)).astype(np.int64)
    # observed degrees never exceed the platform counts
    followers = np.maximum(acc.followers, np.bincount(follow_dst, minlength=n).astype(np.int64))
    following = np.maximum(acc.following, np.bincount(follow_src, minlength=n).astype(np.int64))

    events = draw_interactions(
        rng,
        sample,
        lay,
        n_interactions=n_interactions,
        follow_keys=keys,
        follow_src=follow_src,
        follow_dst=follow_dst,
        followers=followers,
        employees=acc.employees,
        aware_members=aware_members,
    )
    src, dst, kind, ts, tags = events.in_time_order()
    ext = rng.permutation(n).astype(np.int64)
    community_tag, niche_tag = _tag_names(lay)
    world = World(
        seed=int(seed),
        ext=ext,
        handle_word=acc.words[0],
        handle_word2=acc.words[1],
        followers_count=followers,
        following_count=following,
        affiliation=acc.affiliation,
        niche=lay.niche,
        community=lay.community,
        role=acc.role,
        brand=lay.brand,
        niche_tag=niche_tag,
        community_tag=community_tag,
        brand_aware=acc.brand_aware,
        follow_src=follow_src,
        follow_dst=follow_dst,
        follow_since=follow_since,
        interaction_src=src,
        interaction_dst=dst,
        interaction_kind=kind,
        interaction_ts=ts,
        interaction_tags=tags,
    )
    if not (bought or pods):
        return world
    spec = dataclasses.replace(plant_spec or PlantSpec(), bought=int(bought), pods=int(pods))
    return _with_planted(rng, world, spec)


def _with_planted(rng: np.random.Generator, w: World, spec: PlantSpec) -> World:
    """``w`` with the bought audiences and pods of ``spec`` added (:mod:`.inauthentic`)."""
    n = w.n_accounts
    members = np.flatnonzero((w.role == ROLE_MEMBER) & (w.affiliation < 0))
    p = plant(rng, n, members, np.flatnonzero(w.role == ROLE_HUB), w.niche, spec)
    total = n + p.n_new
    old_keys = w.follow_src.astype(np.int64) * total + w.follow_dst
    keys, first = np.unique(np.concatenate([old_keys, p.follow_src * total + p.follow_dst]), return_index=True)
    since = np.concatenate([w.follow_since, p.follow_since])[first]  # organic follows keep their since
    f_src, f_dst = (keys // total).astype(np.int32), (keys % total).astype(np.int32)
    ts = np.concatenate([w.interaction_ts, p.event_ts])
    order = np.argsort(ts, kind="stable")
    m = p.event_src.size

    def grow(a: np.ndarray, fill) -> np.ndarray:
        return np.concatenate([a, np.full(p.n_new, fill, dtype=a.dtype)])

    followers = np.concatenate([w.followers_count + p.extra_followers, p.followers])
    following = np.concatenate([w.following_count, p.following])
    followers = np.maximum(followers, np.bincount(f_dst, minlength=total))
    following = np.maximum(following, np.bincount(f_src, minlength=total))
    words = rng.integers(0, N_ASCII_WORDS, size=(2, p.n_new)).astype(np.int16)
    return dataclasses.replace(
        w,
        ext=np.concatenate([w.ext, n + rng.permutation(p.n_new)]).astype(np.int64),
        handle_word=np.concatenate([w.handle_word, words[0]]),
        handle_word2=np.concatenate([w.handle_word2, words[1]]),
        followers_count=followers.astype(np.int64),
        following_count=following.astype(np.int64),
        affiliation=grow(w.affiliation, -1),
        niche=grow(w.niche, -1),
        community=grow(w.community, -1),
        role=grow(w.role, ROLE_FAKE),
        follow_src=f_src,
        follow_dst=f_dst,
        follow_since=since.astype(np.int64),
        interaction_src=np.concatenate([w.interaction_src, p.event_src.astype(np.int32)])[order],
        interaction_dst=np.concatenate([w.interaction_dst, p.event_dst.astype(np.int32)])[order],
        interaction_kind=np.concatenate([w.interaction_kind, np.full(m, _REPLY, np.int8)])[order],
        interaction_ts=ts[order],
        interaction_tags=np.concatenate([w.interaction_tags, np.full(m, -1, np.int32)])[order],
        inauthentic=p.truth,
        _cache={},
    )


def _check_sizes(
    n_accounts: int,
    n_edges: int,
    follow_share: float,
    n_follows: int | None,
    n_interactions: int | None,
    min_niche: int,
    max_niche: int,
    niche_exponent: float,
) -> tuple[int, int, int]:
    """``(n_accounts, n_follows, n_interactions)`` after checking every size (ValueError naming it)."""
    if int(n_accounts) < MIN_ACCOUNTS:
        raise ValueError(f"n_accounts={n_accounts}: need at least {MIN_ACCOUNTS} accounts")
    if n_accounts >= np.iinfo(np.int32).max:
        raise ValueError(f"n_accounts={n_accounts}: at most {np.iinfo(np.int32).max - 1} accounts")
    if int(n_edges) < 0:
        raise ValueError(f"n_edges={n_edges} must be >= 0")
    if not 0.0 <= follow_share <= 1.0:
        raise ValueError(f"follow_share={follow_share} must be in [0, 1]")
    if n_follows is None:
        n_follows = int(round(n_edges * follow_share)) if n_interactions is None else int(n_edges) - int(n_interactions)
    if n_interactions is None:
        n_interactions = int(n_edges) - int(n_follows)
    n, n_follows, n_interactions = int(n_accounts), int(n_follows), int(n_interactions)
    if n_follows < 0 or n_interactions < 0:
        raise ValueError(f"n_follows={n_follows} and n_interactions={n_interactions} must be >= 0")
    if n_follows > 0.5 * n * (n - 1):
        raise ValueError(
            f"n_follows={n_follows} is more than half of the {n * (n - 1)} possible follow pairs "
            f"among {n} accounts; ask for fewer edges or more accounts"
        )
    if min_niche < 2 or max_niche < min_niche:
        raise ValueError(f"need 2 <= min_niche <= max_niche, got {min_niche}, {max_niche}")
    if niche_exponent <= 1.0:
        raise ValueError(f"niche_exponent={niche_exponent} must be > 1")
    return n, n_follows, n_interactions


@dataclass
class _Accounts:
    """The planted accounts' own attributes (before follows raise the counts to the observed degrees)."""

    followers: np.ndarray  # int64 (n,): platform follower counts, heavy-tailed per tier
    following: np.ndarray  # int64 (n,)
    role: np.ndarray  # int8 (n,): ROLE_MEMBER, ROLE_HUB or ROLE_BRAND
    affiliation: np.ndarray  # int8 (n,): index into AFFILIATIONS, -1 for none
    employees: np.ndarray  # the members working for the brand's company, sorted
    brand_aware: np.ndarray  # bool (n_niches,)
    words: np.ndarray  # int16 (2, n): the two handle words of every account


def _plant_accounts(
    rng: np.random.Generator, lay: Layout, *, employee_share: float, brand_aware_share: float
) -> _Accounts:
    """Follower counts by tier, roles, affiliations, brand-aware niches and handle words."""
    n, nm = lay.niche.shape[0], lay.n_members
    n_niches = lay.niche_start.shape[0]
    followers = np.empty(n, dtype=np.int64)
    is_micro = rng.random(nm) < 0.04
    is_micro[rng.integers(nm)] = True  # at least one micro leader
    followers[:nm] = np.minimum(np.exp(rng.normal(5.0, 1.4, nm)), 9_999).astype(np.int64)
    followers[:nm][is_micro] = truncated_pareto(rng, int(is_micro.sum()), 1e4, 1e5, 1.0).astype(np.int64)
    followers[lay.macro] = truncated_pareto(rng, lay.macro.size, 1e5, 1e6, 1.0).astype(np.int64)
    followers[lay.mega] = truncated_pareto(rng, lay.mega.size, 1e6, 2e8, 0.8).astype(np.int64)
    followers[lay.brand] = int(truncated_pareto(rng, 1, 1e5, 1e6, 1.0)[0])
    following = np.exp(rng.normal(5.5, 1.0, n)).astype(np.int64)
    following[lay.mega] //= 10

    role = np.zeros(n, dtype=np.int8)
    role[lay.macro] = ROLE_HUB
    role[lay.mega] = ROLE_HUB
    role[lay.brand] = ROLE_BRAND
    affiliation = np.full(n, -1, dtype=np.int8)
    n_emp = max(3, int(round(nm * employee_share)))
    employees = np.sort(rng.choice(nm, size=min(n_emp, nm), replace=False))
    affiliation[employees] = 0
    decoys = rng.choice(nm, size=max(2, n_emp // 2), replace=False)
    decoys = decoys[affiliation[decoys] < 0]
    affiliation[decoys] = rng.integers(1, len(AFFILIATIONS), size=decoys.size)
    affiliation[lay.brand] = 0
    brand_aware = np.asarray(rng.random(n_niches) < brand_aware_share)
    brand_aware[rng.integers(n_niches)] = True

    words = rng.integers(0, N_ASCII_WORDS, size=(2, n)).astype(np.int16)
    rare = np.asarray(rng.random(n) < 0.01)
    words[1, rare] = rng.integers(N_ASCII_WORDS, len(HANDLE_WORDS), size=int(rare.sum()))
    return _Accounts(followers, following, role, affiliation, employees, brand_aware, words)


def _draw_follow_pairs(
    rng: np.random.Generator,
    sample: Sampler,
    lay: Layout,
    acc: _Accounts,
    n_follows: int,
    p_mutual: float,
    aware_members: np.ndarray,
) -> np.ndarray:
    """``n_follows`` distinct follow pairs without self-loops, as sorted keys ``src * n + dst``.

    Rounds of planted follows (:func:`_planted_follows`) until enough distinct pairs are drawn; after
    four rounds the rest is uniform (small, dense worlds run out of planted pairs).
    """
    n = lay.niche.shape[0]
    keys = np.zeros(0, dtype=np.int64)
    rounds = 0
    while keys.size < n_follows:
        need = n_follows - keys.size
        k = int(need * 1.15) + 16
        if rounds >= 4:
            src, dst = rng.integers(0, n, k), rng.integers(0, n, k)
        else:
            src, dst = _planted_follows(rng, sample, lay, acc, k, p_mutual, aware_members)
        ok = src != dst
        new = src[ok].astype(np.int64) * n + dst[ok]
        new = new[rng.permutation(new.size)]
        if keys.size:
            new = new[~np.isin(new, keys)]
        new, first = np.unique(new, return_index=True)
        new = new[np.argsort(first, kind="stable")][:need]  # keep first draws, in draw order
        keys = np.concatenate([keys, new])
        rounds += 1
        if rounds > 60:
            raise ValueError(f"could not draw {n_follows} distinct follows among {n} accounts; ask for fewer")
    return np.sort(keys)


def _planted_follows(
    rng: np.random.Generator,
    sample: Sampler,
    lay: Layout,
    acc: _Accounts,
    k: int,
    p_mutual: float,
    aware_members: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """About ``k`` follows (sources, targets): inside niches (some followed back), towards hubs, across
    niches of one community, employees and brand-aware members towards the brand, and noise."""
    n = lay.niche.shape[0]
    employees = acc.employees
    k_niche = int(k * 0.68 / (1 + p_mutual))
    k_hub = int(k * 0.18)
    k_cross = int(k * 0.08)
    k_emp = min(int(k * 0.01), employees.size + aware_members.size)
    k_rand = max(0, k - k_niche - int(k_niche * p_mutual) - k_hub - k_cross - k_emp)
    s1 = sample.members(k_niche)
    d1 = sample.in_niche(s1)
    back = rng.random(k_niche) < p_mutual
    s2 = sample.members(k_hub)
    d2 = hub_targets(rng, s2, lay, acc.followers, p_mega=0.4)
    s3 = sample.members(k_cross)
    d3 = group_sample(rng, lay.community[s3], lay.comm_start, lay.comm_end, sample.pop_cum)
    s4 = (
        np.concatenate([employees, aware_members])[rng.integers(0, employees.size + aware_members.size, k_emp)]
        if k_emp
        else np.zeros(0, np.int64)
    )
    d4 = np.full(s4.size, lay.brand)
    s5, d5 = rng.integers(0, n, k_rand), rng.integers(0, n, k_rand)
    src = np.concatenate([s1, d1[back], s2, s3, s4, employees, s5])
    dst = np.concatenate([d1, s1[back], d2, d3, d4, np.full(employees.size, lay.brand), d5])
    return src, dst


def _tag_names(lay: Layout) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Hashtags of the broad communities (a topic) and of the niches (the topic and a flavour)."""
    community_tag = tuple(
        _TOPICS[c % len(_TOPICS)] + (str(c // len(_TOPICS)) if c >= len(_TOPICS) else "")
        for c in range(lay.comm_start.shape[0])
    )
    nc = lay.community[lay.niche_start]
    niche_tag = tuple(
        f"{community_tag[nc[i]]}_{_FLAVOURS[i % len(_FLAVOURS)]}{i}" for i in range(lay.niche_start.shape[0])
    )
    return community_tag, niche_tag
