"""An analysis run held in memory, shaped for fast filtered, sorted, paginated queries.

A :class:`Snapshot` is built once per run (in a background thread, never inside
a request) from the run's ``accounts`` and ``communities`` tables:

* every numeric column becomes one float64 or int64 numpy array (nulls as NaN,
  or a null mask for integers), with precomputed ascending and descending sort
  orders (``int32`` row numbers, ties by row number ``idx``, NaN last);
* categorical filter columns (``community``, ``niche``, ``tier``, ``platform``,
  ``affiliation``) are dictionary-coded with their rows grouped by code, so a
  filter on a small group never scans the whole table;
* ids and handles have a sorted permutation for O(log n) look-up.

Queries (:meth:`Snapshot.rank`) pick the cheapest plan: when one filter selects
few rows (a small community, a narrow follower range) those candidates are
filtered and the page is taken by a partial sort; otherwise the global sort
order is walked in growing chunks, filtering each chunk, until the page is full.

Sort semantics: ascending sorts by ``(value, idx)``, descending by
``(-value, idx)`` (ties by ``idx`` ascending either way, as ``nichegraph rank``
does); rows whose value is null come last in both directions, by ``idx``.  Pagination is
keyset-based: the cursor holds the sort column, direction and the last row's
``(value, idx)``, so it stays meaningful when a newer run is swapped in.

:class:`SnapshotHolder` keeps the current snapshot behind a single reference
and swaps it when a newer run is published.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.graph_store import NoRunError, RunRecord, Store, StoreError

log = logging.getLogger("nichegraph.service")

NO_RUN = "no analysis run in the store yet; run `nichegraph analyze`"
#: Columns that can be filtered by value (multi-valued, case-insensitive for strings).
CATEGORICAL = ("community", "niche", "tier", "platform", "affiliation")
#: Categorical columns compared case-insensitively.
CASELESS = ("tier", "platform", "affiliation")
#: Filters below this many candidate rows take the candidate plan.
CANDIDATE_MAX = 32_768
#: Default sort column preference (first present wins).
DEFAULT_SORTS = ("score_hidden", "niche_pagerank", "pagerank", "in_degree", "followers_observed")
#: Columns that identify an account, never offered as sort keys.
NOT_SORTABLE = ("idx",)


class QueryError(ValueError):
    """A query names a missing column or holds a bad value; ``field`` says which parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RangeFilter:
    """``lo <= column <= hi`` (either bound may be None); nulls never match."""

    column: str
    lo: float | None = None
    hi: float | None = None
    param: str = ""


@dataclass(frozen=True)
class Filters:
    """Filters of one rankings query: values per categorical column, and numeric ranges."""

    values: dict[str, tuple] = field(default_factory=dict)
    ranges: tuple[RangeFilter, ...] = ()


@dataclass
class _Cat:
    codes: np.ndarray  # int32 filter code per row (case-merged for CASELESS columns), -1 for null
    out_codes: np.ndarray  # int32 code of the row's own spelling in `categories`, -1 for null
    categories: np.ndarray  # object array of the category values (original spelling)
    lookup: dict  # normalized value -> code
    out_values: np.ndarray  # `categories` followed by None (so code -1 reads None)
    group_rows: np.ndarray  # int32 rows sorted by (code, idx)
    offsets: np.ndarray  # int64, group k is group_rows[offsets[k]:offsets[k+1]]

    def rows_of(self, codes: Iterable[int]) -> np.ndarray:
        parts = [self.group_rows[self.offsets[c]:self.offsets[c + 1]] for c in codes]
        if not parts:
            return np.empty(0, np.int32)
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))

    def size_of(self, codes: Iterable[int]) -> int:
        return int(sum(self.offsets[c + 1] - self.offsets[c] for c in codes))


@dataclass
class _Num:
    values: np.ndarray  # float64 (NaN for null) used for filters and sorting
    out: np.ndarray  # values as returned (int64 or float64)
    nulls: np.ndarray | None  # bool mask for int columns with nulls
    order: np.ndarray  # int32 ascending order by (value, idx), NaN last
    order_desc: np.ndarray  # int32 descending order by (-value, idx), NaN last
    n_valid: int  # rows with a non-null value (they come first in `order`)
    is_int: bool


def _norm(column: str, value) -> object:
    if column in CASELESS:
        return str(value).strip().lower()
    return value


def _encode_categorical(column: str, arr: pa.ChunkedArray) -> _Cat:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_integer(arr.type):
        values = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        cats, inv = np.unique(values[valid], return_inverse=True)
        codes = np.full(len(values), -1, np.int32)
        codes[valid] = inv.astype(np.int32)
        categories = np.array([int(c) for c in cats], dtype=object)
        lookup = {int(c): i for i, c in enumerate(cats)}
        out_codes = codes
    else:
        arr = arr.cast(pa.string())
        enc = pc.dictionary_encode(arr)
        categories = np.asarray(enc.dictionary.to_pylist(), dtype=object)
        idx = enc.indices
        codes = np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
        out_codes = codes
        lookup: dict = {}
        merged = np.arange(len(categories), dtype=np.int32)
        for i, c in enumerate(categories):
            key = _norm(column, c)
            if key in lookup:  # "Acme" and "acme" are one group
                merged[i] = lookup[key]
            else:
                lookup[key] = i
        if len(categories):
            codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1).astype(np.int32)
    k = len(categories)
    group_rows = np.argsort(codes, kind="stable").astype(np.int32)
    counts = np.bincount(codes[codes >= 0], minlength=k) if k else np.zeros(0, np.int64)
    n_null = int((codes < 0).sum())
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64) + n_null
    out_values = np.empty(len(categories) + 1, dtype=object)
    out_values[:-1] = categories
    return _Cat(codes, out_codes, categories, lookup, out_values, group_rows, offsets)


def _encode_numeric(arr: pa.ChunkedArray) -> _Num:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    is_int = pa.types.is_integer(arr.type)
    if pa.types.is_boolean(arr.type):
        arr = arr.cast(pa.int64())
        is_int = True
    values = np.asarray(arr.cast(pa.float64()).fill_null(math.nan).to_numpy(zero_copy_only=False),
                        dtype=np.float64)
    if is_int:
        out = np.asarray(arr.fill_null(0).cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        nulls = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool) if arr.null_count else None
    else:
        out, nulls = values, None
    rows = np.arange(len(values), dtype=np.int32)
    order = np.lexsort((rows, values)).astype(np.int32)  # NaN sort last
    order_desc = np.lexsort((rows, -values)).astype(np.int32)  # -NaN is NaN: last too
    return _Num(values, out, nulls, order, order_desc, int(np.count_nonzero(~np.isnan(values))), is_int)


def encode_cursor(sort: str, desc: bool, value: float, idx: int) -> str:
    """Opaque keyset cursor: the sort, direction and the last row's ``(value, idx)``."""
    payload = {"s": sort, "d": int(desc), "v": None if math.isnan(value) else value, "i": int(idx)}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, desc: bool) -> tuple[float, int]:
    """``(value, idx)`` of a cursor made by :func:`encode_cursor` for the same sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        s, d, v, i = payload["s"], bool(payload["d"]), payload["v"], payload["i"]
        value = math.nan if v is None else float(v)
        if not isinstance(i, int) or not 0 <= i < 2**31 or not isinstance(s, str) or math.isinf(value):
            raise ValueError
    except Exception:
        raise QueryError("cursor", "not a cursor returned by this API (pass next_cursor unchanged)") from None
    if s != sort or d != desc:
        raise QueryError("cursor", f"the cursor belongs to sort={s} order={'desc' if d else 'asc'}; "
                                   "repeat the sort and order it was made with")
    return value, i


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
        Strongest mutual connections per row (from the store's edges).
    """

    def __init__(self, run: RunRecord, accounts: pa.Table, communities: pa.Table | None = None,
                 mutuals: "MutualIndex | None" = None):
        if "id" not in accounts.column_names:
            raise ValueError(f"run {run.run_id}: accounts table has no 'id' column")
        if "idx" in accounts.column_names:
            accounts = accounts.sort_by("idx")
            idx = accounts.column("idx").to_numpy()
            if not np.array_equal(idx, np.arange(accounts.num_rows)):
                mutuals = None  # rows are not store indices: mutual ties cannot be placed
        self.run = run
        self.run_id = run.run_id
        self.n = accounts.num_rows
        self.loaded_at = time.time()
        self.columns: list[str] = []
        self.cats: dict[str, _Cat] = {}
        self.nums: dict[str, _Num] = {}
        self.strings: dict[str, np.ndarray] = {}
        self.lists: dict[str, list] = {}
        for name in accounts.column_names:
            col = accounts.column(name)
            t = col.type
            if name == "id":  # the external id is a string, whatever type the table gives it
                self.strings[name] = np.asarray(col.cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False),
                                                dtype=object)
            elif name in CATEGORICAL:
                self.cats[name] = _encode_categorical(name, col)
            elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
                self.nums[name] = _encode_numeric(col)
            elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
                self.strings[name] = np.asarray(col.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
            else:  # lists, structs: kept as Python values (rare, small)
                self.lists[name] = col.to_pylist()
            self.columns.append(name)
        self.bool_columns = {name for name in accounts.column_names if pa.types.is_boolean(accounts.column(name).type)}
        self.sortable = tuple(c for c in self.nums if c not in NOT_SORTABLE and c not in self.bool_columns)
        self.default_sort = next((c for c in DEFAULT_SORTS if c in self.nums), self.sortable[0] if self.sortable else None)
        ids = self.strings["id"]
        self._id_order = np.argsort(ids, kind="stable")
        self._ids_sorted = ids[self._id_order]
        self._handle_order = self._handles_sorted = None
        if "handle" in self.strings:
            handles = np.array([("" if h is None else str(h).lstrip("@").lower()) for h in self.strings["handle"]],
                               dtype=object)
            self._handle_order = np.argsort(handles, kind="stable")
            self._handles_sorted = handles[self._handle_order]
        # effective follower count: the platform's count, else the observed in-degree
        fc, fo = self.nums.get("followers_count"), self.nums.get("followers_observed")
        if fc is not None or fo is not None:
            if fc is not None and fo is not None:
                eff = np.where(np.isnan(fc.values), fo.values, fc.values)
            else:
                eff = (fc or fo).values
            self._followers = _encode_numeric(pa.array(eff))
        else:
            self._followers = None
        self.communities = self._communities(communities)
        self.mutuals = mutuals
        self._plan_out = self._output_plan(accounts)

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
        if self._handles_sorted is None:
            return None
        key = handle.lstrip("@").lower()
        pos = int(np.searchsorted(self._handles_sorted, key))
        if pos < self.n and self._handles_sorted[pos] == key:
            return int(self._handle_order[pos])
        return None

    def has_value(self, column: str, value) -> bool:
        cat = self.cats.get(column)
        return cat is not None and _norm(column, value) in cat.lookup

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
                    arr = np.asarray(col.to_pylist(), dtype=object) if col.null_count else \
                        np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)
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

    def rows(self, rows: np.ndarray, fields: Iterable[str] | None = None) -> list[dict]:
        """The given rows as dicts (NaN floats stay NaN: :func:`api.service.errors.dumps` writes null)."""
        names = self.columns if fields is None else self.output_columns(fields)
        plan = self._plan_out
        cols = []
        for name in names:
            values, codes = plan[name]
            cols.append((values[rows] if codes is None else values[codes[rows]]).tolist())
        if not cols:
            return [{} for _ in range(len(rows))]
        return [dict(zip(names, vals)) for vals in zip(*cols)]

    # -- rankings ----------------------------------------------------------------
    def check_sort(self, sort: str | None) -> str:
        if sort is None:
            if self.default_sort is None:
                raise QueryError("sort", "this run has no numeric column to sort by")
            return self.default_sort
        if sort not in self.sortable:
            raise QueryError("sort", f"cannot sort by {sort!r}; numeric columns of this run: {', '.join(self.sortable)}")
        return sort

    def _range_column(self, rf: RangeFilter) -> _Num:
        if rf.column == "followers":
            if self._followers is None:
                raise QueryError(rf.param or "followers", "this run has no column followers_count or followers_observed to filter on")
            return self._followers
        num = self.nums.get(rf.column)
        if num is None:
            raise QueryError(rf.param or rf.column, f"this run has no column {rf.column!r} to filter on")
        return num

    def _plan(self, filters: Filters):
        """Checked filters as (categorical masks, numeric ranges) and the cheapest candidate set."""
        cat_masks: list[tuple[_Cat, np.ndarray]] = []
        best: tuple[int, Callable[[], np.ndarray]] | None = None
        for column, wanted in filters.values.items():  # an empty tuple matches nothing
            cat = self.cats.get(column)
            if cat is None:
                raise QueryError(column, f"this run has no column {column!r} to filter on")
            codes = sorted({cat.lookup[k] for k in (_norm(column, w) for w in wanted) if k in cat.lookup})
            allowed = np.zeros(len(cat.categories) + 1, dtype=bool)  # last slot: null (code -1)
            allowed[codes] = True
            cat_masks.append((cat, allowed))
            size = cat.size_of(codes)
            if best is None or size < best[0]:
                best = (size, lambda cat=cat, codes=codes: cat.rows_of(codes))
        ranges: list[tuple[_Num, float, float]] = []
        for rf in filters.ranges:
            num = self._range_column(rf)
            lo = -math.inf if rf.lo is None else float(rf.lo)
            hi = math.inf if rf.hi is None else float(rf.hi)
            ranges.append((num, lo, hi))
            a = _bisect(num, lo, left=True)
            b = _bisect(num, hi, left=False)
            size = max(0, b - a)
            if best is None or size < best[0]:
                best = (size, lambda num=num, a=a, b=b: num.order[a:max(a, b)])
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

    def rank(self, filters: Filters, sort: str | None = None, desc: bool = True, limit: int = 50,
             cursor: str | None = None) -> tuple[np.ndarray, str | None, str]:
        """One page of rows matching ``filters``, in sort order.

        Returns
        -------
        rows : ndarray of int32, shape (<= limit,)
        next_cursor : str or None
            Pass back as ``cursor`` for the next page; None on the last page.
        sort : str
            The sort column used (the default when ``sort`` was None).
        """
        sort = self.check_sort(sort)
        num = self.nums[sort]
        after = decode_cursor(cursor, sort, desc) if cursor else None
        cat_masks, ranges, best = self._plan(filters)
        want = limit + 1
        if best is not None and best[0] <= CANDIDATE_MAX:
            cands = best[1]()
            cands = cands[self._mask(cands, cat_masks, ranges)]
            page = _top_k(num, cands, desc, want, after)
        else:
            # a range on the sort column itself bounds the walk to a window of the order
            lo, hi = 0, self.n
            for rnum, rlo, rhi in ranges:
                if rnum is num:
                    a, b = _bisect(num, rlo, left=True), _bisect(num, rhi, left=False)
                    wa, wb = (num.n_valid - b, num.n_valid - a) if desc else (a, b)
                    lo, hi = max(lo, wa), min(hi, max(wa, wb))
            page = self._walk(num, desc, want, after, cat_masks, ranges, lo, hi)
        return self._page(page, limit, sort, desc)

    def count(self, filters: Filters, sort: str) -> int:
        """Rows matching ``filters`` with a value in the ``sort`` column (what :meth:`rank` pages through)."""
        cat_masks, ranges, _ = self._plan(filters)
        rows = np.arange(self.n, dtype=np.int32)
        mask = self._mask(rows, cat_masks, ranges) & ~np.isnan(self.nums[sort].values)
        return int(np.count_nonzero(mask))

    def _page(self, page: np.ndarray, limit: int, sort: str, desc: bool):
        next_cursor = None
        if len(page) > limit:
            page = page[:limit]
            last = int(page[-1])
            next_cursor = encode_cursor(sort, desc, float(self.nums[sort].values[last]), last)
        return page, next_cursor, sort

    def rank_within(self, candidates: np.ndarray, filters: Filters, sort: str | None = None, desc: bool = True,
                    limit: int = 50, cursor: str | None = None) -> tuple[np.ndarray, str | None, str]:
        """Like :meth:`rank`, over the given candidate rows only (a brand's audience, say)."""
        sort = self.check_sort(sort)
        after = decode_cursor(cursor, sort, desc) if cursor else None
        cat_masks, ranges, _ = self._plan(filters)
        cands = np.asarray(candidates, dtype=np.int32)
        cands = cands[self._mask(cands, cat_masks, ranges)]
        return self._page(_top_k(self.nums[sort], cands, desc, limit + 1, after), limit, sort, desc)

    def preferred_sort(self, *names: str) -> str | None:
        """The first of ``names`` this run can sort by, else the default sort."""
        return next((c for c in names if c in self.nums), self.default_sort)

    def _walk(self, num: _Num, desc: bool, want: int, after, cat_masks, ranges, lo: int = 0,
              hi: int | None = None) -> np.ndarray:
        """Rows at positions [lo, hi) of the sort order, filtered, until ``want`` are found."""
        n = self.n if hi is None else hi
        pos = lo if after is None else max(lo, _seq_start(num, desc, after))
        found: list[np.ndarray] = []
        have = 0
        chunk = max(256, want * 4)
        filtered = bool(cat_masks or ranges)
        while pos < n and have < want:
            end = min(n, pos + chunk)
            rows = _seq(num, desc, pos, end)
            if filtered:
                rows = rows[self._mask(rows, cat_masks, ranges)]
            found.append(rows)
            have += len(rows)
            pos = end
            chunk = min(chunk * 4, 1 << 18)
        out = np.concatenate(found) if found else np.empty(0, np.int32)
        return out[:want]


def _bisect(num: _Num, x: float, *, left: bool) -> int:
    """Position in ``num.order`` of the first valid value ``>= x`` (left) or ``> x`` (right)."""
    lo, hi = 0, num.n_valid
    if x == -math.inf:
        return 0
    if x == math.inf:
        return num.n_valid
    vals, order = num.values, num.order
    while lo < hi:
        mid = (lo + hi) // 2
        v = vals[order[mid]]
        if v < x or (not left and v == x):
            lo = mid + 1
        else:
            hi = mid
    return lo


def _seq(num: _Num, desc: bool, a: int, b: int) -> np.ndarray:
    """Rows at positions [a, b) of the ascending or descending order."""
    return (num.order_desc if desc else num.order)[a:b]


def _after(num: _Num, desc: bool, row: int, after: tuple[float, int]) -> bool:
    """Whether ``row`` comes after the cursor position in the sequence."""
    cv, ci = after
    v = num.values[row]
    if math.isnan(cv):
        return bool(math.isnan(v) and row > ci)
    if math.isnan(v):
        return True
    if desc:
        return bool(v < cv or (v == cv and row > ci))
    return bool(v > cv or (v == cv and row > ci))


def _seq_start(num: _Num, desc: bool, after: tuple[float, int]) -> int:
    """First position of the sort order after the cursor (binary search, O(log n))."""
    lo, hi = 0, len(num.order)
    while lo < hi:
        mid = (lo + hi) // 2
        row = int(_seq(num, desc, mid, mid + 1)[0])
        if _after(num, desc, row, after):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _top_k(num: _Num, cands: np.ndarray, desc: bool, k: int, after) -> np.ndarray:
    """The first ``k`` candidates in the sequence order, after the cursor."""
    cands = cands.astype(np.int32, copy=False)
    v = num.values[cands]
    if after is not None:
        cv, ci = after
        if math.isnan(cv):
            keep = np.isnan(v) & (cands > ci)
        elif desc:
            keep = np.isnan(v) | (v < cv) | ((v == cv) & (cands > ci))
        else:
            keep = np.isnan(v) | (v > cv) | ((v == cv) & (cands > ci))
        cands, v = cands[keep], v[keep]
    nan = np.isnan(v)
    valid, vv = cands[~nan], v[~nan]
    key = -vv if desc else vv
    tie = valid
    if len(valid) > 4 * k:
        kth = np.partition(key, k - 1)[k - 1]
        sel = key <= kth
        valid, key, tie = valid[sel], key[sel], tie[sel]
    first = valid[np.lexsort((tie, key))][:k]
    if len(first) < k:
        rest = np.sort(cands[nan])[: k - len(first)]
        first = np.concatenate([first, rest])
    return first


# -- mutual connections ------------------------------------------------------------
@dataclass(frozen=True)
class MutualIndex:
    """Mutual ties per account as CSR: ``indices[indptr[i]:indptr[i+1]]`` strongest first.

    A tie ``u - v`` is mutual when ``u`` and ``v`` follow each other or both
    interact with the other.  ``strength`` is ``min(w(u->v), w(v->u))`` over
    interaction weights (0 for a follow-only tie); ``follow`` says whether the
    follow is mutual.  Neighbours are ordered by strength, then mutual follow,
    then idx.
    """

    indptr: np.ndarray
    indices: np.ndarray
    strength: np.ndarray
    follow: np.ndarray

    @classmethod
    def from_edges(cls, n: int, follow_src, follow_dst, int_src, int_dst, int_weight,
                   per_node: int = 20) -> "MutualIndex":
        n = int(n)

        def pairs(src, dst, w):
            src = np.asarray(src, np.int64)
            dst = np.asarray(dst, np.int64)
            keep = src != dst
            key = src[keep] * n + dst[keep]
            w = np.ones(len(key)) if w is None else np.asarray(w, np.float64)[keep]
            uniq, inv = np.unique(key, return_inverse=True)
            return uniq, np.bincount(inv, weights=w, minlength=len(uniq))

        fk, _ = pairs(follow_src, follow_dst, None)
        ik, iw = pairs(int_src, int_dst, int_weight)
        f_mut = fk[np.isin((fk % n) * n + fk // n, fk, assume_unique=True)]
        rev = (ik % n) * n + ik // n
        pos = np.searchsorted(ik, rev)
        pos = np.minimum(pos, max(len(ik) - 1, 0))
        has = (len(ik) > 0) & (ik[pos] == rev) if len(ik) else np.zeros(0, bool)
        i_mut = ik[has]
        i_str = np.minimum(iw[has], iw[pos[has]])
        keys = np.union1d(f_mut, i_mut)
        strength = np.zeros(len(keys))
        strength[np.searchsorted(keys, i_mut)] = i_str
        follow = np.isin(keys, f_mut, assume_unique=True)
        u, v = keys // n, keys % n
        order = np.lexsort((v, ~follow, -strength, u))
        u, v, strength, follow = u[order], v[order], strength[order], follow[order]
        # keep the strongest `per_node` per account
        counts = np.bincount(u, minlength=n)
        start = np.concatenate([[0], np.cumsum(counts)])[:-1]
        rank_in = np.arange(len(u)) - start[u] if len(u) else np.zeros(0, np.int64)
        keep = rank_in < per_node
        u, v, strength, follow = u[keep], v[keep], strength[keep], follow[keep]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=n))]).astype(np.int64)
        return cls(indptr, v.astype(np.int32), strength, follow)

    def of(self, row: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = int(self.indptr[row]), int(self.indptr[row + 1])
        b = min(b, a + k)
        return self.indices[a:b], self.strength[a:b], self.follow[a:b]


# -- the holder ------------------------------------------------------------------------
class SnapshotHolder:
    """The current snapshot behind one reference, refreshed from the store.

    Parameters
    ----------
    open_store : callable returning a Store
        Opens the store (read-only where possible).  The holder opens it for
        each check and closes it afterwards, so an embedded DuckDB file stays
        free for ``nichegraph analyze`` in another process.
    mutuals : bool
        Also read the store's edges to index mutual connections.
    """

    def __init__(self, open_store: Callable[[], Store], *, mutuals: bool = True):
        self._open = open_store
        self._mutuals = mutuals
        self.current: Snapshot | None = None
        self.runs: list[RunRecord] = []
        self.last_check: float | None = None
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open_store(self) -> Store:
        return self._open()

    def refresh(self) -> bool:
        """Load the newest run when it differs from the current one; True when swapped."""
        with self._lock:
            try:
                store = self._open()
                try:
                    runs = store.list_runs()
                    self.runs = runs
                    self.last_check = time.time()
                    if not runs:
                        self.last_error = NO_RUN
                        return False
                    if self.current is not None and self.current.run_id == runs[0].run_id:
                        self.last_error = None
                        return False
                    run, tables = store.read_run(runs[0].run_id)
                    mutual = None
                    if self._mutuals:
                        mutual = _mutual_index(store, tables["accounts"].num_rows)
                finally:
                    store.close()
                snap = Snapshot(run, tables["accounts"], tables.get("communities"), mutual)
            # messages for clients (/readyz) are fixed strings: paths and exception texts stay in the log
            except NoRunError as exc:
                log.warning("%s", exc)
                self.last_error = NO_RUN
                return False
            except StoreError as exc:  # e.g. a writer holds the DuckDB file: try again at the next check
                log.warning("cannot read the store: %s", exc)
                self.last_error = "the store could not be read at the last check"
                return False
            except Exception:  # keep serving the old snapshot
                log.exception("loading the newest run failed")
                self.last_error = "loading the newest run failed; see the server log"
                return False
            self.current = snap  # the atomic swap: one reference
            self.last_error = None
            log.info("serving run %s (%d accounts)", snap.run_id, snap.n)
            return True

    def start(self, every: float) -> None:
        """Poll the store every ``every`` seconds in a daemon thread (0: never)."""
        if every <= 0 or self._thread is not None:
            return

        def loop():
            while not self._stop.wait(every):
                self.refresh()

        self._thread = threading.Thread(target=loop, name="nichegraph-run-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _mutual_index(store: Store, n_rows: int) -> MutualIndex | None:
    edges = store.read_edges()
    n = max(edges.n_nodes, n_rows)
    if len(edges.follow_src) == 0 and len(edges.int_src) == 0:
        return None
    return MutualIndex.from_edges(n, edges.follow_src, edges.follow_dst, edges.int_src, edges.int_dst,
                                  edges.int_weight)
