"""Staging a load in DuckDB, shared by both stores: the input tables as read, then aggregated.

Both stores read every batch of a load into ``stage_*`` tables before writing anything (a bad
file changes nothing), and aggregate them the same way, so they agree on every count:

* accounts: the last non-null value of each field per id wins (``seq`` is the input order);
* follows: one per pair, the earliest ``since``; the input rows per pair count as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from .duckdb_sql import unregister
from .schema import ACCOUNT_FIELDS, TableBatch, TableName

_STAGE_COLUMNS: dict[str, str] = {
    "accounts": """seq BIGINT, id VARCHAR, handle VARCHAR, platform VARCHAR,
        followers_count BIGINT, following_count BIGINT, affiliation VARCHAR""",
    "follows": "follower VARCHAR, followee VARCHAR, since TIMESTAMP",
    "interactions": """source VARCHAR, target VARCHAR, kind VARCHAR,
        ts TIMESTAMP, post_id VARCHAR, hashtags VARCHAR[], weight DOUBLE""",
    "posts": """seq BIGINT, post_id VARCHAR, author VARCHAR, ts TIMESTAMP, hashtags VARCHAR[], kind VARCHAR,
        likes BIGINT, replies BIGINT, reposts BIGINT, quotes BIGINT, views BIGINT, platform VARCHAR""",
}


def create_stage_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[TableName], *, temp: bool) -> None:
    """Create ``stage_<table>`` for each of ``tables`` (TEMP tables inside a store's own database)."""
    for table in tables:
        con.execute(f"CREATE {'TEMP ' if temp else ''}TABLE stage_{table} ({_STAGE_COLUMNS[table]})")


def stage_batch(con: duckdb.DuckDBPyConnection, tb: TableBatch, seq: int) -> int:
    """Append one batch to its stage table; account and post rows get their input position ``seq``.

    Returns the ``seq`` of the next account or post row.
    """
    b = tb.batch
    if tb.table in ("accounts", "posts"):
        b = pa.RecordBatch.from_arrays(
            [pa.array(np.arange(seq, seq + b.num_rows, dtype=np.int64)), *b.columns], names=["seq", *b.schema.names]
        )
        seq += tb.batch.num_rows
    con.register("_batch", b)
    try:
        con.execute(f"INSERT INTO stage_{tb.table} SELECT * FROM _batch")  # table from the TableBatch allowlist
    finally:
        # after a failed statement DuckDB refuses every other one until the rollback: that refusal
        # must not hide the original error
        unregister(con, "_batch")
    return seq


def last_account_fields_sql() -> str:
    """SQL over ``stage_accounts``: one row per id with the last non-null value of every field."""
    return last_fields_sql("stage_accounts", "id", ACCOUNT_FIELDS)


def last_fields_sql(table: str, key: str, fields: Sequence[str]) -> str:
    """SQL over a stage table (with ``seq``): one row per ``key`` with the last non-null value of every field.

    ``table``, ``key`` and ``fields`` come from the fixed schemas, never from input.
    """
    last = ", ".join(f"arg_max({c}, seq) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in fields)
    return f"SELECT {key}, {last} FROM {table} GROUP BY {key}"


def follow_pairs_sql(
    ids: str, *, since: str = "min(f.since)", names: tuple[str, str, str, str] = ("src", "dst", "since", "k")
) -> str:
    """SQL over ``stage_follows``: one row per pair (endpoints' ``idx`` from the table ``ids`` (id, idx)),
    the earliest ``since`` (an aggregate of ``f.since``) and the input rows of the pair."""
    src, dst, first, rows = names
    return f"""SELECT a.idx AS {src}, b.idx AS {dst}, {since} AS {first}, count(*) AS {rows}
               FROM stage_follows f JOIN {ids} a ON a.id = f.follower JOIN {ids} b ON b.id = f.followee
               GROUP BY ALL"""


def count_follow_pairs(
    one: Callable[[str], Any], table: str, *, src: str = "src", dst: str = "dst", rows: str = "k"
) -> tuple[int, int, int]:
    """``(rows, duplicates, self_loops)`` of a table made by :func:`follow_pairs_sql`."""
    n = int(one(f"SELECT coalesce(sum({rows}), 0) FROM {table}"))
    distinct = int(one(f"SELECT count(*) FROM {table}"))
    loops = int(one(f"SELECT coalesce(sum({rows}), 0) FROM {table} WHERE {src} = {dst}"))
    return n, n - distinct, loops
