"""A self-contained HTML report of one analysis run.

The report is one file a strategist can mail to a colleague: the run's id,
parameters and data counts, plots (matplotlib, embedded as base64 PNG) and
the rankings as HTML tables.  It reads the run's result tables by column
name (``docs/ARCHITECTURE.md``); a section whose measures the run lacks says
so instead of failing, so the report works on any run.  Every value taken from
the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from nichegraph.graph_store import RunRecord, Store

from . import plots
from .ranking_notes import authenticity_note, unknown_left_out
from .rankings import AUTHENTICITY_COLUMNS as RANKING_AUTHENTICITY
from .rankings import (
    EVERY_RANKING_COLUMNS,
    KINDS,
    authenticity_ranges,
    hidden_tiers,
    plan_kind,
    rank_page,
)
from .rankings import EVIDENCE_COLUMNS as RANKING_EVIDENCE
from .run_query import Filters, Snapshot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Columns that identify an account in every ranking table (those present are shown).
IDENTITY_COLUMNS: tuple[str, ...] = ("id", "handle", "tier", "followers_count", "community")


@dataclass(frozen=True)
class Ranking:
    """A ranking shown in the report: kind ``key`` of :data:`api.rankings.KINDS`, headed ``title``.

    ``score`` is the kind's first sort column and ``components`` its shown columns;
    ``tiers`` are the kind's default tiers (the run's hidden tiers for ``hidden``).
    """

    key: str
    title: str
    score: str
    components: tuple[str, ...]
    tiers: tuple[str, ...] = ()


#: The evidence every ranking row carries (those present are shown; docs/metrics.md, "Evidence").
EVIDENCE_COLUMNS: tuple[str, ...] = ("followers_observed", "niche", *RANKING_EVIDENCE, *RANKING_AUTHENTICITY)
#: The ranking kinds the report shows, in report order.
REPORT_KINDS: tuple[str, ...] = ("hidden", "niche", "pagerank", "in_degree")
#: Rankings, in report order; each appears when the run has its score column.
RANKINGS: tuple[Ranking, ...] = tuple(
    Ranking(
        key, KINDS[key]["title"], KINDS[key]["sort"][0], tuple(KINDS[key]["show"]), tuple(KINDS[key].get("tiers", ()))
    )
    for key in REPORT_KINDS
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2rem auto;
max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#555}table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.plots{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;flex:1 1 480px}
figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85rem;color:#555}
.missing{color:#8a6d3b;background:#fcf8e3;padding:.3rem .6rem;border-radius:3px}
.ranking{overflow-x:auto}.summary{display:flex;flex-wrap:wrap;gap:0 3rem}.summary h2{margin-top:1rem}
"""


def _e(value: object) -> str:
    """HTML-escape any value's text (quotes included)."""
    return html.escape(str(value), quote=True)


def _fmt(value: object) -> str:
    """Readable text for a table cell: integers with separators, floats to 4 significant digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if float(value).is_integer() and abs(float(value)) >= 1000 else f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _is_num(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def html_table(rows: list[dict], columns: list[str], *, css_class: str = "") -> str:
    """An HTML table of ``rows`` (dicts) with ``columns`` as the header; every cell escaped."""
    cls = f' class="{_e(css_class)}"' if css_class else ""
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(_fmt(row.get(c)))}</td>'
            if _is_num(row.get(c))
            else f"<td>{_e(_fmt(row.get(c)))}</td>"
            for c in columns
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kv_table(pairs: list[tuple[str, object]], css_class: str) -> str:
    num = ' class="num"'
    rows = "".join(f"<tr><th>{_e(k)}</th><td{num if _is_num(v) else ''}>{_e(_fmt(v))}</td></tr>" for k, v in pairs)
    return f'<table class="{_e(css_class)}"><tbody>{rows}</tbody></table>'


def _flatten(params: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)) and len(value) > 8:
            out.append((name, json.dumps(list(value[:8]), default=str)[:-1] + ", ...]"))
        else:
            out.append((name, value))
    return out


def ranking_rows(
    snap: Snapshot, ranking: Ranking, top: int, *, min_authenticity: float | None = None
) -> tuple[list[str], list[dict]]:
    """The top rows of one ranking, as ``nichegraph rank --by KEY [--min-authenticity X]`` ranks them:
    ``(columns, rows)``.

    Raises
    ------
    plots.MissingColumns
        When the run lacks a column the ranking sorts by.
    """
    missing = [c for c in KINDS[ranking.key]["sort"] if c not in snap.nums]
    if missing:
        raise plots.MissingColumns(ranking.title, missing)
    page = rank_page(snap, plan_kind(snap, ranking.key, _screen(min_authenticity)), limit=top)
    present = set(snap.columns)
    columns = [c for c in IDENTITY_COLUMNS if c in present]
    columns += [ranking.score] + [
        c
        for c in (*EVERY_RANKING_COLUMNS, *ranking.components, *EVIDENCE_COLUMNS)
        if c in present and c not in columns and c != ranking.score
    ]
    picked = snap.table.take(pa.array(page.rows, pa.int64())).select(columns).to_pylist()
    for rank, row in enumerate(picked, start=1):
        row["rank"] = rank
    return ["rank", *columns], picked


def _screen(min_authenticity: float | None) -> Filters:
    return Filters({}, authenticity_ranges(min_authenticity))


#: Per-account ratios summarised by tier in the report (those present).
TIER_RATIOS: tuple[str, ...] = (
    "social_ratio",
    "follow_back_ratio",
    "reciprocity",
    "niche_share",
    "engagement_rate_raw",
)


def tier_summary(accounts: pa.Table) -> list[dict]:
    """Accounts per tier and the mean and median of each ratio in :data:`TIER_RATIOS`.

    Means and medians are over the accounts where the ratio is defined (finite);
    ``n <ratio>`` says how many that is.  Empty without a ``tier`` column.
    """
    if "tier" not in accounts.column_names:
        return []
    ratios = [r for r in TIER_RATIOS if r in accounts.column_names]
    tiers = plots.column(accounts, "tier").astype(str)
    names = [t for t in plots.TIER_ORDER if (tiers == t).any()]
    names += sorted(set(tiers.tolist()) - set(names))
    groups = {r: plots.by_tier(accounts, r) for r in ratios}
    rows = []
    for t in names:
        row: dict = {"tier": t, "accounts": int((tiers == t).sum())}
        for r in ratios:
            v = groups[r].get(t, np.zeros(0))
            row[f"n {r}"] = int(v.size)
            row[f"mean {r}"] = float(v.mean()) if v.size else None
            row[f"median {r}"] = float(np.median(v)) if v.size else None
        rows.append(row)
    return rows


@dataclass(frozen=True)
class _Plot:
    title: str
    caption: str
    make: Callable[[], Figure]


def _plots(accounts: pa.Table, communities: pa.Table | None) -> list[_Plot]:
    return [
        _Plot(
            "Community size distribution",
            "Members per community, largest first (log-log when there are many); one series per level.",
            lambda: plots.community_sizes(communities, accounts),
        ),
        _Plot(
            "Niche centrality vs follower count",
            "Each dot is an account; red: the top hidden influencers by score_hidden. The dashed line marks "
            "10,000 followers (the nano tier's upper bound).",
            lambda: plots.niche_vs_followers(accounts),
        ),
        _Plot(
            "Social ratio by tier",
            "Share of inbound interactions from partners the account interacts with in return, per follower tier "
            "(box: quartiles; diamond: mean).",
            lambda: plots.ratio_by_tier(accounts, "social_ratio"),
        ),
        _Plot(
            "Degree distribution",
            "Share of accounts with at least k distinct in- (out-) neighbours on the attention graph.",
            lambda: plots.degree_distribution(accounts),
        ),
    ]


def render_report(
    run: RunRecord,
    tables: dict[str, pa.Table],
    *,
    store_location: str | None = None,
    top: int = 20,
    generated_at: dt.datetime | None = None,
    campaigns: list | None = None,
    min_authenticity: float | None = None,
) -> str:
    """The report of one run as one HTML document (a ``str``).

    Parameters
    ----------
    run : RunRecord
        The run's record (id, creation time, parameters, store counts).
    tables : dict of str to pyarrow.Table
        The run's result tables; ``accounts`` is required, ``communities`` optional.
    store_location : str, optional
        Shown in the header (escaped).
    top : int
        Rows per ranking table.
    generated_at : datetime, optional
        Shown in the footer (default now, UTC).
    campaigns : list of api.hashtag_campaign.CampaignRequest, optional
        Hashtag campaigns to report side by side (:mod:`api.report_campaign`).
    min_authenticity : float, optional
        Rankings keep accounts whose audience authenticity is at least this (as ``rank --min-authenticity``).
    """
    if "accounts" not in tables:
        raise ValueError(f"run {run.run_id} has no accounts table")
    accounts = tables["accounts"]
    communities = tables.get("communities")
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    title = f"nichegraph report: run {run.run_id}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f'<header><h1>nichegraph report</h1><p class="meta">run <code id="run-id">{_e(run.run_id)}</code>'
        f" &middot; created {_e(run.created_at)}"
        + (f" &middot; store <code>{_e(store_location)}</code>" if store_location else "")
        + "</p></header>",
    ]

    # data counts and parameters
    counts: list[tuple[str, object]] = [(k, v) for k, v in run.counts.items()]
    counts.append(("accounts in results", accounts.num_rows))
    if {"communities", "niches"} & set(run.counts):
        pass  # the pipeline counted them already
    elif communities is not None and communities.num_rows and "level" in communities.column_names:
        levels = plots.column(communities, "level").astype(str)
        for level in dict.fromkeys(levels.tolist()):
            counts.append((f"{level} communities", int((levels == level).sum())))
    elif "community" in accounts.column_names:
        labels = plots.column(accounts, "community", fill=-1)
        counts.append(("communities", int(np.unique(labels[labels >= 0]).size)))
    if "tier" in accounts.column_names:
        tiers = plots.column(accounts, "tier").astype(str)
        for tier in plots.TIER_ORDER:
            counts.append((f"{tier} accounts", int((tiers == tier).sum())))
    parts.append(
        '<div class="summary"><section id="counts"><h2>Data</h2>'
        + _kv_table(counts, "counts")
        + '</section><section id="params"><h2>Parameters</h2>'
        + _kv_table(_flatten(run.params), "params")
        + "</section></div>"
    )

    # plots
    figs, missing = [], []
    for plot in _plots(accounts, communities):
        try:
            fig = plot.make()
        except plots.MissingColumns as exc:
            missing.append(f"{plot.title} (needs column(s) {', '.join(exc.columns)})")
            continue
        data = base64.b64encode(plots.png_bytes(fig)).decode("ascii")
        figs.append(
            f'<figure><img alt="{_e(plot.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{_e(plot.title)}.</b> {_e(plot.caption)}</figcaption></figure>"
        )
    parts.append(
        '<section id="plots"><h2>Plots</h2><div class="plots">'
        + "".join(figs)
        + "</div>"
        + "".join(f'<p class="missing">Not in this run: {_e(m)}</p>' for m in missing)
        + "</section>"
    )
    tier_rows = tier_summary(accounts)
    if tier_rows:
        parts.append(
            '<section id="tiers"><h2>By tier</h2><div class="ranking">'
            + html_table(tier_rows, list(tier_rows[0]), css_class="tier-table")
            + "</div></section>"
        )

    # rankings
    parts.append('<section id="rankings"><h2>Rankings</h2>')
    snap = Snapshot(run, accounts)
    for ranking in RANKINGS:
        left_out = ""
        if ranking.key == "hidden":  # the tiers this run scored, less unknown (as `nichegraph rank`)
            ranking = replace(ranking, tiers=hidden_tiers(run))
            if "score_hidden" in snap.nums:
                unknown = unknown_left_out(snap, plan_kind(snap, "hidden").filters, "score_hidden")
                if unknown:
                    left_out = (
                        f"; {unknown:,} scored accounts of unknown tier (no platform follower count) left out "
                        "(nichegraph rank --by hidden --tier unknown lists them)"
                    )
        if min_authenticity is not None and ranking.score in snap.nums:
            screened = authenticity_note(
                snap, plan_kind(snap, ranking.key, _screen(min_authenticity)).filters, ranking.score
            )
            left_out += f"; {screened.rstrip('.')}" if screened else ""
            left_out += f"; authenticity at least {min_authenticity:g}"
        try:
            columns, rows = ranking_rows(snap, ranking, top, min_authenticity=min_authenticity)
        except plots.MissingColumns as exc:
            parts.append(
                f'<p class="missing">Not in this run: {_e(ranking.title)} '
                f"(needs column(s) {_e(', '.join(exc.columns))})</p>"
            )
            continue
        note = f" (tiers {', '.join(ranking.tiers)})" if ranking.tiers and "tier" in accounts.column_names else ""
        parts.append(
            f'<div class="ranking" id="ranking-{_e(ranking.key)}"><h3>{_e(ranking.title)}</h3>'
            f'<p class="meta">Top {len(rows)} by <code>{_e(ranking.score)}</code>{_e(note)}{_e(left_out)}.</p>'
            + html_table(rows, columns, css_class="ranking-table")
            + "</div>"
        )
    parts.append("</section>")

    # communities
    if communities is not None and communities.num_rows and "size" in communities.column_names:
        comm_cols = [
            c
            for c in (
                "community",
                "level",
                "parent",
                "size",
                "internal_edges",
                "density",
                "top_members",
                "top_hashtags",
            )
            if c in communities.column_names
        ]
        order = plots.top_rows(communities, "size", top)
        rows = communities.take(pa.array(order, pa.int64())).select(comm_cols).to_pylist()
        parts.append(
            '<section id="communities"><h2>Largest communities</h2>'
            + html_table(rows, comm_cols, css_class="communities-table")
            + "</section>"
        )

    if campaigns:
        from .report_campaign import campaign_section

        parts.append(campaign_section(run, tables, campaigns, top))

    parts.append(
        f'<footer class="meta"><p>Generated by nichegraph at {_e(generated_at.isoformat(timespec="seconds"))}.'
        "</p></footer></body></html>"
    )
    return "\n".join(parts)


def write_report(
    store: Store,
    out: str | Path,
    *,
    run_id: str | None = None,
    top: int = 20,
    campaigns: list | None = None,
    min_authenticity: float | None = None,
) -> Path:
    """Read a run from ``store`` (the newest when ``run_id`` is None) and write its report to ``out``."""
    run, tables = store.read_run(run_id)
    out = Path(out)
    html_text = render_report(
        run, tables, store_location=store.location, top=top, campaigns=campaigns, min_authenticity=min_authenticity
    )
    out.write_text(html_text, encoding="utf-8")
    return out
