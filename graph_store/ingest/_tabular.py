"""Readers for canonical tables: CSV/TSV (plain or gzip), Parquet and JSON Lines.

Each reader yields :class:`~graph_store.ingest._convert.Piece` objects (raw
columns renamed to canonical fields, with physical line numbers) and lists of
structural :class:`~graph_store.errors.RowIssue` (wrong column count, bad
encoding, unparsable JSON) for rows that never became columns.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from ..errors import RowIssue
from ..schema import ID_COLUMNS, REQUIRED, SCHEMAS
from ._blocks import decode_text, head_bytes, iter_blocks, split_lines, utf8_error
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


# -- JSON Lines --------------------------------------------------------------------------------------


def quote_scalars(body: bytes, keys: list[str]) -> bytes:
    """Turn bare JSON numbers and booleans under ``keys`` into strings (ids stay exact text)."""
    if not keys:
        return body
    alt = b"|".join(re.escape(json.dumps(k, ensure_ascii=False)[1:-1].encode()) for k in keys)
    pat = re.compile(b'("(?:' + alt + b')"\\s*:\\s*)(-?[0-9][0-9.eE+-]*|true|false)(?=\\s*[,}\\]])')
    return pat.sub(rb'\1"\2"', body)


class LineBlocks:
    """Non-blank, valid UTF-8 lines of a text file, block by block, with their line numbers."""

    def __init__(self, path: str, stats: FileStats, file: str, comments: bool = False):
        self.path, self.stats, self.file, self.comments = path, stats, file, comments

    def __iter__(self):
        import pyarrow.compute as pc

        for block in iter_blocks(self.path):
            self.stats.bytes_done = block.done
            lines = split_lines(block)
            values, numbers = lines.values, lines.numbers
            n = len(values)
            if n == 0:
                continue
            issues: list[RowIssue] = []
            try:
                block.data.decode("utf-8")
                strings = values.cast(pa.string())
            except (UnicodeDecodeError, pa.ArrowInvalid):
                raw = values.to_pylist()  # error path: find the undecodable lines of this block
                ok = np.ones(n, dtype=bool)
                fixed = []
                for i, b in enumerate(raw):
                    reason = utf8_error(b)
                    if reason:
                        ok[i] = False
                        if b.strip():
                            issues.append(RowIssue(self.file, int(numbers[i]), None, reason, decode_text(b)))
                        fixed.append("x")
                    else:
                        fixed.append(b.decode("utf-8"))
                strings = pa.array(fixed, pa.string())
                self.stats.rows += len(issues)
                values = values.filter(pa.array(ok))
                strings = strings.filter(pa.array(ok))
                numbers = numbers[ok]
            trimmed = pc.ascii_trim_whitespace(strings)
            blank = np.asarray(pc.equal(trimmed, "").to_numpy(zero_copy_only=False), dtype=bool)
            skip = blank
            self.stats.blank_lines += int(blank.sum())
            if self.comments:
                com = np.asarray(pc.starts_with(trimmed, "#").to_numpy(zero_copy_only=False), dtype=bool)
                self.stats.comment_lines += int(com.sum())
                skip = skip | com
            if skip.any():
                keep = pa.array(~skip)
                values, strings, trimmed, numbers = (
                    values.filter(keep),
                    strings.filter(keep),
                    trimmed.filter(keep),
                    numbers[~skip],
                )
            self.stats.rows += len(values)
            yield issues, values, trimmed, numbers


def _compact(values: pa.BinaryArray) -> bytes:
    """The lines of ``values`` (each with its newline) as one buffer."""
    n = len(values)
    if n == 0:
        return b""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + n + 1]
    body = values.buffers()[2].to_pybytes()[int(offsets[0]) : int(offsets[-1])]
    return body if body.endswith(b"\n") else body + b"\n"


def parse_json_block(
    values: pa.BinaryArray, numbers: np.ndarray, schema: pa.Schema, string_keys: list[str], file: str, fix=None
) -> tuple[pa.Table, np.ndarray, list[RowIssue]]:
    """Parse JSON lines into ``schema``; returns (table, kept positions, issues for bad lines).

    ``fix(obj) -> obj`` may rewrite a line that failed to parse as a whole block.
    """
    opts = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    ropts = pajson.ReadOptions(block_size=1 << 30, use_threads=False)
    n = len(values)
    body = _compact(values)
    for attempt in (0, 1):  # as written; then with bare numbers under text keys quoted (exact ids)
        try:
            src = body if attempt == 0 else quote_scalars(body, string_keys)
            tbl = pajson.read_json(pa.BufferReader(src), read_options=ropts, parse_options=opts)
            if tbl.num_rows == n:
                return tbl, np.arange(n), []
        except pa.ArrowInvalid:
            pass
    # error path: find the bad lines of this block one by one
    issues, parts, kept = [], [], []
    for i, raw in enumerate(values.to_pylist()):
        text = raw.decode("utf-8").rstrip("\r\n")
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            issues.append(
                RowIssue(file, int(numbers[i]), None, f"not valid JSON: {exc.msg} at column {exc.colno}", text)
            )
            continue
        if not isinstance(obj, dict):
            issues.append(
                RowIssue(file, int(numbers[i]), None, f"expected a JSON object, found {type(obj).__name__}", text)
            )
            continue
        line = raw.rstrip(b"\r\n")
        if fix is not None:
            fixed = fix(obj)
            if fixed is not obj:
                line = json.dumps(fixed, ensure_ascii=False).encode("utf-8")
        try:
            one = pajson.read_json(
                pa.BufferReader(quote_scalars(line + b"\n", string_keys)), read_options=ropts, parse_options=opts
            )
        except pa.ArrowInvalid as exc:
            msg = str(exc).split("\n")[0].replace(" in row 0", "")
            fld = re.search(r"Column\(/([^)]*)\)", msg)
            issues.append(
                RowIssue(file, int(numbers[i]), fld.group(1) if fld else None, f"value of the wrong type: {msg}", text)
            )
            continue
        parts.append(one)
        kept.append(i)
    tbl = pa.concat_tables(parts) if parts else schema.empty_table()
    return tbl, np.array(kept, dtype=np.int64), issues


def _first_record_keys(path: str) -> tuple[list[str], int] | None:
    """Keys of the file's first JSON object and its line (None when it does not parse: rows report it)."""
    head = head_bytes(path, 1 << 20)
    for number, raw in enumerate(head.split(b"\n"), start=1):
        if raw.strip():
            try:
                obj = json.loads(raw)
            except ValueError:
                return None
            return (list(obj), number) if isinstance(obj, dict) else None
    return None


def read_jsonl(path: str, table: str, tm: TableMapping, stats: FileStats, file: str) -> Output:
    # the keys of the first record say which key holds which field (common spellings included) and
    # refuse keys that are no field, as a CSV header does; keys first seen later are ignored
    first = _first_record_keys(path)
    found = _resolve_columns(table, tm, first[0], file, first[1], stats, require=False) if first else {}
    # the columns we read, all as text except hashtags (a list)
    fields, cols = [], {}
    for f in SCHEMAS[table]:
        col = found.get(f.name) or tm.source_column(f.name)
        cols[f.name] = col
        fields.append(pa.field(col, pa.list_(pa.string()) if f.name == "hashtags" else pa.string()))
    for col, _, _ in tm.where:
        if col not in {f.name for f in fields}:
            fields.append(pa.field(col, pa.string()))
    schema = pa.schema(fields)
    string_keys = [f.name for f in fields if f.type == pa.string()]
    checked = False
    for issues, values, _trimmed, numbers in LineBlocks(path, stats, file):
        if issues:
            yield issues
        if len(values) == 0:
            continue
        tbl, kept, bad = parse_json_block(values, numbers, schema, string_keys, file)
        if bad:
            yield bad
        if not checked and tbl.num_rows:
            checked = True
            for fld in REQUIRED[table]:
                col = cols[fld]
                if tbl.column(col).null_count == tbl.num_rows and fld not in tm.options.defaults and fld in tm.columns:
                    raise _refuse(
                        file,
                        int(numbers[kept[0]]),
                        fld,
                        f"mapped key {col!r} (for {fld}) is absent from the first records",
                    )
        lines = numbers[kept]
        text = lambda pos, _v=values, _k=kept: [decode_text(b) for b in _v.take(pa.array(_k[pos])).to_pylist()]
        present = {
            fld: col
            for fld, col in cols.items()
            if fld in ID_COLUMNS[table] or fld in REQUIRED[table] or tbl.column(col).null_count < tbl.num_rows
        }
        p = _piece(table, tm, present, tbl, lines, text, stats)
        if p is not None:
            yield p
