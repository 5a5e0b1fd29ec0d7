"""Clean-up after a failed DuckDB statement never swallows a Ctrl-C.

A load's clean-up (unregistering a staged Arrow batch) ignores DuckDB's refusals after a failed
statement, but DuckDB also reports a Ctrl-C it notices as an ``InterruptException`` (a ``duckdb.Error``):
that one must leave as ``KeyboardInterrupt``, or the load would go on and exit 0.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from nichegraph.graph_store.duckdb_sql import quietly, unregister


def _raise(exc: BaseException) -> None:
    raise exc


def test_a_refusal_during_clean_up_is_ignored():
    quietly(_raise, duckdb.TransactionException("Current transaction is aborted"))


def test_an_interrupt_during_clean_up_leaves_as_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt):
        quietly(_raise, duckdb.InterruptException("Interrupted!"))


def test_other_errors_are_not_duckdb_refusals_and_propagate():
    with pytest.raises(ValueError):
        quietly(_raise, ValueError("not DuckDB's"))


def test_unregister_after_a_failed_statement_keeps_the_original_error_visible():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    con.execute("BEGIN")
    con.register("_batch", pa.table({"x": pa.array(["not a number"])}))
    with pytest.raises(duckdb.ConversionException):
        try:
            con.execute("INSERT INTO t SELECT * FROM _batch")
        finally:
            unregister(con, "_batch")
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
