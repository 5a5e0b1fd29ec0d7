"""Which of a file's columns holds which canonical field; no column is dropped without a word.

A file's column is read as a field when the mapping says so (``--column FIELD=COLUMN``), when it
has the field's own name, or when it has a common spelling of it (:data:`ALIASES`: ``timestamp``
or ``created_at`` for ``ts``, ``from``/``to`` for the endpoints ...).  Every other column is
refused, with the table's fields and how to map or ignore it (``--ignore-column COLUMN``), so a
time or an endpoint is never silently lost.  Two columns that could both be one field are refused
as ambiguous.  The load summary lists every column read under another name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pyarrow as pa

from ..errors import InputRejected
from ..schema import REQUIRED, SCHEMAS
from ._convert import Piece
from ._errors import FileRejected
from ._report import FileStats
from .mapping import TableMapping, filter_mask

_TIME = ("timestamp", "created_at", "time", "date", "datetime")

#: Common spellings of a canonical field, per table (compared case-insensitively).
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "id": ("user_id", "account_id"),
        "handle": ("username", "screen_name"),
        "followers_count": ("followers",),
        "following_count": ("following", "friends_count"),
    },
    "follows": {"follower": ("from", "src", "source"), "followee": ("to", "dst", "target"), "since": _TIME},
    "interactions": {
        "source": ("from", "src", "user", "author", "user_id", "author_id"),
        "target": ("to", "dst"),
        "ts": _TIME,
        "post_id": ("tweet_id",),
    },
    "posts": {
        "post_id": ("id", "tweet_id", "status_id"),
        "author": ("author_id", "user_id", "user", "source", "username"),
        "ts": _TIME,
        "kind": ("type", "post_type"),
        "likes": ("like_count", "likes_count", "favorite_count", "favourites_count"),
        "replies": ("reply_count", "replies_count", "comments", "comment_count", "comments_count"),
        "reposts": ("retweet_count", "repost_count", "reposts_count", "reblogs_count", "shares", "share_count"),
        "quotes": ("quote_count", "quotes_count"),
        "views": ("impression_count", "impressions", "view_count", "views_count"),
    },
}


def refuse(file: str, line: int | None, fld: str | None, reason: str) -> InputRejected:
    return FileRejected(file, line, fld, reason)


def _shown(header: list[str]) -> str:
    return ", ".join(header[:30]) + (" ..." if len(header) > 30 else "")


def _aliases(
    table: str, tm: TableMapping, header: list[str], taken: set[str], file: str, line: int | None
) -> dict[str, str]:
    """Field -> column for fields found only under a common spelling; ambiguity is refused."""
    lower: dict[str, str] = {}
    for col in header:
        lower.setdefault(col.lower(), col)
    out: dict[str, str] = {}
    for fld, spellings in ALIASES[table].items():
        if fld in taken or fld in tm.columns:
            continue
        found = [lower[s] for s in spellings if s in lower and lower[s] not in tm.ignore]
        if len(found) > 1:
            raise refuse(
                file,
                line,
                fld,
                f"columns {', '.join(map(repr, found))} could each be {fld}; "
                f"say which with --column {fld}=COLUMN (and --ignore-column for the other)",
            )
        if found:
            out[fld] = found[0]
    claimed: dict[str, list[str]] = {}
    for fld, col in out.items():
        claimed.setdefault(col, []).append(fld)
    for col, flds in claimed.items():
        if len(flds) > 1:
            raise refuse(
                file,
                line,
                None,
                f"column {col!r} could be {' or '.join(flds)}; say which with --column {flds[0]}={col}",
            )
    return out


def resolve_columns(
    table: str,
    tm: TableMapping,
    header: list[str],
    file: str,
    line: int | None,
    stats: FileStats | None = None,
    *,
    require: bool = True,
) -> dict[str, str]:
    """Canonical field -> file column, checking that required and mapped columns exist.

    ``require=False`` (JSON Lines, where a key may be absent from one record) skips the checks
    that mapped and required columns are present.

    Raises
    ------
    FileRejected
        A mapped or required column is missing, two columns could be one field, or a column is
        neither a field, a common spelling of one, a filter column nor ignored.
    """
    have = set(header)
    out: dict[str, str] = {}
    for f in SCHEMAS[table]:
        col = tm.source_column(f.name)
        if col in have:
            out[f.name] = col
        elif f.name in tm.columns and require:
            raise refuse(
                file,
                line,
                f.name,
                f"mapped column {col!r} (for {f.name}) is not in the file; its columns are: {_shown(header)}",
            )
    automatic = _aliases(table, tm, [h for h in header if h not in out.values()], set(out), file, line)
    out.update(automatic)
    if stats is not None:
        stats.columns.update({col: fld for fld, col in automatic.items()})
    for f in SCHEMAS[table]:
        if (
            require
            and f.name not in out
            and f.name in REQUIRED[table]
            and not (f.name == "kind" and "kind" in tm.options.defaults)
        ):
            hint = " or give --kind" if f.name == "kind" else ""
            raise refuse(
                file,
                line,
                f.name,
                f"no column {f.name!r} for {table}; its columns are: {_shown(header)}. "
                f"Map one with --column {f.name}=COLUMN{hint}",
            )
    for col, _, _ in tm.where:
        if col not in have:
            raise refuse(
                file, line, col, f"filter column {col!r} is not in the file; its columns are: {_shown(header)}"
            )
    used = set(out.values()) | {c for c, _, _ in tm.where} | set(tm.ignore)
    unknown = [h for h in header if h not in used]
    if unknown:
        fields = ", ".join(f.name for f in SCHEMAS[table])
        first = unknown[0]
        raise refuse(
            file,
            line,
            None,
            f"column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"{'are' if len(unknown) > 1 else 'is'} not among the {table} fields ({fields}); "
            f"read one as a field with --column FIELD={first} or leave it out with "
            f"--ignore-column {first}",
        )
    return out


def piece(
    table: str,
    tm: TableMapping,
    cols: dict[str, str],
    data,
    lines: np.ndarray | Callable[[], np.ndarray],
    text,
    stats: FileStats,
) -> Piece | None:
    """Apply the row filter and rename the file's columns to canonical fields."""
    if tm.where and data.num_rows:
        keep = filter_mask(data, tm.where)
        dropped = int(keep.size - keep.sum())
        if dropped:
            stats.filtered += dropped
            idx = np.flatnonzero(keep)
            data = data.filter(pa.array(keep))
            lines = lines[idx] if not callable(lines) else partial(_lines_at, lines, idx)
            base_text = text
            text = lambda pos, _i=idx, _t=base_text: _t(_i[pos])
    if data.num_rows == 0:
        return None
    arrays = {fld: data.column(col) for fld, col in cols.items()}
    return Piece(table, arrays, lines, text, names={f: c for f, c in cols.items() if f != c})


def _lines_at(lines: Callable[[], np.ndarray], idx: np.ndarray) -> np.ndarray:
    """The line numbers ``lines()[idx]`` (computed only when asked for)."""
    return np.asarray(lines())[idx]
