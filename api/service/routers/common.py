"""Query parameters shared by the ranking-like endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Query

from ..snapshot import Filters, RangeFilter

SortParam = Annotated[str | None, Query(
    max_length=64, pattern=r"^[A-Za-z0-9_]+$",
    description="Numeric column to sort by (any score of the run); default `score_hidden` when present.",
    examples=["score_hidden"])]
OrderParam = Annotated[Literal["asc", "desc"], Query(description="Sort direction; nulls come last either way.")]
LimitParam = Annotated[int | None, Query(ge=1, le=10_000, description="Page size (bounded by the server's "
                                                                        "max_page_size, 500 by default).")]
CursorParam = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")]
FieldsParam = Annotated[str | None, Query(max_length=1024, pattern=r"^[A-Za-z0-9_,]*$",
                                          description="Comma-separated columns to return (default: all).",
                                          examples=["id,handle,tier,score_hidden"])]


@dataclass(frozen=True)
class FilterParams:
    community: list[int] | None
    niche: list[int] | None
    tier: list[str] | None
    platform: list[str] | None
    affiliation: list[str] | None
    followers_min: int | None
    followers_max: int | None
    min_social_ratio: float | None

    def filters(self) -> Filters:
        values = {k: tuple(v) for k, v in (("community", self.community), ("niche", self.niche),
                                          ("tier", self.tier), ("platform", self.platform),
                                          ("affiliation", self.affiliation)) if v}
        ranges = []
        if self.followers_min is not None or self.followers_max is not None:
            ranges.append(RangeFilter("followers", self.followers_min, self.followers_max,
                                      "followers_min" if self.followers_min is not None else "followers_max"))
        if self.min_social_ratio is not None:
            ranges.append(RangeFilter("social_ratio", self.min_social_ratio, None, "min_social_ratio"))
        return Filters(values, tuple(ranges))


_Str = Annotated[str, Query(max_length=200)]


async def filter_params(
    community: Annotated[list[int] | None, Query(description="Broad community id(s); repeat for several.",
                                                 examples=[[3]], max_length=100)] = None,
    niche: Annotated[list[int] | None, Query(description="Niche id(s).", max_length=100)] = None,
    tier: Annotated[list[str] | None, Query(description="nano, micro, macro, mega (case-insensitive).",
                                            examples=[["nano", "micro"]], max_length=20)] = None,
    platform: Annotated[list[str] | None, Query(description="Platform name(s).", max_length=20)] = None,
    affiliation: Annotated[list[str] | None, Query(description="Organisation(s), case-insensitive.",
                                                   max_length=20)] = None,
    followers_min: Annotated[int | None, Query(ge=0, description="Minimum followers (platform count, else "
                                                                 "observed followers).")] = None,
    followers_max: Annotated[int | None, Query(ge=0)] = None,
    min_social_ratio: Annotated[float | None, Query(ge=0, le=1, description="Minimum `social_ratio`.")] = None,
) -> FilterParams:
    for name, vals in (("tier", tier), ("platform", platform), ("affiliation", affiliation)):
        for v in vals or ():
            if len(v) > 200:
                from ..errors import ApiError

                raise ApiError(422, f"{name}: values are at most 200 characters",
                               fields=[(f"query.{name}", "at most 200 characters")])
    if followers_min is not None and followers_max is not None and followers_min > followers_max:
        from ..errors import ApiError

        raise ApiError(422, "followers_min is above followers_max",
                       fields=[("query.followers_min", "must not exceed followers_max")])
    return FilterParams(community, niche, tier, platform, affiliation, followers_min, followers_max,
                        min_social_ratio)


def split_fields(fields: str | None) -> list[str] | None:
    """Requested columns, ``id`` always first (every item is identified)."""
    if fields is None or fields == "":
        return None
    cols = list(dict.fromkeys(f for f in fields.split(",") if f))
    return ["id", *[c for c in cols if c != "id"]]
