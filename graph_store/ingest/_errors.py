"""Refusals of a whole file (not of single rows)."""

from __future__ import annotations

from ..errors import InputRejected, RowIssue


class FileRejected(InputRejected):
    """A whole file cannot be read as asked (missing column, unknown format ...); nothing was written.

    A subclass of :class:`~graph_store.errors.InputRejected`, so callers handle both alike;
    ``issues`` holds one :class:`RowIssue` describing the problem.
    """

    def __init__(self, file: str, line: int | None, field: str | None, reason: str):
        super().__init__([RowIssue(file, line, field, reason)])
        where = f"{file}:{line}" if line is not None else file
        what = f" field {field!r}:" if field else ""
        self.args = (f"refused {where}:{what} {reason}; the store was not changed",)

    def __str__(self) -> str:
        return self.args[0]
