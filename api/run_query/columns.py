"""Columns of a run's accounts table encoded for fast filters and sorts.

* numeric columns become one float64 array (nulls as NaN) with precomputed
  ascending and descending orders (``int32`` row numbers, ties by row, NaN last);
* categorical filter columns are dictionary-coded with their rows grouped by
  code, so a filter on a small group never scans the whole table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Columns that can be filtered by value (multi-valued, case-insensitive for strings).
CATEGORICAL = ("community", "niche", "tier", "platform", "affiliation")
#: Categorical columns compared case-insensitively.
CASELESS = ("tier", "platform", "affiliation")


@dataclass
class CategoricalColumn:
    codes: np.ndarray  # int32 filter code per row (case-merged for CASELESS columns), -1 for null
    out_codes: np.ndarray  # int32 code of the row's own spelling in `categories`, -1 for null
    categories: np.ndarray  # object array of the category values (original spelling)
    lookup: dict  # normalized value -> code
    out_values: np.ndarray  # `categories` followed by None (so code -1 reads None)
    group_rows: np.ndarray  # int32 rows sorted by (code, idx)
    offsets: np.ndarray  # int64, group k is group_rows[offsets[k]:offsets[k+1]]

    def rows_of(self, codes: Iterable[int]) -> np.ndarray:
        parts = [self.group_rows[self.offsets[c] : self.offsets[c + 1]] for c in codes]
        if not parts:
            return np.empty(0, np.int32)
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))

    def size_of(self, codes: Iterable[int]) -> int:
        return int(sum(self.offsets[c + 1] - self.offsets[c] for c in codes))


@dataclass
class NumericColumn:
    values: np.ndarray  # float64 (NaN for null) used for filters and sorting
    out: np.ndarray  # values as returned (int64 or float64)
    nulls: np.ndarray | None  # bool mask for int columns with nulls
    order: np.ndarray  # int32 ascending order by (value, idx), NaN last
    order_desc: np.ndarray  # int32 descending order by (-value, idx), NaN last
    n_valid: int  # rows with a non-null value (they come first in `order`)
    is_int: bool


def normalize(column: str, value) -> object:
    if column in CASELESS:
        return str(value).strip().lower()
    return value


def encode_categorical(column: str, arr: pa.ChunkedArray) -> CategoricalColumn:
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
        lookup: dict[object, int] = {int(c): i for i, c in enumerate(cats)}
        out_codes = codes
    else:
        arr = arr.cast(pa.string())
        enc = pc.dictionary_encode(arr)
        categories = np.asarray(enc.dictionary.to_pylist(), dtype=object)
        idx = enc.indices
        codes = np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
        out_codes = codes
        lookup = {}
        merged = np.arange(len(categories), dtype=np.int32)
        for i, c in enumerate(categories):
            key = normalize(column, c)
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
    return CategoricalColumn(codes, out_codes, categories, lookup, out_values, group_rows, offsets)


def encode_numeric(arr: pa.ChunkedArray) -> NumericColumn:
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    is_int = pa.types.is_integer(arr.type)
    if pa.types.is_boolean(arr.type):
        arr = arr.cast(pa.int64())
        is_int = True
    values = np.asarray(arr.cast(pa.float64()).fill_null(math.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
    out: np.ndarray
    if is_int:
        out = np.asarray(arr.fill_null(0).cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        nulls = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool) if arr.null_count else None
    else:
        out, nulls = values, None
    rows = np.arange(len(values), dtype=np.int32)
    order = np.lexsort((rows, values)).astype(np.int32)  # NaN sort last
    order_desc = np.lexsort((rows, -values)).astype(np.int32)  # -NaN is NaN: last too
    return NumericColumn(values, out, nulls, order, order_desc, int(np.count_nonzero(~np.isnan(values))), is_int)
