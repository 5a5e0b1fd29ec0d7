"""``GET /v1/organisations/{name}/internal``: an organisation's own people, by niche centrality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ...run_query import QueryError
from ..deps import Snap, page_limit, query_error, respond
from ..errors import ApiError
from ..schemas import InternalPage
from .common import InternalQuery, parse_query, query_doc
from .kind_pages import kind_page

router = APIRouter(tags=["organisations"])


@router.get(
    "/organisations/{name}/internal",
    operation_id="listInternalInfluencers",
    response_model=InternalPage,
    summary="Internal influencers",
    description="Accounts whose affiliation is the organisation (case-insensitive), ranked as "
    "`nichegraph rank --by internal` ranks them (by `niche_pagerank`, accounts without it left "
    "out; with `sort`, by that column, nulls last).  With `brand`, only in the communities where "
    "the brand is discussed.",
    responses={404: {"description": "No account has this affiliation, or no such brand account"}},
    openapi_extra=query_doc(InternalQuery),
)
def internal(
    request: Request,
    ctx: Snap,
    name: Annotated[str, Path(max_length=200, description="Organisation (affiliation).", examples=["Acme"])],
):
    q = parse_query(request, InternalQuery)
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    if not snap.has_value("affiliation", name):
        raise ApiError(404, f"no account is affiliated with {name!r} in run {snap.run_id}")
    try:
        cols = snap.output_columns(q.field_list())
    except QueryError as exc:
        raise query_error(exc) from None
    page = kind_page(snap, q, "internal", limit, affiliation=name, brand=q.brand, hashtags=q.hashtag)
    return respond(
        ctx,
        request,
        {
            "run_id": snap.run_id,
            "organisation": name,
            "sort": page.sort,
            "order": q.order,
            "limit": limit,
            "next_cursor": page.next_cursor,
            "items": snap.rows(page.rows, cols),
        },
    )
