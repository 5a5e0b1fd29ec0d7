"""Readers for SNAP edge lists (``a b [weight]``) and the SNAP Higgs activity log.

Both are whitespace-separated text with ``#`` comment lines.  Lines are split
on runs of ASCII whitespace with one Arrow kernel per block; rows with the wrong number of fields are
reported, the rest become canonical columns for :func:`_convert.convert`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import RowIssue
from ._blocks import decode_text
from ._convert import Piece
from ._jsonl import LineBlocks
from ._report import FileStats


def _split(
    path: str, stats: FileStats, file: str, allowed: tuple[int, ...], expect: str
) -> Iterator[tuple[list[RowIssue], list[pa.Array] | None, np.ndarray, pa.Array]]:
    for issues, values, trimmed, numbers in LineBlocks(path, stats, file, comments=True):
        if len(values) == 0:
            if issues:
                yield issues, None, numbers, values
            continue
        parts = pc.ascii_split_whitespace(trimmed)
        nf = np.asarray(pc.list_value_length(parts).to_numpy(zero_copy_only=False))
        ok = np.isin(nf, allowed)
        if not ok.all():
            for i in np.flatnonzero(~ok).tolist():
                issues.append(
                    RowIssue(
                        file,
                        int(numbers[i]),
                        None,
                        f"wrong column count: expected {expect}, found {int(nf[i])}",
                        decode_text(values[i].as_py()),
                    )
                )
            keep = pa.array(ok)
            parts, values, numbers, nf = parts.filter(keep), values.filter(keep), numbers[ok], nf[ok]
        cols = [
            pc.list_element(parts, k) if (nf > k).all() else _element_or_null(parts, k) for k in range(max(allowed))
        ]
        yield issues, cols, numbers, values


def _element_or_null(parts: pa.Array, k: int) -> pa.Array:
    """Field ``k`` of every row, null where a row has fewer fields."""
    return pc.list_element(pc.list_slice(parts, k, k + 1, return_fixed_size_list=True), 0)


def _text_fn(values: pa.Array):
    return lambda pos, _v=values: [decode_text(b) for b in _v.take(pa.array(pos)).to_pylist()]


def read_snap(path: str, table: str, stats: FileStats, file: str, kind: str | None) -> Iterator:
    """``a b [weight]``: follows (a follows b) or interactions of ``kind`` with weight."""
    for issues, cols, numbers, values in _split(path, stats, file, (2, 3), "2 or 3 (a b [weight])"):
        if issues:
            yield issues
        if cols is None or len(numbers) == 0:
            continue
        if table == "follows":
            c = {"follower": cols[0], "followee": cols[1], "weight": cols[2]}
        else:
            c = {"source": cols[0], "target": cols[1], "weight": cols[2]}
            if kind is not None:
                c["kind"] = pa.array([kind] * len(numbers), pa.string())
        yield Piece(table, c, numbers, _text_fn(values))


def read_higgs(path: str, stats: FileStats, file: str) -> Iterator:
    """``a b unix_time RT|MT|RE`` -> repost / mention / reply interactions of a on b."""
    for issues, cols, numbers, values in _split(path, stats, file, (4,), "4 (a b unix_time RT|MT|RE)"):
        if issues:
            yield issues
        if cols is None or len(numbers) == 0:
            continue
        c = {"source": cols[0], "target": cols[1], "ts": cols[2], "kind": cols[3]}
        yield Piece("interactions", c, numbers, _text_fn(values))
