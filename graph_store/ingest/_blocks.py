"""Raw byte blocks cut at line (or CSV record) boundaries, with physical line numbers.

Every text reader in :mod:`graph_store.ingest` goes through here: the file is
read in large blocks (plain or gzip, detected by its magic bytes), each block
ends on a complete line, and numpy finds the line starts in one vectorised
pass, so rows can be mapped back to their 1-based physical line numbers
without a Python loop per row.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from ._errors import FileRejected

#: Bytes read per block (before cutting at the last complete line).
BLOCK_SIZE = 8 << 20
#: A quoted CSV record longer than this is taken as an unbalanced quote.
MAX_RECORD = 64 << 20
#: Longest physical line accepted (bytes, after decompression); a longer one refuses the file with its
#: line number, so memory stays bounded whatever the input (a gzip of NULs without a newline, say).
MAX_LINE = 1 << 20

_NL = 10
_CR = 13


@dataclass
class RawBlock:
    """Complete lines of a file.

    Attributes
    ----------
    data : bytes
        Whole lines; every line but possibly the file's last ends with ``\\n``.
    first_line : int
        1-based physical line number of the first line in ``data``.
    n_lines : int
        Number of physical lines in ``data``.
    done : int
        Bytes of the file (compressed size for gzip) consumed so far.
    total : int
        Size of the file in bytes.
    """

    data: bytes
    first_line: int
    n_lines: int
    done: int
    total: int


def open_binary(path: str | os.PathLike) -> tuple[io.BufferedIOBase, BinaryIO]:
    """Open ``path`` for reading, transparently gunzipping it.

    Returns ``(reader, raw)``: ``raw.tell()`` gives the bytes consumed of the
    file itself (for progress), ``reader`` yields the decompressed bytes.
    """
    raw = open(path, "rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


def read_checked(reader: io.BufferedIOBase, raw: BinaryIO, n: int, path: str | os.PathLike) -> bytes:
    """``reader.read(n)``, turning a corrupt or truncated gzip stream into a :class:`FileRejected`.

    The message names the file, the byte offset reached in the compressed file and the reason.
    """
    try:
        return reader.read(n)
    except EOFError:
        reason = "the gzip data ends before its end-of-stream marker (a truncated or partly copied file)"
    except gzip.BadGzipFile as exc:
        reason = f"bytes after the gzip data are not gzip data ({exc}); the file is corrupt or has trailing garbage"
    except (zlib.error, OSError) as exc:
        reason = f"corrupt gzip data ({exc})"
    try:
        offset = f" (near byte {raw.tell():,} of the compressed file)"
    except (OSError, ValueError):
        offset = ""
    raise FileRejected(str(path), None, None, f"cannot decompress: {reason}{offset}") from None


def head_bytes(path: str | os.PathLike, n: int = 65536) -> bytes:
    """The first ``n`` decompressed bytes of a file (for format detection).

    Raises
    ------
    FileRejected
        When the file is a corrupt gzip stream (refused early, before anything is parsed).
    """
    reader, raw = open_binary(path)
    try:
        return read_checked(reader, raw, n, path)
    finally:
        reader.close()
        raw.close()


def _last_record_end(buf: bytes, quote: int | None) -> int:
    """Index just past the last newline that ends a record (-1 when none).

    With a quote byte, a newline ends a record only when the quotes before it
    are balanced (RFC 4180: an escaped quote ``""`` counts twice).  Searches
    back from the end with C-speed ``bytes`` scans, so a block costs two passes.
    """
    pos = buf.rfind(b"\n")
    if pos < 0 or quote is None:
        return pos + 1 if pos >= 0 else -1
    q = bytes([quote])
    # numpy compares 16-32 bytes per instruction; bytes.count of one byte walks them one by one
    n_quotes = int(np.count_nonzero(np.frombuffer(buf, dtype=np.uint8, count=pos) == quote))
    while pos >= 0:
        if n_quotes % 2 == 0:
            return pos + 1
        prev = buf.rfind(b"\n", 0, pos)
        if prev < 0:
            return -1
        n_quotes -= buf.count(q, prev, pos)
        pos = prev
    return -1


def iter_blocks(
    path: str | os.PathLike,
    *,
    quote: int | None = None,
    skip_bytes: int = 0,
    first_line: int = 1,
    block_size: int | None = None,
) -> Iterator[RawBlock]:
    """Yield the file as blocks of complete lines (complete CSV records when ``quote`` is set).

    Parameters
    ----------
    path : path-like
    quote : int, optional
        Quote byte (``ord('"')``): a newline inside an open quote does not end a record.
    skip_bytes : int
        Decompressed bytes to skip first (a header already parsed).
    first_line : int
        Line number of the first line after ``skip_bytes``.
    """
    block_size = block_size or BLOCK_SIZE
    total = Path(path).stat().st_size
    reader, raw = open_binary(path)
    try:
        if skip_bytes:
            read_checked(reader, raw, skip_bytes, path)
        carry = b""
        line = first_line
        while True:
            chunk = read_checked(reader, raw, block_size, path)
            buf = carry + chunk if carry else chunk
            if not chunk:
                if buf:
                    n = buf.count(b"\n") + (0 if buf.endswith(b"\n") else 1)
                    yield RawBlock(buf, line, n, raw.tell(), total)
                return
            _check_line_lengths(buf, line, path)
            cut = _last_record_end(buf, quote)
            if cut < 0 and quote is not None and len(buf) > MAX_RECORD:
                # an unbalanced quote would swallow the rest of the file: cut at the last newline and
                # let the CSV reader report the unbalanced record
                cut = buf.rfind(b"\n") + 1 or -1
            if cut < 0:
                carry = buf
                continue
            data, carry = buf[:cut], buf[cut:]
            n = data.count(b"\n")
            yield RawBlock(data, line, n, raw.tell(), total)
            line += n
    finally:
        reader.close()
        raw.close()


def _long_line(data: bytes, limit: int) -> int:
    """Start offset of the first line longer than ``limit`` bytes in ``data`` (-1 when none).

    Any line longer than ``limit`` covers a whole aligned window of ``limit // 2`` bytes, so only
    windows without a newline are looked at closely: one ``memchr`` per window on ordinary text.
    """
    half = max(limit // 2, 1)
    start = 0
    while start + half <= len(data):
        if data.find(b"\n", start, start + half) >= 0:
            start += half
            continue
        line_start = data.rfind(b"\n", 0, start) + 1
        end = data.find(b"\n", start + half)
        if end < 0:
            end = len(data)
        if end - line_start > limit:
            return line_start
        start = end + 1
    return -1


def _check_line_lengths(buf: bytes, first_line: int, path: str | os.PathLike) -> None:
    at = _long_line(buf, MAX_LINE)
    if at >= 0:
        number = first_line + buf.count(b"\n", 0, at)
        raise FileRejected(
            str(path),
            number,
            None,
            f"the line is longer than {MAX_LINE:,} bytes, the limit for one "
            "line (is the file binary, or not split into lines?)",
        )


@dataclass
class Lines:
    """The physical lines of a block as one Arrow binary array (zero copy).

    Attributes
    ----------
    values : pyarrow.BinaryArray, shape (n,)
        Each line including its ``\\n`` (and ``\\r``), so offsets are contiguous.
    numbers : ndarray of int64, shape (n,)
        1-based physical line number of each line.
    """

    values: pa.BinaryArray
    numbers: np.ndarray


def split_lines(block: RawBlock) -> Lines:
    """Split a block into its physical lines without copying the bytes."""
    data = block.data
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == _NL)
    starts = np.concatenate(([0], nl + 1)).astype(np.int64)
    if starts[-1] == len(data):  # the block ends with a newline: no trailing partial line
        starts = starts[:-1]
    offsets = np.concatenate((starts, [len(data)])).astype(np.int32)
    n = int(starts.size)
    values = pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    numbers = np.arange(block.first_line, block.first_line + n, dtype=np.int64)
    return Lines(values, numbers)


def decode_text(raw: bytes) -> str:
    """Raw line text for messages and the rejects file (undecodable bytes shown as \\xNN)."""
    return raw.rstrip(b"\r\n").decode("utf-8", errors="backslashreplace")


def utf8_error(raw: bytes) -> str | None:
    """Why ``raw`` is not valid UTF-8 (None when it is)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start + 1} of the line ({raw[exc.start : exc.start + 1]!r})"
    return None
