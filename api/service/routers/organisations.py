"""``GET /v1/organisations/{name}/internal``: an organisation's own people, by niche centrality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ..deps import Snap, page_limit, query_error, respond
from ..errors import ApiError
from ..schemas import InternalPage
from ..snapshot import QueryError
from .brands import brand_audience, resolve_brand
from .common import InternalQuery, parse_query, query_doc

router = APIRouter(tags=["organisations"])


@router.get("/organisations/{name}/internal", operation_id="listInternalInfluencers", response_model=InternalPage,
            summary="Internal influencers",
            description="Accounts whose affiliation is the organisation (case-insensitive), ranked by niche "
                        "centrality (`niche_pagerank` by default).  With `brand`, only in the communities where "
                        "the brand is discussed (as `nichegraph rank --by internal --brand B`).",
            responses={404: {"description": "No account has this affiliation, or no such brand account"}},
            openapi_extra=query_doc(InternalQuery))
def internal(request: Request, ctx: Snap,
                   name: Annotated[str, Path(max_length=200, description="Organisation (affiliation).",
                                             examples=["Acme"])]):
    q = parse_query(request, InternalQuery)
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    if not snap.has_value("affiliation", name):
        raise ApiError(404, f"no account is affiliated with {name!r} in run {snap.run_id}")
    override: dict = {"affiliation": [name]}
    if q.brand is not None:
        if "community" not in snap.cats:
            raise ApiError(422, "brand: this run has no community column to place the brand in",
                           fields=[("query.brand", "this run has no community column")])
        brand_row, _, tags = resolve_brand(snap, q.brand, q.hashtag)
        audience, _ = brand_audience(request, snap, brand_row, tags)
        where = {r["community"] for r in snap.rows(audience, ["id", "community"]) if r["community"] is not None}
        override["community"] = sorted(where & set(q.community)) if q.community else sorted(where)
    filters = q.filters(**override)
    try:
        cols = snap.output_columns(q.field_list())
        rows, next_cursor, used = snap.rank(filters, q.sort or snap.preferred_sort("niche_pagerank",
                                                                                   "niche_percentile"),
                                            q.order == "desc", limit, q.cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    return respond(ctx, request, {"run_id": snap.run_id, "organisation": name, "sort": used, "order": q.order,
                                  "limit": limit, "next_cursor": next_cursor, "items": snap.rows(rows, cols)})
