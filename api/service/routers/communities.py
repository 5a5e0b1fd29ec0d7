"""``GET /v1/communities`` and ``GET /v1/communities/{id}``: size, density, top members and hashtags."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from ..deps import Cursor, Snap, page_limit, respond
from ..errors import ApiError
from ..schemas import CommunityDetail, CommunityList
from .route import get

LimitParam = Annotated[int | None, Query(ge=1, le=10_000, description="Page size (at most max_page_size).")]

router = APIRouter(tags=["communities"])


@get(router, "/communities", CommunityList)
async def list_communities(
    request: Request,
    ctx: Snap,
    level: Annotated[Literal["broad", "niche"] | None, Query(description="Only this level.")] = None,
    parent: Annotated[
        int | None, Query(ge=-(2**63), le=2**63 - 1, description="Only niches of this broad community.")
    ] = None,
    sort: Annotated[Literal["size", "density", "internal_edges", "community"], Query()] = "size",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    limit: LimitParam = None,
    cursor: Cursor = None,
):
    """List communities

    Communities of the current run (broad ones and the niches inside them), largest first by default.
    """
    limit = page_limit(limit, ctx.settings)
    snap = ctx.snap
    items = [
        c
        for (lvl, _), c in snap.communities.items()
        if (level is None or lvl == level) and (parent is None or c.get("parent") == parent)
    ]

    def key(c):
        v = c.get(sort)
        missing = v is None or v != v
        v = 0 if missing else v
        return (missing, -v if order == "desc" else v, c.get("level") or "", c["community"])

    items.sort(key=key)
    start = 0
    if cursor:
        if not cursor.isdigit() or int(cursor) > len(items):
            raise ApiError(
                422,
                "cursor: not a cursor returned by this endpoint",
                fields=[("query.cursor", "pass next_cursor unchanged")],
            )
        start = int(cursor)
    page = items[start : start + limit]
    nxt = str(start + limit) if start + limit < len(items) else None
    return respond(ctx, request, {"run_id": snap.run_id, "limit": limit, "next_cursor": nxt, "items": page})


@get(router, "/communities/{community_id}", CommunityDetail, not_found="No such community in the run")
async def get_community(
    request: Request,
    ctx: Snap,
    community_id: Annotated[int, Path(ge=-(2**63), le=2**63 - 1, description="Community id.", examples=[3])],
    level: Annotated[Literal["broad", "niche"], Query(description="Which level the id names.")] = "broad",
):
    """One community

    A community of the current run (size, density, top members and hashtags) and, for a broad
    community, the niches inside it, largest first.
    """
    snap = ctx.snap
    c = snap.communities.get((level, community_id))
    if c is None:
        raise ApiError(404, f"no {level} community {community_id} in run {snap.run_id}")
    niches = (
        [n for (lvl, _), n in snap.communities.items() if lvl == "niche" and n.get("parent") == community_id]
        if level == "broad"
        else []
    )
    niches.sort(key=lambda n: (-(n.get("size") or 0), n["community"]))
    return respond(ctx, request, {"run_id": snap.run_id, "community": c, "niches": niches})
