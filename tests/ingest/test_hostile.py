"""Hostile inputs for every supported format, through the real CLI in a subprocess.

Each case writes a truncated, corrupt, oversized, wrongly typed or wrongly encoded file and loads
it into a store that already holds data.  Every one must be refused with exit code 2, a message
naming the file and the line (or byte offset) and the reason, no traceback, and the store file
byte-identical before and after (nothing was written, not even a checkpoint).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import FIXTURES

MIB = 1 << 20


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, rss_file: Path | None = None
            ) -> subprocess.CompletedProcess:
    """The real ``nichegraph`` entry point in a fresh interpreter (the user's view: exit code and text).

    With ``rss_file``, the child writes its own peak resident memory (KiB) there as it exits.
    """
    code = ("import sys, resource\nfrom nichegraph.api.cli import main\nsys.argv = ['nichegraph', *sys.argv[2:]]\n"
            "try:\n    main()\nfinally:\n    if sys.argv and len(sys.argv) and __import__('os').environ.get('RSS_FILE'):\n"
            "        open(__import__('os').environ['RSS_FILE'], 'w').write("
            "str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n")
    full_env = {**os.environ, "COLUMNS": "400", **(env or {})}
    if rss_file is not None:
        full_env["RSS_FILE"] = str(rss_file)
    return subprocess.run([sys.executable, "-c", code, "-", *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A store holding the fixture interactions; each test works on its own copy."""
    store = tmp_path_factory.mktemp("seed") / "seed.duckdb"
    r = run_cli("load", "--store", str(store), "--interactions", str(FIXTURES / "interactions.csv"), "-q")
    assert r.returncode == 0, r.stderr
    return store


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1)


def _truncated_gz(data: bytes) -> bytes:
    z = _gz(data)
    return z[: len(z) // 2]


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _bad_utf8_parquet() -> bytes:
    good = pa.array([b"a\xff\xfe", b"b"], pa.binary())
    text = pa.Array.from_buffers(pa.string(), 2, good.buffers())  # the bytes relabelled as text, unchecked
    return _parquet_bytes(pa.table({"source": text, "target": ["b", "c"], "kind": ["mention", "mention"]}))


CSV_HEAD = b"source,target,kind,ts\n"
TWEET = {"id": "1", "author_id": "7", "created_at": "2024-03-01T10:00:00Z",
         "entities": {"mentions": [{"id": "8", "username": "h"}]}}
TWEETS = (json.dumps(TWEET) + "\n").encode() * 50

# (case id, file name, table flag, extra CLI args, content, expected substrings of stderr)
CASES = [
    # csv / tsv, plain and gzip
    ("csv-truncated-gz", "i.csv.gz", "--interactions", [], _truncated_gz(CSV_HEAD + b"a,b,mention,\n" * 20000),
     ["i.csv.gz", "cannot decompress", "truncated", "byte"]),
    ("csv-small-truncated-gz", "i.csv.gz", "--interactions", [], _gz(CSV_HEAD + b"a,b,mention,\n" * 3)[:-6],
     ["i.csv.gz", "cannot decompress", "truncated"]),
    ("csv-gz-trailing-garbage", "i.csv.gz", "--interactions", [], _gz(CSV_HEAD + b"a,b,mention,\n") + b"garbage!",
     ["i.csv.gz", "cannot decompress", "trailing garbage"]),
    ("csv-oversized-line", "i.csv", "--interactions", [], CSV_HEAD + b"a,b,mention,\n" + b"c," + b"x" * (MIB + 10)
     + b",mention,\n", ["i.csv:3:", "longer than 1,048,576 bytes"]),
    ("csv-gz-nul-bomb", "i.csv.gz", "--interactions", [], _gz(CSV_HEAD + b"a,b,mention,\n" + b"\0" * (32 * MIB)),
     ["i.csv.gz:3:", "longer than 1,048,576 bytes"]),
    ("csv-wrong-type", "a.csv", "--accounts", [], b"id,followers_count\nu1,10\nu2,many\n",
     ["a.csv:3:", "followers_count", "not a non-negative integer"]),
    ("csv-latin1", "i.csv", "--interactions", [], CSV_HEAD + "z\u00e9,b,mention,\n".encode("latin-1"),
     ["i.csv:2:", "invalid UTF-8"]),
    ("csv-unknown-column", "i.csv", "--interactions", [], b"source,target,kind,text\na,b,mention,hi\n",
     ["i.csv:1:", "'text'", "--ignore-column text"]),
    ("csv-nul-in-id", "i.csv", "--interactions", [], CSV_HEAD + b"a\0b,c,mention,\n", ["i.csv:2:", "NUL byte"]),
    ("csv-year-0", "i.csv", "--interactions", [], CSV_HEAD + b"a,b,mention,0000-06-01\n",
     ["i.csv:2:", "outside the years 1 to 9999"]),
    ("csv-unix-ms", "i.csv", "--interactions", [], CSV_HEAD + b"a,b,mention,1709287200000\n",
     ["i.csv:2:", "looks like milliseconds", "--timestamp-format unix_ms"]),
    ("tsv-wrong-width", "f.tsv", "--follows", [], b"follower\tfollowee\na\tb\nc\td\te\n",
     ["f.tsv:3:", "wrong column count"]),
    ("csv-binary", "i.csv", "--interactions", [], CSV_HEAD + bytes(range(256)) * 4096, ["i.csv:3:", "carriage return"]),
    # parquet
    ("parquet-truncated", "i.parquet", "--interactions", [],
     _parquet_bytes(pa.table({"source": ["a"], "target": ["b"], "kind": ["mention"]}))[:40],
     ["i.parquet", "not a readable Parquet file"]),
    ("parquet-nested-id", "i.parquet", "--interactions", [],
     _parquet_bytes(pa.table({"source": [["a"]], "target": ["b"], "kind": ["mention"]})),
     ["i.parquet", "field 'source'", "list"]),
    ("parquet-invalid-utf8", "i.parquet", "--interactions", [], _bad_utf8_parquet(),
     ["i.parquet:1:", "field 'source'", "invalid UTF-8"]),
    ("parquet-overflowing-float", "a.parquet", "--accounts", [],
     _parquet_bytes(pa.table({"id": ["a"], "followers_count": [1e300]})),
     ["a.parquet:1:", "followers_count", "not an integer of 64 bits"]),
    ("parquet-overflowing-ts", "i.parquet", "--interactions", [],
     _parquet_bytes(pa.table({"source": ["a"], "target": ["b"], "kind": ["mention"], "ts": [1e300]})),
     ["i.parquet:1:", "field 'ts'", "unix time"]),
    # json lines
    ("jsonl-truncated", "i.jsonl", "--interactions", [],
     b'{"source": "a", "target": "b", "kind": "mention"}\n{"source": "a", "tar', ["i.jsonl:2:", "not valid JSON"]),
    ("jsonl-wrong-type", "i.jsonl", "--interactions", [],
     b'{"source": "a", "target": "b", "kind": "mention"}\n{"source": {"x": 1}, "target": "b", "kind": "mention"}\n',
     ["i.jsonl:2:", "wrong type"]),
    ("jsonl-latin1", "i.jsonl", "--interactions", [],
     '{"source": "a", "target": "b", "kind": "mention"}\n{"source": "\u00e9", "target": "b", "kind": "mention"}\n'
     .encode("latin-1"), ["i.jsonl:2:", "invalid UTF-8"]),
    ("jsonl-oversized", "i.jsonl", "--interactions", [],
     b'{"source": "a", "target": "b", "kind": "mention"}\n{"source": "' + b"x" * (2 * MIB) + b'"}\n',
     ["i.jsonl:2:", "longer than"]),
    # snap edge lists
    ("snap-truncated-gz", "e.txt.gz", "--follows", ["--format", "snap"], _truncated_gz(b"1 2\n" * 100000),
     ["e.txt.gz", "cannot decompress"]),
    ("snap-wrong-width", "e.txt", "--follows", ["--format", "snap"], b"1 2\n3 4 5 6 7\n", ["e.txt:2:"]),
    ("snap-latin1", "e.txt", "--follows", ["--format", "snap"], b"1 2\n\xe9 4\n", ["e.txt:2:", "invalid UTF-8"]),
    # higgs activity log
    ("higgs-bad-kind", "h.txt", "--interactions", ["--format", "higgs"], b"1 2 1341100972 MT\n1 2 1341100972 ZZ\n",
     ["h.txt:2:"]),
    ("higgs-bad-time", "h.txt", "--interactions", ["--format", "higgs"], b"1 2 1341100972 MT\n1 2 soon RT\n",
     ["h.txt:2:"]),
    ("higgs-truncated-gz", "h.txt.gz", "--interactions", ["--format", "higgs"],
     _truncated_gz(b"1 2 1341100972 MT\n" * 50000), ["h.txt.gz", "cannot decompress"]),
    # x api v2
    ("xapi-truncated", "t.jsonl", "--interactions", ["--format", "x-api-v2"], TWEETS + TWEETS[:40],
     ["t.jsonl:51:", "not valid JSON"]),
    ("xapi-wrong-type", "t.jsonl", "--interactions", ["--format", "x-api-v2"],
     TWEETS + b'{"id": "2", "author_id": "7", "entities": {"mentions": "everyone"}}\n', ["t.jsonl:51:"]),
    ("xapi-latin1", "t.jsonl", "--interactions", ["--format", "x-api-v2"],
     TWEETS + '{"id": "3", "author_id": "\u00e9"}\n'.encode("latin-1"), ["t.jsonl:51:", "invalid UTF-8"]),
    ("xapi-truncated-gz", "t.jsonl.gz", "--interactions", ["--format", "x-api-v2"], _truncated_gz(TWEETS * 200),
     ["t.jsonl.gz", "cannot decompress"]),
]


@pytest.mark.parametrize("name,filename,flag,extra,content,expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_refused_cleanly(seeded, tmp_path, name, filename, flag, extra, content, expected):
    store = tmp_path / "s.duckdb"
    store.write_bytes(seeded.read_bytes())
    before = sha256(store)
    path = tmp_path / filename
    path.write_bytes(content)
    r = run_cli("load", "--store", str(store), flag, str(path), *extra, "-q")
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    message = r.stderr.replace(str(tmp_path) + os.sep, "")
    for text in expected:
        assert text in message, (text, message)
    assert "the store was not changed" in message
    assert sha256(store) == before
    assert not list(tmp_path.glob("s.duckdb.wal"))


def test_gzip_bomb_of_nuls_keeps_memory_bounded(tmp_path):
    """A 256 MiB run of NULs without a newline (a 256 KiB gzip) is refused by the line limit, not buffered."""

    def peak_rss_kib(path: Path) -> tuple[int, subprocess.CompletedProcess]:
        rss = tmp_path / f"{path.stem}.rss"
        r = run_cli("load", "--store", str(tmp_path / f"{path.stem}.duckdb"), "--interactions", str(path), "-q",
                    rss_file=rss)
        return int(rss.read_text()), r

    small = tmp_path / "small.csv"
    small.write_bytes(CSV_HEAD + b"a,b,mention,\n")
    base_kib, r = peak_rss_kib(small)
    assert r.returncode == 0, r.stderr
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        fh.write(CSV_HEAD + b"a,b,mention,\n")
        for _ in range(256):
            fh.write(b"\0" * MIB)
    assert bomb.stat().st_size < MIB
    peak_kib, r = peak_rss_kib(bomb)
    assert r.returncode == 2 and "bomb.csv.gz:3: the line is longer than 1,048,576 bytes" in r.stderr, r.stderr
    assert peak_kib - base_kib < 64 * 1024, (base_kib, peak_kib)  # far below the 256 MiB it would take to buffer
