"""Posts in the embedded (DuckDB) store: the table, the merge of a load's posts, and reading them back.

``posts(post_id, author, ts, hashtags, kind, likes, replies, reposts, quotes, views, platform)``
    One row per ``post_id``; ``author`` is the author's account ``idx``.  A load upserts by
    ``post_id`` like accounts: the last non-null value of each field in the load wins, and a
    null field keeps what was stored (so a later export with fresher metrics updates them,
    and a reference to a post without metrics does not erase them).

Every statement's table and column names come from :data:`graph_store.schema.POSTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from .base import TableCounts
from .duckdb_read import sum_equal_neighbours
from .schema import POST_METRICS, POSTS
from .staging import last_fields_sql

#: Fields of a post besides its key (``post_id``), in table order.
POST_FIELDS: tuple[str, ...] = tuple(f.name for f in POSTS if f.name != "post_id")

DDL = [
    """CREATE TABLE IF NOT EXISTS posts (
        post_id VARCHAR NOT NULL, author INTEGER NOT NULL, ts TIMESTAMP, hashtags VARCHAR[],
        kind VARCHAR NOT NULL, likes BIGINT, replies BIGINT, reposts BIGINT, quotes BIGINT,
        views BIGINT, platform VARCHAR)""",
]

#: Columns of :func:`read_posts`: the author's ``idx`` (int32) and the post's fields.
READ_COLUMNS: tuple[str, ...] = ("author", "post_id", "ts", "kind", "hashtags", *POST_METRICS, "platform")


def merge_posts(con: duckdb.DuckDBPyConnection, one: Callable[[str], Any]) -> TableCounts:
    """Upsert the load's ``stage_posts`` into ``posts`` (authors' accounts must exist); return the counts.

    ``rows`` read, ``duplicates`` rows repeating a ``post_id`` of this load, ``inserted`` new posts,
    ``existing`` posts already stored, ``updated`` stored posts whose fields changed.
    """
    out = TableCounts()
    out.rows = int(one("SELECT count(*) FROM stage_posts"))
    if out.rows == 0:
        return out
    con.execute(f"""CREATE TEMP TABLE post_new AS
        SELECT l.post_id, a.idx AS author, {", ".join(f"l.{c}" for c in POST_FIELDS if c != "author")}
        FROM ({last_fields_sql("stage_posts", "post_id", POST_FIELDS)}) l JOIN accounts a ON a.id = l.author""")
    distinct = int(one("SELECT count(*) FROM post_new"))
    out.duplicates = out.rows - distinct
    out.inserted = int(one("SELECT count(*) FROM post_new n ANTI JOIN posts p ON p.post_id = n.post_id"))
    out.existing = distinct - out.inserted
    changed = " OR ".join(f"(n.{c} IS NOT NULL AND n.{c} IS DISTINCT FROM p.{c})" for c in POST_FIELDS)
    out.updated = int(one(f"SELECT count(*) FROM post_new n JOIN posts p ON p.post_id = n.post_id WHERE {changed}"))
    sets = ", ".join(f"{c} = coalesce(n.{c}, posts.{c})" for c in POST_FIELDS)
    con.execute(f"UPDATE posts SET {sets} FROM post_new n WHERE posts.post_id = n.post_id")
    cols = ", ".join(f.name for f in POSTS)
    con.execute(f"""INSERT INTO posts ({cols}) SELECT {", ".join("n." + f.name for f in POSTS)}
                    FROM post_new n ANTI JOIN posts p ON p.post_id = n.post_id ORDER BY n.post_id""")
    con.execute("DROP TABLE post_new")
    return out


def read_posts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every post, ordered by author ``idx``, time and id; columns :data:`READ_COLUMNS`."""
    t = con.sql(f"SELECT {', '.join(READ_COLUMNS)} FROM posts ORDER BY author, ts NULLS FIRST, post_id")
    return t.to_arrow_table()


def count_posts(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM posts").fetchall()[0][0])


#: Hashtag uses before they are summed: every post's hashtags once (``n`` = 1), plus the hashtags of each
#: interaction row (``n`` = its events) not made by a stored post (its ``post_id`` names no post of the
#: same author).  A tag that a post or event names twice (X lists every occurrence in
#: ``entities.hashtags``) is one use.  The uses are these rows summed by (source, tag, ts, post_id).
HASHTAG_USE_ROWS_SQL = """
    SELECT author AS source, tag, ts, post_id, 1::BIGINT AS n
    FROM (SELECT author, unnest(list_distinct(list_transform(hashtags, lambda t: lower(t)))) AS tag, ts, post_id
          FROM posts WHERE hashtags IS NOT NULL)
    UNION ALL
    SELECT i.src AS source, unnest(list_distinct(list_transform(i.hashtags, lambda t: lower(t)))) AS tag, i.ts,
           i.post_id, i.n::BIGINT AS n
    FROM interactions i
    WHERE i.hashtags IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.post_id = i.post_id AND p.author = i.src)"""

#: The order of the uses (and of the ``hashtag_uses`` run table): their whole key, so it is total.
USE_KEYS = ("tag", "source", "ts", "post_id")


def read_hashtag_uses(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Hashtag uses (:data:`HASHTAG_USE_ROWS_SQL` summed): ``source`` idx int32, ``tag`` lower case, ``ts``,
    ``post_id``, ``n`` int64 uses, one row per (source, tag, ts, post_id) with a post counted once, ordered by
    :data:`USE_KEYS` (nulls first).

    One sort instead of a group-by and a sort: the rows come sorted by the whole key, so rows to sum are
    neighbours (:func:`graph_store.duckdb_read.sum_equal_neighbours`).
    """
    rows = con.sql(f"""SELECT source::INTEGER AS source, tag, ts, post_id, n FROM ({HASHTAG_USE_ROWS_SQL})
                       ORDER BY tag, source, ts NULLS FIRST, post_id NULLS FIRST""").to_arrow_table()
    return sum_equal_neighbours(rows, USE_KEYS, "n")
