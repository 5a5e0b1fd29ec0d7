"""Posts and the Neo4j store: not stored yet, refused with a clear message.

The Neo4j store keeps accounts, follows and interactions.  A load that brings posts is refused
before anything is written (:func:`refuse_posts`), so nothing is half-loaded; load posts into
the embedded (DuckDB) store.  Reading gives no posts, and hashtag uses come from the
interactions alone, without their time or post id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import StoreError
from .schema import POST_METRICS, TIMESTAMP, TableBatch

#: The columns of ``Store.read_posts()``.
READ_POSTS = pa.schema(
    [
        ("author", pa.int32()),
        ("post_id", pa.string()),
        ("ts", TIMESTAMP),
        ("kind", pa.string()),
        ("hashtags", pa.list_(pa.string())),
        *((m, pa.int64()) for m in POST_METRICS),
        ("platform", pa.string()),
    ]
)

#: The columns of ``Store.read_hashtag_uses()``.
HASHTAG_USES = pa.schema(
    [("source", pa.int32()), ("tag", pa.string()), ("ts", TIMESTAMP), ("post_id", pa.string()), ("n", pa.int64())]
)


def refuse_posts(batches: Iterable[TableBatch]) -> Iterator[TableBatch]:
    """``batches`` as they are, refusing the load at the first batch of posts (before any write)."""
    for tb in batches:
        if tb.table == "posts":
            raise StoreError(
                "the Neo4j store does not keep posts yet; load posts (--posts, or an X API v2 file) "
                "into a DuckDB store (--store FILE.duckdb)"
            )
        yield tb


def no_posts() -> pa.Table:
    return READ_POSTS.empty_table()


def hashtag_uses_without_posts(src: np.ndarray, tags: np.ndarray) -> pa.Table:
    """Hashtag uses from one-row-per-use ``(source idx, tag)`` arrays: lower-case tags, no time or post."""
    t = pa.table(
        {"source": pa.array(np.asarray(src, np.int32)), "tag": pc.utf8_lower(pa.array(list(tags), pa.string()))}
    )
    t = t.group_by(["source", "tag"]).aggregate([("source", "count")]).rename_columns(["source", "tag", "n"])
    n = t.num_rows
    return pa.table(
        {
            "source": t.column("source").cast(pa.int32()),
            "tag": t.column("tag"),
            "ts": pa.nulls(n, TIMESTAMP),
            "post_id": pa.nulls(n, pa.string()),
            "n": t.column("n").cast(pa.int64()),
        },
        schema=HASHTAG_USES,
    ).sort_by([("tag", "ascending"), ("source", "ascending")])
