"""Bad rows: precise issues (file, line, field, reason), refusal leaves the store unchanged, skip mode."""

from __future__ import annotations

import csv
import gzip

import pytest

from nichegraph.graph_store.errors import InputRejected, RowIssue
from nichegraph.graph_store.ingest import load_files

from .conftest import dump

GOOD = "u1,u2,mention,2024-03-01T10:00:00Z,p1,,\n"
HEADER = "source,target,kind,ts,post_id,hashtags,weight\n"


def _write(path, data: bytes | str):
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# (file name, content, table, line, field, reason fragment)
CASES = [
    ("cols.csv", HEADER + GOOD + "u1,u2,mention\n", "interactions", 3, None, "wrong column count: expected 7 fields, found 3"),
    ("cols_many.csv", HEADER + GOOD + GOOD.strip() + ",x,y\n", "interactions", 3, None, "found 9"),
    ("noid.csv", HEADER + GOOD + " ,u2,reply,,,,\n", "interactions", 3, "source", "missing id"),
    ("notarget.csv", HEADER + "\n" + GOOD + "u1,,reply,,,,\n", "interactions", 4, "target", "missing id"),
    ("ts.csv", HEADER + GOOD + "u1,u2,reply,31/02/2024,,,\n", "interactions", 3, "ts", "unparsable timestamp '31/02/2024'"),
    ("ts_month.csv", HEADER + GOOD + "u1,u2,reply,2024-13-01T00:00:00,,,\n", "interactions", 3, "ts", "unparsable timestamp"),
    ("kind.csv", HEADER + GOOD + "u1,u2,poke,,,,\n", "interactions", 3, "kind", "unknown interaction kind 'poke'"),
    ("nokind.csv", HEADER + GOOD + "u1,u2,,,,,\n", "interactions", 3, "kind", "missing interaction kind"),
    ("weight.csv", HEADER + GOOD + "u1,u2,reply,,,,heavy\n", "interactions", 3, "weight", "bad weight 'heavy'"),
    ("weight0.csv", HEADER + GOOD + "u1,u2,reply,,,,0\n", "interactions", 3, "weight", "bad weight '0'"),
    ("neg.csv", "id,followers_count\na,1\nb,-3\n", "accounts", 3, "followers_count", "negative count -3"),
    ("frac.csv", "id,following_count\na,1\nb,2.5\n", "accounts", 3, "following_count", "not a non-negative integer"),
    ("since.tsv", "follower\tfollowee\tsince\na\tb\t2024-01-01\nb\ta\tsoon\n", "follows", 3, "since", "unparsable timestamp 'soon'"),
    ("snapcols.txt", "# c\n1 2\n1 2 3 4\n", "follows", 3, None, "wrong column count: expected 2 or 3"),
    ("snapw.txt", "1 2 1\n2 3 -4\n", "follows", 2, "weight", "bad weight '-4'"),
    ("higgskind.txt", "1 2 1341100972 RT\n1 2 1341100972 XX\n", "interactions", 2, "kind", "unknown interaction kind 'XX'"),
    ("higgsts.txt", "1 2 1341100972 RT\n1 2 noon MT\n", "interactions", 2, "ts", "unparsable timestamp 'noon'"),
    ("badjson.jsonl", '{"id": "a"}\n{"id": "b",\n', "accounts", 2, None, "not valid JSON"),
    ("notobj.jsonl", '{"id": "a"}\n[1, 2]\n', "accounts", 2, None, "expected a JSON object"),
    ("negjson.jsonl", '{"id": "a"}\n\n{"id": "b", "followers_count": -1}\n', "accounts", 3, "followers_count", "negative count -1"),
]


@pytest.mark.parametrize("name,content,table,line,field,reason", CASES, ids=[c[0] for c in CASES])
def test_bad_row_is_reported_precisely(store, tmp_path, name, content, table, line, field, reason):
    path = _write(tmp_path / name, content)
    kind = {"kind": "mention"} if name.startswith("snap") and table == "interactions" else {}
    with pytest.raises(InputRejected) as ei:
        load_files(store, **{table: path}, **kind)
    issues = ei.value.issues
    assert len(issues) == 1, issues
    i = issues[0]
    assert (i.file, i.line, i.field) == (str(path), line, field)
    assert reason in i.reason
    raw_lines = content.splitlines()
    assert i.text == raw_lines[line - 1]
    msg = str(ei.value)
    assert f"{path}:{line}:" in msg and reason in msg and "store was not changed" in msg
    if field:
        assert f"field {field!r}" in msg
    assert store.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}


@pytest.mark.parametrize("fmt,content,table,line", [
    ("csv", HEADER.encode() + GOOD.encode() + b"u1,caf\xe9,reply,,,,\n", "interactions", 3),
    ("jsonl", b'{"id": "a"}\n{"id": "caf\xe9"}\n', "accounts", 2),
    ("snap", b"1 2\ncaf\xe9 2\n", "follows", 2),
    ("higgs", b"1 2 1341100972 RT\n1 caf\xe9 1341100972 RT\n", "interactions", 2),
])
def test_invalid_utf8_is_a_bad_row(store, tmp_path, fmt, content, table, line):
    path = _write(tmp_path / f"latin1.{fmt}", content)
    with pytest.raises(InputRejected) as ei:
        load_files(store, **{table: path}, format=fmt)
    (i,) = ei.value.issues
    assert i.line == line and "invalid UTF-8" in i.reason
    assert "\\xe9" in i.text  # the undecodable byte is shown, not dropped


def test_line_numbers_survive_quoted_newlines_blank_lines_and_gzip(store, tmp_path):
    text = ("id,handle,affiliation,followers_count\n"
            "\n"
            'a,x,"line one\nline two\nline three",1\n'    # lines 3-5
            "\n"
            "b,y,plain,-1\n"                               # line 7
            '"c","z","quoted ""q"", and comma",2\n'        # line 8
            "d,w,,oops\n")                                 # line 9
    for name, data in (("plain.csv", text.encode()), ("zipped.csv.gz", gzip.compress(text.encode()))):
        path = _write(tmp_path / name, data)
        with pytest.raises(InputRejected) as ei:
            load_files(store, accounts=path)
        assert [(i.line, i.field) for i in ei.value.issues] == [(7, "followers_count"), (9, "followers_count")]
        assert ei.value.issues[0].text == "b,y,plain,-1"


def test_every_bad_row_of_a_file_is_listed(store, tmp_path):
    rows = [HEADER] + [f"u{i},v{i},bogus{i},,,,\n" for i in range(30)]
    path = _write(tmp_path / "many.csv", "".join(rows))
    with pytest.raises(InputRejected) as ei:
        load_files(store, interactions=path)
    assert [i.line for i in ei.value.issues] == list(range(2, 32))
    assert ei.value.total == 30
    assert "... and 10 more bad rows" in str(ei.value)


def test_refused_file_leaves_store_exactly_as_it_was(store, fx):
    load_files(store, accounts=fx / "accounts.csv", follows=fx / "follows.tsv", interactions=fx / "interactions.csv")
    before = dump(store)
    with pytest.raises(InputRejected):
        load_files(store, interactions=fx / "bad_interactions.csv")
    assert dump(store) == before
    # one transaction per call: a good file given with a bad one is not written either
    with pytest.raises(InputRejected):
        load_files(store, follows=fx / "edges.txt", accounts=fx / "bad_accounts.csv")
    assert dump(store) == before


def test_skip_mode_loads_good_rows_and_rejects_exactly_the_bad_ones(store, fx, tmp_path):
    rejects = tmp_path / "rejects.csv"
    report = load_files(store, interactions=fx / "bad_interactions.csv", on_error="skip", rejects=rejects)
    lines = (fx / "bad_interactions.csv").read_text().splitlines()
    bad_lines = [3, 4, 6, 7, 8, 9, 10]
    with open(rejects, newline="", encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0].keys()) == ["file", "line", "field", "reason", "text"]
    assert [int(r["line"]) for r in got] == bad_lines
    assert [r["text"] for r in got] == [lines[n - 1] for n in bad_lines]
    assert all(r["file"] == str(fx / "bad_interactions.csv") and r["reason"] for r in got)
    good = [n for n in range(2, len(lines) + 1) if n not in bad_lines and lines[n - 1].strip()]
    st = report.files[0]
    assert (st.rows, st.loaded, st.rejected, st.blank_lines) == (len(good) + len(bad_lines), len(good), 7, 1)
    assert report.rejected == 7
    assert sorted((s, t) for s, t, *_ in dump(store)["interactions"]) == sorted(
        (lines[n - 1].split(",")[0], lines[n - 1].split(",")[1]) for n in good)


def test_fail_mode_also_writes_rejects_when_asked(store, fx, tmp_path):
    rejects = tmp_path / "r.csv"
    with pytest.raises(InputRejected):
        load_files(store, accounts=fx / "bad_accounts.csv", rejects=rejects)
    with open(rejects, newline="", encoding="utf-8") as fh:
        assert [int(r["line"]) for r in csv.DictReader(fh)] == [3, 4, 5, 6]


def test_rejects_file_has_only_header_when_all_good(store, fx, tmp_path):
    rejects = tmp_path / "r.csv"
    load_files(store, accounts=fx / "accounts.csv", on_error="skip", rejects=rejects)
    assert rejects.read_text().strip() == "file,line,field,reason,text"


def test_missing_required_column_refuses_file(store, tmp_path):
    path = _write(tmp_path / "f.csv", "who,whom\na,b\n")
    with pytest.raises(InputRejected) as ei:
        load_files(store, follows=path, on_error="skip")
    msg = str(ei.value)
    assert f"{path}:1:" in msg and "no column 'follower'" in msg and "--column follower=COLUMN" in msg


def test_missing_input_file(store, tmp_path):
    from nichegraph.graph_store.errors import StoreError

    with pytest.raises(StoreError, match="does not exist"):
        load_files(store, follows=tmp_path / "nope.csv")


def test_row_issue_str():
    assert str(RowIssue("f.csv", 3, "ts", "bad")) == "f.csv:3: field 'ts': bad"


def test_crlf_line_endings(store, tmp_path):
    csv_path = _write(tmp_path / "crlf.csv", b"follower,followee,since\r\na,b,2024-01-01\r\n\r\nb,c,\r\nc,d,bad\r\n")
    snap_path = _write(tmp_path / "crlf.txt", b"# c\r\n1 2\r\n\r\n2 3 x\r\n")
    for path, line, text in ((csv_path, 5, "c,d,bad"), (snap_path, 4, "2 3 x")):
        with pytest.raises(InputRejected) as ei:
            load_files(store, follows=path)
        (i,) = ei.value.issues
        assert (i.line, i.text) == (line, text)
    rep = load_files(store, follows=[csv_path, snap_path], on_error="skip")
    assert store.counts()["follows"] == 3 and [f.blank_lines for f in rep.files] == [1, 1]


@pytest.mark.parametrize("content,line", [
    (b"follower,followee\na,b\rc,d\r", 2),          # old Mac line endings after a \n header
    (b"follower,followee\r\na,b\r\nc,d\re,f\r\n", 3),  # one bare \r among CRLF lines
])
def test_bare_carriage_return_is_refused_clearly(store, tmp_path, content, line):
    path = _write(tmp_path / "cr.csv", content)
    with pytest.raises(InputRejected) as ei:
        load_files(store, follows=path, on_error="skip")
    msg = str(ei.value)
    assert f"{path}:{line}:" in msg and "bare carriage return" in msg
    assert store.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}


@pytest.mark.parametrize("content,line", [
    (b'follower,followee\na,b"c\nd,e\n', 2),            # a stray quote opens a value that never closes
    (b'follower,followee\na,b\nx,"y\nz,w\n', 3),        # unterminated quoted value at the end
])
def test_unbalanced_quotes(store, tmp_path, content, line):
    path = _write(tmp_path / "q.csv", content)
    with pytest.raises(InputRejected) as ei:
        load_files(store, follows=path)
    (i,) = ei.value.issues
    assert i.line == line and "unbalanced quotes" in i.reason


def test_quote_inside_unquoted_value_is_literal(store, tmp_path):
    load_files(store, follows=_write(tmp_path / "q.csv", b'follower,followee\na,b"c"d\n'))
    assert dump(store)["follows"] == [("a", 'b"c"d', None)]


@pytest.mark.parametrize("block", [7, 64, 1000])
def test_tiny_blocks_give_the_same_result_and_lines(tmp_path, fx, monkeypatch, block):
    """Blocks cut anywhere (even inside quoted values) must not change rows, counts or line numbers."""
    from nichegraph.graph_store.duckdb_store import DuckDBStore
    from nichegraph.graph_store.ingest import _blocks

    inputs = dict(accounts=fx / "accounts.csv", follows=[fx / "follows.tsv", fx / "edges.txt"],
                  interactions=[fx / "interactions.csv", fx / "interactions.jsonl", fx / "tweets.jsonl",
                                fx / "higgs_small.txt"])
    with DuckDBStore(tmp_path / "ref.duckdb") as ref:
        ref_rep = load_files(ref, **inputs)
        expected = dump(ref)
    with pytest.raises(InputRejected) as ref_bad:
        load_files(DuckDBStore(":memory:"), interactions=fx / "bad_interactions.csv")
    monkeypatch.setattr(_blocks, "BLOCK_SIZE", block)
    with DuckDBStore(tmp_path / f"b{block}.duckdb") as st:
        rep = load_files(st, **inputs)
        assert dump(st) == expected
        assert [f.as_dict() for f in rep.files] == [f.as_dict() for f in ref_rep.files]
    with pytest.raises(InputRejected) as bad:
        load_files(DuckDBStore(":memory:"), interactions=fx / "bad_interactions.csv")
    assert bad.value.issues == ref_bad.value.issues


def test_runaway_quote_is_cut(store, tmp_path, monkeypatch):
    from nichegraph.graph_store.ingest import _blocks

    monkeypatch.setattr(_blocks, "BLOCK_SIZE", 32)
    monkeypatch.setattr(_blocks, "MAX_RECORD", 64)
    body = b"follower,followee\n" + b'a,"b\n' + b"".join(b"c%d,d%d\n" % (i, i) for i in range(50))
    path = _write(tmp_path / "q.csv", body)
    with pytest.raises(InputRejected) as ei:
        load_files(store, follows=path)
    assert ei.value.issues[0].line == 2 and "unbalanced quotes" in ei.value.issues[0].reason
