"""Load semantics: idempotent, incremental, empty files, huge / unicode / hostile ids, id case."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nichegraph.graph_store.ingest import load_files

from .conftest import dump

ALL = dict(accounts="accounts.csv", follows="follows.tsv", interactions="interactions.csv")


@pytest.mark.parametrize("table,name,extra", [
    ("accounts", "accounts.csv", {}), ("follows", "follows.tsv", {}), ("interactions", "interactions.csv", {}),
    ("interactions", "interactions.jsonl", {}), ("follows", "edges.txt", {}),
    ("interactions", "edges.txt", {"kind": "mention"}), ("interactions", "higgs_small.txt", {}),
    ("interactions", "tweets.jsonl", {}),
])
def test_loading_twice_changes_nothing(store, fx, table, name, extra):
    first = load_files(store, **{table: fx / name}, **extra)
    before = dump(store)
    second = load_files(store, **{table: fx / name}, **extra)
    assert dump(store) == before
    t = getattr(second.counts, table if name != "tweets.jsonl" else "interactions")
    assert t.inserted == 0 and second.counts.new_endpoint_accounts == 0
    assert second.files[0].loaded == first.files[0].loaded


def test_incremental_loads_add(store, fx, tmp_path):
    load_files(store, follows=fx / "follows.tsv")
    c1 = store.counts()
    more = tmp_path / "more.tsv"
    more.write_text("follower\tfollowee\nu1\tu9\nu9\tu1\nu1\tu2\n")
    rep = load_files(store, follows=more)
    assert rep.counts.follows.inserted == 2 and rep.counts.follows.existing == 1
    assert rep.counts.new_endpoint_accounts == 1
    assert store.counts() == {**c1, "follows": c1["follows"] + 2, "accounts": c1["accounts"] + 1}
    # and everything at once equals the sum of the parts
    load_files(store, **{k: fx / v for k, v in ALL.items()})
    d = dump(store)
    assert ("u9", "u1", None) in d["follows"] and d["accounts"]["u2"]["handle"] == "Zoë_Ünïcødé"


@pytest.mark.parametrize("name,content,table,fmt", [
    ("empty.csv", b"", "follows", "csv"),
    ("header_only.csv", b"follower,followee\n", "follows", "csv"),
    ("header_only_nonl.csv", b"follower,followee", "follows", "csv"),
    ("blank.csv", b"\n\n\n", "follows", "csv"),
    ("empty.txt", b"", "follows", "snap"),
    ("comments.txt", b"# nothing\n\n", "follows", "snap"),
    ("empty.jsonl", b"", "accounts", "jsonl"),
    ("blank.jsonl", b"\n  \n", "accounts", "jsonl"),
    ("empty_higgs.txt", b"", "interactions", "higgs"),
    ("empty_x.jsonl", b"", "interactions", "x-api-v2"),
])
def test_empty_files_load_nothing(store, tmp_path, name, content, table, fmt):
    p = tmp_path / name
    p.write_bytes(content)
    rep = load_files(store, **{table: p}, format=fmt)
    assert store.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}
    st = rep.files[0]
    assert (st.rows, st.loaded, st.rejected) == (0, 0, 0)


def test_empty_auto_detected_files(store, tmp_path):
    for name in ("a.csv", "b.txt", "c.jsonl"):
        (tmp_path / name).write_bytes(b"")
    load_files(store, follows=[tmp_path / "a.csv", tmp_path / "b.txt"], accounts=tmp_path / "c.jsonl")
    assert store.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}


def test_empty_parquet(store, tmp_path):
    pq.write_table(pa.table({"follower": pa.array([], pa.string()), "followee": pa.array([], pa.string())}),
                   tmp_path / "e.parquet")
    load_files(store, follows=tmp_path / "e.parquet")
    assert store.counts()["follows"] == 0


HUGE = "x" * 10_000
TWENTY = "12345678901234567890"          # beyond int64 and float64 precision
NINETEEN = "9223372036854775807"         # int64 max
LEADING = "007"                          # leading zeros must survive


def test_huge_ids_are_exact_strings(store, tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text(f"follower,followee\n{HUGE},{TWENTY}\n{NINETEEN},{LEADING}\n")
    snap = tmp_path / "e.txt"
    snap.write_text(f"{TWENTY} {NINETEEN}1 2\n{LEADING} {HUGE}\n")
    js = tmp_path / "i.jsonl"
    js.write_text(f'{{"source": {TWENTY}, "target": {NINETEEN}9, "kind": "mention"}}\n'
                  f'{{"source": "{HUGE}", "target": 1e400, "kind": "reply"}}\n')
    pqf = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": [TWENTY + "1", HUGE + "y"]}), pqf)
    load_files(store, follows=[csv, snap], interactions=js, accounts=pqf)
    ids = set(dump(store)["accounts"])
    assert {HUGE, TWENTY, NINETEEN, LEADING, NINETEEN + "1", TWENTY + "1", HUGE + "y", NINETEEN + "9", "1e400"} <= ids
    assert not any("e+" in i or i.endswith(".0") for i in ids)
    f = dump(store)["follows"]
    assert (HUGE, TWENTY, None) in f and (NINETEEN, LEADING, None) in f and (TWENTY, NINETEEN + "1", None) in f


HOSTILE = [
    "'); DROP TABLE accounts;--",
    "} RETURN n //",
    "a\"b",
    "x' OR '1'='1",
    "MATCH (n) DETACH DELETE n",
    "$param",
    "back\\slash",
    "{id: 1}",
]


def test_ids_that_look_like_sql_or_cypher_are_plain_values(store, tmp_path):
    p = tmp_path / "i.jsonl"
    p.write_text("".join(json.dumps({"source": h, "target": HOSTILE[0], "kind": "mention", "post_id": h,
                                     "hashtags": [h]}) + "\n" for h in HOSTILE))
    a = tmp_path / "a.csv"
    a.write_text("id,handle\n" + "".join(f'"{h.replace(chr(34), chr(34) * 2)}","{h.replace(chr(34), chr(34) * 2)}"\n'
                                         for h in HOSTILE))
    load_files(store, interactions=p, accounts=a)
    d = dump(store)
    assert set(d["accounts"]) == set(HOSTILE)
    assert all(d["accounts"][h]["handle"] == h for h in HOSTILE)
    assert sorted(r[4] for r in d["interactions"]) == sorted(HOSTILE)
    assert store.counts() == {"accounts": len(HOSTILE), "follows": 0, "interactions": len(HOSTILE), "posts": 0}


def test_unicode_handles_and_ids(store, fx, tmp_path):
    load_files(store, accounts=fx / "accounts.csv")
    acc = dump(store)["accounts"]
    assert acc["u3"]["handle"] == "日本語ハンドル" and acc["u4"]["handle"] == "مرحبا" and acc["u5"]["handle"] == "🦊fox"
    p = tmp_path / "u.txt"
    p.write_text("Zoë 日本 2\n🦊 Zoë\n", encoding="utf-8")
    load_files(store, follows=p)
    assert ("Zoë", "日本", None) in dump(store)["follows"] and ("🦊", "Zoë", None) in dump(store)["follows"]


def test_lowercase_ids_option(store, fx):
    from nichegraph.graph_store.ingest import load_mapping

    load_files(store, follows=fx / "my_follows.csv", columns=load_mapping(fx / "my_follows.toml"))
    assert set(dump(store)["accounts"]) == {"alice", "bob", "carol"}
    load_files(store, follows=fx / "follows.tsv", columns=load_mapping(None, ids="lower"))
    assert "u1" in dump(store)["accounts"]


def test_ids_are_trimmed(store, tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("follower,followee\n a , b\n")
    load_files(store, follows=p)
    assert dump(store)["follows"] == [("a", "b", None)]


def test_progress_reports_bytes_up_to_the_file_size(store, fx):
    seen = []
    load_files(store, interactions=fx / "interactions.csv", progress=lambda st, done, total: seen.append((done, total)))
    size = (fx / "interactions.csv").stat().st_size
    assert seen and seen[-1] == (size, size)
    assert all(0 <= d <= t == size for d, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_bom_leading_blank_lines_and_blank_lines_inside_quotes(store, tmp_path):
    a = tmp_path / "a.csv"
    a.write_bytes(b"\xef\xbb\xbffollower,followee\r\na,b\r\nb,c")  # BOM, CRLF, no final newline
    b = tmp_path / "b.csv"
    b.write_bytes(b'\n\nfollower,followee\nx,"y\n\nz"\n\nq,w\n')
    rep = load_files(store, follows=[a, b])
    assert [(f.rows, f.blank_lines) for f in rep.files] == [(2, 0), (2, 3)]
    assert dump(store)["follows"] == [("a", "b", None), ("b", "c", None), ("q", "w", None), ("x", "y\n\nz", None)]
