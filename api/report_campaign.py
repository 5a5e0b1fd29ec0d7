"""The report's hashtag campaign section: one summary table side by side, then each campaign's
participants, missed niches and carriers (:mod:`api.hashtag_campaign`), every value HTML-escaped."""

from __future__ import annotations

import pyarrow as pa

from nichegraph.graph_store import RunRecord

from .hashtag_campaign import CampaignRequest, campaign_run, compare_campaigns
from .report import _e, html_table

#: Participant columns shown (those present).
PARTICIPANT_COLUMNS = ("id", "handle", "tier", "niche", "uses", "status", "engagement_received", "audience_size")
CARRIER_COLUMNS = ("niche", "id", "handle", "tier", "niche_pagerank", "niche_engaged", "reached", "audience_size")
SUMMARY_KEYS = (
    "participants",
    "first_time_voices",
    "existing_fans",
    "uses",
    "engagement_received",
    "audience_sum",
    "unique_reach",
    "reach_estimate",
    "niches_entered",
    "niches_missed",
)


def label(report: dict) -> str:
    window = f" [{report['since'] or '…'}, {report['until'] or '…'})" if report["since"] or report["until"] else ""
    return f"#{report['hashtag']}{window}"


def campaign_section(run: RunRecord, tables: dict[str, pa.Table], requests: list[CampaignRequest], top: int) -> str:
    """HTML ``<section id="campaigns">`` for ``requests`` over the run's tables (a note when it cannot)."""
    if not requests:
        return ""
    missing = [t for t in ("hashtag_uses", "accounts") if t not in tables]
    if missing:
        return (
            '<section id="campaigns"><h2>Hashtag campaigns</h2><p class="note">this run has no '
            f"{_e(', '.join(missing))} table; run <code>nichegraph analyze</code> again</p></section>"
        )
    reports = compare_campaigns(campaign_run(run, tables), requests)
    audience = reports[0]["audience"]
    summary = [{"measure": k.replace("_", " "), **{label(r): r["summary"][k] for r in reports}} for k in SUMMARY_KEYS]
    parts = [
        '<section id="campaigns"><h2>Hashtag campaigns</h2>',
        f'<p class="meta">audience counted: <b>{_e(audience["kind"])}</b> ({_e(audience["note"])})</p>',
        html_table(summary, ["measure", *[label(r) for r in reports]], css_class="campaign-summary"),
    ]
    for rep in reports:
        cols = [c for c in PARTICIPANT_COLUMNS if any(c in p for p in rep["participants"])]
        parts.append(f"<h3>{_e(label(rep))}: participants (top {top} by uses)</h3>")
        parts.append(html_table(rep["participants"][:top], cols, css_class="campaign-participants"))
        if rep["niches_missed"]:
            parts.append(f"<h3>{_e(label(rep))}: niches reached but silent</h3>")
            parts.append(
                html_table(rep["niches_missed"], ["niche", "community", "niche_size", "reached_members"], css_class="")
            )
        if rep["carriers"]:
            cols = [c for c in CARRIER_COLUMNS if any(c in p for p in rep["carriers"])]
            parts.append(f"<h3>{_e(label(rep))}: who could carry it there</h3>")
            parts.append(html_table(rep["carriers"], cols, css_class="campaign-carriers"))
        parts.extend(f'<p class="note">{_e(n)}</p>' for n in rep["notes"])
    parts.append("</section>")
    return "\n".join(parts)
