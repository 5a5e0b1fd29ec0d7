"""An analysis run held in memory, shaped for fast filtered, sorted, paginated queries.

A :class:`Snapshot` is built once per run (in a background thread of the
service, or once per ``nichegraph rank`` / report) from the run's tables:

* every numeric column becomes one float64 or int64 numpy array with ascending
  and descending sort orders, categorical filter columns are dictionary-coded
  and grouped (:mod:`.columns`);
* ids and handles have a sorted permutation for O(log n) look-up;
* the serving tables become in-memory indices (:mod:`.serving_index`).

Queries (:meth:`Snapshot.rank`) pick the cheapest plan: when one filter selects
few rows (a small community, a narrow follower range) those candidates are
filtered and the page is taken by a partial sort; otherwise the sort order is
walked in growing chunks, filtering each chunk, until the page is full.

Sort semantics: a descending sort orders rows by ``(-value, idx)``, an ascending
one by ``(value, idx)`` (ties by ``idx`` ascending either way); rows whose value
is null come last in both directions, by ``idx``.  A sort on several columns
(``"social_ratio,niche_pagerank"``) is lexicographic (:meth:`Snapshot.sort_column`).
Pagination is keyset-based (:mod:`.cursors`), so a cursor stays meaningful when a
newer run is swapped in.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from nichegraph.graph_store import RunRecord

if TYPE_CHECKING:
    from nichegraph.engine import Graph

from .columns import CATEGORICAL, CategoricalColumn, NumericColumn, encode_categorical, encode_numeric, normalize
from .cursors import decode_cursor, encode_cursor
from .filters import Filters, QueryError, RangeFilter
from .page_order import bisect_value, positions, start_after, top_k
from .serving_index import BrandIndex, MutualIndex, audience_from_table

#: Filters below this many candidate rows take the candidate plan.
CANDIDATE_MAX = 32_768
#: Default sort column preference (first present wins).
DEFAULT_SORTS = ("score_hidden", "niche_pagerank", "pagerank", "in_degree", "followers_observed")
#: Columns that identify an account, never offered as sort keys.
NOT_SORTABLE = ("idx",)


class Snapshot:
    """One analysis run in memory, ready for queries (see the module docstring).

    Parameters
    ----------
    run : RunRecord
        The run the tables belong to.
    accounts : pyarrow.Table
        The run's per-account table (columns as in docs/ARCHITECTURE.md;
        only ``id`` is required).
    communities : pyarrow.Table, optional
        The run's per-community table.
    mutuals : MutualIndex, optional
        Strongest mutual connections per row (from the run's ``mutuals`` table).

    :meth:`from_tables` also attaches the run's brand index (``brands``) and
    campaign audience graph (``audience``) when the run holds their tables.
    """

    def __init__(
        self,
        run: RunRecord,
        accounts: pa.Table,
        communities: pa.Table | None = None,
        mutuals: MutualIndex | None = None,
    ):
        if "id" not in accounts.column_names:
            raise ValueError(f"run {run.run_id}: accounts table has no 'id' column")
        self.rows_are_indices = False
        if "idx" in accounts.column_names:
            accounts = accounts.sort_by("idx")
            idx = accounts.column("idx").to_numpy()
            self.rows_are_indices = bool(np.array_equal(idx, np.arange(accounts.num_rows)))
        if not self.rows_are_indices:
            mutuals = None  # rows are not store indices: ties, audiences and touches cannot be placed
        self.run = run
        self.run_id = run.run_id
        self.table = accounts  #: the accounts table as read (sorted by idx), for the campaign planner
        self.n = accounts.num_rows
        self.loaded_at = time.time()
        self.columns: list[str] = []
        self.cats: dict[str, CategoricalColumn] = {}
        self.nums: dict[str, NumericColumn] = {}
        self.strings: dict[str, np.ndarray] = {}
        self.lists: dict[str, list] = {}
        for name in accounts.column_names:
            col = accounts.column(name)
            t = col.type
            if name == "id":  # the external id is a string, whatever type the table gives it
                self.strings[name] = np.asarray(
                    col.cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False), dtype=object
                )
            elif name in CATEGORICAL:
                self.cats[name] = encode_categorical(name, col)
            elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
                self.nums[name] = encode_numeric(col)
            elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
                self.strings[name] = np.asarray(col.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
            else:  # lists, structs: kept as Python values (rare, small)
                self.lists[name] = col.to_pylist()
            self.columns.append(name)
        self.bool_columns = {name for name in accounts.column_names if pa.types.is_boolean(accounts.column(name).type)}
        self.sortable = tuple(c for c in self.nums if c not in NOT_SORTABLE and c not in self.bool_columns)
        self.default_sort = next(
            (c for c in DEFAULT_SORTS if c in self.nums), self.sortable[0] if self.sortable else None
        )
        ids = self.strings["id"]
        self._id_order = np.argsort(ids, kind="stable")
        self._ids_sorted = ids[self._id_order]
        self._handle_order = self._handles_sorted = None
        if "handle" in self.strings:
            handles = np.array(
                [("" if h is None else str(h).lstrip("@").lower()) for h in self.strings["handle"]], dtype=object
            )
            self._handle_order = np.argsort(handles, kind="stable")
            self._handles_sorted = handles[self._handle_order]
        # effective follower count: the platform's count, else the observed in-degree
        fc, fo = self.nums.get("followers_count"), self.nums.get("followers_observed")
        self._followers: NumericColumn | None = None
        if fc is not None and fo is not None:
            self._followers = encode_numeric(pa.array(np.where(np.isnan(fc.values), fo.values, fc.values)))
        elif fc is not None:
            self._followers = fc
        elif fo is not None:
            self._followers = fo
        self.communities = self._communities(communities)
        self.mutuals = mutuals
        self.brands: BrandIndex | None = None
        self.audience: Graph | None = None
        self._composite: dict[str, NumericColumn] = {}
        self._composite_lock = threading.Lock()
        self._plan_out = self._output_plan(accounts)

    @classmethod
    def from_tables(cls, run: RunRecord, tables: dict[str, pa.Table], *, mutuals: bool = True) -> Snapshot:
        """A snapshot of a run's tables as :meth:`Store.read_run` returns them (see :mod:`.serving_index`)."""
        accounts = tables["accounts"]
        n = accounts.num_rows
        mutual = MutualIndex.from_table(n, tables["mutuals"]) if mutuals and "mutuals" in tables else None
        snap = cls(run, accounts, tables.get("communities"), mutual)
        if "touches" in tables and "hashtag_uses" in tables and snap.rows_are_indices:
            snap.brands = BrandIndex.from_tables(n, tables["touches"], tables["hashtag_uses"])
        if "audience" in tables and snap.rows_are_indices:
            snap.audience = audience_from_table(n, tables["audience"])
        return snap

    # -- communities -------------------------------------------------------------
    @staticmethod
    def _communities(table: pa.Table | None) -> dict[tuple[str, int], dict]:
        out: dict[tuple[str, int], dict] = {}
        if table is None or "community" not in table.column_names:
            return out
        for row in table.to_pylist():
            if row.get("community") is None:
                continue
            level = row.get("level") or "broad"
            out[(level, int(row["community"]))] = row
        return dict(sorted(out.items(), key=lambda kv: (kv[0][0], kv[0][1])))

    # -- look-ups ----------------------------------------------------------------
    def row_of(self, account_id: str) -> int | None:
        """Row of the account with this id, or None."""
        pos = int(np.searchsorted(self._ids_sorted, account_id))
        if pos < self.n and self._ids_sorted[pos] == account_id:
            return int(self._id_order[pos])
        return None

    def row_of_handle(self, handle: str) -> int | None:
        """Row of the first account (by idx) with this handle (case-insensitive, ``@`` optional)."""
        if self._handles_sorted is None or self._handle_order is None:
            return None
        key = handle.lstrip("@").lower()
        pos = int(np.searchsorted(self._handles_sorted, key))
        if pos < self.n and self._handles_sorted[pos] == key:
            return int(self._handle_order[pos])
        return None

    def has_value(self, column: str, value) -> bool:
        cat = self.cats.get(column)
        return cat is not None and normalize(column, value) in cat.lookup

    # -- output ------------------------------------------------------------------
    def output_columns(self, fields: Iterable[str] | None = None) -> list[str]:
        if fields is None:
            return list(self.columns)
        cols = []
        for f in fields:
            if f not in self.columns:
                raise QueryError("fields", f"unknown field {f!r}; this run has: {', '.join(self.columns)}")
            cols.append(f)
        return cols

    def _output_plan(self, accounts: pa.Table) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """Per column, ``(values, codes)``: a row reads ``values[codes[row]]`` (or ``values[row]``).

        Every array's ``tolist()`` yields JSON-ready Python values: ints, floats
        (NaN kept; the encoder writes null), bools, str, lists, or None.
        """
        plan: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        for name in self.columns:
            if name in self.cats:
                cat = self.cats[name]
                plan[name] = (cat.out_values, cat.out_codes)  # code -1 reads the trailing None
            elif name in self.nums:
                num = self.nums[name]
                col = accounts.column(name)
                if name in self.bool_columns:
                    arr = (
                        np.asarray(col.to_pylist(), dtype=object)
                        if col.null_count
                        else np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)
                    )
                elif num.is_int and num.nulls is not None:
                    arr = np.empty(self.n, dtype=object)
                    arr[:] = col.to_pylist()
                else:
                    arr = num.out
                plan[name] = (arr, None)
            elif name in self.strings:
                plan[name] = (self.strings[name], None)
            else:
                arr = np.empty(self.n, dtype=object)
                arr[:] = self.lists.pop(name)  # the Python list is not needed once in the plan
                plan[name] = (arr, None)
        return plan

    def rows(self, rows: np.ndarray | Sequence[int], fields: Iterable[str] | None = None) -> list[dict]:
        """The given rows as dicts (NaN floats stay NaN: :func:`api.service.errors.dumps` writes null)."""
        names = self.columns if fields is None else self.output_columns(fields)
        plan = self._plan_out
        cols = []
        for name in names:
            values, codes = plan[name]
            cols.append((values[rows] if codes is None else values[codes[rows]]).tolist())
        if not cols:
            return [{} for _ in range(len(rows))]
        return [dict(zip(names, vals, strict=True)) for vals in zip(*cols, strict=True)]

    # -- rankings ----------------------------------------------------------------
    def check_sort(self, sort: str | tuple[str, ...] | None) -> str:
        """The sort's name: one column, or several joined by commas (a lexicographic sort)."""
        if sort is None:
            if self.default_sort is None:
                raise QueryError("sort", "this run has no numeric column to sort by")
            return self.default_sort
        keys = tuple(sort.split(",")) if isinstance(sort, str) else tuple(sort)
        for key in keys:
            if key not in self.sortable:
                raise QueryError(
                    "sort", f"cannot sort by {key!r}; numeric columns of this run: {', '.join(self.sortable)}"
                )
        return ",".join(keys)

    def sort_column(self, sort: str) -> NumericColumn:
        """The column a checked sort walks; several keys make one column of lexicographic ranks.

        The ranks order rows by the first key, then the next (a null in a later
        key sorts below every value, so it comes last in a descending sort); a
        null first key stays null.  Equal keys share a rank, so ties still fall
        to ``idx``.
        """
        if "," not in sort:
            return self.nums[sort]
        with self._composite_lock:
            column = self._composite.get(sort)
            if column is None:
                keys = [self.nums[k].values for k in sort.split(",")]
                lex = [np.where(np.isnan(k), -np.inf, k) for k in reversed(keys[1:])] + [keys[0]]
                order = np.lexsort(lex)
                stacked = np.stack([lex_key[order] for lex_key in lex])
                new_value = (
                    np.concatenate([[True], np.any(stacked[:, 1:] != stacked[:, :-1], axis=0)])
                    if len(order)
                    else np.zeros(0, bool)
                )
                ranks = np.empty(len(order))
                ranks[order] = np.cumsum(new_value) - 1
                ranks[np.isnan(keys[0])] = np.nan
                column = self._composite[sort] = encode_numeric(pa.array(ranks))
            return column

    def _range_column(self, rf: RangeFilter) -> NumericColumn:
        if rf.column == "followers":
            if self._followers is None:
                raise QueryError(
                    rf.param or "followers", "this run has no column followers_count or followers_observed to filter on"
                )
            return self._followers
        num = self.nums.get(rf.column)
        if num is None:
            raise QueryError(rf.param or rf.column, f"this run has no column {rf.column!r} to filter on")
        return num

    def _plan(self, filters: Filters):
        """Checked filters as (categorical masks, numeric ranges) and the cheapest candidate set."""
        cat_masks: list[tuple[CategoricalColumn, np.ndarray]] = []
        best: tuple[int, Callable[[], np.ndarray]] | None = None
        for column, wanted in filters.values.items():  # an empty tuple matches nothing
            cat = self.cats.get(column)
            if cat is None:
                raise QueryError(column, f"this run has no column {column!r} to filter on")
            codes = sorted({cat.lookup[k] for k in (normalize(column, w) for w in wanted) if k in cat.lookup})
            allowed = np.zeros(len(cat.categories) + 1, dtype=bool)  # last slot: null (code -1)
            allowed[codes] = True
            cat_masks.append((cat, allowed))
            size = cat.size_of(codes)
            if best is None or size < best[0]:
                best = (size, lambda cat=cat, codes=codes: cat.rows_of(codes))
        ranges: list[tuple[NumericColumn, float, float]] = []
        for rf in filters.ranges:
            num = self._range_column(rf)
            lo = -math.inf if rf.lo is None else float(rf.lo)
            hi = math.inf if rf.hi is None else float(rf.hi)
            ranges.append((num, lo, hi))
            a = bisect_value(num, lo, left=True)
            b = bisect_value(num, hi, left=False)
            size = max(0, b - a)
            if best is None or size < best[0]:
                best = (size, lambda num=num, a=a, b=b: num.order[a : max(a, b)])
        return cat_masks, ranges, best

    @staticmethod
    def _mask(rows: np.ndarray, cat_masks, ranges) -> np.ndarray:
        mask = np.ones(len(rows), dtype=bool)
        for cat, allowed in cat_masks:
            mask &= allowed[cat.codes[rows]]
        for num, lo, hi in ranges:
            v = num.values[rows]
            mask &= (v >= lo) & (v <= hi)
        return mask

    def rank(
        self,
        filters: Filters,
        sort: str | tuple[str, ...] | None = None,
        desc: bool = True,
        limit: int = 50,
        cursor: str | None = None,
        *,
        candidates: np.ndarray | None = None,
    ) -> tuple[np.ndarray, str | None, str]:
        """One page of rows matching ``filters`` (among the ``candidates`` rows when given: a brand's audience,
        say), in sort order.

        Returns
        -------
        rows : ndarray of int32, shape (<= limit,)
        next_cursor : str or None
            Pass back as ``cursor`` for the next page; None on the last page.
        sort : str
            The sort column used (the default when ``sort`` was None).
        """
        sort = self.check_sort(sort)
        num = self.sort_column(sort)
        after = decode_cursor(cursor, sort, desc) if cursor else None
        cat_masks, ranges, best = self._plan(filters)
        want = limit + 1
        if candidates is None and best is not None and best[0] <= CANDIDATE_MAX:
            candidates = best[1]()
        if candidates is not None:
            cands = np.asarray(candidates, dtype=np.int32)
            cands = cands[self._mask(cands, cat_masks, ranges)]
            page = top_k(num, cands, desc, want, after)
        else:
            # a range on the sort column itself bounds the walk to a window of the order
            lo, hi = 0, self.n
            for rnum, rlo, rhi in ranges:
                if rnum is num:
                    a, b = bisect_value(num, rlo, left=True), bisect_value(num, rhi, left=False)
                    wa, wb = (num.n_valid - b, num.n_valid - a) if desc else (a, b)
                    lo, hi = max(lo, wa), min(hi, max(wa, wb))
            page = self._walk(num, desc, want, after, cat_masks, ranges, lo, hi)
        return self._page(page, limit, sort, desc)

    def count(self, filters: Filters, sort: str | None = None, candidates: np.ndarray | None = None) -> int:
        """Rows matching ``filters`` (among ``candidates`` when given) with a value in the ``sort`` column when given.

        With a ``sort`` column this counts what :meth:`rank` pages through.
        """
        cat_masks, ranges, _ = self._plan(filters)
        rows = np.arange(self.n, dtype=np.int32) if candidates is None else np.asarray(candidates, dtype=np.int32)
        mask = self._mask(rows, cat_masks, ranges)
        if sort is not None:
            mask &= ~np.isnan(self.sort_column(sort).values[rows])
        return int(np.count_nonzero(mask))

    def _page(self, page: np.ndarray, limit: int, sort: str, desc: bool):
        next_cursor = None
        if len(page) > limit:
            page = page[:limit]
            last = int(page[-1])
            next_cursor = encode_cursor(sort, desc, float(self.sort_column(sort).values[last]), last)
        return page, next_cursor, sort

    def _walk(
        self, num: NumericColumn, desc: bool, want: int, after, cat_masks, ranges, lo: int = 0, hi: int | None = None
    ) -> np.ndarray:
        """Rows at positions [lo, hi) of the sort order, filtered, until ``want`` are found."""
        n = self.n if hi is None else hi
        pos = lo if after is None else max(lo, start_after(num, desc, after))
        found: list[np.ndarray] = []
        have = 0
        chunk = max(256, want * 4)
        filtered = bool(cat_masks or ranges)
        while pos < n and have < want:
            end = min(n, pos + chunk)
            rows = positions(num, desc, pos, end)
            if filtered:
                rows = rows[self._mask(rows, cat_masks, ranges)]
            found.append(rows)
            have += len(rows)
            pos = end
            chunk = min(chunk * 4, 1 << 18)
        out = np.concatenate(found) if found else np.empty(0, np.int32)
        return out[:want]
