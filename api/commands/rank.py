"""Rank accounts of the latest analysis run: hidden influencers, PageRank, niche, social, brand affinity, internal."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..explain import explain_row
from ..options import DEFAULT_STORE, StoreOption, open_cli_store
from ..ranking_notes import notes_of
from ..rankings import RANK_KINDS, RankingError, RankQuery, rank, resolve_account, to_records


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(x.strip() for x in value.split(",") if x.strip())


def command(
    store: StoreOption = DEFAULT_STORE,
    by: Annotated[str, typer.Option("--by", help=f"Ranking: {', '.join(RANK_KINDS)}.")] = "hidden",
    tier: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated tiers to keep (nano,micro,macro,mega,unknown); "
            "--by hidden defaults to nano,micro. Accounts of unknown tier (no "
            "platform follower count) are left out unless named."
        ),
    ] = None,
    community: Annotated[int | None, typer.Option(help="Keep only this community id.")] = None,
    niche: Annotated[int | None, typer.Option(help="Keep only this niche id.")] = None,
    brand: Annotated[str | None, typer.Option(help="Brand account handle or id (brand-affinity, internal).")] = None,
    hashtag: Annotated[
        str | None, typer.Option(help="Comma-separated brand hashtags (default: the brand handle).")
    ] = None,
    affiliation: Annotated[str | None, typer.Option(help="Organisation of the employees (--by internal).")] = None,
    min_authenticity: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Keep accounts whose audience authenticity score is at least this (0-1; unknown scores "
            "are left out; docs/metrics.md).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Number of accounts to show.")] = 50,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    out: Annotated[str | None, typer.Option(help="Write to this file instead of standard output.")] = None,
    run_id: Annotated[str | None, typer.Option("--run", help="Run id (default: the latest run).")] = None,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            metavar="ACCOUNT",
            help="Say in plain words why this account (id or handle) ranks where it does, and what would change it.",
        ),
    ] = None,
) -> None:
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter(f"--format must be table, csv or json; got {fmt!r}.", param_hint="--format")
    if explain is not None:
        _explain(store, explain, run_id, fmt)
        return
    query = RankQuery(
        by=by,
        tiers=_split(tier),
        community=community,
        niche=niche,
        brand=brand,
        hashtags=_split(hashtag) or (),
        affiliation=affiliation,
        min_authenticity=min_authenticity,
        limit=limit,
    )
    try:
        with open_cli_store(store, read_only=True) as st:
            run, table = rank(st, query, run_id=run_id)
    except RankingError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    records = to_records(table)
    notes = notes_of(table)
    if notes and fmt != "json":
        err = Console(stderr=True)
        for note in notes:
            err.print(f"[yellow]note:[/] {escape(str(note))}", highlight=False)
    if fmt == "json":
        text = (
            json.dumps({"run_id": run.run_id, "by": by, "rows": records, "notes": notes}, indent=2, default=str) + "\n"
        )
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=table.column_names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        text = buf.getvalue()
    else:
        text = None
    if text is not None:
        if out:
            with open(out, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            typer.echo(text, nl=False)
        return
    view = Table(title=f"top {len(records)} by {by} (run {run.run_id})", box=box.SIMPLE_HEAD, pad_edge=False)
    shown = _table_columns(table.column_names)
    for name in shown:
        view.add_column(
            _HEADERS.get(name, name),
            justify="left" if name in ("account", "tier", "affiliation") else "right",
            overflow="fold",
            no_wrap=name == "account",
        )
    for r in records:
        view.add_row(*[escape(_cell(r, c)) for c in shown])  # ids and handles are user data, not markup
    if any(r.get("tier_estimated") for r in records):
        view.caption = "* tier estimated from observed followers (no platform count; analyze --follows-complete)"
    view.caption = (view.caption + "\n" if view.caption else "") + "comm/niche: broad community / niche id (sizes)"
    if "inbound_accounts" in table.column_names:
        view.caption += (
            "; evidence: distinct inbound accounts / inbound events / returned events; shrunk: "
            "empirical Bayes estimates; --explain ACCOUNT says why"
        )
    if out:
        with open(out, "w", encoding="utf-8") as f:
            Console(file=f, width=200, emoji=False).print(view)
    else:
        # a terminal gets its own width; a pipe or a log gets room for every column
        Console(width=None if sys.stdout.isatty() else 160, emoji=False).print(view)


def _explain(store: str, account: str, run_id: str | None, fmt: str) -> None:
    """Print :func:`api.explain.explain_account` for one account (``--format json``: a JSON object)."""
    try:
        with open_cli_store(store, read_only=True) as st:
            run, tables = st.read_run(run_id)
        t = tables.get("accounts")
        if t is None or t.num_rows == 0:
            raise RankingError(f"run {run.run_id} has no accounts table; run `nichegraph analyze` first.")
        row, lines = explain_row(t, run.params, resolve_account(t, account))
    except RankingError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    if fmt == "json":
        typer.echo(json.dumps({"run_id": run.run_id, "account": row, "explanation": lines}, indent=2, default=str))
    else:
        typer.echo("\n".join(lines))


#: columns kept in csv/json but left out of the terminal table (shown folded into others)
_TABLE_HIDDEN = {
    "idx",
    "id",
    "handle",
    "tier_estimated",
    "followers_observed",
    "community",
    "niche",
    "inbound_accounts",
    "inbound_events",
    "reciprocated_events",
    "community_size",
    "niche_size",
    "social_ratio_sd",
    "follow_back_ratio_sd",
    "social_ratio",
    "follow_back_ratio",
}


#: short terminal headers (csv and json keep the column names)
_HEADERS = {
    "rank": "#",
    "where": "comm/niche",
    "followers_count": "followers",
    "community": "comm",
    "score_hidden": "score",
    "social_ratio_shrunk": "social~",
    "follow_back_ratio_shrunk": "follow-back~",
    "niche_engaged": "engaged",
    "evidence_weight": "ev. weight",
    "niche_share_shrunk": "niche share~",
    "niche_percentile": "niche pct",
    "niche_pagerank": "niche PR",
    "social_ratio": "social",
    "follow_back_ratio": "follow-back",
    "pagerank": "PageRank",
    "brand_touches": "brand uses",
    "within_module_z": "z",
    "participation": "particip.",
    "niche_share": "niche share",
    "authenticity": "authentic",
    "authenticity_weakest": "weakest",
}


def _table_columns(names: list[str]) -> list[str]:
    """The terminal table's columns: ``account`` (handle, else id), where, evidence, then the rest."""
    where = ["where"] if "community" in names else []
    evidence = ["evidence"] if "inbound_accounts" in names else []
    return ["rank", "account", *where, *evidence, *[c for c in names if c not in _TABLE_HIDDEN and c != "rank"]]


def _cell(row: dict, column: str) -> str:
    if column == "account":
        return str(row.get("handle") or row.get("id"))
    if column == "where":
        sizes = f" ({_fmt(row.get('community_size'))}/{_fmt(row.get('niche_size'))})" if "niche_size" in row else ""
        return f"{_fmt(row['community'])}/{_fmt(row.get('niche'))}{sizes}"
    if column == "evidence":
        return (
            f"{_fmt(row.get('inbound_accounts'))}/{_fmt(row.get('inbound_events'))}/"
            f"{_fmt(row.get('reciprocated_events'))}"
        )
    if column == "tier" and row.get("tier_estimated"):
        return f"{row['tier']}*"
    return _fmt(row[column])


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)
