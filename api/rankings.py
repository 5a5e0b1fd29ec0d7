"""Rank queries over an analysis run: hidden influencers, PageRank, niche, social, brand, internal.

Each ranking is a filter plus an order over the run's ``accounts`` table, and
its output carries the components the order is built from (docs/metrics.md):

===============  =================================  =================================================
``by``           order (descending)                 components shown
===============  =================================  =================================================
hidden           ``score_hidden``                   niche_percentile, social and follow-back ratios (raw and
                                                    shrunk), niche_engaged, evidence_weight
pagerank         ``pagerank``                       in_degree, coreness
niche            ``niche_pagerank``                 niche_percentile, within_module_z, participation, niche_share
social           ``social_ratio_shrunk``, then      social_ratio (raw), its sd, follow-back ratios, asymmetry
                 niche
brand-affinity   ``niche_pagerank``                 brand_touches (mentions of the brand + uses of its hashtags)
internal         ``niche_pagerank``                 affiliation, brand_communities
===============  =================================  =================================================

Every row also carries its evidence (``_EVIDENCE``): distinct inbound
interactors, inbound and reciprocated events, platform and observed followers,
the community's and niche's sizes.  A tier filter leaves ``unknown`` tiers out
unless it names them; the answer's notes (:func:`notes_of`) say how many were
left out and which data the ranking lacks.

Ties are broken by the dense account index (stable, deterministic).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from nichegraph.graph_store import RunRecord, Store

RANK_KINDS: tuple[str, ...] = ("hidden", "pagerank", "niche", "social", "brand-affinity", "internal")

_BASE = ("idx", "id", "handle", "tier", "tier_estimated", "followers_count", "followers_observed", "community",
         "niche")
#: the evidence every ranking row carries (docs/metrics.md, "Evidence")
_EVIDENCE = ("inbound_accounts", "inbound_events", "reciprocated_events", "community_size", "niche_size")
_SHOW = {
    "hidden": ("score_hidden", "niche_percentile", "social_ratio", "social_ratio_shrunk", "follow_back_ratio",
               "follow_back_ratio_shrunk", "niche_engaged", "evidence_weight"),
    "pagerank": ("pagerank", "in_degree", "coreness"),
    "niche": ("niche_pagerank", "niche_percentile", "within_module_z", "participation", "niche_share",
              "niche_share_shrunk"),
    "social": ("social_ratio_shrunk", "social_ratio", "social_ratio_sd", "follow_back_ratio",
               "follow_back_ratio_shrunk", "asymmetry", "niche_pagerank"),
    "brand-affinity": ("niche_pagerank", "niche_percentile"),
    "internal": ("affiliation", "niche_pagerank", "niche_percentile"),
}
_KEYS = {
    "hidden": ("score_hidden",),
    "pagerank": ("pagerank",),
    "niche": ("niche_pagerank",),
    "social": ("social_ratio_shrunk", "niche_pagerank"),
    "brand-affinity": ("niche_pagerank",),
    "internal": ("niche_pagerank",),
}


UNKNOWN_TIER = "unknown"
_NOTES_KEY = b"nichegraph.notes"


class RankingError(ValueError):
    """A rank query that cannot be answered; the message says how to fix it."""


@dataclass(frozen=True)
class RankQuery:
    """What to rank and how to filter.

    by : one of :data:`RANK_KINDS`.
    tiers : tier names to keep (``hidden`` defaults to nano and micro).
    community : keep one (broad) community id.
    niche : keep one niche id.
    brand : brand account (handle, with or without ``@``, or id) for brand-affinity / internal.
    hashtags : the brand's hashtags (default: the brand handle as a hashtag).
    affiliation : organisation for ``internal`` (case-insensitive).
    limit : rows to return.
    """

    by: str = "hidden"
    tiers: tuple[str, ...] | None = None
    community: int | None = None
    niche: int | None = None
    brand: str | None = None
    hashtags: tuple[str, ...] = field(default_factory=tuple)
    affiliation: str | None = None
    limit: int = 50


def _col(t: pa.Table, name: str, run: RunRecord, *, numeric: bool = True) -> np.ndarray:
    if name not in t.column_names:
        raise RankingError(f"run {run.run_id} has no column {name!r}; run `nichegraph analyze` again "
                           "with a version that computes it.")
    c = t.column(name)
    if numeric:
        return np.asarray(c.to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.asarray(c.to_pylist(), dtype=object)


def _order(keys: list[np.ndarray], idx: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows in ``mask`` sorted by descending keys (NaN last within a key), ties by idx."""
    rows = np.flatnonzero(mask)
    cols = [idx[rows]]
    for k in reversed(keys):
        v = k[rows]
        cols.append(np.where(np.isnan(v), np.inf, -v))
    return rows[np.lexsort(cols)]


def resolve_account(accounts: pa.Table, name: str) -> int:
    """Row of the account whose id equals ``name`` or whose handle matches it (case-insensitive, ``@`` optional)."""
    ids = accounts.column("id").to_pylist()
    if name in ids:
        return ids.index(name)
    want = name.lstrip("@").lower()
    handles = [(h or "").lstrip("@").lower() for h in accounts.column("handle").to_pylist()] \
        if "handle" in accounts.column_names else []
    hits = [i for i, h in enumerate(handles) if h == want]
    if not hits:
        raise RankingError(f"no account with id or handle {name!r} in the run; check the spelling "
                           "(`nichegraph rank --by pagerank` lists accounts).")
    return hits[0]


def brand_touches(store: Store, accounts: pa.Table, brand_row: int, hashtags) -> np.ndarray:
    """Per account: interactions towards the brand account plus uses of its hashtags (float64, n)."""
    ids = accounts.column("id").to_pylist()
    pos = {a: i for i, a in enumerate(ids)}
    touches = np.zeros(len(ids))
    inter = store.interactions_to([ids[brand_row]])
    for src, n in zip(inter.column("source").to_pylist(), inter.column("n").to_pylist()):
        if src in pos:
            touches[pos[src]] += n
    tags = [t.lstrip("#") for t in hashtags if t.strip("#")]
    if tags:
        used = store.hashtag_users(tags)
        for src, n in zip(used.column("source").to_pylist(), used.column("n").to_pylist()):
            if src in pos:
                touches[pos[src]] += n
    touches[brand_row] = 0.0  # the brand does not have affinity to itself
    return touches


def rank(store: Store, query: RankQuery, *, run_id: str | None = None) -> tuple[RunRecord, pa.Table]:
    """Answer a rank query over the latest (or the given) run; returns the run and the ranked rows."""
    if query.by not in RANK_KINDS:
        raise RankingError(f"--by must be one of {', '.join(RANK_KINDS)}; got {query.by!r}.")
    if query.limit < 1:
        raise RankingError(f"--limit must be at least 1; got {query.limit}.")
    run, tables = store.read_run(run_id)
    t = tables.get("accounts")
    if t is None or t.num_rows == 0:
        raise RankingError(f"run {run.run_id} has no accounts table; run `nichegraph analyze` first.")
    t = t.sort_by("idx")
    n = t.num_rows
    idx = _col(t, "idx", run)
    mask = np.ones(n, dtype=bool)
    extra: dict[str, np.ndarray] = {}

    tier_filter = query.tiers
    if tier_filter is None and query.by == "hidden":
        eligible = run.params.get("extra", {}).get("metrics", {}).get("hidden_tiers", ("nano", "micro"))
        tier_filter = tuple(x for x in eligible if x != UNKNOWN_TIER)
    tier_mask = np.ones(n, dtype=bool)
    if tier_filter:
        tier = _col(t, "tier", run, numeric=False).astype(str)
        tier_mask = np.isin(tier, list(tier_filter))
    if query.community is not None:
        mask &= _col(t, "community", run) == query.community
    if query.niche is not None:
        mask &= _col(t, "niche", run) == query.niche

    if query.by in ("brand-affinity", "internal"):
        if query.by == "brand-affinity" and not query.brand:
            raise RankingError("--by brand-affinity needs --brand HANDLE (the brand account).")
        if query.brand:
            b = resolve_account(t, query.brand)
            handle = (t.column("handle")[b].as_py() or t.column("id")[b].as_py()) if "handle" in t.column_names \
                else t.column("id")[b].as_py()
            tags = tuple(query.hashtags) or (str(handle).lstrip("@"),)
            touches = brand_touches(store, t, b, tags)
            extra["brand_touches"] = touches
            if query.by == "brand-affinity":
                mask &= touches > 0
            else:
                comm = _col(t, "community", run)
                where = np.unique(comm[touches > 0])
                mask &= np.isin(comm, where)
        if query.by == "internal":
            if not query.affiliation:
                raise RankingError("--by internal needs --affiliation ORG (the organisation of the employees).")
            aff = _col(t, "affiliation", run, numeric=False)
            want = query.affiliation.lower()
            mask &= np.array([(a or "").lower() == want for a in aff], dtype=bool)

    keys = [_col(t, k, run) for k in _KEYS[query.by]]
    defined = ~np.isnan(keys[0])
    rows = _order(keys, idx, mask & tier_mask & defined)[: query.limit]
    notes = _notes(t, run, query, tier_filter, mask & defined & ~tier_mask, mask & tier_mask & ~defined, len(rows))
    cols = [c for c in _BASE if c in t.column_names]
    out = t.select(cols).take(pa.array(rows, type=pa.int64()))
    out = out.add_column(0, "rank", pa.array(np.arange(1, len(rows) + 1, dtype=np.int64)))
    for c in _SHOW[query.by]:
        if c in t.column_names and c not in out.column_names:
            out = out.append_column(c, t.column(c).take(pa.array(rows, type=pa.int64())))
    for name, arr in extra.items():
        out = out.append_column(name, pa.array(arr[rows]))
    for c in _EVIDENCE:
        if c in t.column_names and c not in out.column_names:
            out = out.append_column(c, t.column(c).take(pa.array(rows, type=pa.int64())))
    return run, out.replace_schema_metadata({_NOTES_KEY: json.dumps(notes).encode()})


def notes_of(table: pa.Table) -> list[str]:
    """The plain-language notes :func:`rank` attached to its answer (left-out tiers, missing data)."""
    meta = table.schema.metadata or {}
    return json.loads(meta[_NOTES_KEY]) if _NOTES_KEY in meta else []


def _accounts(n: int) -> str:
    return f"{n:,} account{'' if n == 1 else 's'}"


def _notes(t: pa.Table, run: RunRecord, query: RankQuery, tier_filter, left_out: np.ndarray, undefined: np.ndarray,
           n_rows: int) -> list[str]:
    """What a reader of the ranking must know: tiers left out, accounts without a score, data the store lacks."""
    notes = []
    if tier_filter and UNKNOWN_TIER not in tier_filter:
        tier = _col(t, "tier", run, numeric=False).astype(str)
        hidden = int(np.count_nonzero(left_out & (tier == UNKNOWN_TIER)))
        if hidden:
            notes.append(f"{_accounts(hidden)} of unknown tier (no platform follower count) left out; add "
                         f"--tier {','.join((*tier_filter, UNKNOWN_TIER))} to include them.")
    if query.by == "hidden" and int(np.count_nonzero(undefined)):
        need = run.params.get("fitted", {}).get("min_evidence")
        notes.append(f"{_accounts(int(np.count_nonzero(undefined)))} matching the filters without a hidden score: "
                     f"fewer than {need if need is not None else 'the minimum'} distinct accounts of their niche "
                     "engage with them (analyze --min-evidence sets the minimum).")
    counts = run.counts or {}
    if query.by in ("hidden", "social") and counts.get("interactions") == 0:
        notes.append("the store has no interactions, so social ratios are undefined and the social side rests on "
                     "follow-backs only; load interactions (nichegraph load --interactions FILE) and analyze again.")
    if query.by in ("hidden", "social", "niche") and counts.get("follows") == 0 and counts.get("interactions") == 0:
        notes.append("the store has neither follows nor interactions; load some and run nichegraph analyze.")
    if "followers_count" in t.column_names and t.column("followers_count").null_count == t.num_rows:
        notes.append("no account has a platform follower count, so every tier is unknown; load accounts with "
                     "followers_count, or analyze --follows-complete if the follows hold every follower.")
    if query.by == "internal" and "affiliation" in t.column_names:
        if t.column("affiliation").null_count == t.num_rows:
            notes.append("no account has an affiliation; load accounts with an affiliation column.")
        elif n_rows == 0:
            known = sorted({a for a in t.column("affiliation").to_pylist() if a})
            notes.append(f"affiliations in this run: {', '.join(known[:10])}{' ...' if len(known) > 10 else ''}.")
    if n_rows == 0:
        notes.append(f"no account matches --by {query.by} with these filters.")
    return notes


def to_records(table: pa.Table) -> list[dict]:
    """Rows as dicts with NaN turned into None (valid JSON)."""
    recs = table.to_pylist()
    for r in recs:
        for k, v in r.items():
            if isinstance(v, float) and v != v:
                r[k] = None
    return recs


__all__ = ["RANK_KINDS", "RankQuery", "RankingError", "brand_touches", "notes_of", "rank", "resolve_account",
           "to_records"]
