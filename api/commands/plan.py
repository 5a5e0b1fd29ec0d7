"""Plan a campaign: the k accounts whose audiences together reach the most people.

Uses the follow graph in the store and the latest analysis run (tiers,
communities, affiliations).  Objective `reach` (default) maximises unique
followers by lazy greedy (within 1 - 1/e of optimal); `spread` maximises the
expected independent-cascade spread by IMM sampling.  Run `nichegraph analyze`
first.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..options import DEFAULT_STORE, StoreOption, open_cli_store


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    return parts or None


def _probability(value: str) -> float | str:
    if value.lower() == "wc":
        return "wc"
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither a number in (0, 1] nor 'wc'", param_hint="--probability"
        ) from None


def command(
    store: StoreOption = DEFAULT_STORE,
    k: Annotated[int, typer.Option("--k", min=1, help="How many accounts to choose (at most).")] = 20,
    tier: Annotated[str | None, typer.Option(help="Only these tiers, comma-separated (nano,micro,macro,mega).")] = None,
    community: Annotated[str | None, typer.Option(help="Only these community ids, comma-separated.")] = None,
    affiliation: Annotated[
        str | None, typer.Option(help="Only accounts of these organisations (case-insensitive).")
    ] = None,
    budget: Annotated[
        float | None, typer.Option(min=0, help="Total cost allowed (unit costs unless --cost-column).")
    ] = None,
    cost_column: Annotated[
        str | None, typer.Option(help="Numeric column of the run's accounts table holding each account's cost.")
    ] = None,
    objective: Annotated[
        str, typer.Option(help="reach (unique followers) or spread (independent cascade, IMM).")
    ] = "reach",
    probability: Annotated[
        str, typer.Option(help="spread: edge activation probability, or 'wc' (1/in-degree).")
    ] = "0.1",
    epsilon: Annotated[
        float, typer.Option(help="spread: IMM approximation slack (result within 1-1/e-epsilon).")
    ] = 0.2,
    ell: Annotated[float, typer.Option(help="spread: IMM confidence, success probability 1 - n^-ell.")] = 1.0,
    seed: Annotated[int, typer.Option(help="spread: random seed (same seed, same plan).")] = 0,
    overlap: Annotated[
        bool,
        typer.Option(
            "--overlap",
            help="Also show the chosen accounts' pairwise audience overlap (exact Jaccard and shared followers).",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    from ..campaign import PlanError, PlanRequest, plan_campaign

    if objective not in ("reach", "spread"):
        raise typer.BadParameter(f"{objective!r}; use reach or spread", param_hint="--objective")
    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"{fmt!r}; use table or json", param_hint="--format")
    communities = None
    if community is not None:
        try:
            communities = tuple(int(c) for c in _split(community) or ())
        except ValueError:
            raise typer.BadParameter(f"{community!r} must be integer community ids", param_hint="--community") from None
    request = PlanRequest(
        k=k,
        tiers=_split(tier),
        communities=communities or None,
        affiliations=_split(affiliation),
        budget=budget,
        cost_column=cost_column,
        objective=objective,  # type: ignore[arg-type]
        probability=_probability(probability),
        epsilon=epsilon,
        ell=ell,
        seed=seed,
        overlap=overlap,
    )
    try:
        with open_cli_store(store, read_only=True) as st, Console(stderr=True).status("planning the campaign"):
            plan = plan_campaign(st, request)
    except PlanError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    if fmt == "json":
        typer.echo(json.dumps(plan.to_dict(), default=str))
        return
    print_plan(plan)


def print_plan(plan) -> None:
    """The plan as a table plus one summary line."""
    unit = "followers" if plan.objective == "reach" else "expected activations"
    table = Table(title=f"campaign plan ({plan.objective}, run {plan.run_id})")
    optional = [
        c for c in ("handle", "tier", "community", "affiliation") if any(r.get(c) is not None for r in plan.accounts)
    ]
    cols = ["#", "id", *optional, "followers", "marginal gain", "cumulative", "cost"]
    for col in cols:
        table.add_column(col, justify="left" if col in ("id", "handle", "tier", "affiliation") else "right")
    for r in plan.accounts:
        cells = [str(r["rank"]), escape(str(r.get("id", "")))] + [
            "" if r.get(c) is None else escape(str(r[c])) for c in optional
        ]
        table.add_row(
            *cells,
            f"{r['followers_observed']:,}",
            f"{r['marginal_gain']:,.1f}",
            f"{r['cumulative']:,.1f}",
            f"{r['cost']:,.2f}",
        )
    console = Console(emoji=False)
    console.print(table)
    if plan.overlap and plan.accounts:
        ov = plan.overlap
        m = Table(title="audience overlap: Jaccard (shared followers)")
        m.add_column("#", justify="right")
        m.add_column("id")
        for i in range(len(ov["ids"])):
            m.add_column(str(i + 1), justify="right")
        for i, rid in enumerate(ov["ids"]):
            m.add_row(
                str(i + 1),
                escape(str(rid)),
                *[
                    f"{ov['jaccard'][i][j]:.2f} ({ov['shared_followers'][i][j]:,})" if i != j else "-"
                    for j in range(len(ov["ids"]))
                ],
            )
        console.print(m)
    if plan.details.get("note"):
        console.print(f"note: {escape(str(plan.details['note']))}", highlight=False)
    err = f" ± {plan.std_error:,.1f} (1 s.e.)" if plan.std_error else " (exact)"
    console.print(
        f"total {unit}: {plan.total:,.1f}{err}; sum of audiences {plan.audience_sum:,}; "
        f"{len(plan.accounts)} of {plan.candidates:,} candidates; cost {plan.total_cost:,.2f}; "
        f"strategy {plan.strategy}; guarantee >= {plan.guarantee:.3f} x optimum",
        highlight=False,
    )
