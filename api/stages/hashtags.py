"""Hashtag uses as the community descriptions read them: ``(source idx, tag)`` with the tags as numpy
strings (``store.read_hashtags()``, ``api.stages.serving.uses_per_row``) or Arrow strings
(:func:`compact_hashtags`: a few bytes per use instead of a Python object each); both give the same
tables.
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
