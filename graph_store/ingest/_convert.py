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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import RowIssue
from ..schema import ID_COLUMNS, INTERACTION_KINDS, KIND_ALIASES, SCHEMAS, TIMESTAMP
from ._bounds import UNIX_MILLISECONDS_LIMIT, UNIX_SECONDS_LIMIT, check_no_nul, check_year_range, unix_to_timestamp

_INT_RE = r"^\+?[0-9]{1,18}(\.0*)?$"
_NEG_INT_RE = r"^-[0-9]+(\.0*)?$"
_FLOAT_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# up to 19 digits, so that times in a finer unit than asked are refused with a hint (see _bounds)
_UNIX_RE = r"^-?[0-9]{1,19}(\.[0-9]+)?$"
_UNIX_MS_RE = _UNIX_RE
_UNIX_S_MAX = UNIX_SECONDS_LIMIT
_UNIX_MS_MAX = UNIX_MILLISECONDS_LIMIT
_ISO_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_ZONE_RE = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"

#: Every accepted spelling of a kind (lower case) -> canonical kind.
KIND_SPELLINGS: dict[str, str] = {**{k: k for k in INTERACTION_KINDS}, **KIND_ALIASES}
_KIND_KEYS = pa.array(list(KIND_SPELLINGS))
_KIND_VALUES = pa.array(list(KIND_SPELLINGS.values()))

TIMESTAMP_FIELDS = {"since", "ts"}
COUNT_FIELDS = {"followers_count", "following_count"}


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


class _Checks:
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


# YYYY-MM-DD?HH:MM:SSZ, position by position: (lowest, highest) byte; position 10 is 'T' or ' '
_ISO_Z_LO = np.frombuffer(b"0000-00-00 00:00:00Z", dtype=np.uint8)
_ISO_Z_HI = np.frombuffer(b"9999-99-99T99:99:99Z", dtype=np.uint8)


def _all_iso_z(s: pa.Array) -> bool:
    """True when every valid value is ``YYYY-MM-DD[T ]HH:MM:SSZ`` (digits where shown), checked bytewise.

    Such values match both ``_ISO_RE`` and ``_ZONE_RE``, so this is a cheap sufficient test for the
    zoned-ISO fast path (False sends the caller to the regular expressions).
    """
    got = _bytes_of(s)
    if got is None:
        return False
    off, data = got
    m = off.size - 1
    if data.size != 20 * m or (m and not np.all(np.diff(off) == 20)):
        return False
    if m == 0:
        return True
    rows = data.reshape(m, 20)
    if not np.all((rows - _ISO_Z_LO) <= (_ISO_Z_HI - _ISO_Z_LO)):  # uint8: below LO wraps around, fails
        return False
    sep = rows[:, 10]
    return bool(np.all((sep == ord("T")) | (sep == ord(" "))))


def _id_column(arr: pa.Array, fld: str, checks: _Checks, opts: TableOptions) -> pa.Array:
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
    checks.add(pc.is_null(out), fld, "missing id")
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


def _strict_cast(s: pa.Array, typ: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Cast strings, returning (values, failed mask); per-element only when the whole cast fails."""
    try:
        return s.cast(typ), np.zeros(len(s), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        vals: list[object] = []
        failed = np.zeros(len(s), dtype=bool)
        for i, v in enumerate(s.to_pylist()):  # error path: this piece holds a bad value
            if v is None:
                vals.append(None)
                continue
            try:
                vals.append(pa.array([v]).cast(typ)[0].as_py())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                vals.append(None)
                failed[i] = True
        return pa.array(vals, type=typ), failed


def _timestamp_column(arr: pa.Array, fld: str, checks: _Checks, fmt: str) -> pa.Array:
    return check_year_range(_parse_timestamps(arr, fld, checks, fmt), fld, checks.add)


def _parse_timestamps(arr: pa.Array, fld: str, checks: _Checks, fmt: str) -> pa.Array:
    n = len(arr)
    if pa.types.is_timestamp(arr.type):
        if arr.type.tz is not None:
            arr = arr.cast(pa.timestamp(arr.type.unit, "UTC"))
            arr = pa.Array.from_buffers(pa.timestamp(arr.type.unit), n, arr.buffers(), arr.null_count)
        return arr.cast(TIMESTAMP)
    if pa.types.is_date(arr.type):
        return arr.cast(TIMESTAMP)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return unix_to_timestamp(arr.cast(pa.float64()), fmt, fld, checks.add)
    s = _text(arr)
    null_ts = pa.scalar(None, TIMESTAMP)
    if fmt in ("auto", "unix", "unix_ms"):
        try:  # fast path: every value is a whole number of seconds (or ms) in range
            first = pc.index(pc.is_valid(s), True).as_py()
            if first >= 0:  # a failed cast of the whole column costs a parse of it: try the first value alone
                s.slice(first, 1).cast(pa.int64())
            secs = s.cast(pa.int64())
            lim = _UNIX_MS_MAX if fmt == "unix_ms" else _UNIX_S_MAX
            if (pc.max(pc.abs_checked(secs)).as_py() or 0) < lim:
                return pc.multiply(secs, 1_000 if fmt == "unix_ms" else 1_000_000).cast(TIMESTAMP)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    if fmt in ("auto", "iso"):
        # fast path: every value is ISO 8601 with a zone (e.g. ...Z).  No value can then be unix seconds
        # (those have no '-' after the sign), so the general path below would parse exactly these casts.
        if _all_iso_z(s) or (
            pc.all(pc.match_substring_regex(s, _ISO_RE)).as_py() is not False
            and pc.all(pc.match_substring_regex(s, _ZONE_RE)).as_py() is not False
        ):
            z_vals, z_fail = _strict_cast(s, pa.timestamp("us", "UTC"))
            z_vals = pa.Array.from_buffers(TIMESTAMP, n, z_vals.buffers(), z_vals.null_count)
            checks.add(
                z_fail,
                fld,
                lambda pos: [
                    f"unparsable timestamp {_short(v)} (expected "
                    f"{'ISO 8601 or unix seconds' if fmt == 'auto' else 'ISO 8601'})"
                    for v in _values(s, pos)
                ],
            )
            return pc.if_else(pa.array(z_fail), null_ts, z_vals) if z_fail.any() else z_vals
    if fmt in ("auto", "unix", "unix_ms", "iso"):
        is_unix = (
            pc.match_substring_regex(s, _UNIX_MS_RE if fmt == "unix_ms" else _UNIX_RE)
            if fmt != "iso"
            else pa.array(np.zeros(n, bool))
        )
        is_iso = pc.match_substring_regex(s, _ISO_RE) if fmt in ("auto", "iso") else pa.array(np.zeros(n, bool))
        out = unix_to_timestamp(
            pc.if_else(is_unix, s, pa.scalar(None, pa.string())).cast(pa.float64()), fmt, fld, checks.add
        )
        failed = np.zeros(n, dtype=bool)
        if _np_mask(is_iso, n).any():
            zoned = pc.and_(is_iso, pc.match_substring_regex(s, _ZONE_RE))
            plain = pc.and_(is_iso, pc.invert(zoned))
            z_vals, z_fail = _strict_cast(pc.if_else(zoned, s, pa.scalar(None, pa.string())), pa.timestamp("us", "UTC"))
            z_vals = pa.Array.from_buffers(TIMESTAMP, n, z_vals.buffers(), z_vals.null_count)
            p_vals, p_fail = _strict_cast(pc.if_else(plain, s, pa.scalar(None, pa.string())), TIMESTAMP)
            out = pc.if_else(zoned, z_vals, pc.if_else(plain, p_vals, out))
            failed = z_fail | p_fail
        recognised = _np_mask(pc.or_(is_unix, is_iso), n)
        bad = (_np_mask(pc.is_valid(s), n) & ~recognised) | failed
        expect = {
            "auto": "ISO 8601 or unix seconds",
            "unix": "unix seconds",
            "unix_ms": "unix milliseconds",
            "iso": "ISO 8601",
        }[fmt]
    else:
        out = pc.strptime(s, format=fmt, unit="us", error_is_null=True)
        bad = _np_mask(pc.and_(pc.is_valid(s), pc.is_null(out)), n)
        expect = f"format {fmt!r}"
    checks.add(bad, fld, lambda pos: [f"unparsable timestamp {_short(v)} (expected {expect})" for v in _values(s, pos)])
    return pc.if_else(pa.array(bad), null_ts, out)


def _kind_column(arr: pa.Array | None, n: int, checks: _Checks, default: str | None) -> pa.Array:
    if arr is None:
        s = pa.nulls(n, pa.string())
    elif pa.types.is_dictionary(arr.type):
        s = arr.cast(arr.type.value_type)
    else:
        s = arr
    if not pa.types.is_string(s.type):
        s = s.cast(pa.string())
    if default is not None:
        s = pc.fill_null(s, pa.scalar(default))
    # few distinct spellings: resolve them on the dictionary, not per row
    enc = pc.dictionary_encode(s)
    words = _text(enc.dictionary)
    idx = pc.index_in(pc.utf8_lower(words), value_set=_KIND_KEYS)
    canon = pc.take(_KIND_VALUES, idx)
    kind = pc.take(canon, enc.indices)
    missing = pc.is_null(pc.take(words, enc.indices))
    checks.add(missing, "kind", "missing interaction kind (give a kind column or --kind)")
    unknown = pc.and_(pc.invert(missing), pc.is_null(kind))
    checks.add(
        unknown,
        "kind",
        lambda pos: [
            f"unknown interaction kind {_short(v)} (expected one of {', '.join(INTERACTION_KINDS)}, "
            f"or an alias such as RT, MT, RE, retweeted, quoted)"
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
            out[name] = _kind_column(arr, n, checks, opts.defaults.get("kind"))
        elif arr is None:
            if name in ID_COLUMNS[table]:
                checks.add(np.ones(n, dtype=bool), name, "missing id")
            out[name] = pa.nulls(n, f.type)
        elif name in ID_COLUMNS[table]:
            out[name] = _id_column(arr, name, checks, opts)
        elif name in COUNT_FIELDS:
            out[name] = _count_column(arr, name, checks)
        elif name in TIMESTAMP_FIELDS:
            out[name] = _timestamp_column(arr, name, checks, opts.timestamp_format)
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
