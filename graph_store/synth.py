"""A deterministic generator of realistic synthetic social worlds, for tests and scale.

:func:`generate` plants a world with known structure and returns it as compact
numpy arrays (a :class:`World`); :meth:`World.batches` streams it as canonical
:class:`~graph_store.schema.TableBatch` es and :func:`write_world` writes CSV
(optionally gzipped) or Parquet files that ``nichegraph load`` reads.

The planted world
-----------------
* **Accounts** on platform ``"synth"`` with decimal string ids (a random
  permutation of ``0 .. n-1``), handles such as ``lunafox_123`` (a few with
  non-ASCII letters), heavy-tailed platform follower counts spanning the four
  tiers nano (< 10k), micro (10k-100k), macro (100k-1M) and mega (>= 1M).
* **Niches**: every ordinary account (a *member*) belongs to exactly one niche;
  niche sizes follow a truncated power law (exponent ``niche_exponent``, from
  ``min_niche`` to ``max_niche`` members).  Niches are grouped into **broad
  communities** whose sizes (in niches) are heavy-tailed too.  About 4 % of the
  members are micro-tier niche leaders, the rest are nano.
* **Hubs**: macro accounts, each attached to one broad community (a topic
  celebrity), and mega accounts (global).  Hubs belong to no niche.
* **Follows** (unique ``follower -> followee`` pairs, no self-loops): mostly
  inside a niche towards its popular members, reciprocated with probability
  ``p_mutual``; one-way follows towards hubs (mega: global; macro: mostly from
  their broad community); a few follows across niches of one broad community;
  a little uniform noise.
* **Interactions** (events with a timestamp in ``year``; every event has a
  unique ``post_id`` and weight 1):

  - conversations inside a niche between mutual followers: A mentions (or
    quotes, or replies to) B, B replies within hours, and the thread may go
    on; some mentions stay unanswered;
  - one-way attention towards hubs (reposts, mentions, quotes), rarely
    answered;
  - amplification of niche leaders (reposts and quotes inside a niche);
  - brand talk: employees and members of "brand-aware" niches mention the
    **brand** account (handle ``"brand"``, affiliation ``"Acme Corp"``) and use
    its hashtag ``acme``;
  - a little uniform noise.

  Niche talk carries the niche's hashtag (and sometimes its broad community's).
* **Employees**: about 0.5 % of the members carry the affiliation
  ``"Acme Corp"`` (a few others work for decoy companies); they follow and
  mention the brand.

The planted ground truth (niche and broad community per account, and its role)
is *not* part of the canonical accounts table; :meth:`World.truth_table` gives
it, and :func:`write_world` writes it as a separate ``truth`` file.

Determinism: one :class:`numpy.random.Generator` made from ``seed`` is passed
down through every step, so the same arguments give byte-identical arrays and
files (on the same numpy version).  Everything is vectorised numpy: about
1M accounts and 20M edges fit in a few GB and take tens of seconds.
"""

from __future__ import annotations

import gzip as _gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import INTERACTION_KINDS, SCHEMAS, TableBatch, TableName

PLATFORM = "synth"
BRAND_HANDLE = "brand"
BRAND_AFFILIATION = "Acme Corp"
BRAND_HASHTAG = "acme"
#: Affiliations: index 0 is the brand's company, the others are decoys.
AFFILIATIONS: tuple[str, ...] = (BRAND_AFFILIATION, "Globex", "Initech", "Umbrella Research")

#: Tier thresholds on the platform follower count (nano < 10k <= micro < 100k <= macro < 1M <= mega).
TIER_BOUNDS: tuple[int, int, int] = (10_000, 100_000, 1_000_000)
TIERS: tuple[str, ...] = ("nano", "micro", "macro", "mega")

#: Roles in the ground truth.
ROLES: tuple[str, ...] = ("member", "hub", "brand")
ROLE_MEMBER, ROLE_HUB, ROLE_BRAND = 0, 1, 2

MIN_ACCOUNTS = 100

_KIND = {k: i for i, k in enumerate(INTERACTION_KINDS)}
_MENTION, _REPLY, _REPOST, _QUOTE = _KIND["mention"], _KIND["reply"], _KIND["repost"], _KIND["quote"]

_TOPICS = (
    "gaming", "fitness", "crypto", "cooking", "knitting", "birding", "jazz", "anime", "running", "vegan",
    "climbing", "chess", "poetry", "gardening", "astronomy", "skincare", "retro", "cycling", "baking", "opera",
    "surfing", "tabletop", "diy", "coffee", "sneakers", "vinyl", "esports", "yoga", "mycology", "fintech",
)
_FLAVOURS = (
    "fans", "club", "nerds", "crew", "talk", "lab", "circle", "corner", "guild", "hub", "den", "collective",
)
_HANDLE_WORDS = (
    "luna", "fox", "pixel", "river", "echo", "nova", "maple", "cobalt", "ember", "sage", "otter", "quill",
    "zephyr", "orbit", "fern", "juniper", "atlas", "cinder", "willow", "comet", "jade", "rook", "moss", "lark",
    "josé", "zoë", "søren", "ayşe", "müller", "ñandu", "東京", "서울",
)
_N_ASCII_WORDS = 24  # the first 24 handle words are ASCII; the rest appear rarely

_T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
_YEAR = 366 * 86_400


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
    int_src, int_dst : ndarray of int32, shape (i,)
    int_kind : ndarray of int8, shape (i,)
        Index into :data:`graph_store.schema.INTERACTION_KINDS`.
    int_ts : ndarray of int64, shape (i,)
        Unix seconds, non-decreasing (events are in time order).
    int_tags : ndarray of int32, shape (i,)
        Hashtag-set code (see :meth:`tagset`), -1 for none.
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
    int_src: np.ndarray
    int_dst: np.ndarray
    int_kind: np.ndarray
    int_ts: np.ndarray
    int_tags: np.ndarray
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
        return int(self.int_src.shape[0])

    @property
    def n_niches(self) -> int:
        return len(self.niche_tag)

    @property
    def n_communities(self) -> int:
        return len(self.community_tag)

    def tier(self) -> np.ndarray:
        """Tier index (0 nano, 1 micro, 2 macro, 3 mega) per account, int8 (n,)."""
        return np.searchsorted(np.asarray(TIER_BOUNDS), self.followers_count, side="right").astype(np.int8)

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
        words = pa.array(list(_HANDLE_WORDS))
        h = pc.binary_join_element_wise(pc.take(words, pa.array(self.handle_word)),
                                        pc.take(words, pa.array(self.handle_word2)), "")
        h = pc.binary_join_element_wise(h, self.account_ids(), "_")
        return pc.if_else(pa.array(self.role == ROLE_BRAND), pa.scalar(BRAND_HANDLE), h)

    # -- canonical batches -----------------------------------------------------------
    def batches(self, table: TableName | None = None, *, batch_rows: int = 1 << 20) -> Iterator[TableBatch]:
        """Stream the world as canonical batches (all three tables when ``table`` is None)."""
        tables = ("accounts", "follows", "interactions") if table is None else (table,)
        for t in tables:
            n = {"accounts": self.n_accounts, "follows": self.n_follows, "interactions": self.n_interactions}[t]
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
            cols = [ids[lo:hi], self._cache["handles"][lo:hi],
                    pa.array(np.full(hi - lo, PLATFORM, dtype=object), pa.string()),
                    pa.array(self.followers_count[lo:hi]), pa.array(self.following_count[lo:hi]), aff_arr]
        elif table == "follows":
            cols = [pc.take(ids, pa.array(self.follow_src[lo:hi])), pc.take(ids, pa.array(self.follow_dst[lo:hi])),
                    _ts(self.follow_since[lo:hi])]
        elif table == "interactions":
            kinds = pa.DictionaryArray.from_arrays(pa.array(self.int_kind[lo:hi]), pa.array(list(INTERACTION_KINDS)))
            tags = self.int_tags[lo:hi]
            post = pc.binary_join_element_wise("p", pa.array(np.arange(lo, hi, dtype=np.int64)).cast(pa.string()), "")
            cols = [pc.take(ids, pa.array(self.int_src[lo:hi])), pc.take(ids, pa.array(self.int_dst[lo:hi])),
                    kinds.cast(pa.string()), _ts(self.int_ts[lo:hi]), post,
                    pc.take(self._tag_vocab(), pa.array(tags, mask=tags < 0)),
                    pa.array(np.ones(hi - lo, dtype=np.float64))]
        else:
            raise ValueError(f"unknown table {table!r}")
        return pa.RecordBatch.from_arrays(cols, schema=schema)

    def truth_table(self) -> pa.Table:
        """Planted ground truth: ``id``, ``niche``, ``community``, ``role``, ``tier`` per account.

        ``niche`` and ``community`` are -1 where an account has none (mega hubs
        and the brand have neither; macro hubs have a community but no niche).
        """
        return pa.table({
            "id": self.account_ids(),
            "niche": pa.array(self.niche),
            "community": pa.array(self.community),
            "role": pc.take(pa.array(list(ROLES)), pa.array(self.role)),
            "tier": pc.take(pa.array(list(TIERS)), pa.array(self.tier())),
        })


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype(np.int64) * 1_000_000, type=pa.int64()).cast(pa.timestamp("us"))


# ---------------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------------
def _truncated_pareto(rng: np.random.Generator, size: int, lo: float, hi: float, k: float) -> np.ndarray:
    """Samples of a Pareto law with exponent ``k`` (density ~ x^-(k+1)) truncated to [lo, hi)."""
    u = rng.random(size)
    return lo * (1.0 - u * (1.0 - (lo / hi) ** k)) ** (-1.0 / k)


def _group_sample(rng: np.random.Generator, group: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                  cumw: np.ndarray) -> np.ndarray:
    """For every entry of ``group``, one index in ``[starts[g], ends[g])`` drawn ∝ its weight.

    ``cumw`` (length n+1, ``cumw[0] = 0``) is the cumulative weight over all
    indices; weights must be positive.
    """
    lo, hi = starts[group], ends[group]
    a, b = cumw[lo], cumw[hi]
    r = a + rng.random(group.shape[0]) * (b - a)
    idx = np.searchsorted(cumw, r, side="right") - 1
    return np.clip(idx, lo, hi - 1)


def _cum(w: np.ndarray) -> np.ndarray:
    out = np.empty(w.shape[0] + 1, dtype=np.float64)
    out[0] = 0.0
    np.cumsum(w, out=out[1:])
    return out


def _pick(rng: np.random.Generator, size: int, probs: dict[int, float]) -> np.ndarray:
    keys = np.array(list(probs), dtype=np.int8)
    return keys[rng.choice(len(keys), size=size, p=np.array(list(probs.values())) / sum(probs.values()))]


@dataclass
class _Layout:
    n: int
    n_members: int
    niche_start: np.ndarray   # (n_niches,)
    niche_end: np.ndarray
    comm_start: np.ndarray    # (n_comm,) member ranges of each broad community
    comm_end: np.ndarray
    niche: np.ndarray         # (n,)
    community: np.ndarray     # (n,)
    macro: np.ndarray         # internal numbers of macro hubs (sorted by community)
    macro_comm: np.ndarray
    mega: np.ndarray
    brand: int


def _plant_layout(rng: np.random.Generator, n: int, *, min_niche: int, max_niche: int, niche_exponent: float,
                  niches_per_community: float) -> _Layout:
    n_mega = max(1, round(n * 0.0003))
    n_macro = max(3, round(n * 0.003))
    n_members = n - n_mega - n_macro - 1
    max_niche = max(min(max_niche, n_members), min_niche)

    # niche sizes: truncated power law, drawn until they cover the members
    sizes: list[np.ndarray] = []
    total = 0
    while total < n_members:
        s = np.floor(_truncated_pareto(rng, 256, min_niche, max_niche + 1, niche_exponent - 1.0)).astype(np.int64)
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
    w = _truncated_pareto(rng, n_comm, 1.0, 50.0, 1.2)
    comm_of_niche = np.concatenate([np.arange(n_comm), rng.choice(n_comm, size=n_niches - n_comm, p=w / w.sum())]) \
        if n_niches >= n_comm else np.arange(n_niches)
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
    return _Layout(n, n_members, niche_start, niche_end, comm_start, comm_end, niche, community, macro,
                   macro_comm, mega, n - 1)


def _hub_targets(rng: np.random.Generator, src: np.ndarray, lay: _Layout, followers: np.ndarray,
                 p_mega: float) -> np.ndarray:
    """A hub for every source: a mega hub (∝ followers) with probability ``p_mega``, else a macro hub
    of the source's community (∝ followers; any macro hub when its community has none)."""
    out = np.empty(src.shape[0], dtype=np.int64)
    is_mega = rng.random(src.shape[0]) < p_mega
    mega_cum = _cum(followers[lay.mega].astype(np.float64))
    r = rng.random(int(is_mega.sum())) * mega_cum[-1]
    out[is_mega] = lay.mega[np.clip(np.searchsorted(mega_cum, r, side="right") - 1, 0, lay.mega.size - 1)]
    rest = ~is_mega
    comm = lay.community[src[rest]]
    n_comm = lay.comm_start.shape[0]
    mstart = np.searchsorted(lay.macro_comm, np.arange(n_comm), side="left")
    mend = np.searchsorted(lay.macro_comm, np.arange(n_comm), side="right")
    has = mend[comm] > mstart[comm]
    macro_cum = _cum(followers[lay.macro].astype(np.float64))
    pick = np.empty(comm.shape[0], dtype=np.int64)
    pick[has] = _group_sample(rng, comm[has], mstart, mend, macro_cum)
    r = rng.random(int((~has).sum())) * macro_cum[-1]
    pick[~has] = np.clip(np.searchsorted(macro_cum, r, side="right") - 1, 0, lay.macro.size - 1)
    out[rest] = lay.macro[pick]
    return out


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

    Returns
    -------
    World
        Exactly ``n_accounts`` accounts, ``n_follows`` unique follows without
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
    if int(n_accounts) < MIN_ACCOUNTS:
        raise ValueError(f"n_accounts={n_accounts}: need at least {MIN_ACCOUNTS} accounts")
    if n_accounts >= np.iinfo(np.int32).max:
        raise ValueError(f"n_accounts={n_accounts}: at most {np.iinfo(np.int32).max - 1} accounts")
    if int(n_edges) < 0:
        raise ValueError(f"n_edges={n_edges} must be >= 0")
    if not 0.0 <= follow_share <= 1.0:
        raise ValueError(f"follow_share={follow_share} must be in [0, 1]")
    if n_follows is None and n_interactions is None:
        n_follows = int(round(n_edges * follow_share))
    if n_follows is None:
        n_follows = int(n_edges) - int(n_interactions)
    if n_interactions is None:
        n_interactions = int(n_edges) - int(n_follows)
    n, n_follows, n_interactions = int(n_accounts), int(n_follows), int(n_interactions)
    if n_follows < 0 or n_interactions < 0:
        raise ValueError(f"n_follows={n_follows} and n_interactions={n_interactions} must be >= 0")
    if n_follows > 0.5 * n * (n - 1):
        raise ValueError(f"n_follows={n_follows} is more than half of the {n * (n - 1)} possible follow pairs "
                         f"among {n} accounts; ask for fewer edges or more accounts")
    if min_niche < 2 or max_niche < min_niche:
        raise ValueError(f"need 2 <= min_niche <= max_niche, got {min_niche}, {max_niche}")
    if niche_exponent <= 1.0:
        raise ValueError(f"niche_exponent={niche_exponent} must be > 1")

    rng = np.random.default_rng(seed)
    lay = _plant_layout(rng, n, min_niche=min_niche, max_niche=max_niche, niche_exponent=niche_exponent,
                        niches_per_community=niches_per_community)
    nm = lay.n_members
    n_niches = lay.niche_start.shape[0]

    # -- accounts ------------------------------------------------------------------
    followers = np.empty(n, dtype=np.int64)
    is_micro = rng.random(nm) < 0.04
    is_micro[rng.integers(nm)] = True  # at least one micro leader
    followers[:nm] = np.minimum(np.exp(rng.normal(5.0, 1.4, nm)), 9_999).astype(np.int64)
    followers[:nm][is_micro] = _truncated_pareto(rng, int(is_micro.sum()), 1e4, 1e5, 1.0).astype(np.int64)
    followers[lay.macro] = _truncated_pareto(rng, lay.macro.size, 1e5, 1e6, 1.0).astype(np.int64)
    followers[lay.mega] = _truncated_pareto(rng, lay.mega.size, 1e6, 2e8, 0.8).astype(np.int64)
    followers[lay.brand] = int(_truncated_pareto(rng, 1, 1e5, 1e6, 1.0)[0])
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
    brand_aware = rng.random(n_niches) < brand_aware_share
    brand_aware[rng.integers(n_niches)] = True

    words = rng.integers(0, _N_ASCII_WORDS, size=(2, n)).astype(np.int16)
    rare = rng.random(n) < 0.01
    words[1, rare] = rng.integers(_N_ASCII_WORDS, len(_HANDLE_WORDS), size=int(rare.sum()))

    # member weights: popularity (who gets followed / amplified) and activity (who acts)
    pop = np.sqrt(followers[:nm].astype(np.float64) + 10.0)
    pop_cum = _cum(pop)
    act_cum = _cum(np.exp(rng.normal(0.0, 1.0, nm)))
    niche_size = (lay.niche_end - lay.niche_start).astype(np.float64)
    aware_members = np.flatnonzero(brand_aware[lay.niche[:nm]])

    def members(k: int) -> np.ndarray:
        r = rng.random(k) * act_cum[-1]
        return np.clip(np.searchsorted(act_cum, r, side="right") - 1, 0, nm - 1)

    def in_niche(src: np.ndarray) -> np.ndarray:
        """A member of each source's niche (∝ popularity), never the source itself."""
        g = lay.niche[src]
        d = _group_sample(rng, g, lay.niche_start, lay.niche_end, pop_cum)
        start, size = lay.niche_start[g], lay.niche_end[g] - lay.niche_start[g]
        return np.where(d == src, start + (d - start + 1) % size, d)

    # -- follows ----------------------------------------------------------------------
    def draw_follows(k: int, uniform: bool) -> tuple[np.ndarray, np.ndarray]:
        if uniform:
            return rng.integers(0, n, k), rng.integers(0, n, k)
        k_niche = int(k * 0.68 / (1 + p_mutual))
        k_hub = int(k * 0.18)
        k_cross = int(k * 0.08)
        k_emp = min(int(k * 0.01), employees.size + aware_members.size)
        k_rand = max(0, k - k_niche - int(k_niche * p_mutual) - k_hub - k_cross - k_emp)
        s1 = members(k_niche)
        d1 = in_niche(s1)
        back = rng.random(k_niche) < p_mutual
        s2 = members(k_hub)
        d2 = _hub_targets(rng, s2, lay, followers, p_mega=0.4)
        s3 = members(k_cross)
        d3 = _group_sample(rng, lay.community[s3], lay.comm_start, lay.comm_end, pop_cum)
        s4 = np.concatenate([employees, aware_members])[rng.integers(0, employees.size + aware_members.size, k_emp)] \
            if k_emp else np.zeros(0, np.int64)
        d4 = np.full(s4.size, lay.brand)
        s5, d5 = rng.integers(0, n, k_rand), rng.integers(0, n, k_rand)
        src = np.concatenate([s1, d1[back], s2, s3, s4, employees, s5])
        dst = np.concatenate([d1, s1[back], d2, d3, d4, np.full(employees.size, lay.brand), d5])
        return src, dst

    keys = np.zeros(0, dtype=np.int64)
    rounds = 0
    while keys.size < n_follows:
        need = n_follows - keys.size
        src, dst = draw_follows(int(need * 1.15) + 16, uniform=rounds >= 4)
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
    keys = np.sort(keys)
    follow_src = (keys // n).astype(np.int32)
    follow_dst = (keys % n).astype(np.int32)
    follow_since = (_T0 - 3 * _YEAR + rng.integers(0, 4 * _YEAR, keys.size)).astype(np.int64)

    # observed in-degree never exceeds the platform count
    indeg = np.bincount(follow_dst, minlength=n).astype(np.int64)
    followers = np.maximum(followers, indeg)
    outdeg = np.bincount(follow_src, minlength=n).astype(np.int64)
    following = np.maximum(following, outdeg)

    # -- interactions -------------------------------------------------------------------
    ni = n_interactions
    share = {"conv": 0.5, "hub": 0.3, "amp": 0.12, "brand": 0.04}
    k_conv = int(ni * share["conv"])
    k_hub = int(ni * share["hub"])
    k_amp = int(ni * share["amp"])
    k_brand = int(ni * share["brand"])
    k_noise = ni - k_conv - k_hub - k_amp - k_brand

    parts_src, parts_dst, parts_kind, parts_ts, parts_tag = [], [], [], [], []

    def add(src, dst, kind, ts, tag):
        parts_src.append(np.asarray(src, np.int32))
        parts_dst.append(np.asarray(dst, np.int32))
        parts_kind.append(np.asarray(kind, np.int8))
        parts_ts.append(np.asarray(ts, np.int64))
        parts_tag.append(np.asarray(tag, np.int32))

    def niche_tags(src: np.ndarray, p_tag: float = 0.45) -> np.ndarray:
        """Hashtag-set codes for talk inside the source's niche."""
        u = rng.random(src.shape[0])
        nid = lay.niche[src].astype(np.int64)
        code = np.where(u < p_tag * 0.75, 3 * nid, np.where(u < p_tag, 3 * nid + 1, -1))
        brandish = (rng.random(src.shape[0]) < 0.05) & brand_aware[nid]
        return np.where(brandish, 3 * nid + 2, code)

    # conversations between mutual followers inside a niche
    if k_conv:
        rev = follow_dst.astype(np.int64) * n + follow_src
        pos = np.minimum(np.searchsorted(keys, rev), keys.size - 1)
        same_niche = (follow_src < nm) & (follow_dst < nm) & (lay.niche[follow_src] == lay.niche[np.minimum(follow_dst, n - 1)])
        pair = np.flatnonzero((keys[pos] == rev) & same_niche) if keys.size else np.zeros(0, np.int64)
        lengths = np.minimum(rng.geometric(0.45, size=k_conv), 8)  # k_conv threads surely cover k_conv events
        lengths[rng.random(lengths.size) < 0.2] = 1  # unanswered mentions
        cs = np.cumsum(lengths)
        n_threads = int(np.searchsorted(cs, k_conv)) + 1
        lengths = lengths[:n_threads]
        lengths[-1] -= int(cs[n_threads - 1]) - k_conv
        if pair.size:
            ch = pair[rng.integers(0, pair.size, n_threads)]
            a, b = follow_src[ch].astype(np.int64), follow_dst[ch].astype(np.int64)
        else:  # no mutual pair yet (tiny worlds): any two members of one niche
            a = members(n_threads)
            b = in_niche(a)
        thread = np.repeat(np.arange(n_threads), lengths)
        start = np.repeat(np.cumsum(lengths) - lengths, lengths)
        step = np.arange(k_conv) - start
        src = np.where(step % 2 == 0, a[thread], b[thread])
        dst = np.where(step % 2 == 0, b[thread], a[thread])
        first_kind = _pick(rng, n_threads, {_MENTION: 0.6, _REPLY: 0.25, _QUOTE: 0.15})
        kind = np.where(step == 0, first_kind[thread], _REPLY)
        gap = np.minimum(rng.exponential(2.5 * 3600, k_conv), 20 * 3600).astype(np.int64) + 30
        gap[step == 0] = 0
        t_start = _T0 + rng.integers(0, _YEAR - 8 * 86_400, n_threads)
        csg = np.cumsum(gap)
        ts = t_start[thread] + csg - np.repeat(csg[np.cumsum(lengths) - lengths], lengths)
        tag_thread = niche_tags(a)
        add(src, dst, kind, ts, tag_thread[thread])

    # one-way attention towards hubs (rarely answered)
    if k_hub:
        answered = rng.random(k_hub) < 0.02
        k_ask = k_hub - int(answered.sum())
        s = members(k_ask)
        d = _hub_targets(rng, s, lay, followers, p_mega=0.45)
        ts = _T0 + rng.integers(0, _YEAR - 86_400, k_ask)
        kind = _pick(rng, k_ask, {_REPOST: 0.55, _MENTION: 0.25, _QUOTE: 0.2})
        tags = np.where(rng.random(k_ask) < 0.3, 3 * n_niches + 1 + np.maximum(lay.community[d], 0), -1)
        tags = np.where(lay.community[d] < 0, -1, tags)
        add(s, d, kind, ts, tags)
        k_ans = int(answered.sum())
        j = rng.integers(0, k_ask, k_ans) if k_ask else np.zeros(0, np.int64)
        add(d[j], s[j], np.full(k_ans, _REPLY), ts[j] + rng.integers(600, 12 * 3600, k_ans), np.full(k_ans, -1))

    # amplification of niche leaders
    if k_amp:
        s = members(k_amp)
        d = in_niche(s)
        add(s, d, _pick(rng, k_amp, {_REPOST: 0.7, _QUOTE: 0.3}), _T0 + rng.integers(0, _YEAR, k_amp), niche_tags(s))

    # brand talk: employees and brand-aware niches
    if k_brand:
        pool = np.concatenate([np.repeat(employees, 5), aware_members])
        s = pool[rng.integers(0, pool.size, k_brand)]
        answered = rng.random(k_brand) < 0.08
        ts = _T0 + rng.integers(0, _YEAR - 86_400, k_brand)
        tags = np.where(rng.random(k_brand) < 0.5, 3 * lay.niche[s].astype(np.int64) + 2, 3 * n_niches)
        add(s, np.full(k_brand, lay.brand), _pick(rng, k_brand, {_MENTION: 0.7, _REPOST: 0.2, _QUOTE: 0.1}), ts, tags)
        k_ans = int(answered.sum())
        add(np.full(k_ans, lay.brand), s[answered], np.full(k_ans, _REPLY),
            ts[answered] + rng.integers(600, 12 * 3600, k_ans), np.full(k_ans, 3 * n_niches))
        k_noise -= k_ans

    if k_noise > 0:
        s, d = rng.integers(0, n, k_noise), rng.integers(0, n, k_noise)
        d = np.where(s == d, (d + 1) % n, d)
        add(s, d, _pick(rng, k_noise, {_MENTION: 0.4, _REPOST: 0.3, _REPLY: 0.2, _QUOTE: 0.1}),
            _T0 + rng.integers(0, _YEAR, k_noise), np.full(k_noise, -1))

    if parts_src:
        int_ts = np.concatenate(parts_ts)
        order = np.argsort(int_ts, kind="stable")
        int_ts = int_ts[order]
        int_src = np.concatenate(parts_src)[order]
        int_dst = np.concatenate(parts_dst)[order]
        int_kind = np.concatenate(parts_kind)[order]
        int_tags = np.concatenate(parts_tag)[order]
        del order
    else:
        int_src = int_dst = np.zeros(0, np.int32)
        int_kind, int_ts, int_tags = np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0, np.int32)

    ext = rng.permutation(n).astype(np.int64)
    community_tag = tuple(
        _TOPICS[c % len(_TOPICS)] + (str(c // len(_TOPICS)) if c >= len(_TOPICS) else "")
        for c in range(lay.comm_start.shape[0]))
    nc = lay.community[lay.niche_start]
    niche_tag = tuple(f"{community_tag[nc[i]]}_{_FLAVOURS[i % len(_FLAVOURS)]}{i}" for i in range(n_niches))
    return World(
        seed=int(seed), ext=ext, handle_word=words[0], handle_word2=words[1],
        followers_count=followers, following_count=following, affiliation=affiliation,
        niche=lay.niche, community=lay.community, role=role, brand=lay.brand,
        niche_tag=niche_tag, community_tag=community_tag, brand_aware=brand_aware,
        follow_src=follow_src, follow_dst=follow_dst, follow_since=follow_since,
        int_src=int_src, int_dst=int_dst, int_kind=int_kind, int_ts=int_ts, int_tags=int_tags,
    )


# ---------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------
FileFormat = Literal["csv", "parquet"]


def _csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A canonical batch with list columns joined by ``|`` and timestamps as ISO-8601 UTC text."""
    cols, names = [], []
    for name, col in zip(batch.schema.names, batch.columns):
        if pa.types.is_list(col.type):
            col = pc.binary_join(col, "|")
        elif pa.types.is_timestamp(col.type):
            # "YYYY-MM-DD HH:MM:SS" -> "YYYY-MM-DDTHH:MM:SSZ" (much faster than pc.strftime)
            col = pc.replace_substring(col.cast(pa.timestamp("s")).cast(pa.string()), " ", "T", max_replacements=1)
            col = pc.binary_join_element_wise(col, "Z", "")
        cols.append(col)
        names.append(name)
    return pa.RecordBatch.from_arrays(cols, names=names)


def write_world(world: World, out_dir: str | Path, *, fmt: FileFormat = "csv", gzip: bool = False,
                batch_rows: int = 1 << 20,
                progress: Callable[[str, int], None] | None = None) -> dict[str, Path]:
    """Write ``accounts``, ``follows``, ``interactions`` and ``truth`` files into ``out_dir``.

    Parameters
    ----------
    world : World
    out_dir : str or Path
        Created when missing.
    fmt : {"csv", "parquet"}
        CSV has a header row, hashtags joined by ``|``, timestamps as
        ``YYYY-MM-DDTHH:MM:SSZ``, empty fields for nulls.  Parquet keeps the
        canonical Arrow schemas (hashtags as a list column).
    gzip : bool
        Gzip the CSV files (``.csv.gz``); ignored for Parquet (which is
        compressed with zstd).
    batch_rows : int
        Rows per written batch.
    progress : callable(table, rows_written), optional
        Called after every batch.

    Returns
    -------
    dict
        Table name (``accounts``, ``follows``, ``interactions``, ``truth``) -> path.
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt={fmt!r}: expected 'csv' or 'parquet'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext = ".parquet" if fmt == "parquet" else (".csv.gz" if gzip else ".csv")
    paths: dict[str, Path] = {}

    def batches_of(name: str) -> Iterator[pa.RecordBatch]:
        if name == "truth":
            yield from world.truth_table().to_batches(max_chunksize=batch_rows)
        else:
            for tb in world.batches(name, batch_rows=batch_rows):  # type: ignore[arg-type]
                yield tb.batch

    for name in ("accounts", "follows", "interactions", "truth"):
        path = out / f"{name}{ext}"
        paths[name] = path
        schema = world.truth_table().schema if name == "truth" else SCHEMAS[name]
        if fmt == "parquet":
            # fixed writer settings (no created_by drift between calls) keep files byte-identical
            with pq.ParquetWriter(path, schema, compression="zstd") as w:
                for b in batches_of(name):
                    w.write_batch(b)
                    if progress:
                        progress(name, b.num_rows)
        else:
            raw = open(path, "wb")
            sink = _gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) if gzip else raw
            try:
                csv_schema = _csv_ready(pa.RecordBatch.from_pylist([], schema=schema)).schema
                with pacsv.CSVWriter(sink, csv_schema,
                                     write_options=pacsv.WriteOptions(quoting_style="needed")) as w:
                    for b in batches_of(name):
                        w.write_batch(_csv_ready(b))
                        if progress:
                            progress(name, b.num_rows)
            finally:
                if gzip:
                    sink.close()
                raw.close()
    return paths
