"""In-memory indices for hashtag campaigns and engaged audiences, from a run's serving tables.

:class:`TagUses` slices ``hashtag_uses`` per lower-case tag, so a hashtag campaign
report reads one slice, never the store; :class:`EngagedEvents` groups the
``engaged`` table by account, so an engaged audience (optionally within a time
window) is one CSR build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine import Graph
from nichegraph.engine.influence import audience_graph


@dataclass(frozen=True)
class TagSlice:
    """One tag's uses: ``source`` int32 (u,), ``ts`` int64 (u,) Unix seconds (0 where ``timed`` is False),
    ``timed`` bool (u,), ``n`` int64 (u,) uses at that time."""

    source: np.ndarray
    ts: np.ndarray
    timed: np.ndarray
    n: np.ndarray


@dataclass(frozen=True)
class TagUses:
    """Hashtag uses grouped by lower-case tag (``slices``: tag -> ``(start, stop)``).

    ``has_times`` is False for a run written before ``hashtag_uses`` had a ``ts`` column.
    """

    slices: dict
    source: np.ndarray
    ts: np.ndarray
    timed: np.ndarray
    n: np.ndarray
    has_times: bool

    @classmethod
    def from_table(cls, table: pa.Table) -> TagUses:
        """From a ``hashtag_uses`` run table (``source``, ``tag``, optional ``ts``, ``n``)."""
        tags = np.asarray(pc.utf8_lower(table.column("tag")).to_numpy(zero_copy_only=False), dtype=object)
        order = np.argsort(tags, kind="stable")
        tags = tags[order]
        has_times = "ts" in table.column_names
        if has_times:
            col = table.column("ts")
            timed = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), bool)[order]
            ts = np.asarray(pc.fill_null(col, 0).to_numpy(zero_copy_only=False), np.int64)[order]
        else:
            timed = np.zeros(len(tags), dtype=bool)
            ts = np.zeros(len(tags), dtype=np.int64)
        slices: dict = {}
        if len(tags):
            starts = np.flatnonzero(np.concatenate([[True], tags[1:] != tags[:-1]]))
            stops = np.concatenate([starts[1:], [len(tags)]])
            slices = {str(tags[a]): (int(a), int(b)) for a, b in zip(starts, stops, strict=True)}
        return cls(
            slices,
            np.asarray(table.column("source").to_numpy(zero_copy_only=False), np.int32)[order],
            ts,
            timed,
            np.asarray(table.column("n").to_numpy(zero_copy_only=False), np.int64)[order],
            has_times,
        )

    def of(self, tag: str) -> TagSlice:
        """The uses of ``tag`` (``#`` and case ignored); empty arrays when nobody used it."""
        a, b = self.slices.get(normalise_tag(tag), (0, 0))
        return TagSlice(self.source[a:b], self.ts[a:b], self.timed[a:b], self.n[a:b])


def normalise_tag(tag: str) -> str:
    """``"#Vegan "`` -> ``"vegan"``."""
    return str(tag).strip().lstrip("#").lower()


def in_window(ts: np.ndarray, timed: np.ndarray, since: int | None, until: int | None) -> np.ndarray:
    """Boolean mask of events inside ``[since, until)``.

    ``ts`` int64 (n,), ``timed`` bool (n,) (False where the event has no time).  With no
    bound every event is inside; with a bound, an event without a time is outside.
    """
    keep = np.ones(ts.shape[0], dtype=bool)
    if since is not None:
        keep &= timed & (ts >= since)
    if until is not None:
        keep &= timed & (ts < until)
    return keep


@dataclass(frozen=True)
class EngagedEvents:
    """The ``engaged`` run table as arrays: interaction weight per ``(engager, account, ts)``.

    ``engager``, ``account`` int32 (e,); ``ts`` int64 (e,) Unix seconds (0 where ``timed`` is False);
    ``timed`` bool (e,); ``weight`` float64 (e,).  Rows are grouped by ``account``;
    ``ptr`` int64 (n + 1,) gives each account's rows: ``ptr[a]:ptr[a + 1]``.
    """

    n: int
    ptr: np.ndarray
    engager: np.ndarray
    account: np.ndarray
    ts: np.ndarray
    timed: np.ndarray
    weight: np.ndarray

    @classmethod
    def from_table(cls, n: int, table: pa.Table) -> EngagedEvents:
        """From an ``engaged`` run table (``engager``, ``account``, ``ts``, ``weight``) of ``n`` accounts."""
        account = np.asarray(table.column("account").to_numpy(zero_copy_only=False), np.int64)
        if account.size and (account.min() < 0 or account.max() >= n):
            raise ValueError(
                "the run's engaged table refers to accounts outside the run; run `nichegraph analyze` again"
            )
        order = np.argsort(account, kind="stable")
        ts_col = table.column("ts")
        timed = np.asarray(pc.is_valid(ts_col).to_numpy(zero_copy_only=False), bool)[order]
        ts = np.asarray(pc.fill_null(ts_col, 0).to_numpy(zero_copy_only=False), np.int64)[order]
        ptr = np.concatenate([[0], np.cumsum(np.bincount(account, minlength=n))]).astype(np.int64)
        return cls(
            n,
            ptr,
            np.asarray(table.column("engager").to_numpy(zero_copy_only=False), np.int32)[order],
            account[order].astype(np.int32),
            ts,
            timed,
            np.asarray(table.column("weight").to_numpy(zero_copy_only=False), np.float64)[order],
        )

    def audience(self, since: int | None = None, until: int | None = None) -> Graph:
        """Engaged audience graph: row ``u`` lists the distinct accounts that engaged with ``u`` in the window."""
        keep = in_window(self.ts, self.timed, since, until)
        return audience_graph(self.engager[keep], self.account[keep], n_nodes=self.n)

    def received(self, rows: np.ndarray, since: int | None = None, until: int | None = None) -> np.ndarray:
        """Interaction weight each of ``rows`` (int, (s,)) received in the window, float64 (s,)."""
        out = np.zeros(len(rows), dtype=np.float64)
        for i, r in enumerate(np.asarray(rows, np.int64)):
            a, b = int(self.ptr[r]), int(self.ptr[r + 1])
            out[i] = self.weight[a:b][in_window(self.ts[a:b], self.timed[a:b], since, until)].sum()
        return out

    def engagers_before(self, account: int, before: int) -> np.ndarray:
        """Distinct accounts that engaged with ``account`` at a known time before ``before`` (int32, sorted)."""
        a, b = int(self.ptr[account]), int(self.ptr[account + 1])
        keep = self.timed[a:b] & (self.ts[a:b] < before)
        return np.unique(self.engager[a:b][keep])
