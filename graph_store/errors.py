"""The graph store's exception hierarchy."""

from __future__ import annotations

from dataclasses import dataclass


class StoreError(Exception):
    """Base class for errors raised by :mod:`graph_store`."""


class StoreLocationError(StoreError, ValueError):
    """A ``--store`` value is neither a usable path nor a supported Neo4j URI."""


class NoRunError(StoreError, LookupError):
    """No analysis run exists yet (or not the one asked for)."""


@dataclass(frozen=True)
class RowIssue:
    """One bad input row: where it is and what is wrong with it."""

    file: str
    line: int | None
    field: str | None
    reason: str
    text: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        what = f" field {self.field!r}:" if self.field else ""
        return f"{where}:{what} {self.reason}"


class InputRejected(StoreError, ValueError):
    """An input file has bad rows and ``on_error='fail'``; nothing was written."""

    def __init__(self, issues: list[RowIssue], total: int | None = None, shown: int = 20):
        self.issues = issues
        self.total = len(issues) if total is None else total
        lines = [str(i) for i in issues[:shown]]
        more = self.total - len(lines)
        if more > 0:
            lines.append(f"... and {more} more bad rows")
        head = f"refused: {self.total} bad row{'s' if self.total != 1 else ''}; the store was not changed"
        hint = "use --on-error skip --rejects FILE to load the good rows and keep the bad ones aside"
        super().__init__("\n".join([head, *lines, hint]))
