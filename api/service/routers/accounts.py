"""``GET /v1/accounts/{id}``: one account with every score, and its strongest mutual ties."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ...explain import explain_account, hidden_position
from ..deps import Snap, respond
from ..errors import ApiError
from ..schemas import AccountDetail
from .route import get

router = APIRouter(tags=["accounts"])


@get(router, "/accounts/{account_id}", AccountDetail, not_found="No account with this id in the run")
async def get_account(
    request: Request,
    ctx: Snap,
    account_id: Annotated[str, Path(max_length=256, description="External account id.", examples=["1201"])],
    mutuals: Annotated[int, Query(ge=0, le=100, description="How many mutual ties.")] = 10,
):
    """One account

    Every score and component of the account in the current run, its community, niche and
    tier, and its strongest mutual connections.
    """
    snap = ctx.snap
    row = snap.row_of(account_id)
    if row is None:
        raise ApiError(404, f"no account {account_id!r} in run {snap.run_id}")
    item = snap.rows([row])[0]
    ties = []
    if snap.mutuals is not None and mutuals:
        nbr, strength, follow = snap.mutuals.of(row, mutuals)
        if len(nbr):
            names = snap.rows(nbr, ["id", "handle"] if "handle" in snap.columns else ["id"])
            ties = [
                {"id": n["id"], "handle": n.get("handle"), "strength": float(s), "mutual_follow": bool(f)}
                for n, s, f in zip(names, strength.tolist(), follow.tolist())
            ]
    comm = {
        "broad": snap.communities.get(("broad", item["community"])) if item.get("community") is not None else None,
        "niche": snap.communities.get(("niche", item["niche"])) if item.get("niche") is not None else None,
    }
    position, scored = (
        hidden_position(snap.nums["score_hidden"].values, item.get("score_hidden"))
        if "score_hidden" in snap.nums
        else (None, 0)
    )
    why = explain_account(item, snap.run.params or {}, position=position, scored=scored)
    return respond(
        ctx,
        request,
        {"run_id": snap.run_id, "account": item, "communities": comm, "mutual_connections": ties, "explanation": why},
    )
