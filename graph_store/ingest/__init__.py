"""From input files to validated canonical batches, written to a store in one transaction.

>>> from nichegraph.graph_store.duckdb_store import DuckDBStore
>>> from nichegraph.graph_store.ingest import load_files
>>> with DuckDBStore(":memory:") as store:                               # doctest: +SKIP
...     report = load_files(store, interactions="higgs-activity_time.txt")
...     report.counts.interactions.inserted
563069

Formats (``format="auto"`` picks one per file from its name and first lines):

``csv``
    Canonical table with a header row; comma or tab separated (``.tsv``), plain or gzip.
``parquet``, ``jsonl``
    Canonical table as Parquet / JSON Lines (one object per line).
``snap``
    ``a b [weight]`` edge list, ``#`` comments; as follows, or as interactions of ``kind``.
``higgs``
    SNAP Higgs activity log ``a b unix_time RT|MT|RE``.
``x-api-v2``
    X API v2 tweets / response pages as JSON Lines (see :mod:`._xapi`).
``gml``, ``graphml``
    A whole graph (nodes with attributes, edges), plain or gzip; as follows, or as
    interactions of ``kind`` (see :mod:`._graphfile`).

Every reader streams Arrow batches; rows are converted and checked with Arrow
kernels (:mod:`._convert`), never by a Python loop per row on the good path.
This package only calls ``store.load(batches)``, so it works with any store.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa

from ..base import Store
from ..errors import InputRejected, RowIssue, StoreError
from ..schema import TableBatch
from ._blocks import head_bytes
from ._convert import Piece, convert
from ._edgelists import read_higgs, read_snap
from ._errors import FileRejected
from ._gml import read_gml
from ._graphml import read_graphml
from ._jsonl import read_jsonl
from ._parquet import read_parquet
from ._paths import RejectsPathError, check_rejects_path
from ._report import FileStats, LoadReport, RejectsWriter
from ._tabular import read_csv
from ._xapi import is_xapi_line, read_xapi
from .mapping import Mapping, MappingError, TableMapping, load_mapping

FORMATS = ("auto", "csv", "parquet", "jsonl", "snap", "higgs", "x-api-v2", "gml", "graphml")
Format = Literal["auto", "csv", "parquet", "jsonl", "snap", "higgs", "x-api-v2", "gml", "graphml"]

#: Bad rows kept in memory per file for the refusal message (all are counted and written to rejects).
MAX_ISSUES_KEPT = 10_000

PathLike = str | os.PathLike
Paths = PathLike | Iterable[PathLike] | None


def detect_format(path: PathLike) -> str:
    """Guess a file's format from its name and first lines (``csv``, ``parquet``, ...).

    Raises
    ------
    InputRejected
        When the format cannot be told; the message says which ``--format`` to pass.
    """
    p = str(path)
    low = p.lower().removesuffix(".gz")
    head = head_bytes(p, 1 << 16)
    if head[:4] == b"PAR1" or low.endswith((".parquet", ".pq")):
        return "parquet"
    if low.endswith(".gml"):
        return "gml"
    if low.endswith(".graphml") or (head.lstrip().startswith(b"<") and b"<graphml" in head):
        return "graphml"
    first = b""
    for line in head.splitlines():
        s = line.strip()
        if s and not s.startswith(b"#"):
            first = s
            break
    if low.endswith((".jsonl", ".ndjson", ".json")) or first.startswith(b"{"):
        return "x-api-v2" if is_xapi_line(first) else "jsonl"
    if low.endswith((".csv", ".tsv", ".tab")):
        return "csv"
    if not first:
        return "csv" if low.endswith((".csv", ".tsv", ".tab")) else "snap"
    tokens = first.split()
    if len(tokens) == 4 and tokens[3] in (b"RT", b"MT", b"RE") and b"," not in first:
        return "higgs"
    if 2 <= len(tokens) <= 3 and b"," not in first:
        return "snap"
    if b"," in first or b"\t" in first:
        return "csv"
    raise FileRejected(
        p, None, None, "cannot tell the file's format; pass --format csv|parquet|jsonl|snap|higgs|x-api-v2|gml|graphml"
    )


def _paths(v: Paths) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (str, os.PathLike)):
        return [str(v)]
    return [str(x) for x in v]


def _mapping(columns) -> Mapping:
    if columns is None:
        return load_mapping()
    if isinstance(columns, Mapping):
        return columns
    if isinstance(columns, (str, os.PathLike)):
        return load_mapping(columns)
    return load_mapping(None, list(columns))


def _reader(path: str, table: str, fmt: str, tm: TableMapping, stats: FileStats, kind: str | None) -> Iterator:
    if fmt == "csv":
        return read_csv(path, table, tm, stats, path)
    if fmt == "parquet":
        return read_parquet(path, table, tm, stats, path)
    if fmt == "jsonl":
        return read_jsonl(path, table, tm, stats, path)
    refuse = lambda msg: FileRejected(path, None, None, msg)
    if table == "posts" and fmt not in ("csv", "parquet", "jsonl", "x-api-v2"):
        raise refuse(f"posts are read from csv, parquet, jsonl or x-api-v2 files, not {fmt}")
    if fmt == "snap":
        if table == "accounts":
            raise refuse("a SNAP edge list holds edges; give it as --follows or --interactions")
        k = kind or tm.options.defaults.get("kind")
        if table == "interactions" and k is None:
            raise refuse("a SNAP edge list as interactions needs their kind: pass --kind mention|reply|repost|...")
        return read_snap(path, table, stats, path, k)
    if fmt == "higgs":
        if table != "interactions":
            raise refuse("the Higgs activity log holds interactions; give it as --interactions")
        return read_higgs(path, stats, path)
    if fmt in ("gml", "graphml"):
        read = read_gml if fmt == "gml" else read_graphml
        return read(path, table, stats, path, kind or tm.options.defaults.get("kind"))
    if fmt == "x-api-v2":
        if table not in ("interactions", "posts"):
            raise refuse("X API v2 tweets hold posts, interactions and users; give them as --interactions or --posts")
        return read_xapi(path, stats, path, tm.options)
    raise StoreError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


#: Errors a reader or converter may raise on content it cannot handle (not on bad rows, which become issues).
_UNREADABLE = (pa.ArrowException, UnicodeDecodeError, OverflowError, EOFError, OSError, zlib.error)


class _unreadable_refused:
    """Refuse a file on a low-level read error, as an iterator wrapper or a ``with`` block.

    A file that pyarrow or the decompressor cannot read at all (corrupt Parquet pages, nested or
    binary columns, invalid UTF-8 inside Parquet strings ...) becomes a :class:`FileRejected` naming
    the file, its format and the reason, instead of an exception from a library.
    """

    def __init__(self, items: Iterator | None, path: str, fmt: str):
        self.items, self.path, self.fmt = items, path, fmt

    def __iter__(self):
        while True:
            with self:
                item = next(self.items, _END)
            if item is _END:
                return
            yield item

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb) -> None:
        if exc is None or isinstance(exc, StoreError) or not isinstance(exc, _UNREADABLE):
            return  # propagate as it is
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else typ.__name__
        if len(reason) > 300:  # pyarrow prints overflowing floats with every digit
            reason = reason[:300] + "..."
        raise FileRejected(self.path, None, None, f"cannot read it as {self.fmt}: {reason}") from None


_END = object()


def load_files(
    store: Store,
    *,
    accounts: Paths = None,
    follows: Paths = None,
    interactions: Paths = None,
    posts: Paths = None,
    format: Format = "auto",
    on_error: Literal["fail", "skip"] = "fail",
    rejects: PathLike | None = None,
    columns: Mapping | PathLike | list[str] | None = None,
    kind: str | None = None,
    progress: Callable[[FileStats, int, int], None] | None = None,
) -> LoadReport:
    """Read input files, validate every row and write them to ``store`` in one transaction.

    Parameters
    ----------
    store : Store
        Any store; only ``store.load(batches)`` is called.
    accounts, follows, interactions, posts : path or list of paths, optional
        Files for each canonical table (Higgs files go under ``interactions``; an X API v2 file under
        ``interactions`` or ``posts`` gives posts, interactions and accounts alike).
    format : str
        One of :data:`FORMATS`; ``"auto"`` detects each file's format.
    on_error : {"fail", "skip"}
        ``"fail"``: a file with any bad row raises :class:`InputRejected` listing them and
        nothing is written.  ``"skip"``: good rows load, bad rows go to ``rejects``.
    rejects : path, optional
        CSV ``file,line,field,reason,text`` of every bad row (written in both modes).
    columns : Mapping, TOML path, shipped mapping name, or list of ``[TABLE.]FIELD=COLUMN``
        How to read the user's own column names (see :mod:`.mapping`).
    kind : str, optional
        Interaction kind for files without one (SNAP edge lists, tables without ``kind``).
    progress : callable, optional
        ``progress(stats, bytes_done, bytes_total)`` after each batch.

    Returns
    -------
    LoadReport
        Per-file statistics and the store's :class:`~graph_store.base.LoadCounts`.
    """
    if format not in FORMATS:
        raise StoreError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if on_error not in ("fail", "skip"):
        raise StoreError(f"on_error must be 'fail' or 'skip', not {on_error!r}")
    mapping = _mapping(columns)
    if kind is not None:
        from ._convert import KIND_SPELLINGS

        if kind.strip().lower() not in KIND_SPELLINGS:
            raise MappingError(
                f"--kind {kind!r} is not an interaction kind; use one of "
                f"{', '.join(sorted(set(KIND_SPELLINGS.values())))}"
            )
        mapping.for_table("interactions").options.defaults["kind"] = kind
    inputs = [
        (t, p)
        for t, v in (("accounts", accounts), ("follows", follows), ("interactions", interactions), ("posts", posts))
        for p in _paths(v)
    ]
    if not inputs:
        raise StoreError("nothing to load: give --accounts, --follows, --interactions and/or --posts")
    for _, p in inputs:
        if not Path(p).is_file():
            raise StoreError(f"input file {p} does not exist" if not Path(p).exists() else f"{p} is not a file")
    check_rejects_path(rejects, [p for _, p in inputs], getattr(store, "location", None))
    all_stats: list[FileStats] = []
    writer = RejectsWriter(rejects)

    def batches() -> Iterator[TableBatch]:
        for table, path in inputs:
            fmt = detect_format(path) if format == "auto" else format
            tm = mapping.for_table(table)
            stats = FileStats(path=path, table="tweets" if fmt == "x-api-v2" else table, format=fmt)
            all_stats.append(stats)
            total = Path(path).stat().st_size
            kept: list[RowIssue] = []
            n_bad = 0
            for item in _unreadable_refused(_reader(path, table, fmt, tm, stats, kind), path, fmt):
                if isinstance(item, Piece):
                    with _unreadable_refused(None, path, fmt):
                        batch, issues, _ = convert(item, mapping.for_table(item.table).options, path)
                else:
                    batch, issues = None, item
                if issues:
                    n_bad += len(issues)
                    stats.rejected += len(issues)
                    writer.write(issues)
                    if len(kept) < MAX_ISSUES_KEPT:
                        kept.extend(issues[: MAX_ISSUES_KEPT - len(kept)])
                if batch is not None and batch.num_rows and not (on_error == "fail" and n_bad):
                    stats.loaded += batch.num_rows
                    stats.produced[item.table] = stats.produced.get(item.table, 0) + batch.num_rows
                    yield TableBatch(item.table, batch)
                if progress is not None:
                    progress(stats, min(stats.bytes_done, total), total)
            if progress is not None:
                progress(stats, total, total)
            if n_bad and on_error == "fail":
                kept.sort(key=lambda i: (i.line is None, i.line or 0))
                raise InputRejected(kept, total=n_bad)

    try:
        counts = store.load(batches(), source=",".join(p for _, p in inputs))
    finally:
        writer.close()
    return LoadReport(all_stats, counts, writer.path)


__all__ = [
    "FORMATS",
    "FileRejected",
    "FileStats",
    "LoadReport",
    "Mapping",
    "MappingError",
    "RejectsPathError",
    "check_rejects_path",
    "detect_format",
    "load_files",
    "load_mapping",
]
