"""The planted world as compact arrays (:class:`World`) and the vocabulary it is drawn from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import INTERACTION_KINDS, POST_KINDS, SCHEMAS, TIER_NAMES, TIER_THRESHOLDS, TableBatch, TableName
from .inauthentic import Inauthentic

if TYPE_CHECKING:
    from .posts import Posts

PLATFORM = "synth"
BRAND_HANDLE = "brand"
BRAND_AFFILIATION = "Acme Corp"
BRAND_HASHTAG = "acme"
#: Affiliations: index 0 is the brand's company, the others are decoys.
AFFILIATIONS: tuple[str, ...] = (BRAND_AFFILIATION, "Globex", "Initech", "Umbrella Research")


#: Roles in the ground truth.
ROLES: tuple[str, ...] = ("member", "hub", "brand", "fake")
ROLE_MEMBER, ROLE_HUB, ROLE_BRAND, ROLE_FAKE = 0, 1, 2, 3

MIN_ACCOUNTS = 100

HANDLE_WORDS = (
    "luna",
    "fox",
    "pixel",
    "river",
    "echo",
    "nova",
    "maple",
    "cobalt",
    "ember",
    "sage",
    "otter",
    "quill",
    "zephyr",
    "orbit",
    "fern",
    "juniper",
    "atlas",
    "cinder",
    "willow",
    "comet",
    "jade",
    "rook",
    "moss",
    "lark",
    "josé",
    "zoë",
    "søren",
    "ayşe",
    "müller",
    "ñandu",
    "東京",
    "서울",
)
N_ASCII_WORDS = 24  # the first 24 handle words are ASCII; the rest appear rarely


@dataclass(frozen=True)
class World:
    """A generated world as compact arrays (index = internal account number).

    Internal account numbers ``0 .. n-1`` order the members by niche (niches by
    broad community), then the hubs, then the brand; :attr:`ext` maps each to
    its external id number (the id string is ``str(ext[i])``).

    Attributes
    ----------
    seed : int
    ext : ndarray of int64, shape (n,)
        External id number of every account (a permutation of ``0 .. n-1``).
    handle_word, handle_word2 : ndarray of int16, shape (n,)
        Indices into the handle word list; the handle is ``word + word2 + "_" + id``.
    followers_count, following_count : ndarray of int64, shape (n,)
        Platform-reported counts.
    affiliation : ndarray of int8, shape (n,)
        Index into :data:`AFFILIATIONS`, -1 for none.
    niche, community : ndarray of int32, shape (n,)
        Planted niche and broad community (-1 for hubs without one and the brand).
    role : ndarray of int8, shape (n,)
        Index into :data:`ROLES`.
    brand : int
        Internal number of the brand account.
    niche_tag, community_tag : tuple of str
        Hashtag of every niche / broad community.
    brand_aware : ndarray of bool, shape (n_niches,)
        Niches whose members talk about the brand.
    follow_src, follow_dst : ndarray of int32, shape (f,)
        Follower and followee (internal numbers), unique pairs, no self-loops.
    follow_since : ndarray of int64, shape (f,)
        Unix seconds.
    interaction_src, interaction_dst : ndarray of int32, shape (i,)
    interaction_kind : ndarray of int8, shape (i,)
        Index into :data:`graph_store.schema.INTERACTION_KINDS`.
    interaction_ts : ndarray of int64, shape (i,)
        Unix seconds, non-decreasing (events are in time order).
    interaction_tags : ndarray of int32, shape (i,)
        Hashtag-set code (see :meth:`tagset`), -1 for none.
    inauthentic : Inauthentic or None
        Truth of the planted bought audiences and pods (``generate(bought=, pods=)``), None without.
    """

    seed: int
    ext: np.ndarray
    handle_word: np.ndarray
    handle_word2: np.ndarray
    followers_count: np.ndarray
    following_count: np.ndarray
    affiliation: np.ndarray
    niche: np.ndarray
    community: np.ndarray
    role: np.ndarray
    brand: int
    niche_tag: tuple[str, ...]
    community_tag: tuple[str, ...]
    brand_aware: np.ndarray
    follow_src: np.ndarray
    follow_dst: np.ndarray
    follow_since: np.ndarray
    interaction_src: np.ndarray
    interaction_dst: np.ndarray
    interaction_kind: np.ndarray
    interaction_ts: np.ndarray
    interaction_tags: np.ndarray
    inauthentic: Inauthentic | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # -- sizes -----------------------------------------------------------------
    @property
    def n_accounts(self) -> int:
        return int(self.ext.shape[0])

    @property
    def n_follows(self) -> int:
        return int(self.follow_src.shape[0])

    @property
    def n_interactions(self) -> int:
        return int(self.interaction_src.shape[0])

    @property
    def n_niches(self) -> int:
        return len(self.niche_tag)

    @property
    def n_communities(self) -> int:
        return len(self.community_tag)

    def tier(self) -> np.ndarray:
        """Tier index (0 nano, 1 micro, 2 macro, 3 mega) per account, int8 (n,)."""
        return np.searchsorted(np.asarray(TIER_THRESHOLDS), self.followers_count, side="right").astype(np.int8)

    # -- hashtag sets ------------------------------------------------------------
    # code = 3 * niche + v  (v=0: [niche], v=1: [niche, community], v=2: [brand, niche])
    # code = 3 * n_niches            : [brand]
    # code = 3 * n_niches + 1 + c    : [community c]
    def tagset(self, code: int) -> list[str]:
        """The hashtags of hashtag-set ``code`` (empty for -1)."""
        if code < 0:
            return []
        k = 3 * self.n_niches
        if code < k:
            nid, v = divmod(code, 3)
            parent = self.community_tag[self._niche_community()[nid]]
            return [[self.niche_tag[nid]], [self.niche_tag[nid], parent], [BRAND_HASHTAG, self.niche_tag[nid]]][v]
        if code == k:
            return [BRAND_HASHTAG]
        return [self.community_tag[code - k - 1]]

    def _niche_community(self) -> np.ndarray:
        if "nc" not in self._cache:
            nc = np.full(self.n_niches, -1, dtype=np.int32)
            m = self.niche >= 0
            nc[self.niche[m]] = self.community[m]
            self._cache["nc"] = nc
        return self._cache["nc"]

    def _tag_vocab(self) -> pa.ListArray:
        if "vocab" not in self._cache:
            n_codes = 3 * self.n_niches + 1 + self.n_communities
            self._cache["vocab"] = pa.array([self.tagset(c) for c in range(n_codes)], type=pa.list_(pa.string()))
        return self._cache["vocab"]

    # -- strings -------------------------------------------------------------------
    def account_ids(self) -> pa.Array:
        """External id string of every internal account number, Arrow string (n,)."""
        if "ids" not in self._cache:
            self._cache["ids"] = pa.array(self.ext).cast(pa.string())
        return self._cache["ids"]

    def handles(self) -> pa.Array:
        words = pa.array(list(HANDLE_WORDS))
        h = pc.binary_join_element_wise(
            pc.take(words, pa.array(self.handle_word)), pc.take(words, pa.array(self.handle_word2)), ""
        )
        h = pc.binary_join_element_wise(h, self.account_ids(), "_")
        return pc.if_else(pa.array(self.role == ROLE_BRAND), pa.scalar(BRAND_HANDLE), h)

    # -- posts -------------------------------------------------------------------------
    def posts(self) -> Posts:
        """The world's posts, consistent with its interactions (:mod:`.posts`; made on first use)."""
        if "posts" not in self._cache:
            from .posts import plant_posts  # (posts.py imports this module's role codes)

            self._cache["posts"] = plant_posts(
                seed=self.seed,
                followers=self.followers_count,
                niche=self.niche,
                community=self.community,
                role=self.role,
                brand_aware=self.brand_aware,
                n_niches=self.n_niches,
                src=self.interaction_src,
                dst=self.interaction_dst,
                kind=self.interaction_kind,
                ts=self.interaction_ts,
                tags=self.interaction_tags,
            )
        return self._cache["posts"]

    @property
    def n_posts(self) -> int:
        return self.posts().n_posts

    # -- canonical batches -----------------------------------------------------------
    def batches(
        self, table: TableName | None = None, *, batch_rows: int = 1 << 20, posts: bool = False
    ) -> Iterator[TableBatch]:
        """Stream the world as canonical batches: one table, or accounts, follows and interactions
        when ``table`` is None (and the posts after them with ``posts=True``)."""
        tables: tuple[TableName, ...] = ("accounts", "follows", "interactions") if table is None else (table,)
        if table is None and posts:
            tables += ("posts",)
        for t in tables:
            n = (
                self.n_posts
                if t == "posts"
                else {"accounts": self.n_accounts, "follows": self.n_follows, "interactions": self.n_interactions}[t]
            )
            for lo in range(0, n, batch_rows):
                yield TableBatch(t, self.record_batch(t, lo, min(n, lo + batch_rows)))

    def record_batch(self, table: TableName, lo: int, hi: int) -> pa.RecordBatch:
        """Rows ``lo:hi`` of one canonical table as a RecordBatch of its exact schema."""
        schema = SCHEMAS[table]
        ids = self.account_ids()
        if table == "accounts":
            if "handles" not in self._cache:
                self._cache["handles"] = self.handles()
            aff = self.affiliation[lo:hi]
            aff_arr = pc.take(pa.array(list(AFFILIATIONS)), pa.array(aff, mask=aff < 0))
            cols = [
                ids[lo:hi],
                self._cache["handles"][lo:hi],
                pa.array(np.full(hi - lo, PLATFORM, dtype=object), pa.string()),
                pa.array(self.followers_count[lo:hi]),
                pa.array(self.following_count[lo:hi]),
                aff_arr,
            ]
        elif table == "follows":
            cols = [
                pc.take(ids, pa.array(self.follow_src[lo:hi])),
                pc.take(ids, pa.array(self.follow_dst[lo:hi])),
                _ts(self.follow_since[lo:hi]),
            ]
        elif table == "interactions":
            kinds = pa.DictionaryArray.from_arrays(
                pa.array(self.interaction_kind[lo:hi]), pa.array(list(INTERACTION_KINDS))
            )
            tags = self.interaction_tags[lo:hi]
            post = pc.binary_join_element_wise("p", pa.array(np.arange(lo, hi, dtype=np.int64)).cast(pa.string()), "")
            cols = [
                pc.take(ids, pa.array(self.interaction_src[lo:hi])),
                pc.take(ids, pa.array(self.interaction_dst[lo:hi])),
                kinds.cast(pa.string()),
                _ts(self.interaction_ts[lo:hi]),
                post,
                pc.take(self._tag_vocab(), pa.array(tags, mask=tags < 0)),
                pa.array(np.ones(hi - lo, dtype=np.float64)),
            ]
        elif table == "posts":
            cols = self._post_columns(lo, hi)
        else:
            raise ValueError(f"unknown table {table!r}")
        return pa.RecordBatch.from_arrays(cols, schema=schema)

    def _post_columns(self, lo: int, hi: int) -> list[pa.Array]:
        """Rows ``lo:hi`` of the posts table (event posts ``p{i}`` first, then originals ``o{j}``)."""
        p = self.posts()
        rows = np.arange(lo, hi, dtype=np.int64)
        event = rows < p.n_events
        num = np.where(event, rows, rows - p.n_events).astype(np.int64)
        post_id = pc.binary_join_element_wise(
            pc.if_else(pa.array(event), "p", "o"), pa.array(num).cast(pa.string()), ""
        )
        tags = p.tags[lo:hi]
        metrics = [pa.array(m[lo:hi], mask=m[lo:hi] < 0) for m in (p.likes, p.replies, p.reposts, p.quotes, p.views)]
        return [
            post_id,
            pc.take(self.account_ids(), pa.array(p.author[lo:hi])),
            _ts(p.ts[lo:hi]),
            pc.take(self._tag_vocab(), pa.array(tags, mask=tags < 0)),
            pc.take(pa.array(list(POST_KINDS)), pa.array(p.kind[lo:hi])),
            *metrics,
            pa.array(np.full(hi - lo, PLATFORM, dtype=object), pa.string()),
        ]

    def truth_table(self) -> pa.Table:
        """Planted ground truth: ``id``, ``niche``, ``community``, ``role``, ``tier`` per account.

        ``niche`` and ``community`` are -1 where an account has none (mega hubs
        and the brand have neither; macro hubs have a community but no niche).
        A world with planted inauthentic audiences adds ``planted``: ``buyer``,
        ``fake``, ``pod`` or null (:meth:`Inauthentic.labels`).
        """
        cols = {
            "id": self.account_ids(),
            "niche": pa.array(self.niche),
            "community": pa.array(self.community),
            "role": pc.take(pa.array(list(ROLES)), pa.array(self.role)),
            "tier": pc.take(pa.array(list(TIER_NAMES)), pa.array(self.tier())),
        }
        if self.inauthentic is not None:
            cols["planted"] = pa.array(self.inauthentic.labels(self.n_accounts), type=pa.string())
        return pa.table(cols)


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype(np.int64) * 1_000_000, type=pa.int64()).cast(pa.timestamp("us"))
