"""Turn raw columns into canonical, validated Arrow batches, finding every bad row.

Readers hand over a :class:`Piece`: the canonical field names mapped to raw
columns (text, or already typed when the file format has types), the physical
line number of every row and a way to show a row's raw text.  :func:`convert`
checks and converts each field with Arrow compute kernels over the whole
piece; only the rows found bad are visited one by one, to write their
:class:`~graph_store.errors.RowIssue`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import RowIssue
from ..schema import (
    ID_COLUMNS,
    INTERACTION_KINDS,
    KIND_ALIASES,
    POST_KIND_ALIASES,
    POST_KINDS,
    POST_METRICS,
    SCHEMAS,
)
from ._bounds import check_no_nul
from ._checks import Checks as _Checks
from ._checks import _bytes_of, _np_mask, _short, _text, _values
from ._timestamps import _all_iso_z, timestamp_column

__all__ = ["_all_iso_z", "_bytes_of", "_np_mask", "_short", "_text", "_values"]  # re-exported for tests

_INT_RE = r"^\+?[0-9]{1,18}(\.0*)?$"
_NEG_INT_RE = r"^-[0-9]+(\.0*)?$"
_FLOAT_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"

#: Every accepted spelling of a kind (lower case) -> canonical kind.
KIND_SPELLINGS: dict[str, str] = {**{k: k for k in INTERACTION_KINDS}, **KIND_ALIASES}
#: Every accepted spelling of a post kind (lower case) -> canonical post kind.
POST_KIND_SPELLINGS: dict[str, str] = {**{k: k for k in POST_KINDS}, **POST_KIND_ALIASES}

TIMESTAMP_FIELDS = {"since", "ts"}
COUNT_FIELDS = {"followers_count", "following_count", *POST_METRICS}
#: Required text fields that are not account ids (kept as written, never lower-cased).
KEY_FIELDS: dict[str, tuple[str, ...]] = {"posts": ("post_id",)}


@cache
def _spelling_arrays(table: str) -> tuple[pa.Array, pa.Array]:
    """(spellings, canonical kinds) of ``table``'s kind column as Arrow arrays, built on first use.

    Built lazily: a module-level ``pa.array`` would load pyarrow's pandas shim at import time,
    which the CLI pays for on every start.
    """
    spellings = POST_KIND_SPELLINGS if table == "posts" else KIND_SPELLINGS
    return pa.array(list(spellings), pa.string()), pa.array(list(spellings.values()), pa.string())


@dataclass
class TableOptions:
    """How raw values of one table are read (from ``--columns`` / ``--column`` / flags).

    Attributes
    ----------
    timestamp_format : str
        ``"auto"`` (ISO 8601, with or without zone, or unix seconds), ``"unix"``,
        ``"unix_ms"``, ``"iso"`` or a ``strptime`` pattern such as ``"%d/%m/%Y %H:%M"``.
        Zoned times are converted to UTC; times without a zone are taken as UTC.
    ids : {"keep", "lower"}
        ``"lower"`` lower-cases every account id (for handles whose case varies).
    defaults : dict
        Value used for a field absent from the file or empty in a row (e.g. ``kind``).
    """

    timestamp_format: str = "auto"
    ids: str = "keep"
    defaults: dict[str, str] = field(default_factory=dict)


@dataclass
class Piece:
    """Raw rows of one canonical table, read from one file.

    Attributes
    ----------
    table : str
    cols : dict of str -> pyarrow.Array
        Canonical field -> raw values, each of length ``n``; absent fields are missing.
    lines : ndarray of int64, shape (n,), or a callable returning it
        1-based physical line (or row number for Parquet) of every row.  A
        callable is only called when a row of the piece is bad, so the good
        path never computes line numbers.
    text : callable
        ``text(positions) -> list[str]``: raw text of the rows at ``positions``.
    names : dict
        Canonical field -> the name the user knows it by (their column), used in issues.
    """

    table: str
    cols: dict[str, pa.Array]
    lines: np.ndarray | Callable[[], np.ndarray]
    text: Callable[[np.ndarray], list[str]]
    names: dict[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        for v in self.cols.values():
            if v is not None:
                return len(v)
        return len(self.line_numbers())

    def line_numbers(self) -> np.ndarray:
        if callable(self.lines):
            self.lines = np.asarray(self.lines(), dtype=np.int64)
        return self.lines


def _id_column(arr: pa.Array, fld: str, checks: _Checks, opts: TableOptions, missing: str = "missing id") -> pa.Array:
    if pa.types.is_floating(arr.type):
        finite = pc.is_finite(arr)
        integral = pc.and_(pc.and_(finite, pc.equal(pc.floor(arr), arr)), pc.less(pc.abs(arr), 2.0**63))
        checks.add(
            pc.and_(pc.is_valid(arr), pc.invert(integral)),
            fld,
            lambda pos: [f"id {_short(v)} is not an integer of 64 bits; store ids as text" for v in _values(arr, pos)],
        )
        arr = pc.if_else(integral, arr, pa.scalar(None, arr.type)).cast(pa.int64())
    out = _text(arr)
    if opts.ids == "lower":
        out = pc.utf8_lower(out)
    checks.add(pc.is_null(out), fld, missing)
    check_no_nul(out, fld, checks.add)
    return out


def _count_column(arr: pa.Array, fld: str, checks: _Checks) -> pa.Array:
    if pa.types.is_integer(arr.type):
        arr = arr.cast(pa.int64())
        checks.add(pc.less(arr, 0), fld, lambda pos: [f"negative count {v}" for v in _values(arr, pos)])
        return pc.if_else(pc.less(arr, 0), pa.scalar(None, pa.int64()), arr)
    if pa.types.is_floating(arr.type):
        ok = pc.and_(pc.and_(pc.is_finite(arr), pc.equal(pc.floor(arr), arr)), pc.less(pc.abs(arr), 2.0**63))
        checks.add(
            pc.and_(pc.is_valid(arr), pc.invert(ok)),
            fld,
            lambda pos: [f"count {_short(v)} is not an integer of 64 bits" for v in _values(arr, pos)],
        )
        checks.add(pc.less(arr, 0), fld, lambda pos: [f"negative count {v:g}" for v in _values(arr, pos)])
        good = pc.and_(ok, pc.greater_equal(arr, 0))
        return pc.if_else(good, arr, pa.scalar(None, arr.type)).cast(pa.int64())
    s = _text(arr)
    neg = pc.match_substring_regex(s, _NEG_INT_RE)
    checks.add(neg, fld, lambda pos: [f"negative count {v}" for v in _values(s, pos)])
    ok = pc.match_substring_regex(s, _INT_RE)
    checks.add(
        pc.and_(pc.is_valid(s), pc.invert(ok)),
        fld,
        lambda pos: [f"count {_short(v)} is not a non-negative integer" for v in _values(s, pos)],
    )
    digits = pc.replace_substring_regex(s, r"\.0*$", "")
    digits = pc.if_else(ok, digits, pa.scalar(None, pa.string()))
    return digits.cast(pa.int64())


def _all_plain_decimals(s: pa.Array) -> bool:
    """True when every valid value is digits with at most one ``.`` (and not ``.`` alone).

    Such values all match ``_FLOAT_RE``: a cheap bytewise sufficient test (False: use the regex).
    """
    got = _bytes_of(s)
    if got is None:
        return False
    off, data = got
    digit = (data - 48) < 10  # uint8 arithmetic: bytes below '0' wrap around
    if digit.all():
        return True
    dot = ~digit
    if not np.all(data[dot] == ord(".")):
        return False
    pos = np.flatnonzero(dot)
    per_value = np.bincount(np.searchsorted(off, pos, side="right") - 1, minlength=off.size - 1)
    return bool(per_value.max() <= 1 and not np.any((np.diff(off) == 1) & (per_value == 1)))


def _weight_column(arr: pa.Array, checks: _Checks) -> pa.Array:
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        w = arr.cast(pa.float64())
        orig = w
    else:
        s = _text(arr)
        ok = pc.is_valid(s) if _all_plain_decimals(s) else pc.match_substring_regex(s, _FLOAT_RE)
        checks.add(
            pc.and_(pc.is_valid(s), pc.invert(ok)),
            "weight",
            lambda pos: [f"bad weight {_short(v)}: must be a positive number" for v in _values(s, pos)],
        )
        w = pc.if_else(ok, s, pa.scalar(None, pa.string())).cast(pa.float64())
        orig = s
    good = pc.and_(pc.is_finite(w), pc.greater(w, 0))
    checks.add(
        pc.and_(pc.is_valid(w), pc.invert(good)),
        "weight",
        lambda pos: [f"bad weight {_short(v)}: must be a positive finite number" for v in _values(orig, pos)],
    )
    return pc.if_else(good, w, pa.scalar(None, pa.float64()))


def _kind_column(arr: pa.Array | None, n: int, checks: _Checks, default: str | None, table: str) -> pa.Array:
    if arr is None:
        s = pa.nulls(n, pa.string())
    elif pa.types.is_dictionary(arr.type):
        s = arr.cast(arr.type.value_type)
    else:
        s = arr
    if not pa.types.is_string(s.type):
        s = s.cast(pa.string())
    if default is not None:  # "absent or empty in a row" (TableOptions.defaults)
        s = pc.fill_null(_text(s), pa.scalar(default))
    # few distinct spellings: resolve them on the dictionary, not per row
    enc = pc.dictionary_encode(s)
    words = _text(enc.dictionary)
    keys, values = _spelling_arrays(table)
    idx = pc.index_in(pc.utf8_lower(words), value_set=keys)
    canon = pc.take(values, idx)
    kind = pc.take(canon, enc.indices)
    missing = pc.is_null(pc.take(words, enc.indices))
    if table == "posts":
        what, known, aliases = "post kind", POST_KINDS, "tweet, retweeted, quoted, replied_to"
    else:
        what, known, aliases = "interaction kind", INTERACTION_KINDS, "RT, MT, RE, retweeted, quoted"
    checks.add(missing, "kind", f"missing {what} (give a kind column or --kind)")
    unknown = pc.and_(pc.invert(missing), pc.is_null(kind))
    checks.add(
        unknown,
        "kind",
        lambda pos: [
            f"unknown {what} {_short(v)} (expected one of {', '.join(known)}, or an alias such as {aliases})"
            for v in _values(s, pos)
        ],
    )
    return kind


_TAG_SEPARATORS = b"#\t\n\x0c\r ,;|"  # the bytes of the regex class [#\s,;|]


def _single_separator(s: pa.Array) -> str | None:
    """A separator ``c`` such that ``split_pattern(s, c)`` equals the general hashtag split, or None.

    Holds when every value is printable ASCII, at most one separator byte ``c`` of ``[#\\s,;|]``
    occurs, never twice in a row nor at a value's start or end: then collapsing separator runs to
    one space and trimming change nothing but ``c`` itself.
    """
    got = _bytes_of(s)
    if got is None:
        return None
    off, data = got
    if data.size == 0:
        return " "
    hist = np.bincount(data, minlength=256)
    present = [b for b in _TAG_SEPARATORS if hist[b]]
    if len(present) > 1:
        return None
    c = present[0] if present else ord(" ")
    others = hist.copy()
    others[c] = 0
    if others[:0x21].any() or others[0x7F:].any():  # controls, space, DEL or non-ASCII bytes
        return None
    if present:
        if data[off[:-1]].__eq__(c).any() or data[off[1:] - 1].__eq__(c).any():
            return None
        at = data == c
        if np.any(at[1:] & at[:-1]):
            return None
    return chr(c)


def _hashtags_column(arr: pa.Array) -> pa.Array:
    typ = pa.list_(pa.string())
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        vals = arr.cast(pa.list_(pa.string())) if arr.type != typ else arr
        return vals
    s = _text(arr)
    sep = _single_separator(s)
    if sep is not None:
        return pc.split_pattern(s, sep)
    s = pc.replace_substring_regex(s, r"[#\s,;|]+", " ")
    s = pc.utf8_trim_whitespace(s)
    s = pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)
    return pc.split_pattern(s, " ")


def convert(piece: Piece, opts: TableOptions, file: str) -> tuple[pa.RecordBatch, list[RowIssue], np.ndarray]:
    """Validate and convert one piece to the canonical schema of its table.

    Returns the batch of good rows (canonical schema) and one issue per bad row
    (the first problem found in field order), ordered by line, and the mask
    of bad rows, shape (n,).
    """
    table = piece.table
    schema = SCHEMAS[table]
    n = piece.n
    checks = _Checks(piece, file)
    out: dict[str, pa.Array] = {}
    keys = KEY_FIELDS.get(table, ())
    for f in schema:
        name = f.name
        arr = piece.cols.get(name)
        if arr is None and name in opts.defaults and name != "kind":
            arr = pa.array([opts.defaults[name]] * n, pa.string()) if n else pa.array([], pa.string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr is not None and name != "kind" and name in opts.defaults:
            text = _text(arr)
            if text.null_count:
                arr = pc.fill_null(text, pa.scalar(opts.defaults[name]))
        if name == "kind":
            default = opts.defaults.get("kind", "original" if table == "posts" else None)
            out[name] = _kind_column(arr, n, checks, default, table)
        elif arr is None:
            if name in ID_COLUMNS[table] or name in keys:
                checks.add(np.ones(n, dtype=bool), name, f"missing {'id' if name in ID_COLUMNS[table] else name}")
            out[name] = pa.nulls(n, f.type)
        elif name in ID_COLUMNS[table]:
            out[name] = _id_column(arr, name, checks, opts)
        elif name in keys:
            out[name] = _id_column(arr, name, checks, TableOptions(), missing=f"missing {name}")
        elif name in COUNT_FIELDS:
            out[name] = _count_column(arr, name, checks)
        elif name in TIMESTAMP_FIELDS:
            out[name] = timestamp_column(arr, name, checks, opts.timestamp_format)
        elif name == "weight":
            out[name] = _weight_column(arr, checks)
        elif name == "hashtags":
            out[name] = _hashtags_column(arr)
        else:
            out[name] = _text(arr)
    if "weight" in piece.cols and "weight" not in out and piece.cols["weight"] is not None:
        _weight_column(piece.cols["weight"], checks)  # validated, then not stored (follows have no weight)
    batch = pa.RecordBatch.from_arrays([out[f.name].cast(f.type) for f in schema], schema=schema)
    if checks.bad.any():
        batch = batch.filter(pa.array(~checks.bad))
    return batch, checks.issues(), checks.bad
