"""``GET /v1/rankings``: filtered, sorted, cursor-paginated accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from ..deps import Snap, page_limit, query_error, respond
from ..schemas import RankingsPage
from ..snapshot import QueryError
from .common import CursorParam, FieldsParam, FilterParams, LimitParam, OrderParam, SortParam, filter_params, \
    split_fields

router = APIRouter(tags=["rankings"])


@router.get("/rankings", response_model=RankingsPage, summary="Rank accounts with filters",
            description="Accounts of the current run matching every filter, sorted by a score column, one page "
                        "at a time.  Example: nano influencers of community 3 with a social audience, by hidden "
                        "score: `/v1/rankings?community=3&tier=nano&min_social_ratio=0.5&sort=score_hidden`.")
async def rankings(request: Request, ctx: Snap, f: Annotated[FilterParams, Depends(filter_params)],
             sort: SortParam = None, order: OrderParam = "desc", limit: LimitParam = None,
             cursor: CursorParam = None, fields: FieldsParam = None):
    limit = page_limit(limit, ctx.settings)
    snap = ctx.snap
    try:
        cols = snap.output_columns(split_fields(fields))
        rows, next_cursor, used = snap.rank(f.filters(), sort, order == "desc", limit, cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    return respond(ctx, request, {"run_id": snap.run_id, "sort": used, "order": order, "limit": limit,
                                  "next_cursor": next_cursor, "items": snap.rows(rows, cols)})
