"""Whose attention an account has: its followers, or the accounts that engage with it.

Every planner and campaign measure works on an *audience graph* (row ``u`` lists
``u``'s audience, :func:`engine.influence.audience_graph`).  Two kinds exist:

``followers``  the follow graph as ``analyze`` saw it (run table ``audience``);
``engaged``    the accounts that interacted with ``u`` (mentions, replies, reposts, ...),
               optionally only within a time window ``[since, until)`` (run table ``engaged``).

X API exports and interaction-only data sets (Higgs) rarely carry follower lists;
``auto`` picks ``engaged`` when the run has no follow at all or a window is given, else
``followers``.
Whatever is chosen is reported back (:attr:`ChosenAudience.kind`), so a plan or a
campaign report always says which audience it counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .run_query.campaign_index import EngagedEvents

if TYPE_CHECKING:
    from nichegraph.engine import Graph

AudienceKind = Literal["followers", "engaged", "auto"]
AUDIENCE_KINDS: tuple[str, ...] = ("followers", "engaged", "auto")


class AudienceError(ValueError):
    """An audience that cannot be built as asked (the message says how to fix it)."""


def parse_time(value: str | int | None, what: str) -> int | None:
    """Unix seconds from an ISO date / datetime (UTC unless it has an offset) or a Unix time; None stays None.

    >>> parse_time("2024-01-02", "--since")
    1704153600
    >>> parse_time("1704153600", "--since")
    1704153600
    """
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AudienceError(
            f"{what} {value!r} is not a time: use an ISO date (2024-05-01), a datetime "
            "(2024-05-01T12:00:00Z) or Unix seconds"
        ) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp())


def check_window(since: int | None, until: int | None) -> None:
    """Raise :class:`AudienceError` unless ``since < until`` (when both are given)."""
    if since is not None and until is not None and since >= until:
        raise AudienceError(f"the window is empty: since ({iso(since)}) must be before until ({iso(until)})")


def iso(ts: int | None) -> str | None:
    """Unix seconds as an ISO-8601 UTC string (None stays None)."""
    return None if ts is None else dt.datetime.fromtimestamp(int(ts), dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ChosenAudience:
    """The audience graph used, which kind it is, and why (``note``)."""

    graph: Graph
    kind: str
    note: str
    since: int | None = None
    until: int | None = None

    def describe(self) -> dict:
        """JSON-able description: kind, window and the reason for the choice."""
        return {"kind": self.kind, "since": iso(self.since), "until": iso(self.until), "note": self.note}


def choose_audience(
    kind: str,
    followers: Graph | None,
    engaged: EngagedEvents | None,
    *,
    since: int | None = None,
    until: int | None = None,
) -> ChosenAudience:
    """Pick the audience graph for ``kind`` (followers / engaged / auto, see the module docstring).

    ``followers`` is the run's follow audience graph (None when the run lacks the
    table); ``engaged`` the run's engagement events (None when the run lacks them).
    ``since`` / ``until`` window the engaged audience; a follow has no time, so a
    window with ``followers`` is refused rather than silently ignored.
    """
    if kind not in AUDIENCE_KINDS:
        raise AudienceError(f"audience must be one of {', '.join(AUDIENCE_KINDS)}; got {kind!r}")
    check_window(since, until)
    windowed = since is not None or until is not None
    if kind == "auto":
        if windowed:
            kind, note = "engaged", "auto: an audience window was given, so audiences are the accounts that engage"
        elif followers is not None and followers.indices.size > 0:
            kind, note = "followers", "auto: the run has follows, so audiences are followers"
        else:
            kind, note = "engaged", "auto: the run has no follows, so audiences are the accounts that engage"
    else:
        note = f"{kind} (asked for)"
    if kind == "followers":
        if windowed:
            raise AudienceError("a time window applies to engaged audiences only (follows carry no time)")
        if followers is None:
            raise AudienceError("the run has no audience table; run `nichegraph analyze` again")
        return ChosenAudience(followers, "followers", note)
    if engaged is None:
        raise AudienceError("the run has no engaged table; run `nichegraph analyze` again")
    return ChosenAudience(engaged.audience(since, until), "engaged", note, since, until)
