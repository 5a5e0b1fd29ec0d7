"""Posts in the Neo4j store: ``(:Account)-[:POSTED]->(:Post {post_id, us, kind, hashtags, metrics, platform})``.

A load's posts are aggregated the way the embedded store does it (:func:`graph_store.staging.last_fields_sql`:
per ``post_id``, the last non-null value of each field wins) and written right after the accounts,
follows and interactions of the same load, in one transaction of their own (the graph's load
creates the authors' accounts first).  A null field is left out of the node's properties, so it
keeps what was stored.  ``us`` is the post's time in epoch microseconds.

All Cypher text is here; values travel only as parameters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .base import TableCounts
from .neo4j_session import Sessions
from .schema import POST_METRICS, POSTS, TIMESTAMP, TableBatch
from .staging import create_stage_tables, last_fields_sql, stage_batch

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

READ = f"""
MATCH (a:Account)-[:POSTED]->(p:Post)
RETURN a.idx AS author, p.post_id AS post_id, {", ".join(f"p.{c} AS {c}" for c in _PROPS)}
"""

#: Hashtags of interaction events not made by a stored post of their source (counted once per event).
EVENT_HASHTAGS = """
MATCH (a:Account)-[e:INTERACTS]->() WHERE e.hashtags IS NOT NULL AND size(e.hashtags) > 0
  AND NOT EXISTS { MATCH (a)-[:POSTED]->(:Post {post_id: e.post_id}) }
RETURN a.idx AS source, e.hashtags AS tags,
       CASE WHEN e.ts IS NULL THEN null ELSE e.ts.epochSeconds * 1000000 + e.ts.nanosecond / 1000 END AS us,
       e.post_id AS post_id, coalesce(e.n, 1) AS n
"""

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


def _aggregate(batches: list[pa.RecordBatch]) -> tuple[int, list[dict]]:
    """(rows read, one dict per post_id with its last non-null fields), through the shared staging SQL."""
    con = duckdb.connect(":memory:")
    try:
        create_stage_tables(con, ("posts",), temp=False)
        seq = 0
        for b in batches:
            seq = stage_batch(con, TableBatch("posts", b), seq)
        rows = con.execute(
            f"SELECT * REPLACE (epoch_us(ts) AS ts) FROM ({last_fields_sql('stage_posts', 'post_id', POST_FIELDS)})"
            " ORDER BY post_id"
        ).fetchall()
        names = ["post_id", *POST_FIELDS]
    finally:
        con.close()
    return seq, [dict(zip(names, r, strict=True)) for r in rows]


def _props(row: dict) -> dict:
    """A post's node properties: the non-null fields (an empty hashtag list stores nothing)."""
    out = {"us": row["ts"], **{c: row[c] for c in _PROPS if c != "us"}}
    return {k: v for k, v in out.items() if v is not None and v != []}


def write_posts(sessions: Sessions, batches: list[pa.RecordBatch], *, batch_size: int = 10_000) -> TableCounts:
    """Upsert a load's posts (their authors' accounts already exist); the counts as the embedded store gives them."""
    out = TableCounts()
    out.rows, posts = _aggregate(batches)
    if not posts:
        return out
    with sessions.errors("creating the posts constraint"), sessions.session() as s:
        s.run(SCHEMA).consume()
    ids = [p["post_id"] for p in posts]
    stored: dict[str, dict] = {}
    for lo in range(0, len(ids), batch_size):
        for r in sessions.read(EXISTING, {"ids": ids[lo : lo + batch_size]}, what="reading posts"):
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

    def work(tx) -> None:
        for lo in range(0, len(rows), batch_size):
            tx.run(WRITE, {"rows": rows[lo : lo + batch_size]}).consume()

    sessions.transaction(work, write=True, what="writing posts")
    return out


def count_posts(sessions: Sessions) -> int:
    return int(sessions.read(COUNT, what="counting posts")[0]["n"])


def read_posts(sessions: Sessions) -> pa.Table:
    """Every post (columns :data:`READ_POSTS`), ordered by author, time (unknown first) and id."""
    recs = sessions.read(READ, what="reading posts")
    cols: dict[str, pa.Array] = {
        "author": pa.array([r["author"] for r in recs], pa.int32()),
        "post_id": pa.array([r["post_id"] for r in recs], pa.string()),
        "ts": pa.array([r["us"] for r in recs], pa.int64()).cast(TIMESTAMP),
        "kind": pa.array([r["kind"] for r in recs], pa.string()),
        "hashtags": pa.array([r["hashtags"] for r in recs], pa.list_(pa.string())),
        **{m: pa.array([r[m] for r in recs], pa.int64()) for m in POST_METRICS},
        "platform": pa.array([r["platform"] for r in recs], pa.string()),
    }
    t = pa.table(cols, schema=READ_POSTS)
    return t.sort_by([("author", "ascending"), ("ts", "ascending"), ("post_id", "ascending")]) if recs else t


def read_hashtag_uses(sessions: Sessions, posts: pa.Table) -> pa.Table:
    """Hashtag uses as the embedded store gives them: ``posts``' hashtags once per post, plus each
    interaction event's hashtags when no stored post of its source made it (columns :data:`HASHTAG_USES`)."""
    recs = sessions.read(EVENT_HASHTAGS, what="reading hashtags")
    parts = []
    with_tags = posts.filter(pc.is_valid(posts.column("hashtags")))
    if with_tags.num_rows:
        parts.append(
            _explode(
                with_tags.column("author"),
                with_tags.column("hashtags"),
                with_tags.column("ts"),
                with_tags.column("post_id"),
                pa.array(np.ones(with_tags.num_rows, np.int64)),
            )
        )
    if recs:
        parts.append(
            _explode(
                pa.array([r["source"] for r in recs], pa.int32()),
                pa.array([r["tags"] for r in recs], pa.list_(pa.string())),
                pa.array([r["us"] for r in recs], pa.int64()).cast(TIMESTAMP),
                pa.array([r["post_id"] for r in recs], pa.string()),
                pa.array([int(r["n"]) for r in recs], pa.int64()),
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


def posts_of(batches: Iterable[TableBatch], into: list[pa.RecordBatch]) -> Iterable[TableBatch]:
    """``batches`` unchanged, keeping each batch of posts in ``into`` (written once the graph is loaded)."""
    for tb in batches:
        if tb.table == "posts":
            into.append(tb.batch)
        yield tb
