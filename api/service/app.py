"""The FastAPI application factory.

``create_app(settings)`` wires the routers, error handlers, CORS and request
limits; its lifespan loads the newest run into a :class:`Snapshot` before the
first request and starts the thread that swaps in newer runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from nichegraph.graph_store import Store

from . import errors
from .deps import NotModified, ServiceState, scope, strict_query
from .errors import ERROR_RESPONSES, error_response
from .plan_queue import PlanQueue
from .routers import V1_ROUTERS, health
from .run_holder import SnapshotHolder, file_version
from .security import CursorSigner, KeyRing, RateLimiter, load_keys
from .settings import Settings, load_settings

DESCRIPTION = """\
Rankings computed by `nichegraph analyze`, served from memory.

* Every response names the analysis run it comes from (`run_id`, header `X-Nichegraph-Run`) and
  carries an `ETag` and `Cache-Control`; send `If-None-Match` to get `304 Not Modified`.
* When API keys are configured, send `X-API-Key: KEY` (or `Authorization: Bearer KEY`).
* Errors always have the body `{"error": {"status", "code", "message", "fields"}}`.
* A query parameter an endpoint does not declare, or a value outside its declared set, is a 422
  that names what the endpoint accepts.
* `next_cursor` is signed by the server: pass it back unchanged as `cursor`.
"""

#: Int64 limits: FastAPI's OpenAPI model stores bounds as floats, and 2**63 - 1 as a float is 2**63.
_INT64 = (-(2**63), 2**63 - 1)


class LimitsMiddleware:
    """Pure ASGI: refuse over-long query strings (414) and bodies (413); add safe headers."""

    def __init__(self, app, *, max_query_bytes: int, max_body_bytes: int):
        self.app = app
        self.max_query = max_query_bytes
        self.max_body = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if len(scope.get("query_string", b"")) > self.max_query or len(scope.get("path", "")) > self.max_query:
            return await error_response(414, f"the URL is longer than {self.max_query} bytes")(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_body
                except ValueError:
                    too_big = True
                if too_big:
                    return await error_response(413, f"the request body is larger than {self.max_body} bytes")(
                        scope, receive, send
                    )
        if scope.get("method") in ("POST", "PUT", "PATCH") and not any(
            name == b"content-length" for name, _ in scope.get("headers", ())
        ):
            # a body without a declared length (chunked): read it here, up to the limit, then replay it
            messages, size = [], 0
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                size += len(message.get("body", b""))
                if size > self.max_body:
                    return await error_response(413, f"the request body is larger than {self.max_body} bytes")(
                        scope, receive, send
                    )
                if not message.get("more_body", False):
                    break
            pending, upstream = iter(messages), receive

            async def replay():
                return next(pending, None) or await upstream()

            receive = replay

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*list(message["headers"]), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def default_opener(settings: Settings) -> Callable[[], Store]:
    from nichegraph.api.options import open_cli_store

    return lambda: open_cli_store(settings.store, read_only=True, lock_wait=0.0)


def _nodes(node):
    """Every dict inside a JSON document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _exact_bounds(schema: dict, max_page_size: int) -> None:
    """Make the schema say what the server enforces: integer bounds as exact integers (never a float, never
    rounded past int64) and every ``limit`` at most ``max_page_size``."""
    for node in _nodes(schema):
        if node.get("in") == "query" and node.get("name") == "limit":
            for sub in _nodes(node["schema"]):
                if sub.get("type") == "integer":
                    sub["maximum"] = max_page_size
        if node.get("type") == "integer":
            for bound, clamp in (("minimum", max), ("maximum", min)):
                if bound in node:
                    node[bound] = clamp(int(node[bound]), _INT64[bound == "maximum"])


def _openapi(app: FastAPI, settings: Settings) -> Callable[[], dict]:
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            _exact_bounds(schema, settings.max_page_size)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def create_app(settings: Settings | None = None, *, open_store: Callable[[], Store] | None = None) -> FastAPI:
    """Build the nichegraph HTTP app.

    Parameters
    ----------
    settings : Settings, optional
        Built by :func:`load_settings` from the environment when omitted.
    open_store : callable, optional
        Opens the store (read-only); by default from ``settings.store``.
    """
    settings = settings or load_settings()
    keys = KeyRing(
        load_keys(settings.api_keys_file, settings.api_keys),
        threads=settings.key_check_threads,
        failures=RateLimiter(settings.auth_failure_rate, settings.auth_failure_burst),
    )
    holder = SnapshotHolder(
        open_store or default_opener(settings),
        mutuals=settings.mutuals,
        version=None if open_store else file_version(settings.store),
    )
    plans = PlanQueue(
        workers=settings.plan_workers,
        queue=settings.plan_queue,
        per_key=settings.plan_per_key,
        budget_seconds=settings.plan_budget_seconds,
        window_seconds=settings.plan_budget_window,
    )
    state = ServiceState(
        settings,
        holder,
        keys,
        RateLimiter(settings.rate_limit, settings.rate_burst),
        plans,
        cursors=CursorSigner(settings.cursor_secret),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await anyio.to_thread.run_sync(holder.refresh)
        holder.start(settings.poll_seconds)
        try:
            yield
        finally:
            holder.stop()
            keys.close()

    # redirect_slashes=False: Starlette's redirect from /v1/rankings/ names the Host header's host (an open
    # redirect), and a relative one would turn //evil.example/ into a protocol-relative jump; a 404 is honest.
    app = FastAPI(
        title="nichegraph",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        redirect_slashes=False,
    )
    app.openapi = _openapi(app, settings)  # type: ignore[method-assign]
    app.state.nichegraph = state
    errors.install(app)

    @app.exception_handler(NotModified)
    async def _not_modified(request: Request, exc: NotModified):
        return Response(status_code=304, headers=exc.headers)

    app.include_router(health.router, dependencies=[Depends(strict_query())])
    for router, scope_name in V1_ROUTERS:
        app.include_router(
            router,
            prefix="/v1",
            dependencies=[Depends(scope(scope_name)), Depends(strict_query("/v1"))],
            responses={**ERROR_RESPONSES, 304: {"description": "Not modified (If-None-Match)"}},
        )

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "If-None-Match", "Content-Type"],
            expose_headers=["ETag", "X-Nichegraph-Run", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(
        LimitsMiddleware, max_query_bytes=settings.max_query_bytes, max_body_bytes=settings.max_body_bytes
    )
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory nichegraph.api.service.app:app_from_env`` (settings from NICHEGRAPH_*)."""
    return create_app(load_settings())
