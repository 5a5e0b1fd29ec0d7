"""Small DuckDB helpers shared by the embedded store's modules."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa


def quietly(fn: Callable, *args) -> None:
    """Clean-up after a statement that may have failed: DuckDB then refuses every statement until the
    rollback, and that refusal must not hide the original error.

    A Ctrl-C that DuckDB notices during the clean-up is not a refusal: it leaves as ``KeyboardInterrupt``.
    """
    try:
        fn(*args)
    except duckdb.InterruptException as exc:
        raise KeyboardInterrupt from exc
    except duckdb.Error:
        pass


def unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    quietly(con.unregister, name)


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pa.Table:
    """Run ``sql`` and return its rows as one Arrow table, without a DB-API copy."""
    return con.sql(sql, params=params).to_arrow_table()


def register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Register an Arrow table as view ``name``, first finishing the last result (DuckDB 2.0 refuses otherwise)."""
    con.execute("SELECT 1").fetchall()
    con.register(name, table)
