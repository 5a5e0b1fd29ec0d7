"""Ground-truth labels of accounts (a class per account id) from a CSV or TSV file.

The file has a header row; the delimiter is a tab when the header line has
one, a comma otherwise.  Every problem is reported as ``file:line: field
'name': reason`` and nothing is returned unless the whole file is good.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from .errors import RowIssue, StoreError


class LabelsRejected(StoreError, ValueError):
    """A labels file has problems; each is listed as ``file:line: field: reason``."""

    def __init__(self, issues: list[RowIssue], shown: int = 20):
        self.issues = issues
        lines = [str(i) for i in issues[:shown]]
        if len(issues) > shown:
            lines.append(f"... and {len(issues) - shown} more")
        super().__init__(
            "\n".join([f"labels refused ({len(issues)} problem{'s' if len(issues) != 1 else ''})", *lines])
        )


def read_labels(path: str | Path, *, id_column: str = "id", label_column: str = "label") -> pa.Table:
    """Read ``id -> label`` pairs from a CSV/TSV file with a header.

    Parameters
    ----------
    path : str or Path
        UTF-8 text; a tab in the header line means TSV, otherwise CSV.
    id_column, label_column : str
        Header names of the account id and its label.

    Returns
    -------
    pyarrow.Table
        Columns ``id`` (string) and ``label`` (string), one row per distinct
        account in file order.  A repeated id with the same label is kept
        once.

    Raises
    ------
    LabelsRejected
        Missing file or column, a row with the wrong number of fields, an empty
        id or label, or an id given two different labels (``file:line: field:
        reason`` for each).
    """
    name = str(path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            delimiter = "\t" if "\t" in f.readline() else ","
            f.seek(0)
            return _parse(csv.reader(f, delimiter=delimiter, strict=True), name, id_column, label_column)
    except FileNotFoundError:
        raise LabelsRejected([RowIssue(name, None, None, "no such file")]) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LabelsRejected([RowIssue(name, None, None, f"not a readable UTF-8 CSV/TSV file: {exc}")]) from None


def _parse(reader, name: str, id_column: str, label_column: str) -> pa.Table:
    head = next(reader, None)
    if not head:
        raise LabelsRejected(
            [RowIssue(name, 1, None, f"empty file; expected a header with columns {id_column!r} and {label_column!r}")]
        )
    head = [h.strip() for h in head]
    issues = [
        RowIssue(name, 1, column, f"no such column; the header has {', '.join(head)}; name the right one with {option}")
        for column, option in ((id_column, "--id-column"), (label_column, "--label-column"))
        if column not in head
    ]
    if issues:
        raise LabelsRejected(issues)
    i, j = head.index(id_column), head.index(label_column)
    seen: dict[str, tuple[str, int]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(head):
            issues.append(RowIssue(name, line, None, f"expected {len(head)} fields like the header, found {len(row)}"))
            continue
        account, label = row[i].strip(), row[j].strip()
        if not account:
            issues.append(RowIssue(name, line, id_column, "empty account id"))
        if not label:
            issues.append(RowIssue(name, line, label_column, "empty label; leave unlabelled accounts out"))
        if not account or not label:
            continue
        if account in seen and seen[account][0] != label:
            first, at = seen[account]
            issues.append(
                RowIssue(
                    name, line, id_column, f"account {account!r} labelled {label!r} here but {first!r} on line {at}"
                )
            )
            continue
        seen.setdefault(account, (label, line))
    if issues:
        raise LabelsRejected(issues)
    if not seen:
        raise LabelsRejected([RowIssue(name, None, None, "no labelled accounts (only a header)")])
    return pa.table(
        {"id": pa.array(list(seen), pa.string()), "label": pa.array([v[0] for v in seen.values()], pa.string())}
    )


def read_account_list(path: str | Path) -> list[tuple[str, int]]:
    """Account ids listed one per line (``#`` starts a comment, blank lines skipped), with their line numbers.

    Used for ``nichegraph analyze --trusted FILE`` (accounts known to be genuine).  Raises
    :class:`LabelsRejected` naming the file (and line) for a missing, unreadable or empty file, or
    a line holding more than one field.
    """
    name = str(path)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise LabelsRejected([RowIssue(name, None, None, "no such file")]) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise LabelsRejected([RowIssue(name, None, None, f"not a readable UTF-8 text file: {exc}")]) from None
    out: list[tuple[str, int]] = []
    issues = []
    for number, text in enumerate(lines, start=1):
        value = text.split("#", 1)[0].strip()
        if not value:
            continue
        if len(value.replace(",", " ").split()) > 1:
            issues.append(RowIssue(name, number, "id", f"one account id per line; found {value!r}"))
            continue
        out.append((value, number))
    if issues:
        raise LabelsRejected(issues)
    if not out:
        raise LabelsRejected([RowIssue(name, None, None, "no account ids (one per line expected)")])
    return out
