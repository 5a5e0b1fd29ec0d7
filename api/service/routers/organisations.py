"""``GET /v1/organisations/{name}/internal``: an organisation's own people, by niche centrality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ..deps import Snap
from ..errors import ApiError
from ..schemas import InternalPage
from .common import InternalQuery
from .kind_pages import kind_page
from .route import get, ranked_page, ranking_request

router = APIRouter(tags=["organisations"])


@get(
    router,
    "/organisations/{name}/internal",
    InternalPage,
    query=InternalQuery,
    not_found="No account has this affiliation, or no such brand account",
)
def list_internal_influencers(
    request: Request,
    ctx: Snap,
    name: Annotated[str, Path(max_length=200, description="Organisation (affiliation).", examples=["Acme"])],
):
    """Internal influencers

    Accounts whose affiliation is the organisation (case-insensitive), ranked as
    `nichegraph rank --by internal` ranks them (by `niche_pagerank`, accounts without it left
    out; with `sort`, by that column, nulls last).  With `brand`, only in the communities where
    the brand is discussed.
    """
    r = ranking_request(request, ctx, InternalQuery)
    if not r.snap.has_value("affiliation", name):
        raise ApiError(404, f"no account is affiliated with {name!r} in run {r.snap.run_id}")
    page = kind_page(r.snap, r.q, "internal", r.limit, affiliation=name, brand=r.q.brand, hashtags=r.q.hashtag)
    items = r.items(page.rows)
    return ranked_page(ctx, request, r, items, sort=page.sort, next_cursor=page.next_cursor, organisation=name)
