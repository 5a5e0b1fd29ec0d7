"""The canonical tables every input is turned into, as Arrow schemas.

Four tables, matching the contracts in the design guide:

``accounts``
    ``id`` (string, required), ``handle``, ``platform``, ``followers_count``
    and ``following_count`` (as reported by the platform; int64, >= 0),
    ``affiliation`` (organisation, for internal influencers).
``follows``
    ``follower -> followee`` (string ids), optional ``since`` timestamp.
``interactions``
    ``source -> target`` (string ids), ``kind`` (one of :data:`INTERACTION_KINDS`),
    ``ts`` timestamp (optional), ``post_id`` (optional), ``hashtags``
    (list of strings), ``weight`` (float64 > 0, default 1; an aggregated
    edge-list row such as SNAP's ``a b 3`` is one row of weight 3).
``posts``
    ``post_id`` (string, required), ``author`` (account id, required), ``ts``,
    ``hashtags`` (list of strings), ``kind`` (one of :data:`POST_KINDS`, default
    ``original``), the platform's metrics when it reports them (``likes``,
    ``replies``, ``reposts``, ``quotes``, ``views``; int64 >= 0, null when not
    reported) and ``platform``.  An interaction whose ``post_id`` names a post
    was made by that post.

Timestamps are UTC, microsecond precision, without a zone in Arrow
(``timestamp[us]``).  Readers convert everything to these schemas; stores
accept only these schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

TableName = Literal["accounts", "follows", "interactions", "posts"]
TABLES: tuple[TableName, ...] = ("accounts", "follows", "interactions", "posts")

#: Interaction kinds, in code order (``kind_code = INTERACTION_KINDS.index(kind)``).
INTERACTION_KINDS: tuple[str, ...] = ("mention", "reply", "repost", "quote", "like", "comment", "share")

#: Post kinds: an original post, a reply, a quote (a post citing another) and a repost (a share).
POST_KINDS: tuple[str, ...] = ("original", "reply", "quote", "repost")

#: Spellings of post kinds seen in exports (X API ``referenced_tweets`` types among them).
POST_KIND_ALIASES: dict[str, str] = {
    "post": "original",
    "tweet": "original",
    "status": "original",
    "replied_to": "reply",
    "comment": "reply",
    "quoted": "quote",
    "quote_tweet": "quote",
    "retweet": "repost",
    "retweeted": "repost",
    "rt": "repost",
    "reblog": "repost",
    "reshare": "repost",
    "share": "repost",
}

#: Platform metrics a post may carry (counts the platform reports; null when it does not).
POST_METRICS: tuple[str, ...] = ("likes", "replies", "reposts", "quotes", "views")

#: Audience-size tiers: the words a stored ``tier`` column holds, in order, and the platform
#: follower counts where each tier after the first begins (nano < 10k <= micro < 100k <= macro
#: < 1M <= mega).  ``engine.tiers`` mirrors both as its defaults (the engine imports no storage);
#: tests/test_tier_contract.py keeps them equal.
TIER_NAMES: tuple[str, ...] = ("nano", "micro", "macro", "mega")
TIER_THRESHOLDS: tuple[int, ...] = (10_000, 100_000, 1_000_000)

#: Spellings seen in platform exports, mapped to the canonical kind.
KIND_ALIASES: dict[str, str] = {
    "mt": "mention",
    "mentions": "mention",
    "mentioned": "mention",
    "re": "reply",
    "replied_to": "reply",
    "replies": "reply",
    "rt": "repost",
    "retweet": "repost",
    "retweeted": "repost",
    "reblog": "repost",
    "reshare": "repost",
    "quoted": "quote",
    "quote_tweet": "quote",
    "favorite": "like",
    "favourite": "like",
}

TIMESTAMP = pa.timestamp("us")

ACCOUNTS = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("handle", pa.string()),
        pa.field("platform", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("following_count", pa.int64()),
        pa.field("affiliation", pa.string()),
    ]
)

#: Account fields set from input rows (every field but the id).
ACCOUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in ACCOUNTS if f.name != "id")

FOLLOWS = pa.schema(
    [
        pa.field("follower", pa.string(), nullable=False),
        pa.field("followee", pa.string(), nullable=False),
        pa.field("since", TIMESTAMP),
    ]
)

INTERACTIONS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("ts", TIMESTAMP),
        pa.field("post_id", pa.string()),
        pa.field("hashtags", pa.list_(pa.string())),
        pa.field("weight", pa.float64()),
    ]
)

POSTS = pa.schema(
    [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("author", pa.string(), nullable=False),
        pa.field("ts", TIMESTAMP),
        pa.field("hashtags", pa.list_(pa.string())),
        pa.field("kind", pa.string(), nullable=False),
        *(pa.field(m, pa.int64()) for m in POST_METRICS),
        pa.field("platform", pa.string()),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "accounts": ACCOUNTS,
    "follows": FOLLOWS,
    "interactions": INTERACTIONS,
    "posts": POSTS,
}

#: Columns that hold account ids (the endpoints that create accounts when unseen).
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("id",),
    "follows": ("follower", "followee"),
    "interactions": ("source", "target"),
    "posts": ("author",),
}

#: Columns that must be present and non-empty in every row.
REQUIRED: dict[str, tuple[str, ...]] = {
    "accounts": ("id",),
    "follows": ("follower", "followee"),
    "interactions": ("source", "target", "kind"),
    "posts": ("post_id", "author"),
}


@dataclass(frozen=True)
class TableBatch:
    """One validated batch for one canonical table.

    Attributes
    ----------
    table : {"accounts", "follows", "interactions", "posts"}
    batch : pyarrow.RecordBatch
        Rows conforming exactly to ``SCHEMAS[table]``.
    """

    table: TableName
    batch: pa.RecordBatch

    def __post_init__(self) -> None:
        if self.table not in SCHEMAS:
            raise ValueError(f"unknown table {self.table!r}; expected one of {TABLES}")
        if not self.batch.schema.equals(SCHEMAS[self.table], check_metadata=False):
            raise ValueError(
                f"batch for {self.table!r} does not match the canonical schema:\n"
                f"{self.batch.schema}\nexpected:\n{SCHEMAS[self.table]}"
            )
