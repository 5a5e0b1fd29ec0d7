"""One query engine over an analysis run held in memory, shared by ``nichegraph rank``, the report and the
HTTP service: same filters, same order, same ties (see :mod:`.snapshot`)."""

from .cursors import decode_cursor, encode_cursor
from .filters import Filters, QueryError, RangeFilter
from .serving_index import BrandIndex, MutualIndex
from .snapshot import Snapshot

__all__ = [
    "BrandIndex",
    "Filters",
    "MutualIndex",
    "QueryError",
    "RangeFilter",
    "Snapshot",
    "decode_cursor",
    "encode_cursor",
]
