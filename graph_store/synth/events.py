"""The interaction events of a planted world, drawn kind of talk by kind of talk.

Each step appends its events to an :class:`Events` collector; the steps draw from the
world's one generator in a fixed order, so the same seed gives the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..schema import INTERACTION_KINDS
from .layout import Layout, Sampler, hub_targets, pick_codes

_KIND = {k: i for i, k in enumerate(INTERACTION_KINDS)}
_MENTION, _REPLY, _REPOST, _QUOTE = _KIND["mention"], _KIND["reply"], _KIND["repost"], _KIND["quote"]

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
YEAR = 366 * 86_400

#: Shares of the interactions per kind of talk; the rest is uniform noise.
_SHARES = {"conversations": 0.5, "hubs": 0.3, "amplification": 0.12, "brand": 0.04}


#: dtype of each column of an event: src, dst, kind, ts, tag.
_COLUMN_TYPES = (np.int32, np.int32, np.int8, np.int64, np.int32)


@dataclass
class Events:
    """Interaction events as they are drawn, part by part (tag: hashtag-set code, -1 for none).

    ``parts`` holds one ``(src, dst, kind, ts, tag)`` tuple of equal-length arrays per
    :meth:`add`, typed as :data:`_COLUMN_TYPES`.
    """

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(self, src, dst, kind, ts, tag) -> None:
        columns = (src, dst, kind, ts, tag)
        self.parts.append(tuple(np.asarray(c, t) for c, t in zip(columns, _COLUMN_TYPES, strict=True)))

    def in_time_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(src, dst, kind, ts, tag)`` of every event, sorted by time (stable)."""
        if not self.parts:
            src, dst, kind, ts, tag = (np.zeros(0, t) for t in _COLUMN_TYPES)
            return src, dst, kind, ts, tag
        src, dst, kind, ts, tag = (np.concatenate(column) for column in zip(*self.parts, strict=True))
        order = np.argsort(ts, kind="stable")
        return src[order], dst[order], kind[order], ts[order], tag[order]


def draw_interactions(
    rng: np.random.Generator,
    sample: Sampler,
    lay: Layout,
    *,
    n_interactions: int,
    follow_keys: np.ndarray,
    follow_src: np.ndarray,
    follow_dst: np.ndarray,
    followers: np.ndarray,
    employees: np.ndarray,
    aware_members: np.ndarray,
) -> Events:
    """Every interaction event of the world: exactly ``n_interactions`` of them.

    ``follow_keys`` are the sorted follow pairs ``src * n + dst`` (conversations run between
    mutual followers); ``followers`` are the platform counts (hubs are picked by them).
    """
    ni = n_interactions
    k_conv, k_hub, k_amp, k_brand = (int(ni * _SHARES[s]) for s in ("conversations", "hubs", "amplification", "brand"))
    k_noise = ni - k_conv - k_hub - k_amp - k_brand
    out = Events()
    if k_conv:
        _conversations(rng, sample, lay, out, k_conv, follow_keys, follow_src, follow_dst)
    if k_hub:
        _attention_to_hubs(rng, sample, lay, out, k_hub, followers)
    if k_amp:
        s = sample.members(k_amp)
        d = sample.in_niche(s)
        out.add(
            s,
            d,
            pick_codes(rng, k_amp, {_REPOST: 0.7, _QUOTE: 0.3}),
            T0 + rng.integers(0, YEAR, k_amp),
            sample.niche_tags(s),
        )
    if k_brand:
        k_noise -= _brand_talk(rng, lay, out, k_brand, employees, aware_members)
    if k_noise > 0:
        n = lay.niche.shape[0]
        s, d = rng.integers(0, n, k_noise), rng.integers(0, n, k_noise)
        d = np.where(s == d, (d + 1) % n, d)
        out.add(
            s,
            d,
            pick_codes(rng, k_noise, {_MENTION: 0.4, _REPOST: 0.3, _REPLY: 0.2, _QUOTE: 0.1}),
            T0 + rng.integers(0, YEAR, k_noise),
            np.full(k_noise, -1),
        )
    return out


def _conversations(
    rng: np.random.Generator,
    sample: Sampler,
    lay: Layout,
    out: Events,
    k: int,
    keys: np.ndarray,
    follow_src: np.ndarray,
    follow_dst: np.ndarray,
) -> None:
    """``k`` events in threads between mutual followers of one niche: a mention (or quote, or reply)
    answered by replies within hours; some threads stay unanswered."""
    n, nm = lay.niche.shape[0], lay.n_members
    rev = follow_dst.astype(np.int64) * n + follow_src
    pos = np.minimum(np.searchsorted(keys, rev), keys.size - 1)
    same_niche = (
        (follow_src < nm) & (follow_dst < nm) & (lay.niche[follow_src] == lay.niche[np.minimum(follow_dst, n - 1)])
    )
    pair = np.flatnonzero((keys[pos] == rev) & same_niche) if keys.size else np.zeros(0, np.int64)
    lengths = np.minimum(rng.geometric(0.45, size=k), 8)  # k threads surely cover k events
    lengths[rng.random(lengths.size) < 0.2] = 1  # unanswered mentions
    cs = np.cumsum(lengths)
    n_threads = int(np.searchsorted(cs, k)) + 1
    lengths = lengths[:n_threads]
    lengths[-1] -= int(cs[n_threads - 1]) - k
    if pair.size:
        ch = pair[rng.integers(0, pair.size, n_threads)]
        a, b = follow_src[ch].astype(np.int64), follow_dst[ch].astype(np.int64)
    else:  # no mutual pair yet (tiny worlds): any two members of one niche
        a = sample.members(n_threads)
        b = sample.in_niche(a)
    thread = np.repeat(np.arange(n_threads), lengths)
    start = np.repeat(np.cumsum(lengths) - lengths, lengths)
    step = np.arange(k) - start
    src = np.where(step % 2 == 0, a[thread], b[thread])
    dst = np.where(step % 2 == 0, b[thread], a[thread])
    first_kind = pick_codes(rng, n_threads, {_MENTION: 0.6, _REPLY: 0.25, _QUOTE: 0.15})
    kind = np.where(step == 0, first_kind[thread], _REPLY)
    gap = np.minimum(rng.exponential(2.5 * 3600, k), 20 * 3600).astype(np.int64) + 30
    gap[step == 0] = 0
    t_start = T0 + rng.integers(0, YEAR - 8 * 86_400, n_threads)
    csg = np.cumsum(gap)
    ts = t_start[thread] + csg - np.repeat(csg[np.cumsum(lengths) - lengths], lengths)
    tag_thread = sample.niche_tags(a)
    out.add(src, dst, kind, ts, tag_thread[thread])


def _attention_to_hubs(
    rng: np.random.Generator, sample: Sampler, lay: Layout, out: Events, k: int, followers: np.ndarray
) -> None:
    """``k`` events of one-way attention towards hubs (reposts, mentions, quotes), rarely answered."""
    n_niches = lay.niche_start.shape[0]
    answered = rng.random(k) < 0.02
    k_ask = k - int(answered.sum())
    s = sample.members(k_ask)
    d = hub_targets(rng, s, lay, followers, p_mega=0.45)
    ts = T0 + rng.integers(0, YEAR - 86_400, k_ask)
    kind = pick_codes(rng, k_ask, {_REPOST: 0.55, _MENTION: 0.25, _QUOTE: 0.2})
    tags = np.where(rng.random(k_ask) < 0.3, 3 * n_niches + 1 + np.maximum(lay.community[d], 0), -1)
    tags = np.where(lay.community[d] < 0, -1, tags)
    out.add(s, d, kind, ts, tags)
    k_ans = int(answered.sum())
    j = rng.integers(0, k_ask, k_ans) if k_ask else np.zeros(0, np.int64)
    out.add(d[j], s[j], np.full(k_ans, _REPLY), ts[j] + rng.integers(600, 12 * 3600, k_ans), np.full(k_ans, -1))


def _brand_talk(
    rng: np.random.Generator, lay: Layout, out: Events, k: int, employees: np.ndarray, aware_members: np.ndarray
) -> int:
    """``k`` mentions of the brand by employees and brand-aware niches, plus the brand's answers;
    returns the number of answers (they come out of the noise's share)."""
    n_niches = lay.niche_start.shape[0]
    pool = np.concatenate([np.repeat(employees, 5), aware_members])
    s = pool[rng.integers(0, pool.size, k)]
    answered = rng.random(k) < 0.08
    ts = T0 + rng.integers(0, YEAR - 86_400, k)
    tags = np.where(rng.random(k) < 0.5, 3 * lay.niche[s].astype(np.int64) + 2, 3 * n_niches)
    out.add(s, np.full(k, lay.brand), pick_codes(rng, k, {_MENTION: 0.7, _REPOST: 0.2, _QUOTE: 0.1}), ts, tags)
    k_ans = int(answered.sum())
    out.add(
        np.full(k_ans, lay.brand),
        s[answered],
        np.full(k_ans, _REPLY),
        ts[answered] + rng.integers(600, 12 * 3600, k_ans),
        np.full(k_ans, 3 * n_niches),
    )
    return k_ans
