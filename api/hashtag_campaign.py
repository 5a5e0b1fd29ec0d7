"""Hashtag campaign report: who posted with a tag in a time window, and where it could go next.

Everything comes from one analysis run held in a :class:`~api.run_query.campaign_index.CampaignRun`
(the CLI builds one from the run's tables, the HTTP service shares its snapshot's):
``hashtag_uses`` (uses per account, tag and time), ``engaged`` (interactions per
pair and time), ``audience`` (follows) and ``accounts`` (tiers, niches, niche
centrality).  For a tag and a window ``[since, until)`` the report gives

* **participants**: accounts that used the tag in the window, each with its uses,
  first use of the tag ever, tier, niche, the interaction weight it received in
  the window (engagement received: every interaction towards it, the data links
  interactions to accounts, not to posts) and its audience size;
* **first-time voices vs existing fans**: an *existing fan* used the tag before
  ``since`` or (with ``brand``) engaged with the brand account before ``since``;
  everyone else is a *first-time voice* (with no ``since`` nothing is before the
  window, so all are first-time voices);
* **reach**: the deduplicated audience of the participants (exact union, and the
  HyperLogLog estimate of :func:`engine.influence.estimate_reach`), on followers
  or engaged audiences (:mod:`api.audiences`; the report says which);
* **niches entered** (niches with a participant) and **niches missed** (niches
  whose members are in the campaign's audience but none of whom took part, most
  reached members first), and in each missed niche the **carriers**: its most
  central accounts (``niche_pagerank``, accounts without one left out) that did
  not take part, with whether the campaign already reached them.

The brand account itself is never a participant or a carrier.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine.influence import estimate_reach
from nichegraph.graph_store import RunRecord

from .audiences import AudienceError, ChosenAudience, check_window, choose_audience, iso
from .run_query.campaign_index import CampaignRun, gather, in_window, normalise_tag

#: Account columns every participant and carrier row shows (those the run has).
ACCOUNT_FIELDS: tuple[str, ...] = ("id", "handle", "tier", "community", "niche", "followers_count")
#: Columns other stages add; shown when the run has them.
OPTIONAL_FIELDS: tuple[str, ...] = ("engagement_rate", "authenticity")
#: Evidence behind a carrier's place.
CARRIER_FIELDS: tuple[str, ...] = ("niche_pagerank", "niche_percentile", "niche_engaged")
#: Accounts columns a report reads: a snapshot of these alone is quick to build for one report.
REPORT_COLUMNS: tuple[str, ...] = ("idx", *ACCOUNT_FIELDS, *OPTIONAL_FIELDS, *CARRIER_FIELDS, "niche_size")
MAX_NICHES = 100
MAX_PER_NICHE = 20


class CampaignError(ValueError):
    """A campaign report that cannot be made as asked (the message says how to fix it)."""


@dataclass(frozen=True)
class CampaignRequest:
    """One hashtag campaign: the tag, its window (Unix seconds, ``[since, until)``) and what to show.

    ``brand``: handle (``@`` optional) or id of the brand account, for existing fans.
    ``audience`` / ``audience_since`` / ``audience_until``: which audience reach counts
    (:func:`api.audiences.choose_audience`).  ``niches``: missed niches listed;
    ``per_niche``: carriers per missed niche; ``participants``: at most this many
    participant rows (None: all).
    """

    hashtag: str
    since: int | None = None
    until: int | None = None
    brand: str | None = None
    audience: str = "auto"
    audience_since: int | None = None
    audience_until: int | None = None
    niches: int = 10
    per_niche: int = 3
    participants: int | None = None


def hashtag_campaign(data: CampaignRun, req: CampaignRequest, *, chosen: ChosenAudience | None = None) -> dict:
    """The campaign report for ``req`` from the run in ``data`` (see the module docstring).

    ``chosen``: an audience already built for this request's audience settings (a
    comparison of several campaigns builds it once).
    """
    tag = normalise_tag(req.hashtag)
    if not tag:
        raise CampaignError("the hashtag is empty")
    if not 0 <= req.niches <= MAX_NICHES or not 0 <= req.per_niche <= MAX_PER_NICHE:
        raise CampaignError(f"niches must be 0..{MAX_NICHES} and per_niche 0..{MAX_PER_NICHE}")
    try:
        check_window(req.since, req.until)
        if chosen is None:
            chosen = campaign_audience(data, req)
    except AudienceError as exc:
        raise CampaignError(str(exc)) from None
    if data.tag_uses is None:
        raise CampaignError(f"run {data.run_id} has no hashtag_uses table; run `nichegraph analyze` again")
    windowed = req.since is not None or req.until is not None
    if windowed and not data.tag_uses.has_times:
        raise CampaignError(f"run {data.run_id} keeps no hashtag times; run `nichegraph analyze` again to window it")
    notes: list[str] = []
    brand_row = _brand_row(data, req.brand)

    uses = data.tag_uses.of(tag)
    win = in_window(uses.ts, uses.timed, req.since, req.until)
    if windowed and int((~uses.timed).sum()):
        notes.append(f"{int(uses.n[~uses.timed].sum())} uses without a time are outside every window")
    src = uses.source[win].astype(np.int64)
    rows, inv = np.unique(src, return_inverse=True)
    n_uses = np.bincount(inv, weights=uses.n[win], minlength=len(rows)).astype(np.int64)
    if brand_row is not None and len(rows):
        keep = rows != brand_row
        rows, n_uses = rows[keep], n_uses[keep]

    # first use of the tag ever (at a known time), per participant
    first = np.full(len(rows), np.iinfo(np.int64).max, dtype=np.int64)
    timed_src = uses.source[uses.timed].astype(np.int64)
    pos = np.searchsorted(rows, timed_src)
    hit = (pos < len(rows)) & (rows[np.minimum(pos, max(len(rows) - 1, 0))] == timed_src) if len(rows) else pos < 0
    np.minimum.at(first, pos[hit], uses.ts[uses.timed][hit])
    has_first = first != np.iinfo(np.int64).max
    fan_by_tag = has_first & (first < req.since) if req.since is not None else np.zeros(len(rows), bool)
    fan_by_brand = np.zeros(len(rows), bool)
    if brand_row is not None and req.since is not None:
        if data.engaged is None:
            notes.append("the run has no engaged table: fans of the brand are not counted (run analyze again)")
        else:
            fan_by_brand = np.isin(rows, data.engaged.engagers_before(brand_row, req.since))
    existing = fan_by_tag | fan_by_brand

    received = data.engaged.received(rows, req.since, req.until) if data.engaged is not None else None
    graph = chosen.graph
    sizes = np.diff(graph.indptr)
    reached = _union(graph, rows)
    estimate = estimate_reach(graph, rows, p=12) if len(rows) else None

    niche = _int_column(data, "niche")
    tier = _str_column(data, "tier")
    order = np.lexsort((rows, -n_uses))  # most uses first, then by index
    if req.participants is not None:
        order = order[: req.participants]
    first_iso = np.char.add(np.datetime_as_string(np.where(has_first, first, 0).astype("datetime64[s]")), "Z")
    fan_by = np.array([None, "tag", "brand", "tag and brand"], dtype=object)[
        fan_by_tag.astype(np.int64) + 2 * fan_by_brand.astype(np.int64)
    ]
    shown = data.table.select(_fields(data, ACCOUNT_FIELDS + OPTIONAL_FIELDS)).take(pa.array(rows[order]))
    computed = {
        "uses": pa.array(n_uses[order], pa.int64()),
        "first_use": pa.array(first_iso[order].astype(object), pa.string(), mask=~has_first[order]),
        "status": pa.array(np.where(existing[order], "existing fan", "first-time voice").astype(object), pa.string()),
        "fan_by": pa.array(fan_by[order], pa.string()),
        "engagement_received": (
            pa.nulls(len(order), pa.float64()) if received is None else pa.array(received[order], pa.float64())
        ),
        "audience_size": pa.array(sizes[rows[order]].astype(np.int64), pa.int64()),
    }
    for name, col in computed.items():
        shown = shown.append_column(name, col)
    participants = [_clean(r) for r in shown.to_pylist()]
    total = len(rows)

    tiers = _tier_counts(tier[rows] if tier is not None else None, existing)
    entered, missed, carriers = _niches(data, niche, rows, existing, n_uses, reached, brand_row, req, sizes)
    summary = {
        "participants": total,
        "first_time_voices": int((~existing).sum()),
        "existing_fans": int(existing.sum()),
        "uses": int(n_uses.sum()),
        "engagement_received": None if received is None else float(received.sum()),
        "audience_sum": int(sizes[rows].sum()),
        "unique_reach": int(reached.size),
        "reach_estimate": None if estimate is None else round(float(estimate.estimate), 1),
        "reach_std_error": None if estimate is None else round(float(estimate.std_error), 1),
        "niches_entered": len(entered),
        "niches_missed": int(missed[1]),
    }
    return {
        "run_id": data.run_id,
        "hashtag": tag,
        "since": iso(req.since),
        "until": iso(req.until),
        "brand": None if brand_row is None else _clean(data.rows([brand_row], _fields(data, ("id", "handle")))[0]),
        "audience": chosen.describe(),
        "summary": summary,
        "tiers": tiers,
        "participants": participants,
        "niches_entered": entered,
        "niches_missed": missed[0],
        "carriers": carriers,
        "notes": notes,
        "request": asdict(req),
    }


def campaign_run(run: RunRecord, tables: dict[str, pa.Table]) -> CampaignRun:
    """What a report reads, from a run's tables: the accounts columns of :data:`REPORT_COLUMNS`,
    hashtag uses, engagement and follows (the service shares its snapshot's instead)."""
    acc = tables["accounts"]
    acc = acc.select([c for c in REPORT_COLUMNS if c in acc.column_names])
    return CampaignRun.from_tables(run, {**tables, "accounts": acc})


def campaign_audience(data: CampaignRun, req: CampaignRequest) -> ChosenAudience:
    """The audience graph the request asks for, from the snapshot's follows or engaged events."""
    return choose_audience(
        req.audience, data.audience, data.engaged, since=req.audience_since, until=req.audience_until
    )


def compare_campaigns(data: CampaignRun, requests: list[CampaignRequest]) -> list[dict]:
    """Reports for several campaigns (tags or windows) of one run, the audience graph built once per setting."""
    built: dict[tuple, ChosenAudience] = {}
    out = []
    for req in requests:
        key = (req.audience, req.audience_since, req.audience_until)
        if key not in built:
            try:
                built[key] = campaign_audience(data, req)
            except AudienceError as exc:
                raise CampaignError(str(exc)) from None
        out.append(hashtag_campaign(data, req, chosen=built[key]))
    return out


def _fields(data: CampaignRun, names: tuple[str, ...]) -> list[str]:
    return [c for c in names if c in data.columns]


def _clean(row: dict) -> dict:
    """NaN floats as None (an unknown stays unknown in JSON and CSV)."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def _brand_row(data: CampaignRun, brand: str | None) -> int | None:
    if brand is None or not brand.strip():
        return None
    row = data.row_of(brand.strip())
    if row is None:
        raise CampaignError(f"no account with id or handle {brand!r} in run {data.run_id}")
    return row


def _int_column(data: CampaignRun, name: str) -> np.ndarray | None:
    """An integer accounts column as int64 with -1 for null (None when the run lacks it)."""
    if name not in data.table.column_names:
        return None
    return np.asarray(pc.fill_null(data.table.column(name), -1).to_numpy(zero_copy_only=False), np.int64)


def _str_column(data: CampaignRun, name: str) -> np.ndarray | None:
    if name not in data.table.column_names:
        return None
    return np.asarray(pc.fill_null(data.table.column(name), "unknown").to_numpy(zero_copy_only=False), dtype=object)


def _union(graph, rows: np.ndarray) -> np.ndarray:
    """Distinct audience members of ``rows`` (int64, sorted)."""
    pos, _ = gather(graph.indptr, rows)
    return np.unique(graph.indices[pos].astype(np.int64))


def _tier_counts(tiers: np.ndarray | None, existing: np.ndarray) -> list[dict]:
    if tiers is None:
        return []
    out = []
    for t in sorted(set(tiers.tolist())):
        m = tiers == t
        out.append({"tier": t, "participants": int(m.sum()), "first_time_voices": int((m & ~existing).sum())})
    return out


def _niches(
    data: CampaignRun,
    niche: np.ndarray | None,
    rows: np.ndarray,
    existing: np.ndarray,
    n_uses: np.ndarray,
    reached: np.ndarray,
    brand_row: int | None,
    req: CampaignRequest,
    sizes: np.ndarray,
) -> tuple[list[dict], tuple[list[dict], int], list[dict]]:
    """Niches entered, (missed niches listed, how many were missed), and the carriers of the listed ones."""
    if niche is None:
        return [], ([], 0), []
    size = _int_column(data, "niche_size")  # per member; the same for every member of a niche
    community = _int_column(data, "community")
    reached_per = np.bincount(niche[reached][niche[reached] >= 0]) if reached.size else np.zeros(0, np.int64)

    def count(ids: np.ndarray) -> int:
        return int(reached_per[ids]) if ids < reached_per.size else 0

    p_niche = niche[rows]
    valid = p_niche >= 0
    groups, first_pos, inv, counts = np.unique(
        p_niche[valid], return_index=True, return_inverse=True, return_counts=True
    )
    members = rows[valid][first_pos]
    new = np.bincount(inv, weights=(~existing[valid]).astype(np.float64), minlength=len(groups))
    used = np.bincount(inv, weights=n_uses[valid].astype(np.float64), minlength=len(groups))
    entered = [
        {
            "niche": int(g),
            "community": None if community is None else int(community[m]),
            "niche_size": None if size is None else int(size[m]),
            "participants": int(c),
            "first_time_voices": int(f),
            "uses": int(u),
            "reached_members": count(g),
        }
        for g, m, c, f, u in zip(groups, members, counts, new, used, strict=True)
    ]
    entered = [entered[i] for i in np.lexsort((groups, -counts))]  # most participants first, then niche id
    touched = set(groups.tolist())
    cand = [(int(c), g) for g, c in enumerate(reached_per.tolist()) if c > 0 and g not in touched]
    cand.sort(key=lambda x: (-x[0], x[1]))
    listed = cand[: req.niches]
    missed = []
    for c, g in listed:
        example = int(np.argmax(niche == g))  # any member: size and community are per niche
        missed.append(
            {
                "niche": g,
                "community": None if community is None else int(community[example]),
                "niche_size": None if size is None else int(size[example]),
                "reached_members": c,
            }
        )
    carriers = _carriers(data, niche, [g for _, g in listed], rows, reached, brand_row, req.per_niche, sizes)
    return entered, (missed, len(cand)), carriers


def _carriers(
    data: CampaignRun,
    niche: np.ndarray,
    niches: list[int],
    rows: np.ndarray,
    reached: np.ndarray,
    brand_row: int | None,
    per_niche: int,
    sizes: np.ndarray,
) -> list[dict]:
    """The ``per_niche`` most central non-participants of each listed niche, by ``niche_pagerank``."""
    if not niches or per_niche == 0 or "niche_pagerank" not in data.table.column_names:
        return []
    pr_col = data.table.column("niche_pagerank")
    valid = np.asarray(pc.is_valid(pr_col).to_numpy(zero_copy_only=False), bool)
    pr = np.asarray(pc.fill_null(pr_col, 0.0).to_numpy(zero_copy_only=False), np.float64)
    cand = np.flatnonzero(np.isin(niche, niches) & valid & ~np.isnan(pr))
    cand = cand[~np.isin(cand, rows)]
    if brand_row is not None:
        cand = cand[cand != brand_row]
    rank_of = {g: i for i, g in enumerate(niches)}
    key_niche = np.array([rank_of[int(g)] for g in niche[cand]], dtype=np.int64)
    order = np.lexsort((cand, -pr[cand], key_niche))
    cand, key_niche = cand[order], key_niche[order]
    take = np.concatenate([np.flatnonzero(key_niche == i)[:per_niche] for i in range(len(niches))]).astype(np.int64)
    chosen = cand[take]
    is_reached = np.isin(chosen, reached)
    fields = _fields(data, ACCOUNT_FIELDS + OPTIONAL_FIELDS + CARRIER_FIELDS)
    return [
        {**_clean(row), "reached": bool(hit), "audience_size": int(sizes[r])}
        for r, row, hit in zip(chosen.tolist(), data.rows(chosen, fields), is_reached.tolist(), strict=True)
    ]
