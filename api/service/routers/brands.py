"""``GET /v1/brands/{handle}/affinity``: accounts already close to a brand, by niche centrality.

The brand's audience is every account that interacts with the brand account
(mentions, replies, reposts ...) or uses one of its hashtags (the brand handle
by default), from the run's ``touches`` and ``hashtag_uses`` tables held in
memory (:class:`api.run_query.BrandIndex`), as ``nichegraph rank --by
brand-affinity`` finds it; ranking the audience is a partial sort over those
rows only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ...run_query import QueryError
from ..deps import Snap, page_limit, query_error, respond
from ..schemas import BrandAffinityPage
from .common import BrandQuery, parse_query, query_doc
from .kind_pages import kind_page

router = APIRouter(tags=["brands"])


@router.get(
    "/brands/{handle}/affinity",
    operation_id="listBrandAffinity",
    response_model=BrandAffinityPage,
    summary="Brand affinity",
    description="Accounts that already mention the brand account or use its hashtags, ranked as "
    "`nichegraph rank --by brand-affinity` ranks them (by `niche_pagerank`, accounts without it "
    "left out; with `sort`, by that column, nulls last): the people to start a campaign with.",
    responses={404: {"description": "No account with this handle or id"}},
    openapi_extra=query_doc(BrandQuery),
)
def brand_affinity(
    request: Request,
    ctx: Snap,
    handle: Annotated[
        str, Path(min_length=1, max_length=200, description="Brand handle (`@` optional) or id.", examples=["acme"])
    ],
):
    q = parse_query(request, BrandQuery)
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    try:
        cols = snap.output_columns(q.field_list())
    except QueryError as exc:
        raise query_error(exc) from None
    page = kind_page(snap, q, "brand-affinity", limit, brand=handle, hashtags=q.hashtag)
    items = snap.rows(page.rows, cols)
    for t, item in zip(page.extra["brand_touches"].tolist(), items):
        item["brand_touches"] = t
    assert page.brand is not None  # brand-affinity with a brand always resolves it (or raises)
    return respond(
        ctx,
        request,
        {
            "run_id": snap.run_id,
            "sort": page.sort,
            "order": q.order,
            "limit": limit,
            "next_cursor": page.next_cursor,
            "items": items,
            "brand": {"handle": handle.lstrip("@"), **page.brand},
        },
    )
