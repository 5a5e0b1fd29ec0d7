"""Reader for canonical tables stored as Parquet.

Parquet carries types, so the checks differ from text: columns must hold scalars (hashtags may
be a list of text), and text columns are checked for invalid UTF-8, which Parquet writers do not
guarantee.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import RowIssue
from ._blocks import decode_text, utf8_error
from ._columns import piece as _piece
from ._columns import refuse as _refuse
from ._columns import resolve_columns as _resolve_columns
from ._convert import Piece
from ._report import FileStats
from .mapping import TableMapping

Output = Iterator[Piece | list[RowIssue]]


def read_parquet(
    path: str, table: str, tm: TableMapping, stats: FileStats, file: str, batch_size: int = 1 << 18
) -> Output:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _refuse(file, None, None, f"not a readable Parquet file: {exc}") from None
    header = pf.schema_arrow.names
    cols = _resolve_columns(table, tm, header, file, None, stats)
    needed = sorted(set(cols.values()) | {c for c, _, _ in tm.where})
    _check_parquet_types(pf.schema_arrow, cols, file)
    row = 1
    for batch in pf.iter_batches(batch_size=batch_size, columns=needed):
        n = batch.num_rows
        lines = np.arange(row, row + n, dtype=np.int64)
        row += n
        stats.rows += n
        stats.bytes_done = int(pf.metadata.num_rows and (row - 1) / pf.metadata.num_rows * os.path.getsize(path))
        batch, lines, bad = _drop_invalid_utf8(batch, lines, cols, file)
        if bad:
            yield bad
        text = lambda pos, _b=batch: [
            json.dumps(r, default=str, ensure_ascii=False) for r in _b.take(pa.array(pos)).to_pylist()
        ]
        p = _piece(table, tm, cols, batch, lines, text, stats)
        if p is not None:
            yield p


def _is_scalar_type(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_scalar_type(t.value_type)
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_date(t)
        or pa.types.is_decimal(t)
        or pa.types.is_null(t)
    )


def _check_parquet_types(schema: pa.Schema, cols: dict[str, str], file: str) -> None:
    """Refuse columns whose Parquet type cannot hold the field (nested ids, binary text ...)."""
    for fld, col in cols.items():
        t = schema.field(col).type
        ok = _is_scalar_type(t) and not (pa.types.is_binary(t))
        if fld == "hashtags" and (pa.types.is_list(t) or pa.types.is_large_list(t)):
            ok = _is_scalar_type(t.value_type)
        if not ok:
            raise _refuse(
                file,
                None,
                fld,
                f"column {col!r} holds {t} values; {fld} must be text, a number or a "
                "timestamp" + (" (or a list of text)" if fld == "hashtags" else ""),
            )


def _drop_invalid_utf8(
    batch: pa.RecordBatch, lines: np.ndarray, cols: dict[str, str], file: str
) -> tuple[pa.RecordBatch, np.ndarray, list[RowIssue]]:
    """Rows whose text columns hold invalid UTF-8 (Parquet does not check it) become issues."""
    bad = np.zeros(batch.num_rows, dtype=bool)
    issues: list[RowIssue] = []
    for fld, col in cols.items():
        arr = batch.column(col)
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            continue
        try:
            arr.validate(full=True)
        except pa.ArrowInvalid:
            for i, raw in enumerate(arr.cast(pa.large_binary()).to_pylist()):  # error path only
                reason = raw is not None and utf8_error(raw)
                if reason:
                    bad[i] = True
                    issues.append(
                        RowIssue(
                            file, int(lines[i]), fld, reason.replace("of the line", "of the value"), decode_text(raw)
                        )
                    )
    if not issues:
        return batch, lines, issues
    return batch.filter(pa.array(~bad)), lines[~bad], issues
