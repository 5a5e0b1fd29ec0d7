"""In-memory indices for hashtag campaigns and engaged audiences, from a run's serving tables.

:class:`TagUses` slices ``hashtag_uses`` per lower-case tag, so a hashtag campaign
report reads one slice, never the store; :class:`EngagedEvents` groups the
``engaged`` table by account, so an engaged audience (optionally within a time
window) is one CSR build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.graph_store import RunRecord

from .serving_index import audience_from_table, tag_slices

if TYPE_CHECKING:
    from nichegraph.engine import Graph


def unix_seconds(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A ``ts`` column as int64 Unix seconds (a timestamp column is truncated to whole seconds)."""
    if pa.types.is_timestamp(col.type):
        return col.cast(pa.timestamp("s"), safe=False).cast(pa.int64())
    return col


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
        order, slices = tag_slices(
            np.asarray(pc.utf8_lower(table.column("tag")).to_numpy(zero_copy_only=False), dtype=object)
        )
        has_times = "ts" in table.column_names
        if has_times:
            col = unix_seconds(table.column("ts"))
            timed = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), bool)[order]
            ts = np.asarray(pc.fill_null(col, 0).to_numpy(zero_copy_only=False), np.int64)[order]
        else:
            timed = np.zeros(len(order), dtype=bool)
            ts = np.zeros(len(order), dtype=np.int64)
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
        from nichegraph.engine.influence import audience_graph  # numba: only when an audience is built

        keep = in_window(self.ts, self.timed, since, until)
        return audience_graph(self.engager[keep], self.account[keep], n_nodes=self.n)

    def received(self, rows: np.ndarray, since: int | None = None, until: int | None = None) -> np.ndarray:
        """Interaction weight each of ``rows`` (int, (s,)) received in the window, float64 (s,)."""
        pos, group = gather(self.ptr, rows)
        keep = in_window(self.ts[pos], self.timed[pos], since, until)
        return np.bincount(group[keep], weights=self.weight[pos][keep], minlength=len(rows)).astype(np.float64)

    def engagers_before(self, account: int, before: int) -> np.ndarray:
        """Distinct accounts that engaged with ``account`` at a known time before ``before`` (int32, sorted)."""
        a, b = int(self.ptr[account]), int(self.ptr[account + 1])
        keep = self.timed[a:b] & (self.ts[a:b] < before)
        return np.unique(self.engager[a:b][keep])


def gather(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR positions of ``rows``: ``ptr[r]:ptr[r + 1]`` for each row, concatenated (int64 (m,)),
    and for each position the index of its row in ``rows`` (int64 (m,))."""
    rows = np.asarray(rows, np.int64)
    starts = np.asarray(ptr, np.int64)[rows]
    lens = np.asarray(ptr, np.int64)[rows + 1] - starts
    group = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
    offsets = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    return starts[group] + offsets, group


@dataclass(frozen=True)
class CampaignRun:
    """What a hashtag campaign report reads from one run: the accounts table (row ``i`` is ``idx`` ``i``),
    the follower audience graph, hashtag uses and engagement events (each None when the run lacks it).

    :meth:`from_snapshot` shares what the service's snapshot already holds; :meth:`from_tables`
    builds only these from a run's tables (what ``nichegraph campaign`` reads), without the
    ranking indices a full snapshot builds.
    """

    run_id: str
    table: pa.Table
    audience: Graph | None
    tag_uses: TagUses | None
    engaged: EngagedEvents | None

    @classmethod
    def from_snapshot(cls, snap) -> CampaignRun:
        """From an :class:`~api.run_query.Snapshot` (its rows must be the run's indices)."""
        return cls(snap.run_id, snap.table, snap.audience, snap.tag_uses, snap.engaged)

    @classmethod
    def from_tables(cls, run: RunRecord, tables: dict[str, pa.Table]) -> CampaignRun:
        """From :meth:`Store.read_run` tables: ``accounts`` plus any of ``audience``, ``hashtag_uses``, ``engaged``."""
        acc = tables["accounts"]
        if "idx" in acc.column_names:
            idx = np.asarray(acc.column("idx").to_numpy(zero_copy_only=False))
            if not np.array_equal(idx, np.arange(acc.num_rows)):  # a store need not keep row order
                acc = acc.sort_by("idx")
                idx = np.asarray(acc.column("idx").to_numpy(zero_copy_only=False))
            if not np.array_equal(idx, np.arange(acc.num_rows)):
                raise ValueError(f"run {run.run_id}: accounts idx is not 0..n-1; run `nichegraph analyze` again")
        n = acc.num_rows
        return cls(
            run.run_id,
            acc,
            audience_from_table(n, tables["audience"]) if "audience" in tables else None,
            TagUses.from_table(tables["hashtag_uses"]) if "hashtag_uses" in tables else None,
            EngagedEvents.from_table(n, tables["engaged"]) if "engaged" in tables else None,
        )

    @property
    def columns(self) -> list[str]:
        return self.table.column_names

    def row_of(self, account: str) -> int | None:
        """Row of the account with this id, else the first with this handle (case-insensitive, ``@`` optional)."""
        hit = pc.index(self.table.column("id").cast(pa.string()), account).as_py()
        if hit is not None and hit >= 0:
            return int(hit)
        if "handle" not in self.columns:
            return None
        handles = pc.utf8_lower(pc.utf8_ltrim(self.table.column("handle"), characters="@"))
        hit = pc.index(handles, account.lstrip("@").lower()).as_py()
        return int(hit) if hit is not None and hit >= 0 else None

    def rows(self, rows, fields: list[str]) -> list[dict]:
        """The given rows' ``fields`` as dicts (nulls as None)."""
        return self.table.select(fields).take(pa.array(np.asarray(rows, np.int64))).to_pylist()
