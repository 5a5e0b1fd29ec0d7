"""Columnar reads of accounts, posts and event hashtags from Neo4j: one record of lists per range of ``idx``.

``analyze`` reads every account, every post and every event's hashtags.  One record per row (a dict of a
dozen values each) makes the driver build and the client walk millions of small objects; here each range
of source accounts (by ``idx``, served by its index) comes back as one record holding one list per column,
and the lists become Arrow arrays without a per-value Python loop.  The ranges run in parallel read
sessions (the caller's ``map_ranges``).

``collect`` drops nulls, so nullable values travel with a marker: :data:`NONE` for integers (``coalesce``)
and, for strings and lists, a per-row presence bit mask (``has``) beside the list of the values present
(:func:`graph_store.neo4j_convert.with_nulls` puts them back in place).

All Cypher text of these reads is here; values travel only as parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from .neo4j_convert import NONE, with_nulls
from .schema import ACCOUNTS, POST_METRICS, TIMESTAMP

#: ``map_ranges(query, ranges)``: the values of the one record ``query`` returns for each ``(lo, hi)`` range
#: of ``idx`` (parameters ``$lo``, ``$hi``, ``$none``), in the order of ``ranges``.
MapRanges = Callable[[str, Sequence[tuple[int, int]]], list[list]]


def _has(props: Sequence[str], var: str) -> str:
    """Cypher: one integer per row whose bit ``k`` says that ``var.props[k]`` is not null."""
    return " + ".join(f"CASE WHEN {var}.{p} IS NULL THEN 0 ELSE {1 << k} END" for k, p in enumerate(props))


def _collect(props: Sequence[str], var: str, ints: Sequence[str]) -> str:
    """Cypher: ``collect`` of each property; integers with :data:`NONE` for null, the others as present values."""
    return ", ".join(
        f"collect(coalesce({var}.{p}, $none)) AS {p}" if p in ints else f"collect({var}.{p}) AS {p}" for p in props
    )


_RANGE = "MATCH (a:Account) USING INDEX a:Account(idx) WHERE a.idx >= $lo AND a.idx < $hi"
#: Nullable string fields of an account (presence bits), and its integer fields.
_ACCOUNT_STRINGS = ("handle", "platform", "affiliation")
_ACCOUNT_INTS = ("followers_count", "following_count")

#: Accounts with ``$lo <= idx < $hi``, one list per column.
READ_ACCOUNTS = f"""
{_RANGE}
RETURN collect(a.idx) AS idx, collect(a.id) AS id, collect({_has(_ACCOUNT_STRINGS, "a")}) AS has,
       {_collect((*_ACCOUNT_STRINGS, *_ACCOUNT_INTS), "a", _ACCOUNT_INTS)}
"""

#: Nullable non-integer fields of a post (presence bits); ``us`` and the metrics are integers.
_POST_OTHER = ("kind", "hashtags", "platform")
_POST_INTS = ("us", *POST_METRICS)

#: Posts of the authors with ``$lo <= idx < $hi``, one list per column.
READ_POSTS = f"""
{_RANGE}
MATCH (a)-[:POSTED]->(p:Post)
RETURN collect(a.idx) AS author, collect(p.post_id) AS post_id, collect({_has(_POST_OTHER, "p")}) AS has,
       {_collect((*_POST_OTHER, *_POST_INTS), "p", _POST_INTS)}
"""

#: Only what hashtag uses need of the posts with hashtags of those authors.
READ_POST_TAGS = f"""
{_RANGE}
MATCH (a)-[:POSTED]->(p:Post) WHERE p.hashtags IS NOT NULL
RETURN collect(a.idx) AS author, collect(p.post_id) AS post_id, collect(coalesce(p.us, $none)) AS us,
       collect(p.hashtags) AS hashtags
"""

#: Hashtags of the interaction events of the sources with ``$lo <= idx < $hi`` that no stored post of their
#: source made (counted once per event): source, tags, time (epoch microseconds), post id (presence bit), n.
READ_EVENT_TAGS = f"""
{_RANGE}
MATCH (a)-[e:INTERACTS]->() WHERE e.hashtags IS NOT NULL AND size(e.hashtags) > 0
  AND NOT EXISTS {{ MATCH (a)-[:POSTED]->(:Post {{post_id: e.post_id}}) }}
WITH a, e, e.ts AS ts
RETURN collect(a.idx) AS source, collect(e.hashtags) AS tags,
       collect(coalesce(ts.epochSeconds * 1000000 + ts.nanosecond / 1000, $none)) AS us,
       collect({_has(("post_id",), "e")}) AS has, collect(e.post_id) AS post_id, collect(coalesce(e.n, 1)) AS n
"""


def _joined(records: list[list], k: int) -> list:
    """Field ``k`` of every range's record, one list."""
    if len(records) == 1:
        return records[0][k]
    return [v for rec in records for v in rec[k]]


def _ints(values: list, typ: pa.DataType = pa.int64()) -> pa.Array:
    """Integers read with :data:`NONE` for null."""
    a = np.asarray(values, dtype=np.int64)
    return pa.array(a, type=typ, mask=a == NONE)


def _strings_and_lists(
    records: list[list], names: Sequence[str], first: int, has: np.ndarray, types: Sequence[pa.DataType]
) -> dict[str, pa.Array]:
    """The presence-bit columns ``names`` (fields ``first``, ``first + 1`` ... of the records) as Arrow arrays."""
    return {
        name: with_nulls(_joined(records, first + k), (has & (1 << k)) != 0, typ)
        for k, (name, typ) in enumerate(zip(names, types, strict=True))
    }


def read_accounts(map_ranges: MapRanges, n: int, per: int = 50_000) -> pa.Table:
    """Every account by ``idx``: ``n`` rows (``n`` = largest ``idx`` + 1), columns of ``schema.ACCOUNTS``.

    A value of ``idx`` that no account holds (a hole) is a row of nulls.
    """
    recs = map_ranges(READ_ACCOUNTS, [(lo, min(n, lo + per)) for lo in range(0, n, per)])
    idx = np.asarray(_joined(recs, 0), dtype=np.int64)
    has = np.asarray(_joined(recs, 2), dtype=np.int64)
    cols: dict[str, pa.Array] = {"id": pa.array(_joined(recs, 1), pa.string())}
    ntext = len(_ACCOUNT_STRINGS)
    types = [ACCOUNTS.field(c).type for c in _ACCOUNT_STRINGS]
    cols.update(_strings_and_lists(recs, _ACCOUNT_STRINGS, 3, has, types))
    for k, c in enumerate(_ACCOUNT_INTS):
        cols[c] = _ints(_joined(recs, 3 + ntext + k), ACCOUNTS.field(c).type)
    # row i of the table is the account with idx i; a hole points at the null appended after the rows read
    at = np.full(n, idx.size, dtype=np.int64)
    at[idx] = np.arange(idx.size)
    take = pa.array(at)
    out = {}
    for f in ACCOUNTS:
        col = cols.get(f.name, pa.nulls(idx.size, f.type))
        out[f.name] = pa.concat_arrays([col.cast(f.type), pa.nulls(1, f.type)]).take(take)
    return pa.table(out, schema=ACCOUNTS)


def read_posts(map_ranges: MapRanges, ranges: Sequence[tuple[int, int]], schema: pa.Schema) -> pa.Table:
    """Every post with a stored author (columns ``schema``: author, post_id, ts, kind, hashtags, metrics,
    platform), in the order read."""
    recs = map_ranges(READ_POSTS, ranges)
    if not recs or not any(rec[0] for rec in recs):
        return schema.empty_table()
    has = np.asarray(_joined(recs, 2), dtype=np.int64)
    other = _strings_and_lists(recs, _POST_OTHER, 3, has, [schema.field(c).type for c in _POST_OTHER])
    ints = {c: _ints(_joined(recs, 3 + len(_POST_OTHER) + k)) for k, c in enumerate(_POST_INTS)}
    cols = {
        "author": pa.array(_joined(recs, 0), pa.int32()),
        "post_id": pa.array(_joined(recs, 1), pa.string()),
        "ts": ints.pop("us").cast(TIMESTAMP),
        **other,
        **ints,
    }
    return pa.table({f.name: cols[f.name].cast(f.type) for f in schema}, schema=schema)


def read_post_tags(map_ranges: MapRanges, ranges: Sequence[tuple[int, int]]) -> pa.Table:
    """The posts that have hashtags: ``author`` int32, ``post_id``, ``ts``, ``hashtags`` (what hashtag uses need)."""
    recs = [r for r in map_ranges(READ_POST_TAGS, ranges) if r[0]]
    return pa.table(
        {
            "author": pa.array(_joined(recs, 0), pa.int32()),
            "post_id": pa.array(_joined(recs, 1), pa.string()),
            "ts": _ints(_joined(recs, 2)).cast(TIMESTAMP),
            "hashtags": pa.array(_joined(recs, 3), pa.list_(pa.string())),
        }
    )


def read_event_tags(map_ranges: MapRanges, ranges: Sequence[tuple[int, int]]) -> pa.Table:
    """Hashtags of the events no stored post of their source made: ``source`` int32, ``tags``, ``ts``,
    ``post_id``, ``n`` int64 (:data:`READ_EVENT_TAGS`)."""
    recs = [r for r in map_ranges(READ_EVENT_TAGS, ranges) if r[0]]
    has = np.asarray(_joined(recs, 3), dtype=np.int64)
    return pa.table(
        {
            "source": pa.array(_joined(recs, 0), pa.int32()),
            "tags": pa.array(_joined(recs, 1), pa.list_(pa.string())),
            "ts": _ints(_joined(recs, 2)).cast(TIMESTAMP),
            "post_id": with_nulls(_joined(recs, 4), (has & 1) != 0, pa.string()),
            "n": pa.array(_joined(recs, 5), pa.int64()),
        }
    )
