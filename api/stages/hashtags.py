"""Hashtag uses as the community descriptions read them: ``(source idx, tag)`` with the tags as numpy
strings (``store.read_hashtags()``) or Arrow strings
(:func:`compact_hashtags`: a few bytes per use instead of a Python object each); both give the same
tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine.group_sums import top_items

#: ``(source account idx, hashtag)``: int32 (u,) and str (u,) as numpy (the store's form) or Arrow.
Hashtags = tuple[np.ndarray, "np.ndarray | pa.Array | pa.ChunkedArray"]


def tag_array(tags: np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The tags as an Arrow string array (returned as they are when already Arrow; None stays null)."""
    if isinstance(tags, (pa.Array, pa.ChunkedArray)):
        return tags
    return pa.array(np.asarray(tags, dtype=object), pa.string())


def compact_hashtags(hashtags: Hashtags) -> Hashtags:
    """``hashtags`` with the source indices as int32 and the tags as Arrow strings."""
    src, tags = hashtags
    return np.asarray(src, dtype=np.int32), tag_array(tags)


@dataclass(frozen=True)
class TagCounts:
    """Hashtag uses encoded once for counting per group: each row is one (account, lower-cased tag) with a count.

    source : ndarray of int32, shape (r,)
        Account index of the row.
    code : ndarray of int64, shape (r,)
        Lower-cased tag as an index into ``vocabulary``.
    count : ndarray of int64, shape (r,)
        Uses the row stands for (1 per use, or a ``read_hashtag_uses()`` row's ``n``).
    vocabulary : list of str, shape (t,)
        The distinct lower-cased tags in ascending (byte-wise, as Arrow sorts) order, so that a
        smaller code is an earlier tag.  Null tags are left out of every row.
    """

    source: np.ndarray
    code: np.ndarray
    count: np.ndarray
    vocabulary: list[str]


def tag_counts(hashtags: Hashtags | TagCounts, count: np.ndarray | None = None) -> TagCounts:
    """:class:`TagCounts` of per-use ``(source idx, tag)`` arrays (``count`` uses per entry, default 1 each).

    Each distinct tag is lower-cased once (``pyarrow.compute.utf8_lower``), not once per use.
    """
    if isinstance(hashtags, TagCounts):
        return hashtags
    src, tags = hashtags
    arr = tag_array(tags)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    src = np.asarray(src, dtype=np.int32).reshape(-1)
    count = np.ones(src.size, dtype=np.int64) if count is None else np.asarray(count, dtype=np.int64)
    if len(arr) == 0:
        return TagCounts(src[:0], np.zeros(0, np.int64), count[:0], [])
    raw = pc.dictionary_encode(arr)  # null tags keep a null index
    lowered = pc.dictionary_encode(pc.utf8_lower(raw.dictionary))
    order = pc.sort_indices(lowered.dictionary).to_numpy()
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    code_of_raw = rank[np.asarray(lowered.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    valid = np.asarray(raw.indices.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    raw_idx = np.asarray(raw.indices.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    code = code_of_raw[raw_idx] if code_of_raw.size else np.zeros(raw_idx.size, np.int64)
    vocabulary = lowered.dictionary.take(pa.array(order)).to_pylist()
    return TagCounts(src[valid], code[valid], count[valid], vocabulary)


def tag_counts_of_uses(uses: pa.Table) -> TagCounts:
    """:class:`TagCounts` of a ``store.read_hashtag_uses()`` table (``source``, ``tag``, ``n``), one row per row:
    counts each row ``n`` times without repeating rows."""
    src = uses.column("source").to_numpy(zero_copy_only=False)
    n = uses.column("n").to_numpy(zero_copy_only=False)
    return tag_counts((src, uses.column("tag")), n)


def top_tags(tags: TagCounts, group: np.ndarray, k: int, top_k: int) -> list[list[str]]:
    """The ``top_k`` tags of each group ``0..k-1`` (``group``: int64 per account), most used first, ties by tag."""
    if tags.source.size == 0:
        return [[] for _ in range(k)]
    indptr, codes = top_items(group[tags.source], tags.code, tags.count, k, len(tags.vocabulary), top_k)
    vocab = tags.vocabulary
    bounds = indptr.tolist()
    picked = codes.tolist()
    return [[vocab[j] for j in picked[bounds[c] : bounds[c + 1]]] for c in range(k)]
