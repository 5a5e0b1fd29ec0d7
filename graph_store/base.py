"""The narrow interface every store implements, and the values it exchanges.

A store keeps accounts, follows and interactions, assigns every account a
dense integer index (``idx``, 0..n-1, never reused or changed once given), and
keeps analysis runs.  Two implementations exist: :class:`DuckDBStore` (the
embedded default) and :class:`Neo4jStore`; the same test suite runs on both.

Load semantics (both stores)
----------------------------
* A load is all or nothing: :meth:`Store.load` either commits every batch or
  leaves the store exactly as it was.
* Accounts are upserted by ``id``: a non-null field in the new row replaces the
  stored one; null fields keep what was there.  Ids seen only as edge
  endpoints create bare accounts.
* Follows are a relation: the pair ``(follower, followee)`` is stored once;
  repeated rows are counted as ``duplicates`` and ``since`` keeps the earliest.
* Interactions are events: rows identical in every field inside one load are
  all kept (each is an event) and counted as ``duplicates``; every event gets
  an occurrence number among its identical twins, and ``(fields, occurrence)``
  is its identity, so loading the same data again adds nothing.
* Self-loops (``a -> a``) are stored and counted; the engine drops or keeps
  them by an explicit choice when it builds a graph.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from .schema import TableBatch


@dataclass
class RowCounts:
    """Rows read (``rows``) and what became of them (the counters of a subclass).

    The one base of a load's counters: :class:`TableCounts` per table of the store,
    ``ingest.FileStats`` per input file.
    """

    rows: int = 0

    def as_dict(self) -> dict:
        """Every field, nested records as dicts (what a load report prints as JSON)."""
        return dataclasses.asdict(self)


@dataclass
class TableCounts(RowCounts):
    """What one load did to one table.

    ``rows`` read, ``inserted`` new rows, ``existing`` rows already in the
    store, ``duplicates`` repeated rows inside this load, ``self_loops``
    among the rows read, ``updated`` accounts whose fields changed.
    """

    inserted: int = 0
    existing: int = 0
    duplicates: int = 0
    self_loops: int = 0
    updated: int = 0


@dataclass
class LoadCounts:
    """Summary of one load, per table, plus accounts created as endpoints."""

    accounts: TableCounts = field(default_factory=TableCounts)
    follows: TableCounts = field(default_factory=TableCounts)
    interactions: TableCounts = field(default_factory=TableCounts)
    posts: TableCounts = field(default_factory=TableCounts)
    new_endpoint_accounts: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EdgeArrays:
    """Everything the engine needs, as plain arrays indexed by account ``idx``.

    Attributes
    ----------
    node_ids : ndarray of object (str), shape (n,)
        External account id of every dense index.
    followers_count : ndarray of float64, shape (n,)
        Platform follower count; NaN where unknown.
    follow_src, follow_dst : ndarray of int32, shape (f,)
        Follower and followee index of every follow.
    interaction_src, interaction_dst : ndarray of int32, shape (i,)
        Source and target index of every interaction event.
    interaction_kind : ndarray of int8, shape (i,)
        Index into :data:`graph_store.schema.INTERACTION_KINDS`.
    interaction_ts : ndarray of int64, shape (i,)
        Unix time in seconds; ``-1`` where the event has no timestamp.
    interaction_weight : ndarray of float64, shape (i,)
        Event weight (1.0 for a single event).
    follow_ts : ndarray of int64, shape (f,), or None
        ``since`` of every follow in Unix seconds, ``-1`` where the follow has none; None when the
        arrays were built without follow times (signals that need them are then unknown).
    interaction_n : ndarray of int32, shape (i,), optional
        Events each row stands for (an aggregated row such as SNAP's ``a b 3`` is 3
        events of weight 1); None where a store does not provide it.
    """

    node_ids: np.ndarray
    followers_count: np.ndarray
    follow_src: np.ndarray
    follow_dst: np.ndarray
    interaction_src: np.ndarray
    interaction_dst: np.ndarray
    interaction_kind: np.ndarray
    interaction_ts: np.ndarray
    interaction_weight: np.ndarray
    follow_ts: np.ndarray | None = None
    interaction_n: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.shape[0])


@dataclass(frozen=True)
class RunRecord:
    """One analysis run: its id, when it was made, and its parameters (JSON-able)."""

    run_id: str
    created_at: str
    params: dict
    counts: dict


def wanted_tables(tables: Iterable[str] | None) -> tuple[str, ...]:
    """The run tables to read: ``tables`` checked against :data:`RESULT_TABLES` (all of them when None)."""
    from .errors import StoreError

    if tables is None:
        return RESULT_TABLES
    wanted = tuple(dict.fromkeys(tables))
    unknown = [t for t in wanted if t not in RESULT_TABLES]
    if unknown:
        raise StoreError(f"unknown result tables {unknown}; allowed: {RESULT_TABLES}")
    return wanted


def pick_run(runs: list[RunRecord], run_id: str | None, location: str) -> RunRecord:
    """The run named ``run_id`` (the newest when None) from ``runs`` (newest first).

    Raises :class:`~graph_store.errors.NoRunError` with the command to run when there is none.
    """
    from .errors import NoRunError

    if not runs:
        raise NoRunError(f"no analysis run in {location}; run `nichegraph analyze --store {location}`")
    if run_id is None:
        return runs[0]
    for run in runs:
        if run.run_id == run_id:
            return run
    raise NoRunError(f"no run {run_id!r} in {location}")


#: Result tables a run may hold (a fixed allowlist: names become table names / labels).
#: ``accounts`` and ``communities`` are the results; ``mutuals``, ``touches``, ``hashtag_uses``, ``audience``
#: and ``engaged`` are what the HTTP service answers from (docs/ARCHITECTURE.md, "Run tables").
RESULT_TABLES: tuple[str, ...] = (
    "accounts",
    "communities",
    "mutuals",
    "touches",
    "hashtag_uses",
    "audience",
    "engaged",
)


@runtime_checkable
class Store(Protocol):
    """The store interface shared by the embedded and the Neo4j store."""

    location: str

    def load(self, batches: Iterable[TableBatch], *, source: str | None = None) -> LoadCounts:
        """Write validated batches in one transaction; return what changed."""

    def counts(self) -> dict[str, int]:
        """``{"accounts": n, "follows": n, "interactions": n, "posts": n}``."""

    def read_edges(self) -> EdgeArrays:
        """All follows and interactions as dense index arrays."""

    def read_accounts(self) -> pa.Table:
        """Accounts ordered by ``idx``, with the columns of ``schema.ACCOUNTS``."""

    def read_hashtags(self) -> tuple[np.ndarray, np.ndarray]:
        """``(source idx int32, hashtag str)`` for every hashtag use, one row per use."""

    def read_posts(self) -> pa.Table:
        """Every post: ``author`` idx int32, ``post_id``, ``ts``, ``kind``, ``hashtags``, the metrics, ``platform``."""

    def read_hashtag_uses(self) -> pa.Table:
        """Hashtag uses, posts' hashtags once per post: ``source`` idx int32, ``tag`` (lower case), ``ts``,
        ``post_id`` (null where unknown), ``n`` int64 uses."""

    def interactions_to(self, target_ids: list[str]) -> pa.Table:
        """Who interacts with these accounts: columns ``source``, ``target``, ``kind``, ``n`` (events)."""

    def hashtag_users(self, tags: list[str]) -> pa.Table:
        """Who uses these hashtags (case-insensitive): columns ``source``, ``tag``, ``n`` (uses)."""

    def write_run(self, run: RunRecord, tables: dict[str, pa.Table]) -> None:
        """Store a run's result tables (names from :data:`RESULT_TABLES`) atomically."""

    def list_runs(self) -> list[RunRecord]:
        """Runs, newest first."""

    def read_run(
        self, run_id: str | None = None, *, tables: Iterable[str] | None = None
    ) -> tuple[RunRecord, dict[str, pa.Table]]:
        """A run's record and tables (the newest when ``run_id`` is None); only ``tables`` when given.

        Tables the run does not hold (older runs, say) are absent from the dict.
        """

    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> Store:
        """The store itself (``with open_store(...) as store:``)."""

    def __exit__(self, *exc: object) -> None:
        """Close the store (:meth:`close`)."""
