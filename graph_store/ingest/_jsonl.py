"""Line-oriented text and JSON Lines: :class:`LineBlocks` (valid, non-blank lines with their
numbers) and the canonical-table reader :func:`read_jsonl` (one JSON object per line).

Yields :class:`~graph_store.ingest._convert.Piece` objects and lists of structural
:class:`~graph_store.errors.RowIssue` (bad encoding, unparsable JSON), like :mod:`._tabular`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
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

Output = Iterator["Piece | list[RowIssue]"]


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
