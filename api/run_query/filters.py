"""The filters of a rankings query and the error a query can raise."""

from __future__ import annotations

from dataclasses import dataclass, field


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
