"""``GET /v1/rankings``: filtered, sorted, cursor-paginated accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...rankings import authenticity_note, unknown_left_out
from ...run_query import Filters, QueryError
from ..deps import Snap, page_limit, query_error, respond
from ..schemas import RankingsPage
from .common import RankingQuery, parse_query, query_doc
from .kind_pages import kind_page

router = APIRouter(tags=["rankings"])


@router.get(
    "/rankings",
    operation_id="listRankings",
    response_model=RankingsPage,
    summary="Rank accounts with filters",
    openapi_extra=query_doc(RankingQuery),
    description="Accounts of the current run matching every filter, sorted by a score column, one page "
    "at a time.  Example: nano influencers of community 3 with a social audience, by hidden "
    "score: `/v1/rankings?community=3&tier=nano&min_social_ratio=0.5&sort=score_hidden`.  With "
    "`by=KIND`, the same ranking as `nichegraph rank --by KIND`.",
)
async def rankings(request: Request, ctx: Snap):
    q = parse_query(request, RankingQuery)
    limit = page_limit(q.limit, ctx.settings)
    snap = ctx.snap
    try:
        cols = snap.output_columns(q.field_list())
        filters = q.filters()
        if q.by is None:
            rows, next_cursor, used = snap.rank(filters, q.sort, q.order == "desc", limit, q.cursor)
    except QueryError as exc:
        raise query_error(exc) from None
    if q.by is not None:
        page = kind_page(snap, q, q.by, limit)
        rows, next_cursor, used = page.rows, page.next_cursor, page.sort
    notes = [] if q.cursor else _notes(snap, filters, used, len(rows))
    return respond(
        ctx,
        request,
        {
            "run_id": snap.run_id,
            "sort": used,
            "order": q.order,
            "limit": limit,
            "next_cursor": next_cursor,
            "items": snap.rows(rows, cols),
            "notes": notes,
        },
    )


def _notes(snap, filters: Filters, sort: str, n_rows: int) -> list[str]:
    """Unknown tiers a tier filter left out, and why a first page is empty (docs/api.md)."""
    notes = []
    left = unknown_left_out(snap, filters, sort)
    if left:
        notes.append(
            f"{left:,} account{'' if left == 1 else 's'} of unknown tier (no platform follower count) left out; "
            "add tier=unknown to include them."
        )
    screened = authenticity_note(snap, filters, sort)
    if screened:
        notes.append(screened)
    if n_rows == 0:
        notes.append(f"no account of run {snap.run_id} matches these filters with a value of {sort}.")
        if "followers_count" in snap.nums and not snap.nums["followers_count"].n_valid:
            notes.append(
                "no account has a platform follower count, so every tier is unknown; load accounts with "
                "followers_count."
            )
        counts = snap.run.counts or {}
        if counts.get("interactions") == 0 and sort.startswith(("social", "score_hidden")):
            notes.append("the store has no interactions, so social ratios are undefined; load interactions.")
    return notes
