"""The notes that go with a ranking: what its reader must know about the rows it left out.

A tier filter leaves ``unknown`` tiers out unless it names them, a minimum authenticity leaves
out accounts whose score is unknown, and a run may lack the data a kind rests on (no
interactions, no follower counts, no affiliations).  :func:`kind_notes` says each in plain
language; :func:`unknown_left_out` and :func:`authenticity_note` are the counts behind them,
shared by ``nichegraph rank``, ``/v1/rankings`` and the report.  :func:`with_notes` attaches
the notes to an answer table and :func:`notes_of` reads them back (docs/metrics.md, "Evidence").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from .run_query import Filters, RangeFilter, Snapshot

if TYPE_CHECKING:
    from .rankings import KindPlan

UNKNOWN_TIER = "unknown"
_NOTES_KEY = b"nichegraph.notes"


def with_notes(table: pa.Table, notes: list[str]) -> pa.Table:
    """``table`` with ``notes`` in its schema metadata (read back by :func:`notes_of`)."""
    return table.replace_schema_metadata({_NOTES_KEY: json.dumps(notes).encode()})


def notes_of(table: pa.Table) -> list[str]:
    """The plain-language notes :func:`rank_snapshot` attached to its answer (left-out tiers, missing data)."""
    meta = table.schema.metadata or {}
    return json.loads(meta[_NOTES_KEY]) if _NOTES_KEY in meta else []


def _accounts(n: int) -> str:
    return f"{n:,} account{'' if n == 1 else 's'}"


def unknown_left_out(snap: Snapshot, filters: Filters, sort: str, candidates: np.ndarray | None = None) -> int:
    """Accounts of tier ``unknown`` with a ``sort`` value that a tier filter not naming ``unknown`` left out.

    0 when ``filters`` has no tier filter, names ``unknown``, or the run has no unknown tier.  The
    one count behind the "left out" notes of ``nichegraph rank``, ``/v1/rankings`` and the report.
    """
    tiers = filters.values.get("tier")
    if (
        tiers is None
        or UNKNOWN_TIER in {str(t).lower() for t in tiers}
        or "tier" not in snap.cats
        or UNKNOWN_TIER not in snap.cats["tier"].lookup
    ):
        return 0
    ranges = tuple(r for r in filters.ranges if r.param != "by")
    return snap.count(Filters({**filters.values, "tier": (UNKNOWN_TIER,)}, ranges), sort, candidates)


def kind_notes(snap: Snapshot, by: str, plan: KindPlan, n_rows: int) -> list[str]:
    """What a reader of a ranking must know: unknown tiers left out, accounts without a score, missing data."""
    notes = []
    values, sort = plan.filters.values, plan.sort[0]
    unfiltered = Filters(values, tuple(r for r in plan.filters.ranges if r.param != "by"))
    left = unknown_left_out(snap, plan.filters, sort, plan.candidates)
    if left:
        notes.append(
            f"{_accounts(left)} of unknown tier (no platform follower count) left out; add "
            f"--tier {','.join((*values['tier'], UNKNOWN_TIER))} to include them."
        )
    screened = authenticity_note(snap, plan.filters, sort, plan.candidates)
    if screened:
        notes.append(screened)
    if by == "hidden" and sort in snap.nums:
        undefined = snap.count(unfiltered, None, plan.candidates) - snap.count(unfiltered, sort, plan.candidates)
        if undefined:
            need = (snap.run.params.get("fitted") or {}).get("min_evidence")
            notes.append(
                f"{_accounts(undefined)} matching the filters without a hidden score: fewer than "
                f"{need if need is not None else 'the minimum'} distinct accounts of their niche engage "
                "with them (analyze --min-evidence sets the minimum)."
            )
    counts = snap.run.counts or {}
    if by in ("hidden", "social") and counts.get("interactions") == 0:
        notes.append(
            "the store has no interactions, so social ratios are undefined and the social side rests on "
            "follow-backs only; load interactions (nichegraph load --interactions FILE) and analyze again."
        )
    if by in ("hidden", "social", "niche") and counts.get("follows") == 0 and counts.get("interactions") == 0:
        notes.append("the store has neither follows nor interactions; load some and run nichegraph analyze.")
    if "followers_count" in snap.nums and not snap.nums["followers_count"].n_valid:
        notes.append(
            "no account has a platform follower count, so every tier is unknown; load accounts with "
            "followers_count, or analyze --follows-complete if the follows hold every follower."
        )
    if by == "internal" and "affiliation" in snap.cats:
        known = sorted(str(a) for a in snap.cats["affiliation"].categories if a)
        if not known:
            notes.append("no account has an affiliation; load accounts with an affiliation column.")
        elif n_rows == 0:
            notes.append(f"affiliations in this run: {', '.join(known[:10])}{' ...' if len(known) > 10 else ''}.")
    if n_rows == 0:
        notes.append(f"no account matches --by {by} with these filters.")
    return notes


def authenticity_note(snap: Snapshot, filters: Filters, sort: str, candidates: np.ndarray | None = None) -> str | None:
    """How many accounts a ``min_authenticity`` filter left out because their score is unknown (None: no such filter)."""
    if not any(r.param == "min_authenticity" for r in filters.ranges) or "authenticity" not in snap.nums:
        return None
    kept = tuple(r for r in filters.ranges if r.param != "min_authenticity")
    known = (*kept, RangeFilter("authenticity", param="authenticity_known"))
    unknown = snap.count(Filters(filters.values, kept), sort, candidates) - snap.count(
        Filters(filters.values, known), sort, candidates
    )
    if not unknown:
        return None
    return (
        f"{_accounts(unknown)} without an authenticity score (no followers, ties or timed interactions) "
        "left out by the minimum authenticity."
    )


__all__ = [
    "UNKNOWN_TIER",
    "authenticity_note",
    "kind_notes",
    "notes_of",
    "unknown_left_out",
    "with_notes",
]
