"""Posts in the Neo4j store: ``(:Account)-[:POSTED]->(:Post {post_id, us, kind, hashtags, metrics, platform})``.

A load's posts are staged with the rest of the load and aggregated the way the embedded store does it
(:func:`graph_store.staging.last_fields_sql`: per ``post_id``, the last non-null value of each field
wins), then written right after the accounts, follows and interactions of the same load (whose
accounts phase creates the authors): in the same transaction when the load is small enough to be
atomic, so a failed load leaves no post behind (:mod:`graph_store.neo4j_loader`).  A null field is left out of the node's properties, so it
keeps what was stored.  ``us`` is the post's time in epoch microseconds.

All Cypher text is here; values travel only as parameters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import neo4j_columns
from .base import TableCounts
from .neo4j_columns import MapRanges
from .neo4j_session import Sessions
from .schema import POST_METRICS, POSTS, TIMESTAMP
from .staging import last_fields_sql

#: Fields of a post besides its key, in table order.
POST_FIELDS: tuple[str, ...] = tuple(f.name for f in POSTS if f.name != "post_id")
#: Node properties besides ``post_id`` (``author`` is the POSTED relationship, ``ts`` is ``us``).
_PROPS: tuple[str, ...] = ("us", "hashtags", "kind", *POST_METRICS, "platform")

SCHEMA = "CREATE CONSTRAINT ng_post_id IF NOT EXISTS FOR (p:Post) REQUIRE p.post_id IS UNIQUE"

EXISTING = f"""
UNWIND $ids AS id
MATCH (p:Post {{post_id: id}})<-[:POSTED]-(a:Account)
RETURN p.post_id AS post_id, a.key AS author_key, {", ".join(f"p.{c} AS {c}" for c in _PROPS)}
"""

WRITE = """
UNWIND $rows AS r
MATCH (a:Account {key: r.author_key}) USING INDEX a:Account(key)
MERGE (p:Post {post_id: r.post_id})
SET p += r.props
WITH a, p
OPTIONAL MATCH (p)<-[old:POSTED]-(other:Account) WHERE other <> a
DELETE old
MERGE (a)-[:POSTED]->(p)
"""

COUNT = "MATCH (p:Post) RETURN count(p) AS n"

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


def _key(account_id: str) -> str:
    """An account's ``key`` property (the SHA-256 of its id, as the loader writes it)."""
    return hashlib.sha256(account_id.encode("utf-8")).hexdigest()


def _aggregate(con: duckdb.DuckDBPyConnection) -> tuple[int, list[dict]]:
    """(rows read, one dict per post_id with its last non-null fields) of the load's ``stage_posts``,
    through the shared staging SQL."""
    seq = int(con.execute("SELECT count(*) FROM stage_posts").fetchall()[0][0])
    if seq == 0:
        return 0, []
    rows = con.execute(
        f"SELECT * REPLACE (epoch_us(ts) AS ts) FROM ({last_fields_sql('stage_posts', 'post_id', POST_FIELDS)})"
        " ORDER BY post_id"
    ).fetchall()
    names = ["post_id", *POST_FIELDS]
    return seq, [dict(zip(names, r, strict=True)) for r in rows]


def _props(row: dict) -> dict:
    """A post's node properties: the non-null fields; hashtags without null elements (Neo4j lists
    hold none, as for interactions), an empty list stores nothing."""
    out = {"us": row["ts"], **{c: row[c] for c in _PROPS if c != "us"}}
    if out["hashtags"] is not None:
        out["hashtags"] = [t for t in out["hashtags"] if t is not None]
    return {k: v for k, v in out.items() if v is not None and v != []}


def write_posts(con: duckdb.DuckDBPyConnection, run: Callable[..., list[dict]], *, batch_size: int) -> TableCounts:
    """Upsert the load's staged posts (``stage_posts`` of the loader's DuckDB; their authors' accounts are
    written already) with ``run(query, params, what)``; the counts as the embedded store gives them.

    The loader passes the ``run`` of its own writes: inside the one transaction of a small (atomic)
    load, so the posts commit or fail with the rest of the load; statement by statement (each
    idempotent) for a batched load.
    """
    out = TableCounts()
    out.rows, posts = _aggregate(con)
    if not posts:
        return out
    ids = [p["post_id"] for p in posts]
    stored: dict[str, dict] = {}
    for lo in range(0, len(ids), batch_size):
        for r in run(EXISTING, {"ids": ids[lo : lo + batch_size]}, "reading posts"):
            stored[r["post_id"]] = r
    rows = []
    for p in posts:
        key = _key(p["author"])
        props = _props(p)
        old = stored.get(p["post_id"])
        if old is None:
            out.inserted += 1
        elif old["author_key"] != key or any(old.get(k) != v for k, v in props.items()):
            out.updated += 1
        rows.append({"post_id": p["post_id"], "author_key": key, "props": props})
    out.duplicates = out.rows - len(posts)
    out.existing = len(posts) - out.inserted
    for lo in range(0, len(rows), batch_size):
        run(WRITE, {"rows": rows[lo : lo + batch_size]}, "writing posts")
    return out


def count_posts(sessions: Sessions) -> int:
    return int(sessions.read(COUNT, what="counting posts")[0]["n"])


def read_posts(map_ranges: MapRanges, ranges: Sequence[tuple[int, int]]) -> pa.Table:
    """Every post (columns :data:`READ_POSTS`), ordered by author, time (unknown last) and id; read by ranges
    of author ``idx`` (:func:`graph_store.neo4j_columns.read_posts`)."""
    t = neo4j_columns.read_posts(map_ranges, ranges, READ_POSTS)
    return t.sort_by([("author", "ascending"), ("ts", "ascending"), ("post_id", "ascending")]) if t.num_rows else t


def read_hashtag_uses(map_ranges: MapRanges, ranges: Sequence[tuple[int, int]]) -> pa.Table:
    """Hashtag uses as the embedded store gives them: the posts' hashtags once per post, plus each
    interaction event's hashtags when no stored post of its source made it (columns :data:`HASHTAG_USES`).
    Only the posts that have hashtags are read, and only the columns uses need."""
    posts = neo4j_columns.read_post_tags(map_ranges, ranges)
    events = neo4j_columns.read_event_tags(map_ranges, ranges)
    parts = []
    if posts.num_rows:
        parts.append(
            _explode(
                posts.column("author"),
                posts.column("hashtags"),
                posts.column("ts"),
                posts.column("post_id"),
                pa.array(np.ones(posts.num_rows, np.int64)),
            )
        )
    if events.num_rows:
        parts.append(
            _explode(
                events.column("source"),
                events.column("tags"),
                events.column("ts"),
                events.column("post_id"),
                events.column("n"),
            )
        )
    if not parts:
        return HASHTAG_USES.empty_table()
    t = pa.concat_tables(parts)
    keys = ["source", "tag", "ts", "post_id"]
    t = t.group_by(keys, use_threads=False).aggregate([("n", "sum")]).rename_columns([*keys, "n"])
    t = t.select(HASHTAG_USES.names).cast(HASHTAG_USES)
    return t.sort_by([("tag", "ascending"), ("source", "ascending"), ("ts", "ascending"), ("post_id", "ascending")])


def _explode(source, tags, ts, post_id, n) -> pa.Table:
    """One row per (row, distinct lower-case tag): the row's source, tag, time, post and count
    (a tag a row names twice is one use, as in the embedded store)."""
    tags = tags.combine_chunks() if isinstance(tags, pa.ChunkedArray) else tags
    parent = pa.array(pc.list_parent_indices(tags))
    pairs = pa.table({"row": parent, "tag": pc.utf8_lower(pc.list_flatten(tags))}).filter(
        pc.is_valid(pc.list_flatten(tags))
    )
    pairs = pairs.group_by(["row", "tag"], use_threads=False).aggregate([]).sort_by([("row", "ascending")])
    rows = pairs.column("row").combine_chunks()
    take = lambda col: (col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col).take(rows)
    return pa.table(
        {
            "source": take(source).cast(pa.int32()),
            "tag": pairs.column("tag"),
            "ts": take(ts),
            "post_id": take(post_id),
            "n": take(n),
        }
    )
