"""``GET /v1/rankings``: filtered, sorted, cursor-paginated accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...ranking_notes import authenticity_note, unknown_left_out
from ...run_query import Filters, QueryError
from ..deps import Snap, query_error
from ..schemas import RankingsPage
from .common import RankingQuery
from .kind_pages import kind_page
from .route import get, ranked_page, ranking_request

router = APIRouter(tags=["rankings"])


@get(router, "/rankings", RankingsPage, query=RankingQuery)
async def list_rankings(request: Request, ctx: Snap):
    """Rank accounts with filters

    Accounts of the current run matching every filter, sorted by a score column, one page
    at a time.  Example: nano influencers of community 3 with a social audience, by hidden
    score: `/v1/rankings?community=3&tier=nano&min_social_ratio=0.5&sort=score_hidden`.  With
    `by=KIND`, the same ranking as `nichegraph rank --by KIND`.
    """
    r = ranking_request(request, ctx, RankingQuery)
    q, snap = r.q, r.snap
    filters = q.filters()
    if q.by is None:
        try:
            rows, next_cursor, used = snap.rank(filters, q.sort, q.order == "desc", r.limit, q.cursor)
        except QueryError as exc:
            raise query_error(exc) from None
    else:
        page = kind_page(snap, q, q.by, r.limit)
        rows, next_cursor, used = page.rows, page.next_cursor, page.sort
    notes = [] if q.cursor else _notes(snap, filters, used, len(rows))
    return ranked_page(ctx, request, r, r.items(rows), sort=used, next_cursor=next_cursor, notes=notes)


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
