"""What a load did: per-file statistics and the whole report."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from ..base import LoadCounts, RowCounts
from ..errors import RowIssue

if TYPE_CHECKING:
    from _csv import Writer


@dataclass(kw_only=True)
class FileStats(RowCounts):
    """What happened to one input file.

    Attributes
    ----------
    path, table, format : str
        The file, the canonical table it was loaded as (``"tweets"`` for
        X API files, which feed accounts and interactions) and its format.
    rows : int
        Data rows read (records; header, blank and comment lines excluded).
    loaded : int
        Rows handed to the store (for X API files: interactions plus accounts made).
    rejected : int
        Bad rows (reported with file, line, field and reason).
    filtered : int
        Rows dropped by the mapping's ``where`` filter.
    blank_lines, comment_lines : int
        Lines skipped because they were empty / comments (``#``).
    skipped : dict
        Other things not loaded, by reason (e.g. X API references whose author is unknown).
    produced : dict
        Rows handed to the store per canonical table.
    keyed_by_handle : int
        X API mentions with a username and no known id, kept under the account ``@username``.
    columns : dict
        The file's columns read as a field of another name by a common spelling (``timestamp -> ts``).
    """

    path: str
    table: str
    format: str
    loaded: int = 0
    rejected: int = 0
    filtered: int = 0
    blank_lines: int = 0
    comment_lines: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    produced: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    keyed_by_handle: int = 0
    bytes_done: int = field(default=0, repr=False)

    def skip(self, reason: str, n: int) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + int(n)


@dataclass
class LoadReport:
    """The result of :func:`graph_store.ingest.load_files`.

    Attributes
    ----------
    files : list of FileStats
    counts : LoadCounts
        What the store did (inserted, existing, duplicates, self-loops, new endpoint accounts).
    rejects_path : str or None
        Where rejected rows were written.
    """

    files: list[FileStats]
    counts: LoadCounts
    rejects_path: str | None = None

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def as_dict(self) -> dict:
        return {
            "files": [f.as_dict() for f in self.files],
            "counts": self.counts.as_dict(),
            "rejects_path": self.rejects_path,
        }


REJECTS_HEADER = ["file", "line", "field", "reason", "text"]


class RejectsWriter:
    """CSV of rejected rows: ``file,line,field,reason,text`` (text = the raw line).

    Rows go to a temporary file beside ``path`` that replaces ``path`` only in :meth:`close`,
    so an interrupted load never leaves a half-written rejects file over an older one.
    """

    def __init__(self, path: str | os.PathLike | None):
        self.path = str(path) if path is not None else None
        self._fh: IO[str] | None = None
        self._w: Writer | None = None
        self.count = 0

    def write(self, issues: list[RowIssue]) -> None:
        if self.path is None or not issues:
            return
        if self._w is None:
            self._fh = open(self._partial, "w", newline="", encoding="utf-8")
            self._w = csv.writer(self._fh)
            self._w.writerow(REJECTS_HEADER)
        for i in issues:
            self._w.writerow([i.file, "" if i.line is None else i.line, i.field or "", i.reason, i.text])
        self.count += len(issues)

    @property
    def _partial(self) -> str:
        return f"{self.path}.partial-{os.getpid()}"

    def close(self) -> None:
        if self.path is None:
            return
        if self._w is None:
            # always leave a file (with its header) so "no rejects" is visible
            with open(self._partial, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerow(REJECTS_HEADER)
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        os.replace(self._partial, self.path)
