"""Slow, obvious references for the snapshot queries: plain Python over table rows."""

from __future__ import annotations

import math


def matches(row: dict, filters: dict) -> bool:
    for col in ("community", "niche"):
        if filters.get(col) and row[col] not in filters[col]:
            return False
    for col in ("tier", "platform", "affiliation"):
        if filters.get(col):
            if row[col] is None or row[col].lower() not in {v.lower() for v in filters[col]}:
                return False
    fol = row["followers_count"] if row["followers_count"] is not None else row["followers_observed"]
    if filters.get("followers_min") is not None and not (fol is not None and fol >= filters["followers_min"]):
        return False
    if filters.get("followers_max") is not None and not (fol is not None and fol <= filters["followers_max"]):
        return False
    if filters.get("min_social_ratio") is not None:
        s = row["social_ratio"]
        if s is None or (isinstance(s, float) and math.isnan(s)) or s < filters["min_social_ratio"]:
            return False
    return True


def ranked_ids(rows: list[dict], sort: str, desc: bool, filters: dict | None = None) -> list[str]:
    """Ids in the documented order: (value, idx) or (-value, idx); nulls last by idx."""
    rows = [r for r in rows if matches(r, filters or {})]

    def missing(v):
        return v is None or (isinstance(v, float) and math.isnan(v))

    valid = sorted((r for r in rows if not missing(r[sort])),
                   key=lambda r: (-r[sort] if desc else r[sort], r["idx"]))
    nulls = sorted((r for r in rows if missing(r[sort])), key=lambda r: r["idx"])
    return [r["id"] for r in valid + nulls]
