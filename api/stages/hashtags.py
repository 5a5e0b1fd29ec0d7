"""Hashtag uses as the stages read them: the store's ``(source idx, tag)`` arrays with the tags in Arrow.

``store.read_hashtags()`` gives one Python string per use; ``run_analysis`` converts them once with
:func:`compact_hashtags` (a few bytes per use instead of a Python object each) and every stage that
reads hashtags (community descriptions, the ``hashtag_uses`` serving table) accepts either form.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

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
