"""Arrow and numpy values to and from Neo4j: the conversions the Neo4j store and its loader share.

Neo4j lists hold no nulls and ``collect`` drops them, so nullable values travel with a
marker (:data:`NONE` for integers, a presence bit mask for strings and lists) and are
rebuilt as Arrow nulls here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import duckdb
import numpy as np
import pyarrow as pa

#: Bytes of Arrow IPC per stored run-table chunk (Neo4j keeps a property value in one record).
RUN_CHUNK_BYTES = 4 << 20

#: Stands for "no value" in integer columns read back with ``collect`` (which drops nulls).
NONE = -(2**63)

#: SQL: an interaction event's identity among the events of its pair, from the columns ``kind``,
#: ``us`` (epoch microseconds), ``post_id``, ``hashtags`` and ``w`` (weight, default 1.0): 60 bits
#: of the SHA-256 of their text.  Computed for the input and for the events read back from the
#: server (nothing of it is stored), so both sides must give the columns the same values.
EVENT_KEY = """('0x' || left(sha256(concat_ws('|', kind, coalesce(us::VARCHAR, 'null'),
                                        coalesce(to_json(post_id)::VARCHAR, 'null'),
                                        coalesce(to_json(hashtags)::VARCHAR, 'null'), printf('%.17g', w))),
                 15))::BIGINT"""


def with_nulls(values: list, present: np.ndarray, typ: pa.DataType) -> pa.Array:
    """The ``values`` of the rows where ``present`` is true, with nulls in the other rows."""
    if len(values) != int(present.sum()):
        raise pa.ArrowInvalid(f"{len(values)} values for {int(present.sum())} rows that have one")
    take = np.full(present.size, len(values), dtype=np.int64)
    take[present] = np.arange(len(values))
    return pa.array([*values, None], typ).take(pa.array(take))


def stored_follows(r: dict) -> dict[str, pa.Array]:
    """Columns of :data:`cypher.EXISTING_FOLLOWS` for the DuckDB table ``ex_raw``."""
    return {"a": pa.array(r["a"], pa.string()), "b": pa.array(r["b"], pa.string()), "us": pa.array(r["us"], pa.int64())}


def stored_events(r: dict) -> dict[str, pa.Array]:
    """Columns of :data:`cypher.EXISTING_INTERACTIONS` for ``ex_raw`` (the fields :data:`EVENT_KEY` hashes)."""
    us = np.asarray(r["us"], dtype=np.int64)
    has = np.asarray(r["has"], dtype=np.int64)
    return {
        "a": pa.array(r["a"], pa.string()),
        "b": pa.array(r["b"], pa.string()),
        "kind": pa.array(r["kind"], pa.string()),
        "us": pa.array(us, mask=us == NONE),
        "post_id": with_nulls(r["post_id"], (has & 1) != 0, pa.string()),
        "hashtags": with_nulls(r["hashtags"], (has & 2) != 0, pa.list_(pa.string())),
        "w": pa.array(r["w"], pa.float64()),
        "n": pa.array(r["n"], pa.int64()),
    }


#: The stored relationships read back before a load (:meth:`graph_store.neo4j_loader.Loader._plan_edges`):
#: the DuckDB columns of ``ex_raw``, the conversion of one record of the read, and the SQL of the
#: identity columns (those the load's table is joined on).
STORED: dict[str, tuple[str, Callable[[dict], dict[str, pa.Array]], str]] = {
    "fol": ("a VARCHAR, b VARCHAR, us BIGINT", stored_follows, "a, b"),
    "itr": (
        "a VARCHAR, b VARCHAR, kind VARCHAR, us BIGINT, post_id VARCHAR, hashtags VARCHAR[], w DOUBLE, n BIGINT",
        stored_events,
        f"a, b, {EVENT_KEY} AS k",
    ),
}


def epoch_seconds(us: np.ndarray) -> np.ndarray:
    """Epoch microseconds as whole epoch seconds, rounded half to even like DuckDB's
    ``epoch(ts)::BIGINT`` (the embedded store's ``interaction_ts``); :data:`NONE` becomes -1."""
    out = np.rint(us / 1e6).astype(np.int64)
    out[us == NONE] = -1
    return out


def split_time(col: str, s: str, ns: str) -> str:
    """SQL: epoch microseconds ``col`` as whole epoch seconds ``s`` (floor) and nanoseconds ``ns``."""
    frac = f"((({col} % 1000000) + 1000000) % 1000000)"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL ELSE ({col} - {frac}) // 1000000 END AS {s}, "
        f"CASE WHEN {col} IS NULL THEN NULL ELSE {frac} * 1000 END AS {ns}"
    )


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, pa.Array]) -> None:
    """Append Arrow columns (named like the table's) to a DuckDB table."""
    con.register("_rows", pa.table(columns))
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def ipc_chunks(table: pa.Table) -> Iterator[bytes]:
    """The table as zstd-compressed Arrow IPC streams of at most about 4 MB each."""
    rows_per = max(1, int(RUN_CHUNK_BYTES * table.num_rows / max(table.nbytes, 1))) if table.num_rows else 1
    starts = range(0, table.num_rows, rows_per) if table.num_rows else [0]
    opts = pa.ipc.IpcWriteOptions(compression="zstd")
    for lo in starts:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema, options=opts) as w:
            w.write_table(table.slice(lo, rows_per))
        yield sink.getvalue().to_pybytes()


def neo4j_column(column: pa.ChunkedArray | pa.Array) -> list:
    """A result column as Neo4j property values: Python scalars, lists without nulls (Neo4j lists hold
    none), NaN kept; a null value stays None (it removes the property)."""
    values = column.to_pylist()
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        return [None if v is None else [x for x in v if x is not None] for v in values]
    return values
