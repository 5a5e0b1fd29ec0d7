"""Analysis runs in the embedded (DuckDB) store.

Each run table is kept as ``result_<name>`` (one row per run row, plus ``run_id``; a column a later
run adds is added to the table) and the run's record in ``runs`` (``tables`` lists the tables the
run wrote).  Table names come from the allowlist :data:`graph_store.base.RESULT_TABLES`; column
names are checked to be plain identifiers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb
import pyarrow as pa

from .base import RESULT_TABLES, RunRecord, pick_run, wanted_tables
from .duckdb_sql import arrow as _arrow
from .duckdb_sql import unregister as _unregister
from .errors import StoreError


def write_run(con: duckdb.DuckDBPyConnection, run: RunRecord, tables: dict[str, pa.Table]) -> None:
    """Store a run's tables as ``result_<name>`` rows and its record in ``runs``, in one transaction."""
    unknown = set(tables) - set(RESULT_TABLES)
    if unknown:
        raise StoreError(f"unknown result tables {sorted(unknown)}; allowed: {RESULT_TABLES}")
    con.execute("BEGIN TRANSACTION")
    try:
        for name, table in tables.items():
            target = f"result_{name}"  # name is from the RESULT_TABLES allowlist
            con.register("_res", table)
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [target]
            ).fetchall()[0][0]
            if not exists:
                con.execute(f"CREATE TABLE {target} AS SELECT ''::VARCHAR AS run_id, * FROM _res LIMIT 0")
            have = dict(
                con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [target]
                ).fetchall()
            )
            described = con.execute("DESCRIBE SELECT * FROM _res").fetchall()
            for col, ctype, *_ in described:
                if col not in have:
                    con.execute(f'ALTER TABLE {target} ADD COLUMN "{_ident(col)}" {ctype}')
                elif have[col] != ctype:
                    _widen_column(con, target, col, have[col], ctype)
            cols = ", ".join(f'"{_ident(c[0])}"' for c in described)
            con.execute(f"INSERT INTO {target} (run_id, {cols}) SELECT ?, {cols} FROM _res", [run.run_id])
            _unregister(con, "_res")
        con.execute(
            "INSERT INTO runs (run_id, created_at, params, counts, tables) VALUES (?, ?, ?, ?, ?)",
            [
                run.run_id,
                run.created_at,
                json.dumps(run.params),
                json.dumps(run.counts),
                json.dumps(sorted(tables)),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def list_runs(con: duckdb.DuckDBPyConnection) -> list[RunRecord]:
    """Runs, newest first."""
    rows = con.execute(
        "SELECT run_id, created_at, params, counts FROM runs ORDER BY created_at DESC, run_id DESC"
    ).fetchall()
    return [RunRecord(r[0], r[1], json.loads(r[2] or "{}"), json.loads(r[3] or "{}")) for r in rows]


def read_run(
    con: duckdb.DuckDBPyConnection, location: str, run_id: str | None = None, *, tables: Iterable[str] | None = None
) -> tuple[RunRecord, dict[str, pa.Table]]:
    """A run's record and the tables asked for (see :meth:`graph_store.base.Store.read_run`)."""
    names = wanted_tables(tables)
    run = pick_run(list_runs(con), run_id, location)
    written = _tables_of(con, run.run_id)
    out = {}
    for name in names:
        if written is not None and name not in written:
            continue
        target = f"result_{name}"
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [target]
        ).fetchall()[0][0]  # fetchall: finish the result before con.sql
        if exists:
            t = _arrow(con, f"SELECT * EXCLUDE (run_id) FROM {target} WHERE run_id = ?", [run.run_id])
            out[name] = t
    return run, out


def _tables_of(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str] | None:
    """The tables run ``run_id`` wrote, or None when the store does not record them (an older store)."""
    has_column = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'runs' AND column_name = 'tables'"
    ).fetchall()[0][0]
    if not has_column:
        return None
    row = con.execute("SELECT tables FROM runs WHERE run_id = ?", [run_id]).fetchall()
    return set(json.loads(row[0][0])) if row and row[0][0] else None


def _widen_column(con: duckdb.DuckDBPyConnection, target: str, col: str, old: str, new: str) -> None:
    """Give ``target.col`` the type this version writes, where the earlier runs' values convert.

    A store written by an earlier version may hold a run table column with another type (an
    integer widened, a count that became a timestamp).  A conversion DuckDB can make keeps every
    earlier run readable; one it cannot make is refused with the table, the column and both types,
    and the caller's transaction leaves the store as it was.
    """
    try:
        con.execute(f'ALTER TABLE {target} ALTER COLUMN "{_ident(col)}" SET DATA TYPE {new}')
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot store this run: table {target!r} column {col!r} holds {old} values written by an "
            f"earlier nichegraph version, and this version writes {new} ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}); analyse into a new store, or drop {target!r} to start its "
            f"history afresh"
        ) from None


def _ident(name: str) -> str:
    """A result column name, checked to be a plain identifier."""
    if not name.replace("_", "").isalnum():
        raise StoreError(f"result column name {name!r} must be letters, digits and underscores")
    return name
