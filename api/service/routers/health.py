"""``GET /healthz`` (the process answers) and ``GET /readyz`` (a run is loaded)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..deps import dumps, get_state
from ..schemas import Health, Ready
from .route import get

router = APIRouter(tags=["health"])

_NO_STORE = {"Cache-Control": "no-store"}


@get(router, "/healthz", Health)
async def get_health():
    """Liveness

    200 while the process answers, whether or not a run is loaded.
    """
    return Response(dumps({"status": "ok"}), media_type="application/json", headers=_NO_STORE)


@get(router, "/readyz", Ready, responses={503: {"model": Ready, "description": "No run loaded yet"}})
async def get_readiness(request: Request):
    """Readiness: a run is loaded

    200 with the served run's id and account count once a run is loaded, 503 before; `message` says why
    no run is loaded, or that the store could not be read at the last check.
    """
    holder = get_state(request).holder
    snap = holder.current
    if snap is None:
        body = {"status": "not ready", "run_id": None, "accounts": None, "message": holder.last_error or "loading"}
        return Response(dumps(body), status_code=503, media_type="application/json", headers=_NO_STORE)
    body = {
        "status": "ready",
        "run_id": snap.run_id,
        "accounts": snap.n,
        "message": holder.last_error,
    }  # e.g. the store could not be read at the last check
    return Response(dumps(body), media_type="application/json", headers={**_NO_STORE, "X-Nichegraph-Run": snap.run_id})
