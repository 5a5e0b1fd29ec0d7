"""``GET /v1/runs``: the analysis runs in the store, newest first."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request

from ..deps import Snap, get_state, respond
from ..schemas import RunList
from .route import get

router = APIRouter(tags=["runs"])


@get(router, "/runs", RunList)
async def list_runs(request: Request, ctx: Snap):
    """Analysis runs

    Runs seen at the last check of the store (newest first) and the one being served.
    """
    holder = get_state(request).holder
    return respond(ctx, request, {"current_run_id": ctx.snap.run_id, "items": [asdict(r) for r in holder.runs]})
