"""``GET /v1/organisations/{name}/internal``: an organisation's own people, by niche centrality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ..deps import Snap, page_limit, query_error, respond
from ..errors import ApiError
from ..schemas import InternalPage
from ..snapshot import QueryError
from .common import RankingQuery, parse_query, query_doc

router = APIRouter(tags=["organisations"])


@router.get("/organisations/{name}/internal", response_model=InternalPage, summary="Internal influencers",
            description="Accounts whose affiliation is the organisation (case-insensitive), ranked by niche "
                        "centrality (`niche_pagerank` by default); combine with `community` to keep the "
                        "communities where the brand is discussed.",
            responses={404: {"description": "No account has this affiliation"}},
            openapi_extra=query_doc(RankingQuery))
async def internal(request: Request, ctx: Snap,
                   name: Annotated[str, Path(max_length=200, description="Organisation (affiliation).",
                                             examples=["Acme"])]):
    q = parse_query(request, RankingQuery)
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    if not snap.has_value("affiliation", name):
        raise ApiError(404, f"no account is affiliated with {name!r} in run {snap.run_id}")
    filters = q.filters(affiliation=[name])
    try:
        cols = snap.output_columns(q.field_list())
        rows, next_cursor, used = snap.rank(filters, q.sort or snap.preferred_sort("niche_pagerank",
                                                                                   "niche_percentile"),
                                            q.order == "desc", limit, q.cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    return respond(ctx, request, {"run_id": snap.run_id, "organisation": name, "sort": used, "order": q.order,
                                  "limit": limit, "next_cursor": next_cursor, "items": snap.rows(rows, cols)})
