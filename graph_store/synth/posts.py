"""The posts of a planted world, consistent with its interactions.

Two kinds of rows, ``n_interactions + n_originals`` in all:

* **Event posts** (rows ``0 .. n_interactions - 1``): every interaction event ``i`` was made by a
  post ``p{i}`` of its source (the interaction's ``post_id``), at the event's time, with the
  event's hashtags.  Its kind follows the event: a mention is an ``original`` post that names
  someone, a reply a ``reply``, a quote a ``quote``, a repost a ``repost``.
* **Original posts** ``o{j}`` (the rows after them): the posts people engage with.  An account
  that receives any reply, repost or quote has at least one; others have
  ``Poisson(0.2 + 0.3 * events made + 0.02 * engagements received)`` of them.  The first one of
  each account is dated in the two weeks before the world's year, the others uniformly in it.

Platform metrics, consistent with the interactions:

* every reply, repost and quote event aimed at an account counts once on the **latest original
  post of that account published at or before the event** (so an original's ``replies``,
  ``reposts`` and ``quotes`` are exactly the events that engaged with it);
* ``likes ~ Poisson(3 * (replies + reposts + quotes) + followers * r)`` on originals, with a
  per-account like rate ``r = 0.04 * LogNormal(0, 0.5) * (1 + followers / 10^3)^-0.35``: about
  4 % of the followers for a nano account, 1.7 % at 10k, 0.8 % at 100k, 0.4 % at 1M (bigger
  accounts engage a smaller share of their audience, as the influencer platforms' tier benchmarks
  report); event posts other than reposts get ``Poisson(followers * r / 4)`` likes and 0 replies,
  reposts and quotes;
* ``views = round(followers * U(0.05, 0.4)) + engagements`` on originals and
  ``round(followers * U(0.01, 0.1)) + likes`` on the other event posts;
* a repost's metrics are unknown (null): the platform reports the original post's.

Hashtags of originals: members use their niche's tag (45 %), niche + broad community tags
(15 %), brand + niche tags in brand-aware niches (5 %) or none; macro hubs their community's
tag (30 %); the brand its own tag (60 %); planted fakes none.

Determinism: the posts draw from their own generator, seeded by ``(seed, 0x9057)``, so adding
them changes none of the world's other arrays, and the same world gives the same posts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import INTERACTION_KINDS, POST_KINDS
from .events import T0, YEAR
from .world import ROLE_BRAND, ROLE_HUB

_K = {k: i for i, k in enumerate(INTERACTION_KINDS)}
_P = {k: i for i, k in enumerate(POST_KINDS)}
#: Post kind code of an event post, by interaction kind code (mention -> original, ...).
_AS_POST = {"mention": "original", "like": "original", "comment": "reply", "share": "repost"}
EVENT_POST_KIND = np.array([_P[_AS_POST.get(k, k)] for k in INTERACTION_KINDS], dtype=np.int8)
_ENGAGING = np.array([_K["reply"], _K["repost"], _K["quote"]], dtype=np.int8)
_SHIFT = 27  # 2**27 s > the span of post times from two weeks before T0 to a year after it
_BASE = T0 - 30 * 86_400
NULL = -1  # a metric the platform does not report


@dataclass(frozen=True)
class Posts:
    """Every post of a world as arrays (row ``i < n_events`` is event post ``p{i}``, the others ``o{j}``).

    Attributes
    ----------
    author : ndarray of int32, shape (p,)
        Internal account number of the author.
    ts : ndarray of int64, shape (p,)
        Unix seconds.
    kind : ndarray of int8, shape (p,)
        Index into :data:`graph_store.schema.POST_KINDS`.
    tags : ndarray of int32, shape (p,)
        Hashtag-set code (:meth:`World.tagset`), -1 for none.
    likes, replies, reposts, quotes, views : ndarray of int64, shape (p,)
        Platform metrics, :data:`NULL` (-1) where unknown.
    n_events : int
        Number of event posts (they come first).
    """

    author: np.ndarray
    ts: np.ndarray
    kind: np.ndarray
    tags: np.ndarray
    likes: np.ndarray
    replies: np.ndarray
    reposts: np.ndarray
    quotes: np.ndarray
    views: np.ndarray
    n_events: int

    @property
    def n_posts(self) -> int:
        return int(self.author.shape[0])


def _original_tags(rng, niche, community, role, brand_aware, n_niches, authors) -> np.ndarray:
    """Hashtag-set code of each original post by ``authors`` (see the module docstring)."""
    m = authors.size
    u = rng.random(m)
    nid = niche[authors].astype(np.int64)
    com = community[authors].astype(np.int64)
    aware = np.zeros(m, dtype=bool)
    has_niche = nid >= 0
    aware[has_niche] = brand_aware[nid[has_niche]]
    tags = np.full(m, -1, dtype=np.int64)
    tags = np.where(has_niche & (u < 0.45), 3 * nid, tags)
    tags = np.where(has_niche & (u >= 0.45) & (u < 0.60), 3 * nid + 1, tags)
    tags = np.where(has_niche & aware & (u >= 0.60) & (u < 0.65), 3 * nid + 2, tags)
    hub = (role[authors] == ROLE_HUB) & ~has_niche & (com >= 0)
    tags = np.where(hub & (u < 0.3), 3 * n_niches + 1 + com, tags)
    tags = np.where((role[authors] == ROLE_BRAND) & (u < 0.6), 3 * n_niches, tags)
    return tags.astype(np.int32)


def plant_posts(
    *,
    seed: int,
    followers: np.ndarray,
    niche: np.ndarray,
    community: np.ndarray,
    role: np.ndarray,
    brand_aware: np.ndarray,
    n_niches: int,
    src: np.ndarray,
    dst: np.ndarray,
    kind: np.ndarray,
    ts: np.ndarray,
    tags: np.ndarray,
) -> Posts:
    """The posts of a world with accounts (``followers``, ``niche``, ``community``, ``role``) and
    interaction events (``src``, ``dst``, ``kind``, ``ts``, ``tags``), as the module docstring says."""
    rng = np.random.default_rng([int(seed), 0x9057])
    n, ni = followers.shape[0], src.shape[0]
    fol = followers.astype(np.float64)
    engaging = np.isin(kind, _ENGAGING)
    made = np.bincount(src, minlength=n)
    received = np.bincount(dst[engaging], minlength=n)
    n_orig = np.maximum((received > 0).astype(np.int64), rng.poisson(0.2 + 0.3 * made + 0.02 * received))
    o_author = np.repeat(np.arange(n, dtype=np.int64), n_orig)
    first = np.zeros(o_author.size, dtype=bool)
    first[np.cumsum(n_orig)[n_orig > 0] - n_orig[n_orig > 0]] = True
    o_ts = np.where(first, T0 - rng.integers(1, 14 * 86_400, o_author.size), T0 + rng.integers(0, YEAR, o_author.size))
    key = (o_author << _SHIFT) + (o_ts - _BASE)
    order = np.argsort(key, kind="stable")
    o_author, o_ts, key = o_author[order], o_ts[order], key[order]

    # each engaging event counts on the target's latest original at or before it
    e_idx = np.flatnonzero(engaging)
    e_key = (dst[e_idx].astype(np.int64) << _SHIFT) + (ts[e_idx] - _BASE)
    on = np.searchsorted(key, e_key, side="right") - 1
    counts = {
        k: np.bincount(on[kind[e_idx] == _K[k]], minlength=o_author.size).astype(np.int64)
        for k in ("reply", "repost", "quote")
    }
    rate = 0.04 * np.exp(rng.normal(0.0, 0.5, n)) * (1.0 + fol / 1e3) ** -0.35
    eng = counts["reply"] + counts["repost"] + counts["quote"]
    o_likes = rng.poisson(3.0 * eng + fol[o_author] * rate[o_author]).astype(np.int64)
    o_views = np.round(fol[o_author] * rng.uniform(0.05, 0.4, o_author.size)).astype(np.int64) + o_likes + eng
    o_tags = _original_tags(rng, niche, community, role, brand_aware, n_niches, o_author)

    e_kind = EVENT_POST_KIND[kind]
    repost = e_kind == _P["repost"]
    e_likes = rng.poisson(fol[src] * rate[src] / 4.0).astype(np.int64)
    e_views = np.round(fol[src] * rng.uniform(0.01, 0.1, ni)).astype(np.int64) + e_likes
    zero = np.zeros(ni, dtype=np.int64)

    def both(ev: np.ndarray, orig: np.ndarray) -> np.ndarray:
        return np.concatenate([np.where(repost, NULL, ev), orig]).astype(np.int64)

    return Posts(
        author=np.concatenate([src, o_author]).astype(np.int32),
        ts=np.concatenate([ts, o_ts]).astype(np.int64),
        kind=np.concatenate([e_kind, np.full(o_author.size, _P["original"], np.int8)]),
        tags=np.concatenate([tags, o_tags]).astype(np.int32),
        likes=both(e_likes, o_likes),
        replies=both(zero, counts["reply"]),
        reposts=both(zero, counts["repost"]),
        quotes=both(zero, counts["quote"]),
        views=both(e_views, o_views),
        n_events=ni,
    )
