"""Report a hashtag campaign: who posted with the tag in a time window, first-time voices vs existing fans,
their tiers, niches and engagement, the deduplicated audience reached, the niches entered and missed, and
the accounts best placed to carry it further.  Repeat --hashtag (or add --vs-since/--vs-until) to compare
campaigns or periods side by side.  Run `nichegraph analyze` first.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..options import DEFAULT_STORE, StoreOption, open_cli_store

#: Run tables a campaign report reads.
CAMPAIGN_TABLES = ("accounts", "hashtag_uses", "engaged", "audience")
#: Participant columns written by --format csv, in order.
CSV_COLUMNS = (
    "campaign",
    "id",
    "handle",
    "tier",
    "community",
    "niche",
    "followers_count",
    "uses",
    "first_use",
    "status",
    "fan_by",
    "engagement_received",
    "audience_size",
    "engagement_rate",
    "authenticity",
)


def _time(value: str | None, what: str) -> int | None:
    from ..audiences import AudienceError, parse_time

    try:
        return parse_time(value, what)
    except AudienceError as exc:
        raise typer.BadParameter(str(exc), param_hint=what) from None


def command(
    store: StoreOption = DEFAULT_STORE,
    hashtag: Annotated[
        list[str], typer.Option("--hashtag", help="The campaign's hashtag (# optional); repeat to compare tags.")
    ] = [],  # noqa: B006 (typer reads the default, never mutates it)
    since: Annotated[
        str | None, typer.Option(help="Window start, inclusive: ISO date/datetime (UTC) or Unix seconds.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Window end, exclusive.")] = None,
    vs_since: Annotated[
        str | None, typer.Option(help="A second window's start, reported side by side with the first.")
    ] = None,
    vs_until: Annotated[str | None, typer.Option(help="The second window's end.")] = None,
    brand: Annotated[
        str | None,
        typer.Option(help="Brand account (handle or id): who engaged with it before the window is an existing fan."),
    ] = None,
    audience: Annotated[
        str,
        typer.Option(help="followers, engaged (accounts that interact with it) or auto (engaged when no follows)."),
    ] = "auto",
    audience_since: Annotated[str | None, typer.Option(help="Engaged audiences: only engagement from then.")] = None,
    audience_until: Annotated[str | None, typer.Option(help="Engaged audiences: only engagement before then.")] = None,
    niches: Annotated[int, typer.Option(min=0, max=100, help="Missed niches to list.")] = 10,
    per_niche: Annotated[int, typer.Option(min=0, max=20, help="Carriers listed per missed niche.")] = 3,
    limit: Annotated[int, typer.Option(min=1, help="Participants shown per campaign (table format).")] = 20,
    fmt: Annotated[str, typer.Option("--format", help="table, csv (participants) or json (everything).")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    from ..audiences import AUDIENCE_KINDS
    from ..hashtag_campaign import CampaignError, CampaignRequest, campaign_run, compare_campaigns

    if not hashtag:
        raise typer.BadParameter("give at least one --hashtag", param_hint="--hashtag")
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter(f"{fmt!r}; use table, csv or json", param_hint="--format")
    if audience not in AUDIENCE_KINDS:
        raise typer.BadParameter(f"{audience!r}; use {', '.join(AUDIENCE_KINDS)}", param_hint="--audience")
    windows = [(_time(since, "--since"), _time(until, "--until"))]
    if vs_since is not None or vs_until is not None:
        windows.append((_time(vs_since, "--vs-since"), _time(vs_until, "--vs-until")))
    a_since, a_until = _time(audience_since, "--audience-since"), _time(audience_until, "--audience-until")
    requests = [
        CampaignRequest(tag, s, u, brand, audience, a_since, a_until, niches, per_niche)
        for tag in hashtag
        for s, u in windows
    ]
    err = Console(stderr=True, highlight=False)
    try:
        with open_cli_store(store, read_only=True) as st, err.status("reading the run"):
            run, tables = st.read_run(tables=CAMPAIGN_TABLES)
        snap = campaign_run(run, tables)
        reports = compare_campaigns(snap, requests)
    except CampaignError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    if fmt == "json":
        text = json.dumps(reports if len(reports) > 1 else reports[0], default=str, indent=1)
    elif fmt == "csv":
        text = to_csv(reports)
    else:
        if out is None:
            print_reports(reports, limit, Console(emoji=False))
            return
        buf = io.StringIO()
        print_reports(reports, limit, Console(file=buf, emoji=False, width=160, force_terminal=False))
        text = buf.getvalue()
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        err.print(f"wrote {escape(str(out))}")


def campaign_label(report: dict) -> str:
    """``#tag [since, until)`` for column headers and the CSV's ``campaign`` column."""
    window = ""
    if report["since"] or report["until"]:
        window = f" [{report['since'] or '…'}, {report['until'] or '…'})"
    return f"#{report['hashtag']}{window}"


def to_csv(reports: list[dict]) -> str:
    """Every participant of every campaign, one row each (unknown values empty)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for rep in reports:
        label = campaign_label(rep)
        for p in rep["participants"]:
            w.writerow([label if c == "campaign" else ("" if p.get(c) is None else p[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


SUMMARY_ROWS = (
    ("participants", "participants"),
    ("first-time voices", "first_time_voices"),
    ("existing fans", "existing_fans"),
    ("uses", "uses"),
    ("engagement received", "engagement_received"),
    ("sum of audiences", "audience_sum"),
    ("unique reach (exact)", "unique_reach"),
    ("reach estimate (HLL)", "reach_estimate"),
    ("niches entered", "niches_entered"),
    ("niches missed", "niches_missed"),
)


def _num(v) -> str:
    if v is None:
        return "unknown"
    return f"{v:,.0f}" if isinstance(v, float) and v.is_integer() else f"{v:,}"


def print_reports(reports: list[dict], limit: int, console: Console) -> None:
    """A side-by-side summary, then per campaign its participants, missed niches and carriers."""
    first = reports[0]
    aud = first["audience"]
    window = f" within [{aud['since'] or '…'}, {aud['until'] or '…'})" if aud["since"] or aud["until"] else ""
    summary = Table(title=f"hashtag campaigns (run {first['run_id']}); audience: {aud['kind']}{window}")
    summary.add_column("")
    for rep in reports:
        summary.add_column(escape(campaign_label(rep)), justify="right")
    for label, key in SUMMARY_ROWS:
        summary.add_row(label, *[_num(r["summary"][key]) for r in reports])
    tiers = sorted({t["tier"] for r in reports for t in r["tiers"]})
    for t in tiers:
        cells = []
        for r in reports:
            row = next((x for x in r["tiers"] if x["tier"] == t), None)
            cells.append("0" if row is None else f"{row['participants']:,} ({row['first_time_voices']:,} new)")
        summary.add_row(f"tier {t}", *cells)
    console.print(summary)
    console.print(f"audience: {escape(aud['note'])}", highlight=False)
    for rep in reports:
        label = escape(campaign_label(rep))
        parts = Table(title=f"{label}: participants (top {min(limit, len(rep['participants']))} by uses)")
        for c in ("id", "handle", "tier", "niche", "uses", "status", "engagement", "audience"):
            parts.add_column(c, justify="right" if c in ("uses", "engagement", "audience", "niche") else "left")
        for p in rep["participants"][:limit]:
            parts.add_row(
                escape(str(p["id"])),
                escape(str(p.get("handle") or "")),
                str(p.get("tier") or ""),
                "" if p.get("niche") is None else str(p["niche"]),
                f"{p['uses']:,}",
                p["status"] + (f" ({p['fan_by']})" if p["fan_by"] else ""),
                _num(p["engagement_received"]),
                f"{p['audience_size']:,}",
            )
        console.print(parts)
        if rep["niches_missed"]:
            missed = Table(title=f"{label}: niches reached but silent, and who could carry it there")
            for c in ("niche", "size", "reached", "carriers (niche_pagerank; * already reached)"):
                missed.add_column(c, justify="left" if c.startswith("carriers") else "right")
            for m in rep["niches_missed"]:
                who = [c for c in rep["carriers"] if c.get("niche") == m["niche"]]
                names = ", ".join(
                    f"{escape(str(c.get('handle') or c['id']))} ({c['niche_pagerank']:.3g}){'*' if c['reached'] else ''}"
                    for c in who
                )
                missed.add_row(str(m["niche"]), _num(m["niche_size"]), f"{m['reached_members']:,}", names)
            console.print(missed)
        for note in rep["notes"]:
            console.print(f"note: {escape(note)}", highlight=False)
