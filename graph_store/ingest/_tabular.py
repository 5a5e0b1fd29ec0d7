"""Reader for canonical tables as CSV/TSV (plain or gzip); JSON Lines are in :mod:`._jsonl`.

Each reader yields :class:`~graph_store.ingest._convert.Piece` objects (raw
columns renamed to canonical fields, with physical line numbers) and lists of
structural :class:`~graph_store.errors.RowIssue` (wrong column count, bad
encoding, unparsable JSON) for rows that never became columns.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import RowIssue
from ._blocks import decode_text, head_bytes, iter_blocks, utf8_error
from ._columns import piece as _piece
from ._columns import refuse as _refuse
from ._columns import resolve_columns as _resolve_columns
from ._convert import Piece
from ._report import FileStats
from .mapping import TableMapping

_NL, _CR, _QUOTE = 10, 13, 34
_BOM = b"\xef\xbb\xbf"
_BARE_CR = re.compile(rb"\r(?!\n)")

Output = Iterator["Piece | list[RowIssue]"]


# -- CSV / TSV -----------------------------------------------------------------------------------


def _record_bounds(arr: np.ndarray, quote: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Record boundaries (starts..., len) and newline positions of a block."""
    nl = np.flatnonzero(arr == _NL)
    term = nl
    if quote is not None:
        q = np.flatnonzero(arr == quote)
        if q.size:
            term = nl[(np.searchsorted(q, nl) & 1) == 0]
    bounds = np.concatenate(([0], term + 1)).astype(np.int64)
    if bounds[-1] != arr.size:
        bounds = np.concatenate((bounds, [arr.size]))
    return bounds, nl


def _field_counts(arr: np.ndarray, bounds: np.ndarray, delim: int, quote: int | None) -> np.ndarray:
    d = np.flatnonzero(arr == delim)
    if quote is not None and d.size:
        q = np.flatnonzero(arr == quote)
        if q.size:
            d = d[(np.searchsorted(q, d) & 1) == 0]
    rec = np.searchsorted(bounds, d, side="right") - 1
    return np.bincount(rec, minlength=bounds.size - 1)[: bounds.size - 1] + 1


def _content_lengths(arr: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Record lengths without the line terminator."""
    starts, ends = bounds[:-1], bounds[1:]
    lens = ends - starts
    if lens.size == 0:
        return lens
    last = np.maximum(ends - 1, 0)
    has_nl = (lens > 0) & (arr[last] == _NL)
    lens = lens - has_nl
    last2 = np.maximum(starts + lens - 1, 0)
    has_cr = (lens > 0) & (arr[last2] == _CR)
    return lens - has_cr


def sniff_delimiter(path: str, header: bytes) -> str:
    """``.tsv``/``.tab`` -> tab; otherwise the most frequent of ``, tab ; |`` in the header (comma on ties)."""
    low = path.lower().removesuffix(".gz")
    if low.endswith((".tsv", ".tab")):
        return "\t"
    counts = {d: header.count(d.encode()) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_csv(
    path: str, table: str, tm: TableMapping, stats: FileStats, file: str, delimiter: str | None = None
) -> Output:
    head = head_bytes(path, 1 << 20)
    if not head.strip():
        stats.blank_lines += head.count(b"\n")
        return
    bom = len(_BOM) if head.startswith(_BOM) else 0
    arr = np.frombuffer(head, dtype=np.uint8)
    bounds, _ = _record_bounds(arr[bom:], _QUOTE)
    # skip blank lines before the header
    header_start = bom
    k = 0
    while k + 1 < bounds.size and not head[bom + bounds[k] : bom + bounds[k + 1]].strip():
        k += 1
        stats.blank_lines += 1
    if k + 1 >= bounds.size:
        return
    header_start = bom + int(bounds[k])
    header_end = bom + int(bounds[k + 1])
    header_raw = head[header_start:header_end]
    header_line = 1 + head[:header_start].count(b"\n")
    err = utf8_error(header_raw)
    if err:
        raise _refuse(file, header_line, None, f"header: {err}")
    delim = delimiter or tm.delimiter or sniff_delimiter(path, header_raw)
    header = next(csv.reader(io.StringIO(header_raw.decode("utf-8")), delimiter=delim), [])
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise _refuse(file, header_line, None, f"header repeats column names {dup}")
    cols = _resolve_columns(table, tm, header, file, header_line, stats)
    ncols = len(header)
    d = ord(delim)
    read_opts = pacsv.ReadOptions(column_names=header, block_size=1 << 30, use_threads=False)
    parse_opts = pacsv.ParseOptions(delimiter=delim, quote_char='"', newlines_in_values=True, ignore_empty_lines=False)
    conv_opts = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        include_columns=sorted(set(cols.values()) | {c for c, _, _ in tm.where}),
    )
    first_line = header_line + header_raw.count(b"\n")
    fast_parse = pacsv.ParseOptions(
        delimiter=delim,
        quote_char='"',
        newlines_in_values=True,
        ignore_empty_lines=True,
        invalid_row_handler=_WrongWidth(),
    )
    for block in iter_blocks(path, quote=_QUOTE, skip_bytes=header_end, first_line=first_line):
        stats.bytes_done = block.done
        data = block.data
        if not data or data.isspace():  # same as `not data.strip()`, without copying the block
            stats.blank_lines += block.n_lines
            continue
        if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
            bare_cr = _BARE_CR.search(data)
            assert bare_cr is not None  # more \r than \r\n: some \r is not followed by \n
            cr = bare_cr.start()
            raise _refuse(
                file,
                block.first_line + data.count(b"\n", 0, cr),
                None,
                "a line ends with a bare carriage return (\\r, old Mac line endings) or a value holds "
                "one; convert the file to \\n or \\r\\n line endings",
            )
        # good path: pyarrow parses the block; line numbers are only computed if a row turns out bad
        try:
            data.decode("utf-8")
            utf8_ok = True
        except UnicodeDecodeError:
            utf8_ok = False
        if utf8_ok and np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _QUOTE) % 2 == 0:
            fast_parse.invalid_row_handler.count = 0
            try:
                tbl = pacsv.read_csv(
                    pa.py_buffer(data), read_options=read_opts, parse_options=fast_parse, convert_options=conv_opts
                )
            except pa.ArrowInvalid:
                tbl = None  # let the exact path find the culprit
            if tbl is not None and fast_parse.invalid_row_handler.count == 0:
                blanks = _count_blank_lines(data, block.n_lines, tbl.num_rows)
                if blanks is not None:
                    stats.blank_lines += blanks
                    stats.rows += tbl.num_rows
                    lazy = _LazyRecords(data, block.first_line, ncols, d)
                    if tbl.num_rows:
                        p = _piece(table, tm, cols, tbl, lazy.lines_of_rows, lazy.text_of_rows, stats)
                        if p is not None:
                            yield p
                    continue
        yield from _csv_block_exact(
            data, block.first_line, ncols, d, table, tm, cols, stats, file, read_opts, parse_opts, conv_opts
        )


class _WrongWidth:
    """pyarrow ``invalid_row_handler``: count rows with the wrong number of fields, skip them."""

    def __init__(self):
        self.count = 0

    def __call__(self, row) -> str:
        self.count += 1
        return "skip"


def _count_blank_lines(data: bytes, n_lines: int | None = None, n_rows: int | None = None) -> int | None:
    """Empty lines of a block, or None when a quoted value may hold an empty line (count exactly).

    ``n_lines`` (physical lines of the block, as :class:`RawBlock` counts them) and ``n_rows`` (rows
    pyarrow parsed, empty lines skipped) give a shortcut: without ``\\r`` every physical line is a
    row, an empty line or part of a multi-line record, so as many rows as lines means no empty line.
    """
    if n_lines is not None and n_rows is not None:
        if n_rows == n_lines and b"\r" not in data:
            return 0
    n = data.count(b"\n\n") + data.count(b"\n\r\n") + (1 if data[:1] in (b"\n", b"\r") else 0)
    if n and b'"' in data:
        return None
    return n


class _LazyRecords:
    """Record boundaries of a block, computed only when a row's line or text is needed."""

    def __init__(self, data: bytes, first_line: int, ncols: int, delim: int):
        self.data, self.first_line, self.ncols, self.delim = data, first_line, ncols, delim
        self._kept: np.ndarray | None = None

    def _compute(self) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=np.uint8)
        bounds, nl = _record_bounds(arr, _QUOTE)
        self.bounds = bounds
        self.rec_line = self.first_line + np.searchsorted(nl, bounds[:-1])
        self._kept = kept = np.flatnonzero(_content_lengths(arr, bounds) != 0)
        return kept

    def _kept_records(self) -> np.ndarray:
        """The non-blank records (the boundaries are computed on first use)."""
        return self._kept if self._kept is not None else self._compute()

    def lines_of_rows(self) -> np.ndarray:
        kept = self._kept_records()
        return self.rec_line[kept]

    def text_of_rows(self, pos: np.ndarray) -> list[str]:
        kept = self._kept_records()
        b = self.bounds
        return [decode_text(self.data[b[i] : b[i + 1]]) for i in kept[pos]]


def _csv_block_exact(
    data: bytes,
    first_line: int,
    ncols: int,
    d: int,
    table: str,
    tm: TableMapping,
    cols: dict[str, str],
    stats: FileStats,
    file: str,
    read_opts,
    parse_opts,
    conv_opts,
) -> Output:
    """A block with bad rows (wrong width, bad UTF-8) or ambiguous blank lines: find every record exactly."""
    arr = np.frombuffer(data, dtype=np.uint8)
    bounds, nl = _record_bounds(arr, _QUOTE)
    nrec = bounds.size - 1
    if nrec == 0:
        return
    rec_line = first_line + np.searchsorted(nl, bounds[:-1])
    clen = _content_lengths(arr, bounds)
    blank = clen == 0
    fields = _field_counts(arr, bounds, d, _QUOTE)
    wrong = ~blank & (fields != ncols)
    # records end where quotes balance, so only the block's last record can hold an unbalanced quote
    unbalanced = np.zeros(nrec, dtype=bool)
    unbalanced[-1] = data.count(b'"', int(bounds[-2])) % 2 == 1
    bad_utf8 = np.zeros(nrec, dtype=bool)
    utf8_reasons: dict[int, str] = {}
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        for r in range(nrec):  # error path: find the undecodable records of this block
            reason = utf8_error(data[bounds[r] : bounds[r + 1]])
            if reason and not blank[r]:
                bad_utf8[r] = True
                utf8_reasons[r] = reason
    stats.blank_lines += int(blank.sum())
    stats.rows += int((~blank).sum())
    issues: list[RowIssue] = []
    for r in np.flatnonzero(wrong | bad_utf8 | unbalanced).tolist():
        raw = data[bounds[r] : bounds[r + 1]]
        if unbalanced[r]:
            issues.append(
                RowIssue(
                    file,
                    int(rec_line[r]),
                    None,
                    'unbalanced quotes: a quoted value (") opened on this line never closes',
                    decode_text(raw),
                )
            )
        elif bad_utf8[r]:
            issues.append(RowIssue(file, int(rec_line[r]), None, utf8_reasons[r], decode_text(raw)))
        else:
            issues.append(
                RowIssue(
                    file,
                    int(rec_line[r]),
                    None,
                    f"wrong column count: expected {ncols} fields, found {int(fields[r])}",
                    decode_text(raw),
                )
            )
    if issues:
        yield issues
    keep = ~(blank | wrong | bad_utf8 | unbalanced)
    kept = np.flatnonzero(keep)
    if kept.size == 0:
        return
    body = data if kept.size == nrec else arr[np.repeat(keep, np.diff(bounds))].tobytes()
    try:
        tbl = pacsv.read_csv(
            pa.py_buffer(body), read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts
        )
    except pa.ArrowInvalid as exc:
        raise _refuse(
            file,
            int(rec_line[kept[0]]),
            None,
            f"cannot parse the CSV block starting on this line: {str(exc).splitlines()[0]}",
        ) from None
    if tbl.num_rows != kept.size:
        raise _refuse(
            file,
            int(rec_line[kept[0]]),
            None,
            f"cannot align CSV rows with lines in the block starting here (malformed quoting?): "
            f"parsed {tbl.num_rows} rows from {kept.size} records",
        )
    offs = bounds.astype(np.int64)
    text = lambda pos, _d=data, _o=offs, _k=kept: [decode_text(_d[_o[i] : _o[i + 1]]) for i in _k[pos]]
    p = _piece(table, tm, cols, tbl, rec_line[kept], text, stats)
    if p is not None:
        yield p
