"""The ranking kinds of :mod:`api.rankings` as HTTP pages: one helper for rankings, brands and organisations.

Every endpoint that ranks by a kind goes through :func:`kind_page`, so the API
answers with the same rows, order and ties as ``nichegraph rank`` and the report.
"""

from __future__ import annotations

from ...rankings import MissingRunTable, RankedPage, RankingError, UnknownAccount, plan_kind, rank_page
from ...run_query import QueryError, Snapshot
from ..deps import query_error
from ..errors import ApiError
from .common import PageQuery


def kind_page(snap: Snapshot, q: PageQuery, kind: str, limit: int, **kind_args) -> RankedPage:
    """One page of ranking ``kind`` with the query's filters, sort, order and cursor (errors as HTTP errors)."""
    try:
        plan = plan_kind(snap, kind, q.filters(), sort=q.sort, **kind_args)
        return rank_page(snap, plan, limit=limit, cursor=q.cursor, desc=q.order == "desc")
    except UnknownAccount as exc:
        raise ApiError(404, str(exc)) from None
    except MissingRunTable as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "60"}) from None
    except RankingError as exc:
        raise ApiError(422, str(exc)) from None
    except QueryError as exc:
        raise query_error(exc) from None
