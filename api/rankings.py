"""Ranking kinds and the one query that answers them for ``nichegraph rank``, the report and the HTTP API.

:data:`KINDS` is the single definition of every ranking kind: a dict per kind
with

``title``  the heading the report and the docs use;
``sort``   the columns it orders by, descending and lexicographic (ties by the
           dense account index ``idx``); a row whose first column is null is
           left out;
``show``   the columns shown with the ranking (the components of its score);
``tiers``  (optional) the tiers kept when the query names none (``hidden``:
           the run's ``hidden_tiers`` parameter wins).

``brand-affinity`` keeps the brand's audience (accounts that interact with the
brand account or use its hashtags, :class:`api.run_query.BrandIndex`) and shows
``brand_touches``; ``internal`` keeps one organisation's accounts, and with a
brand only the communities where the brand is discussed.

:func:`plan_kind` turns a kind and its arguments into snapshot filters, a sort
and candidate rows; :func:`rank_page` runs it on a :class:`~api.run_query.Snapshot`.
:func:`rank` is the CLI's entry: it reads the run's tables into a snapshot first.

Every row also carries its evidence (:data:`EVIDENCE_COLUMNS`): distinct
inbound interactors, inbound and reciprocated events, the community's and
niche's sizes (platform and observed followers are identity columns).  The
answer's notes (left-out tiers, missing data) come from :mod:`api.ranking_notes`;
its names are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from nichegraph.graph_store import RunRecord, Store

from .ranking_notes import UNKNOWN_TIER, authenticity_note, kind_notes, notes_of, unknown_left_out, with_notes
from .run_query import Filters, QueryError, RangeFilter, Snapshot

KINDS: dict[str, dict] = {
    "hidden": {
        "title": "Hidden influencers",
        "sort": ("score_hidden",),
        "show": (
            "score_hidden",
            "niche_percentile",
            "social_ratio",
            "social_ratio_shrunk",
            "follow_back_ratio",
            "follow_back_ratio_shrunk",
            "niche_engaged",
            "evidence_weight",
        ),
        "tiers": ("nano", "micro"),
    },
    "pagerank": {
        "title": "Global influence (PageRank)",
        "sort": ("pagerank",),
        "show": ("pagerank", "in_degree", "coreness"),
    },
    "niche": {
        "title": "Niche centrality",
        "sort": ("niche_pagerank",),
        "show": (
            "niche_pagerank",
            "niche_percentile",
            "within_module_z",
            "participation",
            "niche_share",
            "niche_share_shrunk",
        ),
    },
    "social": {
        "title": "Social accounts (they talk back)",
        "sort": ("social_ratio_shrunk", "niche_pagerank"),
        "show": (
            "social_ratio_shrunk",
            "social_ratio",
            "social_ratio_sd",
            "follow_back_ratio",
            "follow_back_ratio_shrunk",
            "asymmetry",
            "niche_pagerank",
        ),
    },
    "in_degree": {
        "title": "Most attention received (in-degree)",
        "sort": ("in_degree",),
        "show": ("in_degree", "followers_observed", "out_degree", "reciprocity"),
    },
    "engagement": {
        "title": "Engagement rate (by followers, against peers)",
        "sort": ("engagement_rate", "engagement_posts"),
        "show": (
            "engagement_rate_raw",
            "engagement_rate_views",
            "engagement_posts",
            "engagement_source",
            "engagement_niche_median",
            "engagement_niche_percentile",
            "engagement_tier_median",
        ),
    },
    "brand-affinity": {
        "title": "Brand affinity",
        "sort": ("niche_pagerank",),
        "show": ("niche_pagerank", "niche_percentile"),
    },
    "internal": {
        "title": "Internal influencers",
        "sort": ("niche_pagerank",),
        "show": ("affiliation", "niche_pagerank", "niche_percentile"),
    },
}
RANK_KINDS: tuple[str, ...] = tuple(KINDS)
#: Kinds that need an argument (a brand, an organisation); the others rank with filters alone.
ARGUMENT_KINDS: tuple[str, ...] = ("brand-affinity", "internal")
#: Columns that identify an account in every ranking's output (those the run has).
BASE_COLUMNS = (
    "idx",
    "id",
    "handle",
    "tier",
    "tier_estimated",
    "followers_count",
    "followers_observed",
    "community",
    "niche",
)
#: Account measures every ranking's output carries after the kind's own columns (docs/metrics.md).
EVERY_RANKING_COLUMNS = ("engagement_rate",)
#: The evidence every ranking row carries (docs/metrics.md, "Evidence").
EVIDENCE_COLUMNS = ("inbound_accounts", "inbound_events", "reciprocated_events", "community_size", "niche_size")
#: Audience authenticity every ranking row carries: the score and the component that set it (docs/metrics.md).
AUTHENTICITY_COLUMNS = ("authenticity", "authenticity_weakest")


class RankingError(ValueError):
    """A rank query that cannot be answered; the message says how to fix it."""


class UnknownAccount(RankingError):
    """The brand named by the query is not an account of the run."""


class MissingRunTable(RankingError):
    """The run was written before a table or column the query needs existed (re-run analyze)."""


@dataclass(frozen=True)
class RankQuery:
    """What to rank and how to filter.

    by : one of :data:`RANK_KINDS`.
    tiers : tier names to keep (``hidden`` defaults to the run's hidden tiers).
    community : keep one (broad) community id.
    niche : keep one niche id.
    brand : brand account (handle, with or without ``@``, or id) for brand-affinity / internal.
    hashtags : the brand's hashtags (default: the brand handle as a hashtag).
    affiliation : organisation for ``internal`` (case-insensitive).
    min_authenticity : keep accounts whose authenticity score is at least this (unknown scores left out).
    limit : rows to return.
    """

    by: str = "hidden"
    tiers: tuple[str, ...] | None = None
    community: int | None = None
    niche: int | None = None
    brand: str | None = None
    hashtags: tuple[str, ...] = field(default_factory=tuple)
    affiliation: str | None = None
    min_authenticity: float | None = None
    limit: int = 50

    def filters(self) -> Filters:
        values: dict[str, tuple] = {}
        if self.tiers:
            values["tier"] = tuple(self.tiers)
        if self.community is not None:
            values["community"] = (self.community,)
        if self.niche is not None:
            values["niche"] = (self.niche,)
        return Filters(values, authenticity_ranges(self.min_authenticity))


@dataclass(frozen=True)
class KindPlan:
    """A ranking kind as a snapshot query: filters, sort, and candidate rows (None: every row)."""

    filters: Filters
    sort: tuple[str, ...]
    candidates: np.ndarray | None = None
    touches: np.ndarray | None = None  # brand touches of each candidate (brand-affinity)
    brand: dict | None = None  # the brand's id and hashtags


@dataclass(frozen=True)
class RankedPage:
    """One page of a ranking: snapshot rows in order, the cursor of the next page, and extra columns per row."""

    rows: np.ndarray
    next_cursor: str | None
    sort: str
    extra: dict[str, np.ndarray]
    brand: dict | None = None


def authenticity_ranges(min_authenticity: float | None) -> tuple[RangeFilter, ...]:
    """The range filter of ``--min-authenticity`` / ``min_authenticity=`` (none when None)."""
    if min_authenticity is None:
        return ()
    if not 0.0 <= min_authenticity <= 1.0:
        raise RankingError(f"--min-authenticity must be between 0 and 1; got {min_authenticity}.")
    return (RangeFilter("authenticity", float(min_authenticity), None, "min_authenticity"),)


def hidden_tiers(run: RunRecord) -> tuple[str, ...]:
    """The tiers a hidden ranking keeps by default: those the run scored, less ``unknown`` (named to include it)."""
    from .params import stored_params  # imports the stages and numba: only when a run is read

    stored = stored_params(run.params).metrics.hidden_tiers
    tiers = tuple(stored) if stored else KINDS["hidden"]["tiers"]
    known = tuple(t for t in tiers if t != UNKNOWN_TIER)
    return known or tiers


def resolve_brand(snap: Snapshot, name: str, hashtags=()) -> tuple[int, str, tuple[str, ...]]:
    """The brand account's row, id and hashtags (lower case, ``#`` dropped; default: its handle).

    ``name`` is an id, or a handle (case-insensitive, ``@`` optional; the first by ``idx`` wins).
    """
    row = snap.row_of(name)
    if row is None and name.lstrip("@"):
        row = snap.row_of_handle(name.lstrip("@"))
    if row is None:
        raise UnknownAccount(
            f"no account with id or handle {name!r} in run {snap.run_id}; check the spelling "
            "(`nichegraph rank --by pagerank` lists accounts)."
        )
    own = snap.strings.get("handle")
    own_handle = (own[row] if own is not None else None) or snap.strings["id"][row]
    tags = tuple(sorted({t.lstrip("#").lower() for t in (hashtags or [str(own_handle).lstrip("@")]) if t.lstrip("#")}))
    return row, str(snap.strings["id"][row]), tags


def brand_audience(snap: Snapshot, brand_row: int, tags) -> tuple[np.ndarray, np.ndarray]:
    """Rows that touch the brand and their touches (see :meth:`api.run_query.BrandIndex.audience`)."""
    if snap.brands is None:
        raise MissingRunTable(
            f"run {snap.run_id} has no touches tables (made by a version before they existed); "
            "run `nichegraph analyze` again."
        )
    return snap.brands.audience(brand_row, tags)


def plan_kind(
    snap: Snapshot,
    by: str,
    filters: Filters = Filters(),
    *,
    brand: str | None = None,
    hashtags=(),
    affiliation: str | None = None,
    sort: str | None = None,
) -> KindPlan:
    """The snapshot query of ranking kind ``by`` on top of ``filters`` (see the module docstring).

    ``sort`` replaces the kind's order by one column; rows without a value then come last
    instead of being left out (as ``/v1/rankings?sort=`` does).
    """
    if by not in KINDS:
        raise RankingError(f"--by must be one of {', '.join(RANK_KINDS)}; got {by!r}.")
    kind = KINDS[by]
    values = dict(filters.values)
    if "tier" not in values and kind.get("tiers") and "tier" in snap.cats:  # a run without tiers is not filtered
        values["tier"] = hidden_tiers(snap.run) if by == "hidden" else kind["tiers"]
    candidates = touches = brand_info = None
    if by == "brand-affinity" and not brand:
        raise RankingError("--by brand-affinity needs --brand HANDLE (the brand account).")
    if by == "internal" and not affiliation:
        raise RankingError("--by internal needs --affiliation ORG (the organisation of the employees).")
    if by in ("brand-affinity", "internal") and brand:
        row, brand_id, tags = resolve_brand(snap, brand, hashtags)
        brand_info = {"id": brand_id, "hashtags": list(tags)}
        audience, counts = brand_audience(snap, row, tags)
        if by == "brand-affinity":
            candidates, touches = audience, counts
        else:
            if "community" not in snap.cats:
                raise RankingError(f"run {snap.run_id} has no community column to place the brand in.")
            where = set(snap.cats["community"].codes[audience].tolist()) - {-1}
            talked = {snap.cats["community"].categories[c] for c in where}
            wanted = values.get("community")
            values["community"] = tuple(sorted(talked & set(wanted) if wanted is not None else talked))
    if by == "internal":
        values["affiliation"] = (affiliation,)
    if sort is not None:
        return KindPlan(Filters(values, filters.ranges), (sort,), candidates, touches, brand_info)
    order = tuple(kind["sort"])
    missing = [c for c in order if c not in snap.nums]
    if missing:
        raise MissingRunTable(
            f"run {snap.run_id} has no column {missing[0]!r} (made by a version before it "
            "existed); run `nichegraph analyze` again."
        )
    # a row without the first sort value has no place in the ranking
    ranges = (*filters.ranges, RangeFilter(order[0], param="by"))
    return KindPlan(Filters(values, ranges), order, candidates, touches, brand_info)


def rank_page(
    snap: Snapshot, plan: KindPlan, *, limit: int, cursor: str | None = None, desc: bool = True
) -> RankedPage:
    """One page of a planned ranking (raises :class:`api.run_query.QueryError` for a bad column or cursor)."""
    rows, next_cursor, sort = snap.rank(plan.filters, plan.sort, desc, limit, cursor, candidates=plan.candidates)
    extra = {}
    if plan.touches is not None and plan.candidates is not None:
        extra["brand_touches"] = plan.touches[np.searchsorted(plan.candidates, rows)]
    return RankedPage(rows, next_cursor, sort, extra, plan.brand)


def rank_snapshot(snap: Snapshot, query: RankQuery) -> pa.Table:
    """The ranked rows of ``query`` as a table: ``rank``, the identity columns, the kind's columns, extras."""
    if query.limit < 1:
        raise RankingError(f"--limit must be at least 1; got {query.limit}.")
    plan = plan_kind(
        snap, query.by, query.filters(), brand=query.brand, hashtags=query.hashtags, affiliation=query.affiliation
    )
    try:
        page = rank_page(snap, plan, limit=query.limit)
    except QueryError as exc:
        missing = [c for c in plan.sort if c not in snap.nums]
        if missing:
            raise RankingError(
                f"run {snap.run_id} has no column {missing[0]!r}; run `nichegraph analyze` again "
                "with a version that computes it."
            ) from None
        raise RankingError(exc.message) from None
    cols = [c for c in BASE_COLUMNS if c in snap.columns]
    cols += [c for c in (*EVERY_RANKING_COLUMNS, *KINDS[query.by]["show"]) if c in snap.columns and c not in cols]
    rows = snap.table.take(pa.array(page.rows, pa.int64())).select(cols)
    rows = rows.add_column(0, "rank", pa.array(np.arange(1, len(page.rows) + 1, dtype=np.int64)))
    for name, values in page.extra.items():
        rows = rows.append_column(name, pa.array(values))
    for c in (*EVIDENCE_COLUMNS, *AUTHENTICITY_COLUMNS):
        if c in snap.columns and c not in rows.column_names:
            rows = rows.append_column(c, snap.table.column(c).take(pa.array(page.rows, pa.int64())))
    notes = kind_notes(snap, query.by, plan, len(page.rows))
    return with_notes(rows, notes)


def resolve_account(accounts: pa.Table, name: str) -> int:
    """Row of the account whose id equals ``name`` or whose handle matches it (case-insensitive, ``@`` optional)."""
    ids = accounts.column("id").to_pylist()
    if name in ids:
        return ids.index(name)
    want = name.lstrip("@").lower()
    handles = (
        [(h or "").lstrip("@").lower() for h in accounts.column("handle").to_pylist()]
        if "handle" in accounts.column_names
        else []
    )
    hits = [i for i, h in enumerate(handles) if h == want]
    if not hits:
        raise RankingError(
            f"no account with id or handle {name!r} in the run; check the spelling "
            "(`nichegraph rank --by pagerank` lists accounts)."
        )
    return hits[0]


def read_snapshot(store: Store, run_id: str | None = None, *, brands: bool = False) -> Snapshot:
    """The run (newest when ``run_id`` is None) as a snapshot; with ``brands``, its touches tables too."""
    wanted = ("accounts", "touches", "hashtag_uses") if brands else ("accounts",)
    run, tables = store.read_run(run_id, tables=wanted)
    t = tables.get("accounts")
    if t is None or t.num_rows == 0:
        raise RankingError(f"run {run.run_id} has no accounts table; run `nichegraph analyze` first.")
    return Snapshot.from_tables(run, tables, mutuals=False)


def rank(store: Store, query: RankQuery, *, run_id: str | None = None) -> tuple[RunRecord, pa.Table]:
    """Answer a rank query over the latest (or the given) run; returns the run and the ranked rows."""
    if query.by not in KINDS:
        raise RankingError(f"--by must be one of {', '.join(RANK_KINDS)}; got {query.by!r}.")
    snap = read_snapshot(store, run_id, brands=query.by in ("brand-affinity", "internal") and bool(query.brand))
    return snap.run, rank_snapshot(snap, query)


def to_records(table: pa.Table) -> list[dict]:
    """Rows as dicts with NaN turned into None (valid JSON)."""
    recs = table.to_pylist()
    for r in recs:
        for k, v in r.items():
            if isinstance(v, float) and v != v:
                r[k] = None
    return recs


__all__ = [
    "AUTHENTICITY_COLUMNS",
    "EVIDENCE_COLUMNS",
    "KINDS",
    "RANK_KINDS",
    "KindPlan",
    "MissingRunTable",
    "RankQuery",
    "RankedPage",
    "RankingError",
    "UnknownAccount",
    "authenticity_note",
    "authenticity_ranges",
    "brand_audience",
    "kind_notes",
    "notes_of",
    "plan_kind",
    "rank",
    "rank_page",
    "rank_snapshot",
    "read_snapshot",
    "resolve_account",
    "resolve_brand",
    "to_records",
    "unknown_left_out",
]
