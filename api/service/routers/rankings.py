"""``GET /v1/rankings``: filtered, sorted, cursor-paginated accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..deps import Snap, page_limit, query_error, respond
from ..schemas import RankingsPage
from ...run_query import QueryError
from .common import RankingQuery, parse_query, query_doc
from .kind_pages import kind_page

router = APIRouter(tags=["rankings"])


@router.get("/rankings", response_model=RankingsPage, summary="Rank accounts with filters",
            openapi_extra=query_doc(RankingQuery),
            description="Accounts of the current run matching every filter, sorted by a score column, one page "
                        "at a time.  Example: nano influencers of community 3 with a social audience, by hidden "
                        "score: `/v1/rankings?community=3&tier=nano&min_social_ratio=0.5&sort=score_hidden`.  With "
                        "`by=KIND`, the same ranking as `nichegraph rank --by KIND`.")
async def rankings(request: Request, ctx: Snap):
    q = parse_query(request, RankingQuery)
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    try:
        cols = snap.output_columns(q.field_list())
        if q.by is None:
            rows, next_cursor, used = snap.rank(q.filters(), q.sort, q.order == "desc", limit, q.cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    if q.by is not None:
        page = kind_page(snap, q, q.by, limit)
        rows, next_cursor, used = page.rows, page.next_cursor, page.sort
    return respond(ctx, request, {"run_id": snap.run_id, "sort": used, "order": q.order, "limit": limit,
                                  "next_cursor": next_cursor, "items": snap.rows(rows, cols)})
