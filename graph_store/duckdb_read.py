"""Bulk reads of the embedded (DuckDB) store with bounded memory.

An analysis reads every follow and interaction once.  Two things would otherwise make that read
cost several times the arrays it returns:

* a whole query result held as an Arrow table and then converted (copied) column by column into
  the numpy arrays the engine wants; here each result streams as Arrow record batches that are
  copied straight into preallocated arrays of their final dtype (:func:`fill_arrays`), so a
  column exists once, plus one batch;
* the table blocks DuckDB caches in its buffer pool while it scans (the rows are copied out, so
  they would be held twice); here every bulk read runs under a small memory limit
  (:func:`bounded_memory`), which makes DuckDB evict those blocks as it goes, and the cached
  blocks are dropped after it.  The run write runs under the same limit (its new blocks go to the
  file instead of staying cached).

All SQL here is fixed text; no value reaches it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .base import EdgeArrays
from .errors import StoreError
from .schema import INTERACTION_KINDS

#: DuckDB's memory limit while a bulk read runs.  Large enough that the reads' group-bys and sorts
#: run in memory on million-account worlds (a larger one spills to DuckDB's temporary folder and
#: still finishes), small enough that the scanned table blocks are evicted instead of cached.
READ_MEMORY_LIMIT = "256MB"

#: Rows per Arrow record batch of a streamed read.
BATCH_ROWS = 1 << 20

T = TypeVar("T")

_FOLLOWS_SQL = "SELECT src, dst, coalesce(epoch(since)::BIGINT, -1) AS ts FROM follows"
_INTERACTIONS_SQL = """SELECT src, dst, enum_code(kind) AS kind, coalesce(epoch(ts)::BIGINT, -1) AS ts,
                              weight * n AS w, n FROM interactions"""


@contextlib.contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection, limit: str = READ_MEMORY_LIMIT) -> Iterator[None]:
    """Run the body with DuckDB's memory limit lowered to ``limit``, then drop the cached blocks.

    The store never sets the limit, so it goes back to DuckDB's default (``RESET``; the setting's
    text is rounded and would not restore it exactly).
    """
    con.execute(f"SET memory_limit = '{limit}'")  # limit is a module constant or a caller's constant
    try:
        yield
    finally:
        con.execute("RESET memory_limit")
        drop_cached_blocks(con)


def bounded(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """``work()`` (a bulk read, or a write made in one transaction) under :func:`bounded_memory`; done again
    without the bound where DuckDB runs out of memory under it (an operator that cannot spill, a limit
    DuckDB refuses), so the bound never makes it fail."""
    try:
        with bounded_memory(con):
            return work()
    except duckdb.OutOfMemoryException:
        result = work()
        drop_cached_blocks(con)
        return result


def drop_cached_blocks(con: duckdb.DuckDBPyConnection) -> None:
    """Evict the table blocks DuckDB keeps cached after a bulk read (the rows were copied out: an
    analysis would otherwise hold them twice), by lowering its memory limit for a moment.

    Best effort: where DuckDB cannot evict enough (blocks it must keep, such as an in-memory
    database's), it refuses the lower limit and nothing changes.
    """
    try:
        con.execute("SET memory_limit = '1MB'")
    except duckdb.OutOfMemoryException:
        pass
    finally:
        con.execute("RESET memory_limit")


def fill_arrays(
    con: duckdb.DuckDBPyConnection, sql: str, n_rows: int, dtypes: dict[str, type | np.dtype]
) -> dict[str, np.ndarray]:
    """The columns ``dtypes`` names of ``sql``'s rows, streamed into preallocated numpy arrays.

    Parameters
    ----------
    sql : str
        A query with exactly ``n_rows`` rows and no NULL in the columns read.
    n_rows : int
        The row count (from a ``count(*)`` of the same table, in the same snapshot).
    dtypes : dict
        Column name -> numpy dtype of its array; each batch's column is converted into it.

    Returns
    -------
    dict of ndarray
        One array of shape (n_rows,) per column, in the order of the query's rows.
    """
    out = {name: np.empty(n_rows, dtype=dt) for name, dt in dtypes.items()}
    pos = 0
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        k = batch.num_rows
        if pos + k > n_rows:
            raise StoreError(f"the store changed while it was read: more than {n_rows} rows from {sql.split()[-1]}")
        for name, arr in out.items():
            col = batch.column(name)
            if col.null_count:
                raise StoreError(f"column {name} of {sql.split()[-1]} holds NULL where the read expects none")
            arr[pos : pos + k] = col.to_numpy(zero_copy_only=False)
        pos += k
    if pos != n_rows:
        raise StoreError(f"the store changed while it was read: {pos} rows from {sql.split()[-1]}, not {n_rows}")
    return out


def read_edges(con: duckdb.DuckDBPyConnection) -> EdgeArrays:
    """Every account, follow and interaction as :class:`graph_store.base.EdgeArrays`, each column read
    once into its final dtype (follows and interactions in table order, accounts by ``idx``)."""

    def read() -> EdgeArrays:
        n_fol, n_int = con.execute(
            "SELECT (SELECT count(*) FROM follows), (SELECT count(*) FROM interactions)"
        ).fetchall()[0]
        acc = con.sql("SELECT id, followers_count FROM accounts ORDER BY idx").to_arrow_table()
        node_ids = np.asarray(acc.column("id").to_numpy(zero_copy_only=False), dtype=object)
        followers = acc.column("followers_count").cast(pa.float64()).fill_null(float("nan")).to_numpy()
        del acc
        fol = fill_arrays(con, _FOLLOWS_SQL, n_fol, {"src": np.int32, "dst": np.int32, "ts": np.int64})
        itr = fill_arrays(
            con,
            _INTERACTIONS_SQL,
            n_int,
            {"src": np.int32, "dst": np.int32, "kind": np.int8, "ts": np.int64, "w": np.float64, "n": np.int32},
        )
        remap = kind_codes(con)
        kind = itr["kind"]
        if kind.size:
            np.take(remap, kind, out=kind)  # the store's enum positions -> INTERACTION_KINDS codes
        return EdgeArrays(
            node_ids=node_ids,
            followers_count=np.asarray(followers, dtype=np.float64),
            follow_src=fol["src"],
            follow_dst=fol["dst"],
            interaction_src=itr["src"],
            interaction_dst=itr["dst"],
            interaction_kind=kind,
            interaction_ts=itr["ts"],
            interaction_weight=itr["w"],
            follow_ts=fol["ts"],
            interaction_n=itr["n"],
        )

    return bounded(con, read)


def kind_codes(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """int8 (k,): the :data:`graph_store.schema.INTERACTION_KINDS` code of each value of the store's
    ``interaction_kind`` enum, by enum position (a store made by another version may order them otherwise)."""
    values = con.execute("SELECT enum_range(NULL::interaction_kind)").fetchall()[0][0]
    unknown = [v for v in values if v not in INTERACTION_KINDS]
    if unknown:
        raise StoreError(f"the store's interaction kinds {unknown} are not known to this version")
    return np.array([INTERACTION_KINDS.index(v) for v in values], dtype=np.int8)


def sum_equal_neighbours(table: pa.Table, keys: Sequence[str], total: str) -> pa.Table:
    """One row per run of neighbouring rows equal in every column of ``keys`` (NULL equal to NULL): the run's
    first row, with column ``total`` (int64) summed over the run.

    ``table`` sorted by ``keys`` gives what ``GROUP BY keys`` with ``sum(total)`` gives, in that order.
    Returned as it is when no two neighbours are equal.
    """
    n = table.num_rows
    if n < 2:
        return table
    same = np.ones(n - 1, dtype=bool)
    for key in keys:
        col = table.column(key)
        a, b = col.slice(0, n - 1), col.slice(1)
        equal = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
        same &= np.asarray(equal.to_numpy(zero_copy_only=False), dtype=bool)
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    if starts.size == n:
        return table
    sums = np.add.reduceat(np.asarray(table.column(total).to_numpy(), dtype=np.int64), starts)
    out = table.take(pa.array(starts))
    i = out.schema.get_field_index(total)
    return out.set_column(i, out.schema.field(i), pa.array(sums, pa.int64()))
