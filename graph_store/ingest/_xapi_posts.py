"""X API v2 tweets as rows of the ``posts`` table (used by :mod:`._xapi`).

A tweet's kind comes from its ``referenced_tweets``: ``retweeted`` makes a repost, else
``replied_to`` a reply, else ``quoted`` a quote, else it is an original post.  Its
``public_metrics`` (``like_count``, ``reply_count``, ``retweet_count``, ``quote_count``,
``impression_count``) become ``likes``, ``replies``, ``reposts``, ``quotes`` and ``views``; a
metric the response lacks stays null (unknown, not 0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._convert import Piece

I64 = pa.int64()
#: The ``public_metrics`` object of a tweet, and the post field each count becomes.
PUBLIC_METRICS = pa.struct(
    [
        ("retweet_count", I64),
        ("reply_count", I64),
        ("like_count", I64),
        ("quote_count", I64),
        ("impression_count", I64),
    ]
)
METRIC_FIELDS: dict[str, str] = {
    "likes": "like_count",
    "replies": "reply_count",
    "reposts": "retweet_count",
    "quotes": "quote_count",
    "views": "impression_count",
}

SKIP_INCLUDED_NO_AUTHOR = "includes.tweets entries without an id or author_id (not loaded as posts)"


def post_kinds(tweets: pa.Array) -> pa.Array:
    """The post kind of every tweet (string array of the tweets' length), from ``referenced_tweets``."""
    n = len(tweets)
    refs = pc.struct_field(tweets, "referenced_tweets")
    if isinstance(refs, pa.ChunkedArray):
        refs = refs.combine_chunks()
    vals = pc.list_flatten(refs)
    parent = np.asarray(pc.list_parent_indices(refs).to_numpy(zero_copy_only=False), dtype=np.int64)
    kinds = np.full(n, "original", dtype=object)
    if len(vals):
        typ = pc.struct_field(vals, "type")
        for ref_type, kind in (("quoted", "quote"), ("replied_to", "reply"), ("retweeted", "repost")):  # last wins
            hit = np.asarray(pc.equal(typ, ref_type).fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
            kinds[parent[hit]] = kind
    return pa.array(kinds.tolist(), pa.string())


def posts_piece(tweets: pa.Array, hashtags: pa.Array, lines: np.ndarray, text: Callable) -> Piece:
    """A ``posts`` piece of the tweet structs ``tweets`` (one row each) with their hashtag lists."""
    metrics = pc.struct_field(tweets, "public_metrics")
    cols = {
        "post_id": pc.struct_field(tweets, "id"),
        "author": pc.struct_field(tweets, "author_id"),
        "ts": pc.struct_field(tweets, "created_at"),
        "hashtags": hashtags,
        "kind": post_kinds(tweets),
        **{fld: pc.struct_field(metrics, key) for fld, key in METRIC_FIELDS.items()},
        "platform": pa.array(["x"] * len(tweets), pa.string()),
    }
    names = {"post_id": "id", "author": "author_id", "ts": "created_at"}
    names.update({fld: f"public_metrics.{key}" for fld, key in METRIC_FIELDS.items()})
    return Piece("posts", cols, np.asarray(lines, dtype=np.int64), text, names=names)
