"""Each input format loads exactly what a slow, obvious reference parser reads from the same file."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nichegraph.graph_store.errors import InputRejected
from nichegraph.graph_store.ingest import detect_format, load_files, load_mapping

from .conftest import KIND_MAP, dump, events, ref_ts


def _csv_rows(path, delimiter=","):
    with open(path, newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter=delimiter) if any(v for v in r.values())]


def _none(v):
    return None if v is None or v.strip() == "" else v.strip()


def test_csv_accounts_match_reference(store, fx):
    report = load_files(store, accounts=fx / "accounts.csv")
    ref = {r["id"]: r for r in _csv_rows(fx / "accounts.csv")}
    got = dump(store)["accounts"]
    assert set(got) == set(ref)
    for i, r in ref.items():
        a = got[i]
        assert a["handle"] == _none(r["handle"])
        assert a["platform"] == _none(r["platform"])
        assert a["affiliation"] == _none(r["affiliation"])
        for c in ("followers_count", "following_count"):
            assert a[c] == (None if _none(r[c]) is None else int(float(r[c])))
    st = report.files[0]
    assert (st.rows, st.loaded, st.rejected, st.format) == (len(ref), len(ref), 0, "csv")
    assert report.counts.accounts.inserted == len(ref)


def test_tsv_follows_match_reference(store, fx):
    report = load_files(store, follows=fx / "follows.tsv")
    rows = _csv_rows(fx / "follows.tsv", "\t")
    earliest: dict = {}
    for r in rows:
        key = (r["follower"], r["followee"])
        ts = ref_ts(r["since"])
        old = earliest.get(key, "unset")
        earliest[key] = ts if old == "unset" else (min(x for x in (old, ts) if x is not None)
                                                   if (old or ts) else None)
    assert dump(store)["follows"] == sorted((a, b, ts) for (a, b), ts in earliest.items())
    c = report.counts.follows
    assert c.rows == len(rows)
    assert c.duplicates == len(rows) - len(earliest)
    assert c.self_loops == sum(r["follower"] == r["followee"] for r in rows)


def _ref_interactions_csv(path):
    out = []
    for r in _csv_rows(path):
        tags = _none(r["hashtags"])
        out.append((r["source"], r["target"], KIND_MAP[r["kind"].lower()], ref_ts(r["ts"]), _none(r["post_id"]),
                    tuple(t.lstrip("#") for t in tags.split()) if tags else None,
                    float(r["weight"]) if _none(r["weight"]) else 1.0))
    return sorted(out, key=repr)


def test_csv_interactions_match_reference(store, fx):
    report = load_files(store, interactions=fx / "interactions.csv")
    assert events(dump(store)) == _ref_interactions_csv(fx / "interactions.csv")
    st = report.files[0]
    assert st.blank_lines == 1
    assert report.counts.interactions.duplicates == 1  # the last row repeats the first
    assert report.counts.interactions.self_loops == 1


def test_gzip_loads_like_plain(tmp_path, fx):
    from nichegraph.graph_store.duckdb_store import DuckDBStore

    gz = tmp_path / "interactions.csv.gz"
    with open(fx / "interactions.csv", "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    with DuckDBStore(tmp_path / "a.duckdb") as a, DuckDBStore(tmp_path / "b.duckdb") as b:
        load_files(a, interactions=fx / "interactions.csv")
        rep = load_files(b, interactions=gz)
        assert rep.files[0].format == "csv"
        assert dump(a)["interactions"] == dump(b)["interactions"]


def test_parquet_typed_columns(store, tmp_path):
    ts = [dt.datetime(2024, 3, 1, 10), None, dt.datetime(2024, 3, 2, 8, 30)]
    tbl = pa.table({
        "source": pa.array([12345678901234567, 2, 3], pa.int64()),  # integer ids become exact text
        "target": pa.array([2, 3, 12345678901234567], pa.int64()),
        "kind": ["MT", "reply", "quote"],
        "ts": pa.array(ts, pa.timestamp("ms")),
        "hashtags": [["a", "b"], None, []],
        "weight": [1.0, 2.5, None],
        "extra": ["ignored", "x", "y"],
    })
    path = tmp_path / "i.parquet"
    pq.write_table(tbl, path, row_group_size=2)
    with pytest.raises(InputRejected, match="column 'extra' is not among the interactions fields"):
        load_files(store, interactions=path)  # no column is dropped without a word
    report = load_files(store, interactions=path, columns=load_mapping(ignore=["extra"]))
    assert report.files[0].format == "parquet"
    assert events(dump(store)) == sorted([
        ("12345678901234567", "2", "mention", ts[0], None, ("a", "b"), 1.0),
        ("2", "3", "reply", None, None, None, 2.5),
        ("3", "12345678901234567", "quote", ts[2], None, (), 1.0),
    ], key=repr)


def test_parquet_follows_and_accounts(store, tmp_path):
    pq.write_table(pa.table({"id": ["a", "b"], "handle": ["Ä", None], "followers_count": [5, None]}),
                   tmp_path / "acc.parquet")
    pq.write_table(pa.table({"follower": ["a"], "followee": ["b"], "since": ["2024-01-01"]}), tmp_path / "f.parquet")
    load_files(store, accounts=tmp_path / "acc.parquet", follows=tmp_path / "f.parquet")
    d = dump(store)
    assert d["accounts"]["a"]["handle"] == "Ä" and d["accounts"]["a"]["followers_count"] == 5
    assert d["follows"] == [("a", "b", dt.datetime(2024, 1, 1))]


def test_jsonl_interactions(store, fx):
    report = load_files(store, interactions=fx / "interactions.jsonl")
    ref = []
    for line in (fx / "interactions.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        ref.append((str(o["source"]), o["target"], KIND_MAP[o["kind"].lower()], ref_ts(o.get("ts")),
                    o.get("post_id"), tuple(o["hashtags"]) if "hashtags" in o else None, float(o.get("weight", 1.0))))
    assert events(dump(store)) == sorted(ref, key=repr)
    assert "12345678901234567890" in dump(store)["accounts"]  # a 20-digit JSON number kept exactly
    assert report.files[0].blank_lines == 1


def _ref_snap(path):
    rows, comments, blanks = [], 0, 0
    for line in path.read_text().splitlines():
        s = line.strip()
        if not s:
            blanks += 1
        elif s.startswith("#"):
            comments += 1
        else:
            rows.append(s.split())
    return rows, comments, blanks


def test_snap_as_follows(store, fx):
    report = load_files(store, follows=fx / "edges.txt")
    rows, comments, blanks = _ref_snap(fx / "edges.txt")
    assert dump(store)["follows"] == sorted({(r[0], r[1], None) for r in rows})
    st = report.files[0]
    assert (st.format, st.rows, st.comment_lines, st.blank_lines) == ("snap", len(rows), comments, blanks)


def test_snap_as_interactions_with_kind(store, fx):
    load_files(store, interactions=fx / "edges.txt", kind="reply")
    rows, _, _ = _ref_snap(fx / "edges.txt")
    ref = sorted(((r[0], r[1], "reply", None, None, None, float(r[2]) if len(r) > 2 else 1.0) for r in rows), key=repr)
    assert events(dump(store)) == ref


def test_snap_interactions_need_a_kind(store, fx):
    with pytest.raises(InputRejected, match="--kind"):
        load_files(store, interactions=fx / "edges.txt")
    assert store.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}


def test_higgs_small_matches_reference(store, fx):
    load_files(store, interactions=fx / "higgs_small.txt")
    ref = []
    for line in (fx / "higgs_small.txt").read_text().splitlines():
        a, b, t, k = line.split()
        ref.append((a, b, {"RT": "repost", "MT": "mention", "RE": "reply"}[k],
                    dt.datetime.fromtimestamp(int(t), dt.UTC).replace(tzinfo=None), None, None, 1.0))
    assert events(dump(store)) == sorted(ref, key=repr)


def test_x_api_v2(store, fx):
    report = load_files(store, interactions=fx / "tweets.jsonl")
    t = lambda s: dt.datetime.fromisoformat(s)  # noqa: E731
    expected = [
        ("1", "2", "mention", t("2024-03-01T10:00:00"), "100", ("NicheGraph",), 1.0),
        ("1", "3", "mention", t("2024-03-01T10:00:00"), "100", ("NicheGraph",), 1.0),
        ("2", "1", "reply", t("2024-03-01T11:00:00"), "101", None, 1.0),
        ("2", "1", "mention", t("2024-03-01T11:00:00"), "101", None, 1.0),
        ("3", "1", "repost", t("2024-03-01T12:00:00"), "102", ("NicheGraph",), 1.0),  # author from includes.tweets
        ("4", "3", "quote", t("2024-03-02T08:30:00"), "103", None, 1.0),  # +01:00 -> UTC; author from data tweet 102
    ]
    assert events(dump(store)) == sorted(expected, key=repr)
    acc = dump(store)["accounts"]
    assert acc["1"]["handle"] == "alice" and acc["1"]["followers_count"] == 1200 and acc["1"]["following_count"] == 300
    assert acc["2"]["platform"] == "x" and acc["2"]["followers_count"] == 45000
    assert acc["3"]["handle"] == "carol" and acc["3"]["followers_count"] is None
    assert "4" in acc and acc["4"]["handle"] is None  # author only: an endpoint account
    st = report.files[0]
    assert st.format == "x-api-v2" and st.rows == 5  # tweets 100..104
    assert st.skipped == {
        "mentions inside retweets (they belong to the original tweet)": 1,
        "replied_to references (the reply comes from in_reply_to_user_id)": 1,
        "quote/repost references whose tweet's author is not in the file": 1,
        "tweets without any mention, reply, quote or repost (loaded as posts only)": 1,
        "lines without tweets (a page with no data)": 1,
    }
    assert st.produced == {"accounts": 3, "interactions": 6, "posts": 6}  # 5 tweets + 1 includes.tweets entry


def test_x_api_bad_created_at_and_missing_author(store, tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text("\n".join([
        json.dumps({"id": "1", "author_id": "9", "created_at": "2024-03-01T10:00:00Z",
                    "entities": {"mentions": [{"id": "8"}]}}),
        json.dumps({"id": "2", "author_id": "9", "created_at": "not a time", "in_reply_to_user_id": "8"}),
        json.dumps({"id": "3", "created_at": "2024-03-01T10:00:00Z", "in_reply_to_user_id": "8"}),
    ]) + "\n")
    with pytest.raises(InputRejected) as ei:
        load_files(store, interactions=p)
    got = [(i.line, i.field, i.reason.split(" ")[0]) for i in ei.value.issues]
    assert got == [(2, "created_at", "unparsable"), (3, "author_id", "missing")]
    assert store.counts()["interactions"] == 0


@pytest.mark.parametrize("name,fmt", [
    ("accounts.csv", "csv"), ("follows.tsv", "csv"), ("interactions.jsonl", "jsonl"), ("edges.txt", "snap"),
    ("higgs_small.txt", "higgs"), ("tweets.jsonl", "x-api-v2"), ("my_follows.csv", "csv"),
])
def test_detect_format(fx, name, fmt):
    assert detect_format(fx / name) == fmt


def test_explicit_format_overrides_detection(store, fx, tmp_path):
    p = tmp_path / "log.data"
    shutil.copy(fx / "higgs_small.txt", p)
    rep = load_files(store, interactions=p, format="higgs")
    assert rep.files[0].format == "higgs" and store.counts()["interactions"] == 5


def test_x_api_bad_json_line_in_skip_mode(store, fx, tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text((fx / "tweets.jsonl").read_text() + '{"id": "105", "author_id": \n')
    rep = load_files(store, interactions=p, on_error="skip")
    st = rep.files[0]
    assert (st.rows, st.rejected) == (6, 1) and store.counts()["interactions"] == 6


def test_x_api_issue_text_is_the_tweet_not_the_page(store, tmp_path):
    page = {"data": [{"id": "1", "author_id": "9", "in_reply_to_user_id": "8"},
                     {"id": "2", "author_id": "9", "created_at": "later", "in_reply_to_user_id": "8"}],
            "includes": {"users": [{"id": "9", "username": "nine", "public_metrics": {"followers_count": -2}}]}}
    p = tmp_path / "t.jsonl"
    p.write_text("\n" + json.dumps(page) + "\n")
    rej = tmp_path / "r.csv"
    rep = load_files(store, interactions=p, on_error="skip", rejects=rej)
    import csv as _csv

    rows = list(_csv.DictReader(open(rej, newline="")))
    assert sorted((r["line"], r["field"]) for r in rows) == [("2", "created_at"), ("2", "public_metrics.followers_count")]
    texts = {r["field"]: json.loads(r["text"]) for r in rows}
    assert texts["created_at"]["id"] == "2" and texts["public_metrics.followers_count"]["username"] == "nine"
    assert rep.files[0].rejected == 2 and store.counts()["interactions"] == 1
