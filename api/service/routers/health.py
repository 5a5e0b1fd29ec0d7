"""``GET /healthz`` (the process answers) and ``GET /readyz`` (a run is loaded)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..deps import dumps, get_state
from ..schemas import Health, Ready

router = APIRouter(tags=["health"])

_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz", operation_id="getHealth", response_model=Health, summary="Liveness")
async def healthz():
    return Response(dumps({"status": "ok"}), media_type="application/json", headers=_NO_STORE)


@router.get(
    "/readyz",
    operation_id="getReadiness",
    response_model=Ready,
    summary="Readiness: a run is loaded",
    responses={503: {"model": Ready, "description": "No run loaded yet"}},
)
async def readyz(request: Request):
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
