"""Per-row problem collection and the text helpers every column converter shares.

:class:`Checks` keeps, for one :class:`~graph_store.ingest._convert.Piece`, which rows are bad and
why (the first problem of a row is the one reported); the helpers turn raw columns into trimmed
text and show values in messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import RowIssue

if TYPE_CHECKING:
    from ._convert import Piece


class Checks:
    """Collects per-row problems; the first problem of a row is the one reported."""

    def __init__(self, piece: Piece, file: str):
        self.piece = piece
        self.file = file
        self.bad = np.zeros(piece.n, dtype=bool)
        self.found: list[tuple[np.ndarray, str, list[str]]] = []

    def add(self, mask, fld: str, reason: Callable[[np.ndarray], list[str]] | str) -> None:
        m = _np_mask(mask, self.piece.n) & ~self.bad
        if not m.any():
            return
        pos = np.flatnonzero(m)
        reasons = [reason] * pos.size if isinstance(reason, str) else reason(pos)
        self.found.append((pos, self.piece.names.get(fld, fld), reasons))
        self.bad |= m

    def issues(self) -> list[RowIssue]:
        if not self.found:
            return []
        allpos = np.concatenate([p for p, _, _ in self.found])
        texts = dict(zip(allpos.tolist(), self.piece.text(allpos)))
        lines = self.piece.line_numbers()
        out = [
            RowIssue(self.file, int(lines[p]), fld, r, texts[p])
            for pos, fld, reasons in self.found
            for p, r in zip(pos.tolist(), reasons)
        ]
        out.sort(key=lambda i: -1 if i.line is None else i.line)
        return out


def _np_mask(mask, n: int) -> np.ndarray:
    if isinstance(mask, np.ndarray):
        return mask
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return np.asarray(mask.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _values(arr: pa.Array, pos: np.ndarray) -> list:
    return arr.take(pa.array(pos)).to_pylist()


def _short(v, limit: int = 60) -> str:
    s = repr(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _text(arr: pa.Array) -> pa.Array:
    """Any raw column as strings, ASCII whitespace trimmed, empty -> null."""
    if (
        pa.types.is_binary(arr.type)
        or pa.types.is_large_binary(arr.type)
        or pa.types.is_large_string(arr.type)
        or pa.types.is_string_view(arr.type)
    ):
        arr = arr.cast(pa.string())
    elif pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type).cast(pa.string())
    elif not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    arr = pc.ascii_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _bytes_of(s: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """(offsets rebased to 0, shape (m+1,); value bytes, uint8) of the valid values of a string array.

    A zero-copy view of the valid values (their nulls dropped first); None if ``s`` is not plain ``string``.
    """
    if not pa.types.is_string(s.type):
        return None
    v = s.drop_null() if s.null_count else s
    m = len(v)
    bufs = v.buffers()
    if m == 0 or bufs[2] is None:
        return np.zeros(1, np.int64), np.zeros(0, np.uint8)
    off = np.frombuffer(bufs[1], dtype=np.int32)[v.offset : v.offset + m + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8)[off[0] : off[-1]]
    return off - off[0], data


_Checks = Checks
