"""``GET /v1/brands/{handle}/affinity``: accounts already close to a brand, by niche centrality.

The brand's audience is every account that interacts with the brand account
(mentions, replies, reposts ...) or uses one of its hashtags (the brand handle
by default), as computed by :func:`api.rankings.brand_touches` for
``nichegraph rank --by brand-affinity``.  It is read from the store once per
run and brand, then cached; ranking the audience is a partial sort over those
rows only.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pyarrow as pa
from fastapi import APIRouter, Path, Request

from nichegraph.graph_store import StoreError

from ...rankings import brand_touches
from ..deps import Snap, get_state, page_limit, query_error, respond
from ..errors import ApiError
from ..schemas import BrandAffinityPage
from ..snapshot import QueryError, Snapshot
from .common import BrandQuery, parse_query, query_doc

router = APIRouter(tags=["brands"])


def brand_audience(request: Request, snap: Snapshot, brand_row: int, tags: tuple[str, ...]):
    """Rows that touch the brand (interactions towards it plus uses of its hashtags) and their touch counts.

    Computed with :func:`api.rankings.brand_touches` (the same audience as ``nichegraph rank --by
    brand-affinity``), read from the store once per run, brand and hashtags, then cached.
    """
    state = get_state(request)

    def make():
        ids = pa.table({"id": pa.array(snap.strings["id"], pa.string())})
        try:
            with state.store_lock:
                store = state.holder.open_store()
                try:
                    touches = brand_touches(store, ids, brand_row, tags)
                finally:
                    store.close()
        except StoreError as exc:
            raise ApiError(503, "the store is busy; try again shortly", headers={"Retry-After": "5"}) from exc
        rows = np.flatnonzero(touches > 0).astype(np.int32)
        return rows, touches[rows]

    return state.cache.get_or_make(("brand", snap.run_id, brand_row, tags), make)


def resolve_brand(snap: Snapshot, handle: str, hashtags: list[str] | None) -> tuple[int, str, tuple[str, ...]]:
    """The brand's row, id and hashtags (default: its handle); 404 when no account matches."""
    name = handle.lstrip("@")
    row = snap.row_of(handle)
    if row is None:
        row = snap.row_of_handle(name) if name else None
    if row is None:
        raise ApiError(404, f"no account with id or handle {handle!r} in run {snap.run_id}")
    own = snap.strings.get("handle")
    own_handle = (own[row] if own is not None else None) or snap.strings["id"][row]
    tags = tuple(sorted({t.lstrip("#").lower() for t in (hashtags or [str(own_handle).lstrip("@")])
                         if t.lstrip("#")}))
    return row, str(snap.strings["id"][row]), tags


@router.get("/brands/{handle}/affinity", operation_id="listBrandAffinity", response_model=BrandAffinityPage,
            summary="Brand affinity",
            description="Accounts that already mention the brand account or use its hashtags, ranked by niche "
                        "centrality (`niche_pagerank` by default): the people to start a campaign with.",
            responses={404: {"description": "No account with this handle or id"}},
            openapi_extra=query_doc(BrandQuery))
def brand_affinity(request: Request, ctx: Snap,
                   handle: Annotated[str, Path(min_length=1, max_length=200, description="Brand handle (`@` optional) or id.",
                                               examples=["acme"])]):
    q = parse_query(request, BrandQuery)
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    brand_row, brand_id, tags = resolve_brand(snap, handle, q.hashtag)
    rows, touches = brand_audience(request, snap, brand_row, tags)
    try:
        cols = snap.output_columns(q.field_list())
        page, next_cursor, used = snap.rank_within(rows, q.filters(), q.sort or snap.preferred_sort(
            "niche_pagerank", "niche_percentile"), q.order == "desc", limit, q.cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    items = snap.rows(page, cols)
    for t, item in zip(touches[np.searchsorted(rows, page)].tolist(), items):
        item["brand_touches"] = t
    return respond(ctx, request, {"run_id": snap.run_id, "sort": used, "order": q.order, "limit": limit,
                                  "next_cursor": next_cursor, "items": items,
                                  "brand": {"handle": handle.lstrip("@"), "id": brand_id, "hashtags": list(tags)}})
