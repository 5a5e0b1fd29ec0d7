"""Query parameters shared by the ranking-like endpoints.

The hot endpoints (rankings, brand affinity, internal influencers) take their
query string as one pydantic model, validated in a single pass by pydantic-core
(:func:`parse_query`), instead of one FastAPI parameter at a time: the same
checks and the same per-field 422 messages, at about a third of the cost per
request.  :func:`query_doc` documents the model's fields as OpenAPI query
parameters.
"""

from __future__ import annotations

import typing
from typing import Annotated, Literal, TypeVar

from fastapi import Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ...rankings import ARGUMENT_KINDS, RANK_KINDS, authenticity_ranges
from ...run_query import Filters, RangeFilter
from ..deps import CURSOR_DESCRIPTION, unsigned_cursor
from ..errors import ApiError, format_loc, invalid_parameters

_Str200 = Annotated[str, Field(max_length=200)]
#: Ids and counts are int64 in the store: larger values are refused (422), never overflow.
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]
#: Tier names are stable words (docs/ARCHITECTURE.md); any other value is a 422 that lists them.
#: The same words as ``engine.tiers.TIER_NAMES`` (a test keeps them equal).
TierName = Literal["nano", "micro", "macro", "mega", "unknown"]
Tier = Annotated[TierName, BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)]
#: A column of the run's accounts table (``sort=``), and a comma-separated list of them (``fields=``).
ColumnName = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
ColumnList = Annotated[str, Field(max_length=1024, pattern=r"^[A-Za-z0-9_,]*$")]


class PageQuery(BaseModel):
    """Filters, sort and page of a ranking-like query (every field optional)."""

    model_config = ConfigDict(extra="forbid")

    community: list[Int64] | None = Field(
        None, max_length=100, description="Broad community id(s); repeat for several.", examples=[[3]]
    )
    niche: list[Int64] | None = Field(None, max_length=100, description="Niche id(s).")
    tier: list[Tier] | None = Field(
        None,
        max_length=20,
        description="Tier(s): nano, micro, macro, mega (case-insensitive).",
        examples=[["nano", "micro"]],
    )
    platform: list[_Str200] | None = Field(None, max_length=20, description="Platform name(s), case-insensitive.")
    affiliation: list[_Str200] | None = Field(None, max_length=20, description="Organisation(s), case-insensitive.")
    followers_min: int | None = Field(
        None,
        ge=0,
        le=2**63 - 1,
        description="Minimum followers (the platform's count, else the observed followers).",
        examples=[1000],
    )
    followers_max: int | None = Field(None, ge=0, le=2**63 - 1, description="Maximum followers.", examples=[10000])
    min_social_ratio: float | None = Field(None, ge=0, le=1, description="Minimum `social_ratio`.", examples=[0.5])
    min_authenticity: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Minimum audience `authenticity` (accounts whose score is unknown are left out).",
        examples=[0.5],
    )
    sort: ColumnName | None = Field(
        None,
        description="Numeric column to sort by (any score of the run); default `score_hidden` when the run has it.",
        examples=["score_hidden"],
    )
    order: Literal["asc", "desc"] = Field("desc", description="Sort direction; nulls come last either way.")
    limit: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="Page size (at most the server's max_page_size, 500 by default).",
        examples=[50],
    )
    cursor: str | None = Field(None, max_length=512, description=CURSOR_DESCRIPTION)
    fields: ColumnList | None = Field(
        None,
        description="Comma-separated columns to return (default: all; `id` always).",
        examples=["id,handle,tier,score_hidden"],
    )

    def filters(self, **override) -> Filters:
        """The snapshot filters (``override`` replaces categorical values, e.g. ``affiliation``)."""
        values: dict[str, tuple] = {}
        for name in ("community", "niche", "tier", "platform", "affiliation"):
            if name in override:  # an empty override matches nothing
                values[name] = tuple(override[name])
            elif getattr(self, name):
                values[name] = tuple(getattr(self, name))
        ranges = []
        if self.followers_min is not None or self.followers_max is not None:
            ranges.append(
                RangeFilter(
                    "followers",
                    self.followers_min,
                    self.followers_max,
                    "followers_min" if self.followers_min is not None else "followers_max",
                )
            )
        if self.min_social_ratio is not None:
            ranges.append(RangeFilter("social_ratio", self.min_social_ratio, None, "min_social_ratio"))
        ranges.extend(authenticity_ranges(self.min_authenticity))
        return Filters(values, tuple(ranges))

    def field_list(self) -> list[str] | None:
        """Requested columns, ``id`` always first (every item is identified)."""
        if not self.fields:
            return None
        cols = list(dict.fromkeys(f for f in self.fields.split(",") if f))
        return ["id", *[c for c in cols if c != "id"]]


class RankingQuery(PageQuery):
    """``GET /v1/rankings``: a page query that may name a ranking kind."""

    by: Literal[tuple(k for k in RANK_KINDS if k not in ARGUMENT_KINDS)] | None = Field(  # type: ignore[valid-type]
        None,
        description="A ranking kind, ranked as `nichegraph rank --by KIND` ranks it (its order, its "
        "default tiers, accounts without its score left out); filters still apply, and `sort` "
        "replaces its order.",
        examples=["hidden"],
    )


class BrandQuery(PageQuery):
    hashtag: list[_Str200] | None = Field(
        None,
        max_length=20,
        description="The brand's hashtags (default: the handle), `#` optional.",
        examples=[["acme"]],
    )


class InternalQuery(BrandQuery):
    brand: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Keep the communities where this "
        "brand (handle or id) is discussed: those of the accounts that interact with it or "
        "use its hashtags.",
        examples=["acme"],
    )


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    out = set()
    for name, f in model.model_fields.items():
        args = typing.get_args(f.annotation) or (f.annotation,)
        if any(typing.get_origin(a) is list for a in args):
            out.add(name)
    return frozenset(out)


_LISTS: dict[type, frozenset[str]] = {}
_Q = TypeVar("_Q", bound=PageQuery)


def parse_query(request: Request, model: type[_Q]) -> _Q:
    """Validate the query string against ``model``; 422 naming each bad field."""
    lists = _LISTS.get(model)
    if lists is None:
        lists = _LISTS[model] = _list_fields(model)
    data: dict = {}
    for key, value in request.query_params.multi_items():
        if key in lists:
            data.setdefault(key, []).append(value)
        else:
            data[key] = value
    try:
        q = model.model_validate(data)
    except ValidationError as exc:
        raise invalid_parameters(
            [("query." + format_loc(e["loc"]) if e["loc"] else "query", e["msg"]) for e in exc.errors()]
        ) from None
    if q.followers_min is not None and q.followers_max is not None and q.followers_min > q.followers_max:
        raise ApiError(
            422,
            "followers_min is above followers_max",
            fields=[("query.followers_min", "must not exceed followers_max")],
        )
    if q.cursor is not None:
        q = q.model_copy(update={"cursor": unsigned_cursor(request, q.cursor)})
    return q


def query_doc(model: type[BaseModel]) -> dict:
    """``openapi_extra`` documenting ``model``'s fields as (exploded, form-style) query parameters."""
    schema = model.model_json_schema()
    params = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        examples = prop.pop("examples", None)
        prop.pop("title", None)
        if "anyOf" in prop:
            options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
            if len(options) == 1:
                prop.update(options[0])
        if prop.get("default", 0) is None:
            prop.pop("default")
        param = {"name": name, "in": "query", "required": False, "schema": prop}
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        if description:
            param["description"] = description
        if examples:
            param["example"] = examples[0]
        params.append(param)
    return {"parameters": params}
