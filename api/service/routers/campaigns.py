"""``POST /v1/campaigns/plan`` and ``GET /v1/campaigns/hashtags/{hashtag}``: campaign plans and hashtag campaign reports.

``/campaigns/plan`` chooses the accounts whose audiences together reach the most people;
``/campaigns/hashtags/{hashtag}`` reports a hashtag campaign (:mod:`api.hashtag_campaign`) from the
snapshot's hashtag uses, engagement and follows.  Both run on the plan queue.

Thin layer over :func:`api.campaign.plan_for_run`.  The audience graph and the
accounts table come from the snapshot in memory (built from the run's tables
when the run was loaded), so a request never opens the store.  The selection
(lazy greedy for ``reach``, IMM for ``spread``) runs on the
:class:`~api.service.plan_queue.PlanQueue` workers, off the event loop, with a
bounded queue and a compute budget per key.  Requests are bounded: ``k`` at most
500, IMM at most 2,000,000 RR sets.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from nichegraph.engine import EngineError
from nichegraph.engine.tiers import TIER_NAMES

from ...audiences import AudienceError, parse_time
from ...campaign import Plan, PlanError, PlanRequest, plan_audience, plan_for_run
from ...hashtag_campaign import MAX_NICHES, MAX_PER_NICHE, CampaignError, CampaignRequest, hashtag_campaign
from ...run_query.campaign_index import CampaignRun
from ..deps import Snap, get_state, page_limit
from ..errors import ApiError, ErrorBody, dumps
from ..plan_queue import PlanRefused
from .route import get, post

router = APIRouter(tags=["campaigns"])

MAX_K = 500
MAX_RR_SETS = 2_000_000


def _integral(value):
    """84.0 as 84: JSON Schema counts a number with no fraction as an integer, so the body may carry one."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: An integer of the strict body that also takes an integral JSON number (never a string or a bool).
JsonInt = Annotated[int, BeforeValidator(_integral)]


def _unix_seconds(value):
    """An ISO date / datetime (UTC unless it has an offset) or Unix seconds, as Unix seconds."""
    if isinstance(value, bool):
        raise ValueError("a time is an ISO date or datetime, or Unix seconds")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    try:
        return parse_time(value, "time")
    except AudienceError as exc:
        raise ValueError(str(exc)) from None


#: Unix seconds of 0001-01-01 and of 9999-12-31T23:59:59, UTC.
FIRST_SECOND, LAST_SECOND = -62135596800, 253402300799
#: A point in time: an ISO 8601 date (a datetime is accepted too) or Unix seconds.
TimeParam = Annotated[
    Annotated[int, Field(ge=FIRST_SECOND, le=LAST_SECOND)],
    BeforeValidator(_unix_seconds),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": FIRST_SECOND, "maximum": LAST_SECOND},
                {"type": "string", "format": "date"},
            ]
        }
    ),
]


class CampaignPlanRequest(BaseModel):
    """What to plan: how many accounts, which ones may be chosen, and the objective."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"k": 20, "tier": ["nano", "micro"], "community": [3], "objective": "reach"}]},
    )

    k: JsonInt = Field(20, ge=1, le=MAX_K, description="How many accounts to choose (at most).")
    tier: list[Literal[TIER_NAMES]] | None = Field(None, max_length=len(TIER_NAMES))  # type: ignore[valid-type]
    community: list[Annotated[int, Field(ge=-(2**63), le=2**63 - 1), BeforeValidator(_integral)]] | None = Field(
        None, max_length=1000, description="Broad community ids."
    )
    affiliation: list[Annotated[str, Field(max_length=200)]] | None = Field(
        None, max_length=100, description="Organisations (case-insensitive)."
    )
    budget: float | None = Field(None, ge=0, description="Total cost allowed (unit costs unless `cost_column`).")
    cost_column: str | None = Field(None, max_length=100, description="Numeric accounts column holding costs.")
    objective: Literal["reach", "spread"] = "reach"
    probability: Annotated[float, Field(gt=0, le=1)] | Literal["wc"] = Field(
        0.1, description="spread: edge probability in (0, 1], or 'wc' (1 / the follower's in-degree)."
    )
    epsilon: float = Field(0.2, ge=0.1, lt=1.0, description="spread: IMM slack (within 1 - 1/e - epsilon).")
    ell: float = Field(1.0, gt=0, le=10)
    seed: JsonInt = Field(0, ge=0, le=2**63 - 1)
    overlap: bool = Field(False, description="Also return the chosen accounts' pairwise audience overlap.")
    audience: Literal["followers", "engaged", "auto"] = Field(
        "auto",
        description="Whose attention counts: followers, engaged (accounts that interact with the account) "
        "or auto (engaged when the run has no follows).",
    )
    audience_since: TimeParam | None = Field(None, description="Engaged audiences: only engagement from then.")
    audience_until: TimeParam | None = Field(None, description="Engaged audiences: only engagement before then.")


class PlannedAccount(BaseModel):
    model_config = ConfigDict(extra="allow")

    rank: int
    id: str
    marginal_gain: float
    cumulative: float
    cost: float
    followers_observed: int


class CampaignPlan(BaseModel):
    """The chosen accounts in order, each with its marginal gain, and the total with its standard error."""

    run_id: str | None
    objective: str
    accounts: list[PlannedAccount]
    total: float = Field(description="Unique followers reached (reach) or expected activations (spread).")
    std_error: float = Field(description="0 for the exact reach; binomial standard error of the IMM estimate.")
    guarantee: float = Field(description="Worst-case fraction of the optimum the method guarantees.")
    strategy: str
    candidates: int
    n_accounts: int
    audience_sum: int = Field(description="Sum of the chosen accounts' audiences (duplicates counted).")
    total_cost: float
    # titled so generators name the inline model PlanEcho, not CampaignPlan + Request (the request body's name)
    request: dict = Field(title="PlanEcho", description="The request as the planner understood it.")
    details: dict
    overlap: dict | None = Field(
        None,
        description="`ids`, `jaccard`, `overlap_coefficient`, `shared_followers` "
        "matrices (rows and columns in selection order).",
    )
    audience: dict = Field(description="The audience counted: `kind` (followers or engaged), window and why.")


#: The body fields the planner takes under the same name (the filters are plural there).
_SAME_NAME = frozenset(f.name for f in dataclasses.fields(PlanRequest)) & frozenset(CampaignPlanRequest.model_fields)


def plan_request(body: CampaignPlanRequest) -> PlanRequest:
    """The planner's request: the body's fields of the same name, its filters as tuples, the server's RR-set bound."""
    return PlanRequest(
        **body.model_dump(include=set(_SAME_NAME)),
        tiers=tuple(body.tier) if body.tier else None,
        communities=tuple(body.community) if body.community else None,
        affiliations=tuple(body.affiliation) if body.affiliation else None,
        max_rr_sets=MAX_RR_SETS,
    )


@post(
    router,
    "/campaigns/plan",
    CampaignPlan,
    responses={
        400: {"model": ErrorBody, "description": "The body is not valid JSON"},
        503: {
            "model": ErrorBody,
            "description": "Too many plans queued, or the run has no audience table; see Retry-After",
        },
    },
)
async def plan_campaign(request: Request, ctx: Snap, body: Annotated[CampaignPlanRequest, Body()]):
    """Plan a campaign

    Choose up to `k` accounts (filtered by tier, community, affiliation; optionally within
    a budget) maximising unique follower reach (lazy greedy, within 1 - 1/e of optimal) or
    expected independent-cascade spread (IMM).  Returns each account's marginal gain and the
    total with its uncertainty.
    """
    snap = ctx.snap
    if snap.audience is None and snap.engaged is None:
        raise ApiError(
            503,
            f"run {snap.run_id} has no audience table; run `nichegraph analyze` again",
            headers={"Retry-After": "60"},
        )
    req = plan_request(body)

    def work() -> Plan:
        chosen = plan_audience(req, snap.audience, snap.engaged)
        return plan_for_run(chosen.graph, snap.table, req, run_id=snap.run_id, audience_kind=chosen.describe())

    client = _client(request)
    try:
        result = await get_state(request).plans.run(client, work)
    except PlanRefused as exc:
        raise ApiError(exc.status, exc.message, headers={"Retry-After": str(exc.retry_after)}) from None
    except (PlanError, EngineError) as exc:
        raise ApiError(422, str(exc), fields=[("body", str(exc))]) from None
    return Response(
        dumps(result.to_dict()),
        media_type="application/json",
        headers={"X-Nichegraph-Run": snap.run_id, "Cache-Control": "no-store"},
    )


def _client(request: Request) -> str:
    """Who pays for the work: the API key's client, else the peer address."""
    return getattr(request.state, "client_key", None) or (request.client.host if request.client else "unknown")


class HashtagCampaignReport(BaseModel):
    """A hashtag campaign: participants, first-time voices vs existing fans, reach, niches entered and missed."""

    model_config = ConfigDict(extra="allow")

    run_id: str
    hashtag: str
    since: str | None
    until: str | None
    brand: dict | None
    audience: dict = Field(description="The audience counted: `kind` (followers or engaged), window and why.")
    summary: dict = Field(description="Counts: participants, first-time voices, existing fans, uses, reach, niches.")
    tiers: list[dict]
    participants: list[dict] = Field(
        description="Most uses first; at most `limit` (`summary.participants` counts all)."
    )
    niches_entered: list[dict]
    niches_missed: list[dict]
    carriers: list[dict] = Field(description="Most central non-participants of each listed missed niche.")
    notes: list[str]


@get(
    router,
    "/campaigns/hashtags/{hashtag}",
    HashtagCampaignReport,
    not_found="No brand account with this handle or id",
    responses={
        503: {
            "model": ErrorBody,
            "description": "Too many reports queued, or the run lacks the tables; see Retry-After",
        },
    },
)
async def report_hashtag_campaign(
    request: Request,
    ctx: Snap,
    hashtag: Annotated[
        str,
        Path(
            min_length=1, max_length=200, pattern=r"[^#\s\x00-\x20\x7f-\xa0]", description="The hashtag (`#` optional)."
        ),
    ],
    since: Annotated[
        TimeParam | None, Query(description="Window start, inclusive (ISO date/datetime or Unix s).")
    ] = None,
    until: Annotated[TimeParam | None, Query(description="Window end, exclusive.")] = None,
    brand: Annotated[str | None, Query(min_length=1, max_length=200, description="Brand handle or id.")] = None,
    audience: Annotated[Literal["followers", "engaged", "auto"], Query()] = "auto",
    audience_since: Annotated[TimeParam | None, Query(description="Engaged audiences: from then.")] = None,
    audience_until: Annotated[TimeParam | None, Query(description="Engaged audiences: before then.")] = None,
    niches: Annotated[int, Query(ge=0, le=MAX_NICHES, description="Missed niches listed.")] = 10,
    per_niche: Annotated[int, Query(ge=0, le=MAX_PER_NICHE, description="Carriers per missed niche.")] = 3,
    limit: Annotated[
        int | None, Query(ge=1, le=10_000, description="Participants listed (at most max_page_size).")
    ] = None,
):
    """Hashtag campaign report

    Who used the hashtag within `[since, until)`: first-time voices versus existing fans (used the
    tag, or engaged with `brand`, before `since`), their tiers, niches and engagement received, the
    deduplicated audience reached (exact and HyperLogLog; followers or engaged audiences, the report
    says which), the niches entered and the niches reached but silent, with the accounts in those
    niches best placed to carry the campaign further.
    """
    snap = ctx.snap
    if snap.tag_uses is None:
        raise ApiError(
            503,
            f"run {snap.run_id} has no hashtag_uses table; run `nichegraph analyze` again",
            headers={"Retry-After": "60"},
        )
    req = CampaignRequest(
        hashtag,
        since,
        until,
        brand,
        audience,
        audience_since,
        audience_until,
        niches,
        per_niche,
        page_limit(limit, ctx.settings),
    )
    data = CampaignRun.from_snapshot(snap)
    try:
        report = await get_state(request).plans.run(_client(request), lambda: hashtag_campaign(data, req))
    except PlanRefused as exc:
        raise ApiError(exc.status, exc.message, headers={"Retry-After": str(exc.retry_after)}) from None
    except CampaignError as exc:
        status = 404 if str(exc).startswith("no account") else 422
        raise ApiError(status, str(exc), fields=[("query", str(exc))]) from None
    return Response(
        dumps(report),
        media_type="application/json",
        headers={"X-Nichegraph-Run": snap.run_id, "Cache-Control": "no-store"},
    )
