"""``GET /v1/organisations/{name}/internal``: an organisation's own people, by niche centrality."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from ..deps import Snap, page_limit, query_error, respond
from ..errors import ApiError
from ..schemas import InternalPage
from ..snapshot import QueryError
from .common import CursorParam, FieldsParam, FilterParams, LimitParam, OrderParam, SortParam, filter_params, \
    split_fields

router = APIRouter(tags=["organisations"])


@router.get("/organisations/{name}/internal", response_model=InternalPage, summary="Internal influencers",
            description="Accounts whose affiliation is the organisation (case-insensitive), ranked by niche "
                        "centrality (`niche_pagerank` by default); combine with `community` to keep the "
                        "communities where the brand is discussed.",
            responses={404: {"description": "No account has this affiliation"}})
async def internal(request: Request, ctx: Snap,
                   name: Annotated[str, Path(max_length=200, description="Organisation (affiliation).",
                                             examples=["Acme"])],
                   f: Annotated[FilterParams, Depends(filter_params)],
                   sort: SortParam = None, order: OrderParam = "desc", limit: LimitParam = None,
                   cursor: CursorParam = None, fields: FieldsParam = None):
    limit = page_limit(limit, ctx.settings)
    snap = ctx.snap
    if not snap.has_value("affiliation", name):
        raise ApiError(404, f"no account is affiliated with {name!r} in run {snap.run_id}")
    filters = replace(f, affiliation=[name]).filters()
    try:
        cols = snap.output_columns(split_fields(fields))
        rows, next_cursor, used = snap.rank(filters, sort or snap.preferred_sort("niche_pagerank", "niche_percentile"),
                                            order == "desc", limit, cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    return respond(ctx, request, {"run_id": snap.run_id, "organisation": name, "sort": used, "order": order,
                                  "limit": limit, "next_cursor": next_cursor, "items": snap.rows(rows, cols)})
