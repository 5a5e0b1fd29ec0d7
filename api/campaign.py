"""Campaign planning glue: the latest run's audience graph + accounts table -> a plan.

The audience of an account is its followers in the follow graph
(:func:`engine.influence.audience_graph`), read from the run's ``audience``
table (the follows as ``analyze`` saw them), or from the store's follows for a
run written before that table existed; or the accounts that engage with it
(the run's ``engaged`` table, optionally within a time window), chosen by
``PlanRequest.audience`` (:mod:`api.audiences`; ``auto`` takes engaged audiences
when the run has no follows).  The plan says which it used (``Plan.audience``).  Candidates are filtered with the run's
``accounts`` table (``tier``, ``community``, ``affiliation``; an optional
numeric cost column), then :func:`engine.influence.max_reach_portfolio`
(objective ``reach``) or :func:`engine.influence.imm_portfolio` (objective
``spread``) chooses them.  The HTTP service plans from the same two tables,
held in memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine import Graph
from nichegraph.engine.influence import Portfolio, audience_graph, audience_overlap, imm_portfolio, max_reach_portfolio
from nichegraph.engine.tiers import TIER_NAMES
from nichegraph.graph_store import Store

from .audiences import AudienceError, ChosenAudience, choose_audience
from .run_query.campaign_index import EngagedEvents
from .run_query.serving_index import audience_from_table

Objective = Literal["reach", "spread"]
KNOWN_TIERS = TIER_NAMES


class PlanError(ValueError):
    """A plan request that cannot be answered as asked (the message says how to fix it)."""


@dataclass(frozen=True)
class PlanRequest:
    """What to plan.

    ``tiers`` / ``communities`` / ``affiliations``: keep accounts matching any of the listed
    values (each filter that is given must match).  ``budget``: total cost allowed; costs
    come from ``cost_column`` of the accounts table (unit costs when None).  ``probability``,
    ``epsilon``, ``ell`` and ``seed`` are used by the ``spread`` objective (IMM).  ``audience``:
    followers, engaged or auto, with ``audience_since`` / ``audience_until`` (Unix seconds)
    windowing engaged audiences (:func:`api.audiences.choose_audience`).
    """

    k: int = 20
    tiers: tuple[str, ...] | None = None
    communities: tuple[int, ...] | None = None
    affiliations: tuple[str, ...] | None = None
    budget: float | None = None
    cost_column: str | None = None
    objective: Objective = "reach"
    probability: float | str = 0.1
    epsilon: float = 0.2
    ell: float = 1.0
    seed: int = 0
    max_rr_sets: int = 20_000_000
    overlap: bool = False
    audience: str = "auto"
    audience_since: int | None = None
    audience_until: int | None = None

    def spread_model(self) -> dict[str, Any]:
        """The keywords of :func:`engine.influence.imm_portfolio` that this request sets."""
        return {
            "probability": self.probability,
            "epsilon": self.epsilon,
            "ell": self.ell,
            "seed": self.seed,
            "max_rr_sets": self.max_rr_sets,
        }


@dataclass(frozen=True)
class Plan:
    """A campaign plan: the chosen accounts in order and the portfolio's totals."""

    run_id: str | None
    objective: str
    accounts: list[dict]
    total: float
    std_error: float
    guarantee: float
    strategy: str
    candidates: int
    n_accounts: int
    audience_sum: int
    total_cost: float
    request: dict
    details: dict = field(default_factory=dict)
    overlap: dict | None = None
    audience: dict = field(default_factory=lambda: {"kind": "followers", "since": None, "until": None, "note": ""})

    def to_dict(self) -> dict:
        return asdict(self)


def plan_campaign(store: Store, request: PlanRequest) -> Plan:
    """Plan from ``store``'s latest run (``NoRunError`` tells to run analyze)."""
    run, tables = store.read_run(tables=("accounts", "audience", "engaged"))
    accounts = tables.get("accounts")
    if accounts is None or accounts.num_rows == 0:
        raise PlanError(f"run {run.run_id} has no accounts table; run `nichegraph analyze --store {store.location}`")
    n = _run_size(accounts)
    if "audience" in tables:
        followers = audience_from_table(n, tables["audience"])
    else:
        edges = store.read_edges()
        followers = audience_graph(edges.follow_src, edges.follow_dst, n_nodes=edges.n_nodes)
    engaged = EngagedEvents.from_table(n, tables["engaged"]) if "engaged" in tables else None
    chosen = plan_audience(request, followers, engaged)
    return plan_for_run(chosen.graph, accounts, request, run_id=run.run_id, audience_kind=chosen.describe())


def plan_audience(request: PlanRequest, followers: Graph | None, engaged: EngagedEvents | None) -> ChosenAudience:
    """The audience graph ``request.audience`` names (:func:`api.audiences.choose_audience`), errors as PlanError."""
    try:
        return choose_audience(
            request.audience, followers, engaged, since=request.audience_since, until=request.audience_until
        )
    except AudienceError as exc:
        raise PlanError(str(exc)) from None


def _run_size(accounts: pa.Table) -> int:
    """Accounts the run covers: indices ``0..n-1``."""
    idx = _column(accounts, "idx", "aligning accounts")
    return max(accounts.num_rows, int(pc.max(idx).as_py() or 0) + 1) if accounts.num_rows else 0


def _column(accounts: pa.Table, name: str, purpose: str) -> pa.ChunkedArray:
    if name not in accounts.column_names:
        raise PlanError(
            f"the latest run's accounts table has no {name!r} column (needed for {purpose}); "
            f"available: {', '.join(accounts.column_names)}. Re-run `nichegraph analyze`."
        )
    return accounts.column(name)


def candidate_mask(accounts: pa.Table, n: int, request: PlanRequest) -> tuple[np.ndarray, np.ndarray, dict]:
    """Boolean candidate mask (n,), run-row position per account (-1 if absent), and filter notes."""
    idx = _column(accounts, "idx", "aligning accounts").to_numpy().astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise PlanError(
            f"the run's accounts table has idx outside 0..{n - 1}; the store changed under the run. "
            "Re-run `nichegraph analyze`."
        )
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[idx] = np.arange(idx.size)
    keep = np.ones(accounts.num_rows, dtype=bool)
    notes: dict = {}
    if request.tiers:
        wanted = [t.strip().lower() for t in request.tiers if t.strip()]
        bad = [t for t in wanted if t not in KNOWN_TIERS]
        if bad:
            raise PlanError(f"unknown tier {bad[0]!r}; tiers are {', '.join(KNOWN_TIERS)}")
        col = pc.utf8_lower(_column(accounts, "tier", "--tier"))
        keep &= pc.fill_null(pc.is_in(col, value_set=pa.array(wanted)), False).to_numpy(zero_copy_only=False)
    if request.communities:
        too_big = [c for c in request.communities if not -(2**63) <= int(c) < 2**63]
        if too_big:
            raise PlanError(f"community id {too_big[0]} is out of range (community ids are 64-bit integers)")
        col = _column(accounts, "community", "--community")
        keep &= pc.fill_null(
            pc.is_in(pc.cast(col, pa.int64()), value_set=pa.array(list(request.communities), pa.int64())), False
        ).to_numpy(zero_copy_only=False)
    if request.affiliations:
        col = pc.utf8_lower(_column(accounts, "affiliation", "--affiliation"))
        wanted = pa.array([a.strip().lower() for a in request.affiliations])
        keep &= pc.fill_null(pc.is_in(col, value_set=wanted), False).to_numpy(zero_copy_only=False)
    mask = np.zeros(n, dtype=bool)
    mask[idx[keep]] = True
    return mask, row_of, notes


def plan_for_run(
    audience: Graph,
    accounts: pa.Table,
    request: PlanRequest,
    *,
    run_id: str | None = None,
    audience_kind: dict | None = None,
) -> Plan:
    """Plan from an audience graph (:func:`engine.influence.audience_graph`) and a run's accounts table.

    ``audience_kind``: :meth:`api.audiences.ChosenAudience.describe` of ``audience`` (followers when None).
    """
    if request.objective not in ("reach", "spread"):
        raise PlanError(f"objective must be 'reach' or 'spread', got {request.objective!r}")
    if request.cost_column and request.budget is None:
        raise PlanError("--cost-column needs --budget (the total cost allowed)")
    n = audience.n_nodes
    mask, row_of, details = candidate_mask(accounts, n, request)
    costs = None
    if request.cost_column:
        col = _column(accounts, request.cost_column, "--cost-column")
        if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
            raise PlanError(f"--cost-column {request.cost_column!r} is {col.type}, not a number column")
        per_row = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        costs = np.full(n, np.nan)
        present = row_of >= 0
        costs[present] = per_row[row_of[present]]
        unusable = mask & ~(np.isfinite(costs) & (costs > 0))
        details["excluded_without_cost"] = int(unusable.sum())
        mask &= ~unusable
        costs = np.where(np.isfinite(costs) & (costs > 0), costs, 1.0)
    n_cand = int(mask.sum())
    choose: Callable[..., Portfolio] = max_reach_portfolio
    if request.objective != "reach":
        choose = partial(imm_portfolio, **request.spread_model())
    pf = choose(audience, request.k, candidates=mask, costs=costs, budget=request.budget)
    followers_observed = np.diff(audience.indptr)
    rows = []
    for rank, (u, gain, cum, cost) in enumerate(zip(pf.nodes, pf.marginal_gain, pf.cumulative, pf.cost), 1):
        r = int(row_of[u])
        info = {
            c: accounts.column(c)[r].as_py()
            for c in ("id", "handle", "tier", "community", "affiliation", "followers_count")
            if c in accounts.column_names
        }
        rows.append(
            {
                "rank": rank,
                **info,
                "followers_observed": int(followers_observed[u]),
                "marginal_gain": float(gain),
                "cumulative": float(cum),
                "cost": float(cost),
            }
        )
    details.update(pf.details)
    if pf.nodes.size == 0:
        if n_cand == 0:
            details["note"] = "no account matches the filters"
        elif request.budget is not None and costs is not None and float(costs[mask].min()) > request.budget:
            details["note"] = (
                f"no candidate fits the budget {request.budget:g}: the cheapest costs {float(costs[mask].min()):g}"
            )
        else:
            details["note"] = "no candidate has an audience (or any chance of spreading) to add"
    overlap = None
    if request.overlap:
        s = pf.nodes.size
        a, b = np.repeat(pf.nodes, s), np.tile(pf.nodes, s)
        o = audience_overlap(audience, a, b)
        overlap = {
            "ids": [r["id"] for r in rows],
            "jaccard": o.jaccard.reshape(s, s).round(6).tolist(),
            "overlap_coefficient": o.overlap_coefficient.reshape(s, s).round(6).tolist(),
            "shared_followers": o.intersection.reshape(s, s).tolist(),
        }
    if not math.isfinite(pf.total):
        raise PlanError("the planner produced a non-finite total; please report this")
    return Plan(
        run_id=run_id,
        objective=pf.objective,
        accounts=rows,
        total=pf.total,
        std_error=pf.std_error,
        guarantee=pf.guarantee,
        strategy=pf.strategy,
        candidates=n_cand,
        n_accounts=n,
        audience_sum=int(followers_observed[pf.nodes].sum()),
        total_cost=pf.total_cost,
        request={k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(request).items()},
        details=details,
        overlap=overlap,
        **({"audience": audience_kind} if audience_kind is not None else {}),
    )
