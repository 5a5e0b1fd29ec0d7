"""Writing a planted world as the files ``nichegraph load`` reads (CSV, optionally gzipped, or Parquet)."""

from __future__ import annotations

import gzip as _gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from ..schema import SCHEMAS
from .world import World

FileFormat = Literal["csv", "parquet"]


def _csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A canonical batch with list columns joined by ``|`` and timestamps as ISO-8601 UTC text."""
    cols, names = [], []
    for name, col in zip(batch.schema.names, batch.columns):
        if pa.types.is_list(col.type):
            col = pc.binary_join(col, "|")
        elif pa.types.is_timestamp(col.type):
            # "YYYY-MM-DD HH:MM:SS" -> "YYYY-MM-DDTHH:MM:SSZ" (much faster than pc.strftime)
            col = pc.replace_substring(col.cast(pa.timestamp("s")).cast(pa.string()), " ", "T", max_replacements=1)
            col = pc.binary_join_element_wise(col, "Z", "")
        cols.append(col)
        names.append(name)
    return pa.RecordBatch.from_arrays(cols, names=names)


def write_world(
    world: World,
    out_dir: str | Path,
    *,
    fmt: FileFormat = "csv",
    gzip: bool = False,
    batch_rows: int = 1 << 20,
    progress: Callable[[str, int], None] | None = None,
    posts: bool = True,
) -> dict[str, Path]:
    """Write ``accounts``, ``follows``, ``interactions``, ``posts`` and ``truth`` files into ``out_dir``.

    Parameters
    ----------
    world : World
    out_dir : str or Path
        Created when missing.
    fmt : {"csv", "parquet"}
        CSV has a header row, hashtags joined by ``|``, timestamps as
        ``YYYY-MM-DDTHH:MM:SSZ``, empty fields for nulls.  Parquet keeps the
        canonical Arrow schemas (hashtags as a list column).
    gzip : bool
        Gzip the CSV files (``.csv.gz``); ignored for Parquet (which is
        compressed with zstd).
    batch_rows : int
        Rows per written batch.
    progress : callable(table, rows_written), optional
        Called after every batch.
    posts : bool, default True
        Write the ``posts`` file (:mod:`.posts`: the posts that made the interactions and the
        original posts they engage with, with platform metrics).

    Returns
    -------
    dict
        Table name (``accounts``, ``follows``, ``interactions``, ``posts`` when written, ``truth``) -> path.
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt={fmt!r}: expected 'csv' or 'parquet'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext = ".parquet" if fmt == "parquet" else (".csv.gz" if gzip else ".csv")
    paths: dict[str, Path] = {}

    def batches_of(name: str) -> Iterator[pa.RecordBatch]:
        if name == "truth":
            yield from world.truth_table().to_batches(max_chunksize=batch_rows)
        else:
            for tb in world.batches(name, batch_rows=batch_rows):  # type: ignore[arg-type]
                yield tb.batch

    for name in ("accounts", "follows", "interactions", *(("posts",) if posts else ()), "truth"):
        path = out / f"{name}{ext}"
        paths[name] = path
        schema = world.truth_table().schema if name == "truth" else SCHEMAS[name]
        if fmt == "parquet":
            # fixed writer settings (no created_by drift between calls) keep files byte-identical
            with pq.ParquetWriter(path, schema, compression="zstd") as w:
                for b in batches_of(name):
                    w.write_batch(b)
                    if progress:
                        progress(name, b.num_rows)
        else:
            raw = open(path, "wb")
            sink = _gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) if gzip else raw
            try:
                csv_schema = _csv_ready(pa.RecordBatch.from_pylist([], schema=schema)).schema
                with pacsv.CSVWriter(sink, csv_schema, write_options=pacsv.WriteOptions(quoting_style="needed")) as w:
                    for b in batches_of(name):
                        w.write_batch(_csv_ready(b))
                        if progress:
                            progress(name, b.num_rows)
            finally:
                if gzip:
                    sink.close()
                raw.close()
    return paths
