"""Where every account sits in a planted world (niches, broad communities, hubs), and sampling by it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def truncated_pareto(rng: np.random.Generator, size: int, lo: float, hi: float, k: float) -> np.ndarray:
    """Samples of a Pareto law with exponent ``k`` (density ~ x^-(k+1)) truncated to [lo, hi)."""
    u = rng.random(size)
    return lo * (1.0 - u * (1.0 - (lo / hi) ** k)) ** (-1.0 / k)


def group_sample(
    rng: np.random.Generator, group: np.ndarray, starts: np.ndarray, ends: np.ndarray, cumw: np.ndarray
) -> np.ndarray:
    """For every entry of ``group``, one index in ``[starts[g], ends[g])`` drawn ∝ its weight.

    ``cumw`` (length n+1, ``cumw[0] = 0``) is the cumulative weight over all
    indices; weights must be positive.
    """
    lo, hi = starts[group], ends[group]
    a, b = cumw[lo], cumw[hi]
    r = a + rng.random(group.shape[0]) * (b - a)
    idx = np.searchsorted(cumw, r, side="right") - 1
    return np.clip(idx, lo, hi - 1)


def cumulative(w: np.ndarray) -> np.ndarray:
    out = np.empty(w.shape[0] + 1, dtype=np.float64)
    out[0] = 0.0
    np.cumsum(w, out=out[1:])
    return out


def pick_codes(rng: np.random.Generator, size: int, probs: dict[int, float]) -> np.ndarray:
    keys = np.array(list(probs), dtype=np.int8)
    return keys[rng.choice(len(keys), size=size, p=np.array(list(probs.values())) / sum(probs.values()))]


@dataclass
class Layout:
    n: int
    n_members: int
    niche_start: np.ndarray  # (n_niches,)
    niche_end: np.ndarray
    comm_start: np.ndarray  # (n_comm,) member ranges of each broad community
    comm_end: np.ndarray
    niche: np.ndarray  # (n,)
    community: np.ndarray  # (n,)
    macro: np.ndarray  # internal numbers of macro hubs (sorted by community)
    macro_comm: np.ndarray
    mega: np.ndarray
    brand: int


def plant_layout(
    rng: np.random.Generator,
    n: int,
    *,
    min_niche: int,
    max_niche: int,
    niche_exponent: float,
    niches_per_community: float,
) -> Layout:
    n_mega = max(1, round(n * 0.0003))
    n_macro = max(3, round(n * 0.003))
    n_members = n - n_mega - n_macro - 1
    max_niche = max(min(max_niche, n_members), min_niche)

    # niche sizes: truncated power law, drawn until they cover the members
    sizes: list[np.ndarray] = []
    total = 0
    while total < n_members:
        s = np.floor(truncated_pareto(rng, 256, min_niche, max_niche + 1, niche_exponent - 1.0)).astype(np.int64)
        sizes.append(s)
        total += int(s.sum())
    sz = np.concatenate(sizes)
    cs = np.cumsum(sz)
    k = int(np.searchsorted(cs, n_members)) + 1
    sz = sz[:k].copy()
    sz[-1] -= int(cs[k - 1]) - n_members
    if k > 1 and sz[-1] < min_niche // 2:  # fold a tiny remainder into the previous niche
        sz[-2] += sz[-1]
        sz = sz[:-1]
    n_niches = sz.shape[0]

    # broad communities: each gets >= 1 niche, the rest assigned with heavy-tailed weights
    n_comm = max(1, int(round(n_niches / niches_per_community)))
    w = truncated_pareto(rng, n_comm, 1.0, 50.0, 1.2)
    comm_of_niche = (
        np.concatenate([np.arange(n_comm), rng.choice(n_comm, size=n_niches - n_comm, p=w / w.sum())])
        if n_niches >= n_comm
        else np.arange(n_niches)
    )
    n_comm = int(comm_of_niche.max()) + 1
    rng.shuffle(comm_of_niche)
    order = np.argsort(comm_of_niche, kind="stable")  # niche ids ordered by community
    comm_of_niche = comm_of_niche[order]
    sz = sz[order]

    niche_end = np.cumsum(sz)
    niche_start = niche_end - sz
    niche = np.full(n, -1, dtype=np.int32)
    niche[:n_members] = np.repeat(np.arange(n_niches, dtype=np.int32), sz)
    community = np.full(n, -1, dtype=np.int32)
    community[:n_members] = comm_of_niche[niche[:n_members]]
    comm_start = np.searchsorted(community[:n_members], np.arange(n_comm), side="left")
    comm_end = np.searchsorted(community[:n_members], np.arange(n_comm), side="right")

    macro = np.arange(n_members, n_members + n_macro)
    # macro hubs: attached to communities, bigger communities get more
    comm_members = (comm_end - comm_start).astype(np.float64)
    macro_comm = np.sort(rng.choice(n_comm, size=n_macro, p=comm_members / comm_members.sum())).astype(np.int32)
    community[macro] = macro_comm
    mega = np.arange(n_members + n_macro, n_members + n_macro + n_mega)
    return Layout(
        n, n_members, niche_start, niche_end, comm_start, comm_end, niche, community, macro, macro_comm, mega, n - 1
    )


def hub_targets(
    rng: np.random.Generator, src: np.ndarray, lay: Layout, followers: np.ndarray, p_mega: float
) -> np.ndarray:
    """A hub for every source: a mega hub (∝ followers) with probability ``p_mega``, else a macro hub
    of the source's community (∝ followers; any macro hub when its community has none)."""
    out = np.empty(src.shape[0], dtype=np.int64)
    is_mega = np.asarray(rng.random(src.shape[0]) < p_mega)
    mega_cum = cumulative(followers[lay.mega].astype(np.float64))
    r = rng.random(int(is_mega.sum())) * mega_cum[-1]
    out[is_mega] = lay.mega[np.clip(np.searchsorted(mega_cum, r, side="right") - 1, 0, lay.mega.size - 1)]
    rest = ~is_mega
    comm = lay.community[src[rest]]
    n_comm = lay.comm_start.shape[0]
    mstart = np.searchsorted(lay.macro_comm, np.arange(n_comm), side="left")
    mend = np.searchsorted(lay.macro_comm, np.arange(n_comm), side="right")
    has = mend[comm] > mstart[comm]
    macro_cum = cumulative(followers[lay.macro].astype(np.float64))
    pick = np.empty(comm.shape[0], dtype=np.int64)
    pick[has] = group_sample(rng, comm[has], mstart, mend, macro_cum)
    r = rng.random(int((~has).sum())) * macro_cum[-1]
    pick[~has] = np.clip(np.searchsorted(macro_cum, r, side="right") - 1, 0, lay.macro.size - 1)
    out[rest] = lay.macro[pick]
    return out


class Sampler:
    """Draws of members for a planted world: who acts (activity) and whom they pick (popularity).

    Parameters
    ----------
    rng : numpy.random.Generator
        The world's one generator (draws happen in call order).
    lay : Layout
    pop_cum, act_cum : ndarray of float64, shape (n_members,)
        Cumulative popularity and activity weights of the members.
    brand_aware : ndarray of bool, shape (n_niches,)
        Niches that talk about the brand.
    """

    def __init__(
        self, rng: np.random.Generator, lay: Layout, pop_cum: np.ndarray, act_cum: np.ndarray, brand_aware: np.ndarray
    ):
        self.rng, self.lay, self.pop_cum, self.act_cum, self.brand_aware = rng, lay, pop_cum, act_cum, brand_aware

    def members(self, k: int) -> np.ndarray:
        """``k`` members drawn by activity."""
        r = self.rng.random(k) * self.act_cum[-1]
        return np.clip(np.searchsorted(self.act_cum, r, side="right") - 1, 0, self.lay.n_members - 1)

    def in_niche(self, src: np.ndarray) -> np.ndarray:
        """A member of each source's niche (∝ popularity), never the source itself."""
        lay = self.lay
        g = lay.niche[src]
        d = group_sample(self.rng, g, lay.niche_start, lay.niche_end, self.pop_cum)
        start, size = lay.niche_start[g], lay.niche_end[g] - lay.niche_start[g]
        return np.where(d == src, start + (d - start + 1) % size, d)

    def niche_tags(self, src: np.ndarray, p_tag: float = 0.45) -> np.ndarray:
        """Hashtag-set codes for talk inside the source's niche (see :meth:`World.tagset`)."""
        u = self.rng.random(src.shape[0])
        nid = self.lay.niche[src].astype(np.int64)
        code = np.where(u < p_tag * 0.75, 3 * nid, np.where(u < p_tag, 3 * nid + 1, -1))
        brandish = (self.rng.random(src.shape[0]) < 0.05) & self.brand_aware[nid]
        return np.where(brandish, 3 * nid + 2, code)
