"""Opaque keyset cursors: the sort, the direction and the last row's ``(value, idx)``."""

from __future__ import annotations

import base64
import json
import math

from .filters import QueryError


def encode_cursor(sort: str, desc: bool, value: float, idx: int) -> str:
    """Opaque keyset cursor: the sort, direction and the last row's ``(value, idx)``."""
    payload = {"s": sort, "d": int(desc), "v": None if math.isnan(value) else value, "i": int(idx)}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, desc: bool) -> tuple[float, int]:
    """``(value, idx)`` of a cursor made by :func:`encode_cursor` for the same sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        s, d, v, i = payload["s"], bool(payload["d"]), payload["v"], payload["i"]
        value = math.nan if v is None else float(v)
        if not isinstance(i, int) or not 0 <= i < 2**31 or not isinstance(s, str) or math.isinf(value):
            raise ValueError
    except Exception:
        raise QueryError("cursor", "not a cursor returned by this API (pass next_cursor unchanged)") from None
    if s != sort or d != desc:
        raise QueryError(
            "cursor",
            f"the cursor belongs to sort={s} order={'desc' if d else 'asc'}; "
            "repeat the sort and order it was made with",
        )
    return value, i
