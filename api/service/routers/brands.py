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

from ..deps import Snap
from ..schemas import BrandAffinityPage
from .common import BrandQuery
from .kind_pages import kind_page
from .route import get, ranked_page, ranking_request

router = APIRouter(tags=["brands"])


@get(
    router,
    "/brands/{handle}/affinity",
    BrandAffinityPage,
    query=BrandQuery,
    not_found="No account with this handle or id",
)
def list_brand_affinity(
    request: Request,
    ctx: Snap,
    handle: Annotated[
        str, Path(min_length=1, max_length=200, description="Brand handle (`@` optional) or id.", examples=["acme"])
    ],
):
    """Brand affinity

    Accounts that already mention the brand account or use its hashtags, ranked as
    `nichegraph rank --by brand-affinity` ranks them (by `niche_pagerank`, accounts without it
    left out; with `sort`, by that column, nulls last): the people to start a campaign with.
    """
    r = ranking_request(request, ctx, BrandQuery)
    page = kind_page(r.snap, r.q, "brand-affinity", r.limit, brand=handle, hashtags=r.q.hashtag)
    items = r.items(page.rows)
    for t, item in zip(page.extra["brand_touches"].tolist(), items):
        item["brand_touches"] = t
    assert page.brand is not None  # brand-affinity with a brand always resolves it (or raises)
    brand = {"handle": handle.lstrip("@"), **page.brand}
    return ranked_page(ctx, request, r, items, sort=page.sort, next_cursor=page.next_cursor, brand=brand)
