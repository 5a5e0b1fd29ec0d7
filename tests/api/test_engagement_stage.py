"""The engagement stage end to end: `load` -> `analyze` -> `rank --by engagement`, against plain-Python references.

The X API v2 sample is the hand-built twarc2-shaped file of tests/ingest/test_posts.py; the
numbers of docs/metrics.md's worked example are checked here on the stored run.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nichegraph.api.analysis import run_analysis
from nichegraph.api.cli import app
from nichegraph.api.stages.engagement import EngagementParams
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.ingest import load_files

FX = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
SAMPLE = FX / "xapi_v2_search_veganbaking.jsonl"
runner = CliRunner()


def _reference(path: Path) -> dict[str, dict]:
    """Per author: raw median by followers and by views, from the JSON by hand (every post is in the window)."""
    pages = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    followers = {u["id"]: u["public_metrics"]["followers_count"] for p in pages for u in p["includes"]["users"]}
    by_f: dict[str, list[float]] = {}
    by_v: dict[str, list[float]] = {}
    for t in (t for p in pages for t in p["data"]):
        if any(r["type"] == "retweeted" for r in t.get("referenced_tweets", [])):
            continue
        m = t["public_metrics"]
        e = m["like_count"] + m["reply_count"] + m["retweet_count"] + m["quote_count"]
        by_f.setdefault(t["author_id"], []).append(e / followers[t["author_id"]])
        by_v.setdefault(t["author_id"], []).append(e / m["impression_count"])
    return {a: {"raw": statistics.median(v), "views": statistics.median(by_v[a]), "posts": len(v),
                "followers": followers[a]} for a, v in by_f.items()}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("eng") / "s.duckdb")
    res = runner.invoke(app, ["load", "--store", path, "--posts", str(SAMPLE), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "posts" in res.output  # the store-changes table lists the posts
    res = runner.invoke(app, ["analyze", "--store", path])
    assert res.exit_code == 0, res.output
    with DuckDBStore(path, read_only=True) as st:
        run, tables = st.read_run()
    return path, run, {r["id"]: r for r in tables["accounts"].to_pylist()}


def test_rates_equal_the_hand_reference_and_the_docs(sample_run):
    _, run, acc = sample_run
    ref = _reference(SAMPLE)
    tiers = {a: acc[a]["tier"] for a in ref}
    assert tiers == {"10": "nano", "11": "micro", "12": "nano", "13": "mega"}
    h = EngagementParams().half_posts
    for a, r in ref.items():
        row = acc[a]
        assert row["engagement_source"] == "metrics" and row["engagement_posts"] == r["posts"]
        assert row["engagement_rate_raw"] == pytest.approx(r["raw"], rel=1e-12)
        assert row["engagement_rate_views"] == pytest.approx(r["views"], rel=1e-12)
        peers = [ref[b]["raw"] for b in ref if tiers[b] == tiers[a]]
        tier_median = statistics.median(peers)
        w = r["posts"] / (r["posts"] + h)
        assert row["engagement_rate"] == pytest.approx(w * r["raw"] + (1 - w) * tier_median, rel=1e-12)
        assert row["engagement_tier_median"] == pytest.approx(tier_median, rel=1e-12)
    # the worked example of docs/metrics.md
    assert round(acc["10"]["engagement_rate"], 6) == 0.006422 and round(acc["12"]["engagement_rate"], 6) == 0.006155
    fitted = run.params["fitted"]["engagement"]
    assert fitted["accounts_from_metrics"] == 4 and fitted["accounts_from_interactions"] == 0
    assert fitted["tiers"]["nano"]["accounts"] == 2


def test_rank_by_engagement_and_the_column_in_every_ranking(sample_run):
    path, _, acc = sample_run
    res = runner.invoke(app, ["rank", "--store", path, "--by", "engagement", "--format", "json", "--tier",
                              "nano,micro,macro,mega"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"] if res.output.lstrip().startswith("{") else json.loads(res.output)
    order = [r["id"] for r in rows]
    assert order == sorted(acc, key=lambda a: -acc[a]["engagement_rate"])
    assert {"engagement_rate", "engagement_rate_raw", "engagement_niche_median", "engagement_source"} <= set(rows[0])
    for kind in ("pagerank", "in_degree", "niche"):
        res = runner.invoke(app, ["rank", "--store", path, "--by", kind, "--format", "csv"])
        assert res.exit_code == 0, res.output
        assert "engagement_rate" in res.output.splitlines()[0].split(","), kind


def test_interaction_log_fallback_window_and_unknowns(tmp_path):
    """Posts without metrics: (inbound engaging events / posts) / followers; old posts and events left out."""
    (tmp_path / "acc.csv").write_text("id,followers_count\na,200\nb,1000\nc,\n")
    (tmp_path / "posts.csv").write_text(
        "post_id,author,ts,kind\n"
        "p1,a,2024-06-01T00:00:00Z,original\np2,a,2024-06-10T00:00:00Z,quote\n"
        "p0,a,2023-01-01T00:00:00Z,original\n"  # outside the 90-day window
        "p3,b,2024-06-05T00:00:00Z,repost\n"  # a repost is not rated: b has no rated post
        "p4,c,2024-06-05T00:00:00Z,original\n")  # c has no follower count
    (tmp_path / "int.csv").write_text(
        "source,target,kind,ts\n"
        "b,a,reply,2024-06-02T00:00:00Z\nc,a,like,2024-06-03T00:00:00Z\nb,a,repost,2024-06-11T00:00:00Z\n"
        "b,a,mention,2024-06-02T00:00:00Z\n"  # a mention is no engagement with a post
        "c,a,reply,2023-02-01T00:00:00Z\n"  # before the window
        "a,b,reply,2024-06-06T00:00:00Z\n")
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        load_files(st, accounts=tmp_path / "acc.csv", posts=tmp_path / "posts.csv",
                   interactions=tmp_path / "int.csv")
        res = run_analysis(st)
    acc = {r["id"]: r for r in res.accounts.to_pylist()}
    assert acc["a"]["engagement_source"] == "interactions" and acc["a"]["engagement_posts"] == 2
    assert acc["a"]["engagement_rate_raw"] == pytest.approx((3 / 2) / 200)
    assert acc["a"]["engagement_rate_views"] is None
    assert acc["b"]["engagement_source"] is None and acc["b"]["engagement_rate"] is None
    assert acc["c"]["engagement_source"] == "interactions" and acc["c"]["engagement_rate"] is None  # unknown F
    assert res.run.params["fitted"]["engagement"]["window_start"] == 1717977600 - 90 * 86400


def test_posts_timed_below_the_second_analyse(tmp_path):
    """Post times with microseconds (CSV or a bulk import keep them) count in whole seconds."""
    (tmp_path / "acc.csv").write_text("id,followers_count\na,100\n")
    (tmp_path / "posts.csv").write_text(
        "post_id,author,ts,kind,likes\n"
        "p1,a,2024-06-01T00:00:00.999999Z,original,4\np2,a,2024-08-30T00:00:00.5Z,original,6\n"
        "p0,a,2024-05-31T23:59:59.9Z,original,100\n")  # 90 days before p2's whole second, less 0.1 s: outside
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        load_files(st, accounts=tmp_path / "acc.csv", posts=tmp_path / "posts.csv")
        res = run_analysis(st)
    a = next(r for r in res.accounts.to_pylist() if r["id"] == "a")
    assert res.run.params["fitted"]["engagement"]["window_start"] == 1724976000 - 90 * 86400
    assert a["engagement_posts"] == 2 and a["engagement_rate_raw"] == pytest.approx(0.05)


def test_a_store_without_posts_ranks_nobody_by_engagement(tmp_path):
    (tmp_path / "f.csv").write_text("follower,followee\na,b\nb,a\n")
    path = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["load", "--store", path, "--follows", str(tmp_path / "f.csv"), "-q"]).exit_code == 0
    assert runner.invoke(app, ["analyze", "--store", path]).exit_code == 0
    res = runner.invoke(app, ["rank", "--store", path, "--by", "engagement"])
    assert res.exit_code == 0, res.output
    assert "no account matches --by engagement" in res.output


def test_explain_says_the_rate_its_source_and_the_peers(sample_run):
    path = sample_run[0]
    res = runner.invoke(app, ["rank", "--store", path, "--explain", "bakerbea"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Engagement: 0.64% of followers per post (0.72% raw, median per post, platform metrics, over 3 posts" in text
    assert "leaning on the nano median 0.62% with half weight at 12 posts" in text
    assert "3.11% of views" in text


def test_http_ranking_by_engagement_equals_the_cli(sample_run):
    from .conftest import make_client

    path, _, acc = sample_run
    with make_client(path) as client:
        r = client.get("/v1/rankings?by=engagement")
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["sort"].startswith("engagement_rate")
    assert [i["id"] for i in body["items"]] == sorted(acc, key=lambda a: -acc[a]["engagement_rate"])
    assert all(i["engagement_rate"] == pytest.approx(acc[i["id"]]["engagement_rate"]) for i in body["items"])


def test_posts_hashtags_reach_the_communities_top_hashtags(tmp_path):
    """A posts-only store (no interaction carries a hashtag) still names its communities' hashtags."""
    (tmp_path / "p.csv").write_text("post_id,author,hashtags\n1,a,#Vegan\n2,b,vegan bread\n3,b,vegan\n")
    (tmp_path / "f.csv").write_text("follower,followee\na,b\nb,a\n")
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        load_files(st, posts=tmp_path / "p.csv", follows=tmp_path / "f.csv")
        res = run_analysis(st)
    tops = [t for row in res.communities.to_pylist() for t in (row["top_hashtags"] or [])]
    assert "vegan" in tops and "bread" in tops
