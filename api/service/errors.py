"""One error schema for every failure, and the handlers that produce it.

Every error body is ``{"error": {"status", "code", "message", "fields"}}``;
``fields`` lists one ``{"field", "message"}`` per bad parameter (422/400).
Unexpected exceptions are logged server-side and answered with a bare 500:
no stack trace, exception text or internal name reaches the client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("nichegraph.service")

try:
    import orjson

    def dumps(obj) -> bytes:
        """JSON bytes (NaN and infinities become null)."""
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover - orjson is in the api extra
    import json
    import math

    def _clean(obj):
        if isinstance(obj, float) and not math.isfinite(obj):
            return None
        if isinstance(obj, dict):
            return {k: _clean(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [_clean(v) for v in obj]
        return obj

    def dumps(obj) -> bytes:
        """JSON bytes (NaN and infinities become null)."""
        return json.dumps(_clean(obj), separators=(",", ":"), allow_nan=False).encode()


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_parameters",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


class FieldError(BaseModel):
    field: str = Field(description="The parameter, as `query.limit`, `path.id` or `body.k`.")
    message: str


class ErrorDetail(BaseModel):
    status: int = Field(examples=[404])
    code: str = Field(description="Stable machine-readable code.", examples=["not_found"])
    message: str = Field(examples=["no account 'acme' in run 20260101T000000000000Z-1a2b3c4d"])
    fields: list[FieldError] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An error with an HTTP status, raised by routers and dependencies."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        fields: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}
        self.code = code or _CODES.get(status, "error")


def invalid_parameters(fields: list[tuple[str, str]]) -> ApiError:
    """A 422 listing every bad ``(field, message)``, the first five also in the message."""
    n = len(fields)
    return ApiError(
        422,
        f"{n} invalid parameter{'s' if n != 1 else ''}: " + "; ".join(f"{f}: {m}" for f, m in fields[:5]),
        fields=fields,
    )


def error_response(
    status: int,
    message: str,
    fields: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response:
    body = {
        "error": {
            "status": status,
            "code": code or _CODES.get(status, "error"),
            "message": message,
            "fields": [{"field": f, "message": m} for f, m in (fields or [])],
        }
    }
    headers = dict(headers or {})
    headers.setdefault("Cache-Control", "no-store")
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")


#: Responses every /v1 route may give, for the OpenAPI schema.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in {
        401: "Missing or invalid API key",
        403: "The API key lacks the scope",
        413: "Request body too large",
        414: "URL (query string) too long",
        422: "Invalid parameters",
        429: "Rate limited; retry after `Retry-After` seconds",
        503: "No analysis run loaded yet",
    }.items()
}


def format_loc(loc) -> str:
    """``('query', 'community', 0)`` as ``query.community[0]``."""
    if not loc:
        return "request"
    out = str(loc[0])
    for p in loc[1:]:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into :class:`ErrorBody`."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.fields, exc.headers, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        error = invalid_parameters(
            [(format_loc(e.get("loc")), str(e.get("msg", "invalid value"))) for e in exc.errors()]
        )
        return error_response(422, error.message, error.fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "error")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.url.path}; see /docs for the endpoints"
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal server error")
