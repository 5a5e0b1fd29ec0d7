"""The ``posts`` table: readers (CSV, JSONL, Parquet, X API v2), validation, upserts, hashtag uses.

The X API v2 sample ``xapi_v2_search_veganbaking.jsonl`` is built by hand to the shape of a twarc2
``search recent`` export (response pages with ``data``, ``includes.users``, ``includes.tweets``,
``meta`` and twarc's ``__twarc`` key; tweet fields ``public_metrics`` with ``impression_count``,
``entities``, ``referenced_tweets``, ``edit_history_tweet_ids``); every count below was read off the
file by hand.  Real twarc2 responses are checked the same way in tests/store/test_x_api_real.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nichegraph.graph_store.errors import InputRejected
from nichegraph.graph_store.ingest import load_files

SAMPLE = "xapi_v2_search_veganbaking.jsonl"
HEADER = ["post_id", "author", "ts", "hashtags", "kind", "likes", "replies", "reposts", "quotes", "views", "platform"]


def _posts(store) -> dict[str, dict]:
    ids = store.read_accounts().column("id").to_pylist()
    out = {}
    for r in store.read_posts().to_pylist():
        r["author"] = ids[r["author"]]
        out[r["post_id"]] = r
    return out


def _csv(path, rows, header=HEADER):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_csv_posts_load_with_their_metrics(store, tmp_path):
    p = _csv(tmp_path / "posts.csv", [
        ["p1", "alice", "2024-05-01T10:00:00Z", "#Vegan #bread", "original", "10", "2", "1", "0", "400", "instagram"],
        ["p2", "alice", "2024-05-02T10:00:00Z", "", "", "", "", "", "", "", ""],
        ["p3", "bob", "1714600000", "vegan", "reply", "3", "", "", "", "", "x"],
        ["p4", "bob", "", "", "RT", "0", "0", "5", "0", "0", "x"],
    ])
    rep = load_files(store, posts=p)
    assert rep.counts.posts.rows == rep.counts.posts.inserted == 4
    assert rep.counts.new_endpoint_accounts == 2  # authors become accounts
    got = _posts(store)
    assert got["p1"] == {"author": "alice", "post_id": "p1", "ts": dt.datetime(2024, 5, 1, 10), "kind": "original",
                         "hashtags": ["Vegan", "bread"], "likes": 10, "replies": 2, "reposts": 1, "quotes": 0,
                         "views": 400, "platform": "instagram"}
    # an empty kind is an original post; an unreported metric is null (unknown), not 0
    assert got["p2"]["kind"] == "original" and got["p2"]["likes"] is None and got["p2"]["views"] is None
    assert got["p3"]["kind"] == "reply" and got["p3"]["ts"] == dt.datetime(2024, 5, 1, 21, 46, 40)
    assert got["p4"]["kind"] == "repost" and got["p4"]["ts"] is None
    assert store.counts()["posts"] == 4


def test_platform_spellings_of_metric_columns(store, tmp_path):
    p = _csv(tmp_path / "p.csv", [["9", "u1", "3", "4", "5", "6", "7000"]],
             header=["tweet_id", "author_id", "like_count", "reply_count", "retweet_count", "quote_count",
                     "impression_count"])
    load_files(store, posts=p)
    assert {k: v for k, v in _posts(store)["9"].items() if k in ("likes", "replies", "reposts", "quotes", "views")} \
        == {"likes": 3, "replies": 4, "reposts": 5, "quotes": 6, "views": 7000}


@pytest.mark.parametrize("row, field, reason", [
    (["", "a", "", "", "", "", "", "", "", "", ""], "post_id", "missing post_id"),
    (["p", "", "", "", "", "", "", "", "", "", ""], "author", "missing id"),
    (["p", "a", "", "", "story", "", "", "", "", "", ""], "kind", "unknown post kind 'story'"),
    (["p", "a", "", "", "", "-3", "", "", "", "", ""], "likes", "negative count -3"),
    (["p", "a", "", "", "", "", "", "", "", "1.5", ""], "views", "count '1.5' is not a non-negative integer"),
    (["p", "a", "yesterday", "", "", "", "", "", "", "", ""], "ts", "unparsable timestamp"),
])
def test_bad_post_rows_name_file_line_field_and_reason(store, tmp_path, row, field, reason):
    good = ["ok", "a", "", "", "", "", "", "", "", "", ""]
    p = _csv(tmp_path / "p.csv", [good, row])
    with pytest.raises(InputRejected) as ei:
        load_files(store, posts=p)
    (issue,) = ei.value.issues
    assert (issue.file, issue.line, issue.field) == (str(p), 3, field)
    assert issue.reason.startswith(reason)
    assert store.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}  # nothing half-written
    rejects = tmp_path / "rejects.csv"
    rep = load_files(store, posts=p, on_error="skip", rejects=rejects)
    assert rep.counts.posts.inserted == 1 and rep.files[0].rejected == 1
    with open(rejects) as f:
        assert next(csv.DictReader(f))["field"] == field


def test_posts_upsert_by_post_id(store, tmp_path):
    first = _csv(tmp_path / "a.csv", [["p1", "alice", "2024-05-01", "x", "", "10", "1", "", "", "", "x"],
                                      ["p1", "alice", "", "", "", "12", "", "", "", "", ""]])
    rep = load_files(store, posts=first)
    assert (rep.counts.posts.rows, rep.counts.posts.inserted, rep.counts.posts.duplicates) == (2, 1, 1)
    assert _posts(store)["p1"]["likes"] == 12 and _posts(store)["p1"]["replies"] == 1  # last non-null wins
    later = _csv(tmp_path / "b.csv", [["p1", "alice", "", "", "", "", "5", "", "", "900", ""],
                                      ["p2", "bob", "", "", "", "", "", "", "", "", ""]])
    rep = load_files(store, posts=later)
    c = rep.counts.posts
    assert (c.rows, c.inserted, c.existing, c.updated) == (2, 1, 1, 1)
    p1 = _posts(store)["p1"]
    assert (p1["likes"], p1["replies"], p1["views"], p1["hashtags"]) == (12, 5, 900, ["x"])  # nulls keep
    again = load_files(store, posts=later).counts.posts
    assert (again.inserted, again.existing, again.updated) == (0, 2, 0)


def test_jsonl_and_parquet_posts_equal_csv(tmp_path):
    from nichegraph.graph_store.duckdb_store import DuckDBStore

    rows = [{"post_id": "p1", "author": "a", "ts": "2024-05-01T00:00:00Z", "hashtags": ["t"], "kind": "quote",
             "likes": 4, "replies": 0, "reposts": 1, "quotes": 0, "views": 50, "platform": "x"},
            {"post_id": "p2", "author": "b", "kind": "original", "likes": 1}]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    table = pa.Table.from_pylist([{**r, "ts": dt.datetime(2024, 5, 1) if "ts" in r else None} for r in rows])
    pq.write_table(table, tmp_path / "p.parquet")
    got = []
    for name in ("p.jsonl", "p.parquet"):
        with DuckDBStore(":memory:") as st:
            load_files(st, posts=tmp_path / name)
            got.append(_posts(st))
    assert got[0] == got[1]
    assert got[0]["p1"]["kind"] == "quote" and got[0]["p1"]["views"] == 50 and got[0]["p2"]["likes"] == 1


def test_x_api_sample_counts_checked_by_hand(store, fx):
    rep = load_files(store, interactions=fx / SAMPLE)
    # 8 tweets in data (2001..2008) + 2 includes.tweets entries (2001 on page 1, 2003 on page 2): 10 rows, 8 posts
    assert (rep.counts.posts.rows, rep.counts.posts.inserted, rep.counts.posts.duplicates) == (10, 8, 2)
    # 2002: reply + mention of 10; 2003: quote of 10; 2004: repost of 10 (its mention skipped); 2007: reply + mention
    assert rep.counts.interactions.inserted == 6
    assert store.counts() == {"accounts": 4, "follows": 0, "interactions": 6, "posts": 8}
    posts = _posts(store)
    assert {p: r["kind"] for p, r in posts.items()} == {
        "2001": "original", "2002": "reply", "2003": "quote", "2004": "repost",
        "2005": "original", "2006": "original", "2007": "reply", "2008": "original"}
    assert posts["2001"] | {} == {
        "author": "10", "post_id": "2001", "ts": dt.datetime(2024, 5, 10, 8), "kind": "original",
        "hashtags": ["VeganBaking", "sourdough"], "likes": 164, "replies": 9, "reposts": 12, "quotes": 3,
        "views": 5210, "platform": "x"}
    assert posts["2006"]["views"] == 1_204_000 and posts["2006"]["author"] == "13"
    acc = {a["id"]: a for a in store.read_accounts().to_pylist()}
    assert acc["13"]["handle"] == "flourpower" and acc["13"]["followers_count"] == 2_300_000
    st = rep.files[0]
    assert st.rows == 8 and st.produced == {"accounts": 6, "posts": 10, "interactions": 6}


def test_hashtag_uses_count_a_post_once(store, fx, tmp_path):
    load_files(store, interactions=fx / SAMPLE)
    ids = store.read_accounts().column("id").to_pylist()
    uses = store.read_hashtag_uses().to_pylist()
    per = {}
    for u in uses:
        per[(ids[u["source"]], u["tag"])] = per.get((ids[u["source"]], u["tag"]), 0) + u["n"]
    # veganbaking: 10 in 2001 and 2005; 11 in 2003 and 2008; 12 in its retweet 2004
    assert per == {("10", "veganbaking"): 2, ("10", "sourdough"): 1, ("11", "veganbaking"): 2,
                   ("11", "glutenfree"): 1, ("12", "veganbaking"): 1, ("12", "sourdough"): 1}
    assert {(u["post_id"], u["ts"]) for u in uses if ids[u["source"]] == "11" and u["tag"] == "veganbaking"} == {
        ("2003", dt.datetime(2024, 5, 10, 11, 2, 51)), ("2008", dt.datetime(2024, 5, 13, 10, 20))}
    # an interaction whose post is not stored keeps counting once per event
    p = tmp_path / "i.csv"
    p.write_text("source,target,kind,post_id,hashtags\n12,10,mention,9001,VeganBaking\n12,11,mention,9001,VeganBaking\n")
    load_files(store, interactions=p)
    twelve = sum(u["n"] for u in store.read_hashtag_uses().to_pylist()
                 if ids[u["source"]] == "12" and u["tag"] == "veganbaking")
    assert twelve == 3


def test_x_api_file_under_posts_and_formats_that_hold_no_posts(store, fx):
    rep = load_files(store, posts=fx / SAMPLE)
    assert rep.counts.posts.inserted == 8 and rep.counts.interactions.inserted == 6
    with pytest.raises(InputRejected, match="posts are read from csv, parquet, jsonl or x-api-v2"):
        load_files(store, posts=fx / "higgs_small.txt")
