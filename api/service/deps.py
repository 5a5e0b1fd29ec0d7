"""Shared state and the dependencies routers use, as ``Annotated`` aliases.

* :data:`Snap` — the current snapshot, read once per request (so one request
  never mixes two runs); 503 when no run is loaded; 304 when ``If-None-Match``
  already names this response.
* :func:`scope` — API key check (401/403) and the per-key token bucket (429).
* :func:`strict_query` — 422 for a query parameter the route does not declare
  (naming the ones it takes), and for one given more than once that the
  OpenAPI schema does not declare as an array.
* :func:`respond` — the JSON response with ``ETag``, ``Cache-Control`` and
  ``X-Nichegraph-Run`` derived from the run id; its ``next_cursor`` signed.
* :func:`unsigned_cursor` / :data:`Cursor` — the token inside a signed cursor
  (422 when the signature is not this server's for this endpoint).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from ..run_query import QueryError, Snapshot
from .errors import ApiError, dumps, invalid_parameters
from .plan_queue import PlanQueue
from .run_holder import SnapshotHolder
from .security import CursorSigner, KeyCheckRefused, KeyRing, RateLimiter, retry_after_header
from .settings import Settings


@dataclass
class ServiceState:
    """Everything the app shares between requests (opened in the lifespan); none of it is a store connection."""

    settings: Settings
    holder: SnapshotHolder
    keys: KeyRing
    limiter: RateLimiter
    plans: PlanQueue
    cursors: CursorSigner = field(default_factory=CursorSigner)


def get_state(request: Request) -> ServiceState:
    return request.app.state.nichegraph


@dataclass(frozen=True)
class Ctx:
    """The snapshot a request is answered from, and the response's validator."""

    snap: Snapshot
    etag: str
    settings: Settings


def _etag(run_id: str, request: Request) -> str:
    key = request.url.path + "?" + request.url.query
    return '"' + run_id + "." + hashlib.blake2b(key.encode(), digest_size=8).hexdigest() + '"'


def _cache_control(settings: Settings, keys: KeyRing) -> str:
    return f"{'private' if keys.enabled else 'public'}, max-age={settings.cache_max_age}"


async def current(request: Request) -> Ctx:
    state: ServiceState = request.app.state.nichegraph
    snap = state.holder.current
    if snap is None:
        raise ApiError(
            503,
            state.holder.last_error or "no analysis run loaded yet",
            headers={"Retry-After": str(max(1, int(state.settings.poll_seconds or 5)))},
        )
    etag = _etag(snap.run_id, request)
    inm = request.headers.get("if-none-match")
    if inm and (inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]):
        raise NotModified(etag, _cache_control(state.settings, state.keys), snap.run_id)
    return Ctx(snap, etag, state.settings)


Snap = Annotated[Ctx, Depends(current)]


class NotModified(Exception):
    def __init__(self, etag: str, cache_control: str, run_id: str):
        self.headers = {"ETag": etag, "Cache-Control": cache_control, "X-Nichegraph-Run": run_id}


def _endpoint(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path_format", None) or request.url.path


#: Why a cursor was refused (the same words whether it is malformed, forged or from another endpoint).
BAD_CURSOR = "not a cursor returned by this endpoint (cursors are signed: pass next_cursor unchanged)"


def unsigned_cursor(request: Request, cursor: str | None) -> str | None:
    """The token inside ``cursor`` (as the data layer made it), checked against this server's signature."""
    if cursor is None:
        return None
    token = get_state(request).cursors.verify(cursor, _endpoint(request))
    if token is None:
        raise ApiError(422, f"cursor: {BAD_CURSOR}", fields=[("query.cursor", BAD_CURSOR)])
    return token


CURSOR_DESCRIPTION = "`next_cursor` of the previous page (signed by the server; pass it unchanged)."


async def _cursor_param(
    request: Request, cursor: Annotated[str | None, Query(max_length=512, description=CURSOR_DESCRIPTION)] = None
) -> str | None:
    return unsigned_cursor(request, cursor)


#: A ``cursor`` query parameter, verified: the router sees the token it signed, or the client a 422.
Cursor = Annotated[str | None, Depends(_cursor_param)]


def respond(ctx: Ctx, request: Request, payload: dict) -> Response:
    """``payload`` as JSON with the run's validators and caching headers (``next_cursor`` signed)."""
    state = get_state(request)
    if payload.get("next_cursor") is not None:
        payload["next_cursor"] = state.cursors.sign(str(payload["next_cursor"]), _endpoint(request))
    return Response(
        dumps(payload),
        media_type="application/json",
        headers={
            "ETag": ctx.etag,
            "Cache-Control": _cache_control(state.settings, state.keys),
            "X-Nichegraph-Run": ctx.snap.run_id,
        },
    )


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


def scope(name: str) -> Callable:
    """A dependency: the caller's key must allow scope ``name``; then one rate-limit token."""

    async def check(request: Request) -> str:
        state: ServiceState = request.app.state.nichegraph
        client = request.client.host if request.client else "unknown"
        if state.keys.enabled:
            presented = _presented_key(request)
            if not presented:
                raise ApiError(
                    401,
                    "an API key is required: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            try:
                key = await state.keys.verify(presented, client)
            except KeyCheckRefused as exc:
                await asyncio.sleep(state.settings.auth_failure_delay)
                raise ApiError(
                    exc.status, exc.message, headers={"Retry-After": retry_after_header(exc.retry_after)}
                ) from None
            if key is None:
                await asyncio.sleep(state.settings.auth_failure_delay)  # one guess per delay per connection
                raise ApiError(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
            if not key.allows(name):
                raise ApiError(403, f"the API key {key.name!r} lacks the scope {name!r}")
            client = "key:" + key.name
        request.state.client_key = client  # who pays for costly work (campaign plans)
        wait = state.limiter.take(client)
        if wait > 0:
            raise ApiError(
                429,
                f"rate limit of {state.limiter.rate:g} requests/s exceeded; retry later",
                headers={"Retry-After": retry_after_header(wait)},
            )
        return client

    check.__name__ = f"scope_{name}"
    return check


def _query_parameters(app) -> dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]]:
    """``(path, METHOD) -> (every query parameter, those that take one value)``, from the app's OpenAPI schema."""
    out = {}
    for path, item in app.openapi().get("paths", {}).items():
        for method, op in item.items():
            if isinstance(op, dict):
                query = [p for p in op.get("parameters", ()) if p.get("in") == "query"]
                out[(path, method.upper())] = (
                    frozenset(p["name"] for p in query),
                    frozenset(p["name"] for p in query if p.get("schema", {}).get("type") != "array"),
                )
    return out


def strict_query(prefix: str = "") -> Callable:
    """A dependency for the routes mounted under ``prefix``: refuse (422) a query parameter the route does not
    declare in the OpenAPI schema, naming the ones it takes, and one given more than once unless declared an
    array.

    Without it a misspelt filter (``?teir=nano``) would be ignored, answering a question nobody asked, and for
    a repeated one the last value would win silently (``?limit=5&limit=2`` served 2 items).
    """

    async def check(request: Request) -> None:
        state = request.app.state
        table = getattr(state, "query_parameters", None)
        if table is None:
            table = state.query_parameters = _query_parameters(request.app)
        route = request.scope.get("route")
        known, scalars = table.get(
            (prefix + getattr(route, "path_format", ""), request.method), (frozenset(), frozenset())
        )
        seen: dict[str, int] = {}
        for key, _ in request.query_params.multi_items():
            seen[key] = seen.get(key, 0) + 1
        allowed = ", ".join(sorted(known)) if known else "none"
        bad = [(f"query.{k}", f"unknown parameter; this endpoint takes: {allowed}") for k in seen if k not in known]
        bad += [
            (f"query.{k}", f"given {n} times; this parameter takes one value")
            for k, n in seen.items()
            if n > 1 and k in scalars
        ]
        if bad:
            raise invalid_parameters(bad)

    return check


def query_error(exc: QueryError) -> ApiError:
    """A snapshot query error as a 422 naming the query parameter."""
    return ApiError(422, f"{exc.field}: {exc.message}", fields=[(f"query.{exc.field}", exc.message)])


def page_limit(limit: int | None, settings: Settings) -> int:
    if limit is None:
        return settings.default_page_size
    if limit > settings.max_page_size:
        raise ApiError(
            422,
            f"limit: at most {settings.max_page_size} items per page",
            fields=[("query.limit", f"must be at most {settings.max_page_size}")],
        )
    return limit
