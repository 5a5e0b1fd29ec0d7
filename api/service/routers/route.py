"""How an endpoint is declared and how a ranking-like endpoint answers: the conventions every router shares.

Declaring an endpoint (:func:`get`, :func:`post`)::

    router = APIRouter(tags=["brands"])

    @get(router, "/brands/{handle}/affinity", BrandAffinityPage, query=BrandQuery, not_found="No such brand")
    def list_brand_affinity(request: Request, ctx: Snap, handle: ...):
        \"\"\"Brand affinity

        Accounts that already mention the brand account ... (the OpenAPI description).
        \"\"\"

* the handler's name in camelCase is the OpenAPI ``operationId`` (``list_brand_affinity`` ->
  ``listBrandAffinity``: the method name in generated clients, so keep it stable);
* the first line of its docstring is the ``summary``, the paragraphs after it the ``description``;
* ``query`` documents a query model's fields as query parameters (:func:`common.query_doc`) for a
  handler that validates them itself with :func:`ranking_request`; ``not_found`` documents its 404.

Answering a ranking-like request (the filters, sort and page of :class:`common.PageQuery`):
:func:`ranking_request` validates the query, the page size and the requested columns against the
request's snapshot; :func:`ranked_page` is the JSON page with the run's caching headers.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from ...run_query import QueryError, Snapshot
from ..deps import Ctx, page_limit, query_error, respond
from .common import PageQuery, parse_query, query_doc

_F = TypeVar("_F", bound=Callable[..., Any])
_Q = TypeVar("_Q", bound=PageQuery)


def operation_id(name: str) -> str:
    """``list_brand_affinity`` -> ``listBrandAffinity``."""
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _summary_and_description(fn: Callable) -> tuple[str, str]:
    summary, _, rest = inspect.cleandoc(fn.__doc__ or "").partition("\n\n")
    # a paragraph is one line in the description (Markdown renders both alike; clients show it whole)
    paragraphs = [re.sub(r"\s*\n\s*", " ", p.strip()) for p in rest.split("\n\n") if p.strip()]
    if not summary.strip() or not paragraphs:
        # without a description FastAPI would publish the whole docstring, summary line included
        raise TypeError(f"endpoint {fn.__name__}: its docstring needs a summary line, a blank line and a description")
    return summary.strip(), "\n\n".join(paragraphs)


def _route(
    router: APIRouter,
    method: str,
    path: str,
    response_model: type,
    *,
    query: type[BaseModel] | None,
    not_found: str | None,
    responses: dict[int | str, dict[str, Any]] | None,
) -> Callable[[_F], _F]:
    def declare(fn: _F) -> _F:
        summary, description = _summary_and_description(fn)
        documented = dict(responses or {})
        if not_found is not None:
            documented[404] = {"description": not_found}
        router.api_route(
            path,
            methods=[method],
            operation_id=operation_id(fn.__name__),
            response_model=response_model,
            summary=summary,
            description=description,
            responses=documented or None,
            openapi_extra=query_doc(query) if query is not None else None,
        )(fn)
        return fn

    return declare


def get(
    router: APIRouter,
    path: str,
    response_model: type,
    *,
    query: type[BaseModel] | None = None,
    not_found: str | None = None,
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> Callable[[_F], _F]:
    """Declare ``GET path`` on ``router`` with the API's conventions (see the module docstring)."""
    return _route(router, "GET", path, response_model, query=query, not_found=not_found, responses=responses)


def post(
    router: APIRouter,
    path: str,
    response_model: type,
    *,
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> Callable[[_F], _F]:
    """Declare ``POST path`` on ``router`` with the API's conventions (see the module docstring)."""
    return _route(router, "POST", path, response_model, query=None, not_found=None, responses=responses)


@dataclass(frozen=True)
class RankingRequest(Generic[_Q]):
    """A validated ranking-like request: its query, page size, snapshot and output columns."""

    q: _Q
    limit: int
    snap: Snapshot
    columns: list[str]

    def items(self, rows: np.ndarray | Sequence[int]) -> list[dict]:
        """The requested columns of ``rows`` (dense indices), one dict per row."""
        return self.snap.rows(rows, self.columns)


def ranking_request(request: Request, ctx: Ctx, model: type[_Q]) -> RankingRequest[_Q]:
    """Validate the query string against ``model``, its page size and its ``fields`` (422 naming what is wrong)."""
    q = parse_query(request, model)
    limit = page_limit(q.limit, ctx.settings)
    try:
        columns = ctx.snap.output_columns(q.field_list())
    except QueryError as exc:
        raise query_error(exc) from None
    return RankingRequest(q, limit, ctx.snap, columns)


def ranked_page(
    ctx: Ctx,
    request: Request,
    r: RankingRequest,
    items: list[dict],
    *,
    sort: str,
    next_cursor: str | None,
    **extra: Any,
) -> Response:
    """The JSON page ``{run_id, sort, order, limit, next_cursor, items}`` plus the endpoint's ``extra`` keys."""
    body = {
        "run_id": r.snap.run_id,
        "sort": sort,
        "order": r.q.order,
        "limit": r.limit,
        "next_cursor": next_cursor,
        "items": items,
    }
    return respond(ctx, request, {**body, **extra})
