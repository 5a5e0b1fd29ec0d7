"""Range checks on converted values: unix times that are really milliseconds, years outside 1..9999, NUL bytes.

Each check takes the converter's ``add(mask, field, reason)`` so bad rows are reported with their
line like every other row problem, and returns the column with the bad values set to null.

Unix times: ``auto`` and ``unix`` read plain numbers as seconds and accept magnitudes below
``10**10`` (years 1653 to 2286); ``unix_ms`` reads milliseconds below ``10**13``.  A larger value
is almost always a time in a finer unit, so it is refused with a hint to pass
``--timestamp-format unix_ms`` (or, for milliseconds, that the values look like microseconds)
instead of being read as a date in a far future.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import TIMESTAMP

#: Largest magnitude accepted as unix seconds (2286-11-20) and as unix milliseconds.
UNIX_SECONDS_LIMIT = 10**10
UNIX_MILLISECONDS_LIMIT = 10**13

#: Stored timestamps lie in years 1..9999 (what DuckDB, Neo4j and Python datetimes can hold).
_FIRST = np.datetime64("0001-01-01T00:00:00", "us").astype(np.int64)
_LAST = np.datetime64("9999-12-31T23:59:59.999999", "us").astype(np.int64)

Add = Callable[..., None]


def _mask(a) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def unix_to_timestamp(x: pa.Array, fmt: str, fld: str, add: Add) -> pa.Array:
    """Float unix times, shape (n,), in seconds (or ms for ``fmt == "unix_ms"``) -> timestamp[us].

    Non-finite values and magnitudes at or beyond the unit's limit are reported and become null.
    """
    ms = fmt == "unix_ms"
    limit = UNIX_MILLISECONDS_LIMIT if ms else UNIX_SECONDS_LIMIT
    bad = _mask(pc.invert(pc.and_(pc.is_finite(x), pc.less(pc.abs(x), limit))))
    if bad.any():
        values = x.to_numpy(zero_copy_only=False)
        add(bad, fld, lambda pos: [_why_not_unix(float(values[p]), ms) for p in pos])
        x = pc.if_else(pa.array(bad), pa.scalar(None, pa.float64()), x)
    return pc.round(pc.multiply(x, 1e3 if ms else 1e6)).cast(pa.int64()).cast(TIMESTAMP)


def _why_not_unix(v: float, ms: bool) -> str:
    if not np.isfinite(v):
        return f"unix time {v} is not a finite number"
    unit = "milliseconds" if ms else "seconds"
    scale = ["seconds", "milliseconds", "microseconds", "nanoseconds"]
    limit = UNIX_MILLISECONDS_LIMIT if ms else UNIX_SECONDS_LIMIT
    step = int(np.floor(np.log10(abs(v)) - np.log10(limit)) // 3) + 1 + (1 if ms else 0)
    if step < len(scale):
        hint = f"it looks like {scale[step]}"
        if scale[step] == "milliseconds":
            hint += " (pass --timestamp-format unix_ms)"
    else:
        hint = "it is no time in any unit"
    return f"unix time {v:.17g} is outside the years 1653 to 2286 in {unit}; {hint}"


def check_year_range(ts: pa.Array, fld: str, add: Add) -> pa.Array:
    """Timestamps, shape (n,), outside 0001-01-01 .. 9999-12-31 are reported and become null."""
    us = ts.cast(pa.int64())
    bad = _mask(pc.or_(pc.less(us, int(_FIRST)), pc.greater(us, int(_LAST))))
    if not bad.any():
        return ts
    values = us.to_numpy(zero_copy_only=False)
    add(
        bad,
        fld,
        lambda pos: [f"timestamp {np.datetime64(int(values[p]), 'us')} is outside the years 1 to 9999" for p in pos],
    )
    return pc.if_else(pa.array(bad), pa.scalar(None, TIMESTAMP), ts)


def check_no_nul(text: pa.Array, fld: str, add: Add) -> None:
    """Report ids, shape (n,), that hold a NUL byte (invisible, and cut short by many tools)."""
    bad = _mask(pc.match_substring(text, "\x00"))
    if bad.any():
        add(bad, fld, "id contains a NUL byte (\\x00)")
