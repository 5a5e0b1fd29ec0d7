"""``GET /v1/brands/{handle}/affinity``: accounts already close to a brand, by niche centrality.

The brand's audience is every account that interacts with the brand account
(mentions, replies, reposts ...) or uses one of its hashtags (the brand handle
by default).  It is read from the store once per run and brand, then cached;
ranking the audience is a partial sort over those rows only.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Path, Request

from graph_store import StoreError

from ..deps import Snap, get_state, page_limit, query_error, respond
from ..errors import ApiError
from ..schemas import BrandAffinityPage
from ..snapshot import QueryError, Snapshot
from .common import BrandQuery, parse_query, query_doc

router = APIRouter(tags=["brands"])


def _audience(request: Request, snap: Snapshot, handle: str, tags: tuple[str, ...]):
    state = get_state(request)
    brand_row = snap.row_of_handle(handle)
    if brand_row is None:
        brand_row = snap.row_of(handle)
    brand_id = None if brand_row is None else str(snap.strings["id"][brand_row])

    def make():
        try:
            with state.store_lock:
                store = state.holder.open_store()
                try:
                    inter = store.interactions_to([brand_id]) if brand_id is not None else None
                    uses = store.hashtag_users(list(tags)) if tags else None
                finally:
                    store.close()
        except StoreError as exc:
            raise ApiError(503, "the store is busy; try again shortly",
                           headers={"Retry-After": "5"}) from exc
        mentions: dict[int, int] = {}
        hashtag_uses: dict[int, int] = {}
        for table, acc in ((inter, mentions), (uses, hashtag_uses)):
            if table is None:
                continue
            for src, n in zip(table.column("source").to_pylist(), table.column("n").to_pylist()):
                r = snap.row_of(src)
                if r is not None and r != brand_row:
                    acc[r] = acc.get(r, 0) + int(n)
        rows = np.array(sorted(set(mentions) | set(hashtag_uses)), dtype=np.int32)
        return rows, mentions, hashtag_uses

    rows, mentions, uses = get_state(request).cache.get_or_make(("brand", snap.run_id, handle.lower(), tags), make)
    return brand_id, rows, mentions, uses


@router.get("/brands/{handle}/affinity", response_model=BrandAffinityPage, summary="Brand affinity",
            description="Accounts that already mention the brand account or use its hashtags, ranked by niche "
                        "centrality (`niche_pagerank` by default): the people to start a campaign with.",
            responses={404: {"description": "Unknown brand handle and no hashtag given"}},
            openapi_extra=query_doc(BrandQuery))
def brand_affinity(request: Request, ctx: Snap,
                   handle: Annotated[str, Path(max_length=200, description="Brand handle (`@` optional) or id.",
                                               examples=["acme"])]):
    q = parse_query(request, BrandQuery)
    hashtag = q.hashtag
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    handle = handle.lstrip("@")
    if not handle:
        raise ApiError(422, "handle: must not be empty", fields=[("path.handle", "must not be empty")])
    tags = tuple(sorted({t.lstrip("#").lower() for t in (hashtag or [handle]) if t.lstrip("#")}))
    brand_known = snap.row_of_handle(handle) is not None or snap.row_of(handle) is not None
    if not brand_known and not hashtag:
        raise ApiError(404, f"no account with handle or id {handle!r} in run {snap.run_id}; "
                            "pass hashtag=... to rank by hashtag use alone")
    brand_id, rows, mentions, uses = _audience(request, snap, handle, tags)
    try:
        cols = snap.output_columns(q.field_list())
        page, next_cursor, used = snap.rank_within(rows, q.filters(), q.sort or snap.preferred_sort(
            "niche_pagerank", "niche_percentile"), q.order == "desc", limit, q.cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    items = snap.rows(page, cols)
    for r, item in zip(page.tolist(), items):
        item["mentions"] = mentions.get(r, 0)
        item["hashtag_uses"] = uses.get(r, 0)
    return respond(ctx, request, {"run_id": snap.run_id, "sort": used, "order": q.order, "limit": limit,
                                  "next_cursor": next_cursor, "items": items,
                                  "brand": {"handle": handle, "id": brand_id, "hashtags": list(tags)}})
