"""Which result properties a new run must write on ``Account`` nodes: the cells that change.

Every account that holds results says which run wrote them (``a.run_id``, set in the same
statement as the values, so a batch's accounts hold exactly that run's values of its columns).
For an account whose run is a stored run with an ``accounts`` table, the values on the node are
that table's row; an account with no ``run_id`` holds no results.  A new run then sends, per
account, only the columns whose value differs from what the node holds (a null where a value is
stored removes it); an account whose run is unknown (an interrupted write, a table that is gone)
gets every column, nulls included.  Sending less is most of the write's cost: every property
set is server work, and a run over the same data changes few values.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .neo4j_convert import neo4j_column

#: ``state`` of an account: it holds no results / its run is unknown (``>= 0``: the index of its run's table).
NO_RESULTS = -1
UNKNOWN = -2


def _positions(idx: np.ndarray, table: pa.Table) -> np.ndarray:
    """Row of ``table`` (by its ``idx`` column) for each value of ``idx``; -1 where absent."""
    old = np.asarray(table.column("idx").to_numpy(zero_copy_only=False), dtype=np.int64)
    if old.size == 0:
        return np.full(idx.size, -1, dtype=np.int64)
    lookup = np.full(int(max(old.max(), idx.max(initial=0))) + 1, -1, dtype=np.int64)
    lookup[old] = np.arange(old.size)
    out = np.full(idx.size, -1, dtype=np.int64)
    ok = (idx >= 0) & (idx < lookup.size)
    out[ok] = lookup[idx[ok]]
    return out


def _same(new: pa.Array, old: pa.Array) -> np.ndarray:
    """Per row: both null, or both non-null and equal (NaN equals NaN: the stored value is NaN)."""
    nv = ~np.asarray(new.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    ov = ~np.asarray(old.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    t = new.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        zero = pa.scalar(False if pa.types.is_boolean(t) else 0, type=t)
        a = new.fill_null(zero).to_numpy(zero_copy_only=False)
        b = old.fill_null(zero).to_numpy(zero_copy_only=False)
        eq = a == b
        if pa.types.is_floating(t):
            eq |= np.isnan(a) & np.isnan(b)
    else:  # strings, lists and the rest: as the values Neo4j stores
        eq = np.fromiter((x == y for x, y in zip(neo4j_column(new), neo4j_column(old))), dtype=bool, count=len(new))
    return np.where(nv & ov, eq, nv == ov)


def changed_rows(table: pa.Table, columns: list[str], state: np.ndarray, old: list[pa.Table]) -> list[dict]:
    """For each row of ``table``, the map ``{column: new value}`` of the ``columns`` it must write.

    Parameters
    ----------
    table : pa.Table
        The new run's ``accounts`` table (``idx`` and the result columns), n rows.
    columns : list of str
        The result columns written as properties.
    state : np.ndarray, shape (n,), int
        Per row: :data:`NO_RESULTS`, :data:`UNKNOWN`, or the index in ``old`` of the table of the run
        whose values the account holds.
    old : list of pa.Table
        Stored ``accounts`` tables (with ``idx``).

    Returns
    -------
    list of dict
        One map per row; a ``None`` value removes the property.  Rows with nothing to change get ``{}``.
    """
    n = table.num_rows
    rows: list[dict] = [{} for _ in range(n)]
    idx = np.asarray(table.column("idx").to_numpy(zero_copy_only=False), dtype=np.int64)
    groups = [(k, np.flatnonzero(state == k)) for k in range(len(old))]
    positions = [_positions(idx[rows_k], old[k]) for k, rows_k in groups]
    for c in columns:
        new = table.column(c).combine_chunks()
        write = state == UNKNOWN
        write |= (state == NO_RESULTS) & ~np.asarray(new.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        for (k, rows_k), pos in zip(groups, positions):
            if not rows_k.size:
                continue
            prev = old[k]
            if c not in prev.column_names or prev.schema.field(c).type != new.type:
                write[rows_k] = True
                continue
            found = pos >= 0
            write[rows_k[~found]] = True
            if found.any():
                at = rows_k[found]
                same = _same(new.take(pa.array(at)), prev.column(c).combine_chunks().take(pa.array(pos[found])))
                write[at[~same]] = True
        hit = np.flatnonzero(write)
        if hit.size:
            values = neo4j_column(new.take(pa.array(hit)))
            for i, v in zip(hit.tolist(), values):
                rows[i][c] = v
    return rows
