"""Timestamp columns: ISO 8601 (zoned or not), unix seconds or milliseconds, or a ``strptime`` pattern.

:func:`timestamp_column` converts a raw column to ``timestamp[us]`` (UTC, no zone), adding one
issue per unparsable or out-of-range value; whole-column casts are tried first (fast paths) and
the regular expressions only when they fail.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import TIMESTAMP
from ._bounds import UNIX_MILLISECONDS_LIMIT, UNIX_SECONDS_LIMIT, check_year_range, unix_to_timestamp
from ._checks import Checks as _Checks
from ._checks import _bytes_of, _np_mask, _short, _text, _values

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


def timestamp_column(arr: pa.Array, fld: str, checks: _Checks, fmt: str) -> pa.Array:
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


_timestamp_column = timestamp_column
