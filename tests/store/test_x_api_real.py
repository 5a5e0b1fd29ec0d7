"""Real X API v2 responses (twarc2 output, tests/data/x_api_v2_real) loaded with ``nichegraph load``.

Every expected number below was counted by hand off the six files (see the README there for their
source); the comments say how.  Each file holds one response page per line; a page's tweets are in
``data`` (one object for a lookup, a list for a search), the tweets they reference in
``includes.tweets`` and the authors in ``includes.users``.  Tweets named here by id:

============================  =============================  ==========================================
file                          ``data`` tweet(s)               ``includes.tweets``
============================  =============================  ==========================================
two_tweets                    ...816833 retweet               ...288641 (the original)
mentions_tweet                ...002753 retweet               ...002753 itself, ...134272 (the original)
geo_tweets, line 1            ...554308 original              (none)
geo_tweets, line 2            ...363843 reply                 ...661574 (the tweet replied to)
quoted_edit                   ...000768 reply + quote         ...000768 itself, ...764992, ...992896
cashtags                      ...538 original                 ...538 itself
many_urls                     ...600 self-reply               ...600 itself, ...232 (the tweet replied to)
============================  =============================  ==========================================

The same load runs into DuckDB and into the real Neo4j; both must give the same store.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nichegraph.api.cli import app
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import INTERACTION_KINDS

from .conftest import wipe_neo4j

DATA = Path(__file__).resolve().parents[1] / "data" / "x_api_v2_real"
FILES = ["two_tweets", "mentions_tweet", "geo_tweets", "quoted_edit", "cashtags", "many_urls"]
runner = CliRunner()

# -- counted by hand ------------------------------------------------------------------------------
# posts: the distinct tweet ids of data + includes.tweets, per file 2 + 2 + 3 + 3 + 1 + 2 = 13;
# post rows read: 7 data tweets + 10 includes.tweets entries = 17, so 17 - 13 = 4 repeats (the
# lookups in mentions_tweet, quoted_edit, cashtags and many_urls list their own tweet in includes too).
POSTS, POST_ROWS = 13, 17
# accounts: the includes.users of every page, per file 2 + 2 + (1 + 3) + 2 + 1 + 1 = 12, all distinct;
# every interaction endpoint below is one of them.
ACCOUNTS = 12
# interactions (source -> target, kind), made by the 7 data tweets only:
#   two_tweets ...816833 retweets ...288641 (author 1380086327023169540): 1 repost; its mention of
#     @bibaigna96 is inside the retweet (skipped: it belongs to the original);
#   mentions_tweet ...002753 retweets ...134272 (author 1221317221714157569): 1 repost, mention skipped;
#   geo_tweets ...554308: none (13 hashtags only); ...363843 by 495430242 mentions 2919151 and 783214
#     and replies to 2919151: 3;
#   quoted_edit ...000768 by 1494167419413094401 mentions 337119125, replies to 337119125 and quotes
#     ...764992 (author 337119125): 3;
#   cashtags: none;  many_urls ...600 by 1328271312628936705 replies to itself: 1 (a self-loop, kept).
INTERACTIONS = {
    ("1379899464345923590", "1380086327023169540", "repost"),
    ("68401342", "1221317221714157569", "repost"),
    ("495430242", "2919151", "mention"),
    ("495430242", "783214", "mention"),
    ("495430242", "2919151", "reply"),
    ("1494167419413094401", "337119125", "mention"),
    ("1494167419413094401", "337119125", "reply"),
    ("1494167419413094401", "337119125", "quote"),
    ("1328271312628936705", "1328271312628936705", "reply"),
}


def _load(store_arg: str) -> str:
    args = ["load", "--store", store_arg, "--quiet"]
    for f in FILES:
        args += ["--interactions", str(DATA / f"{f}.jsonl")]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.fixture(params=["duckdb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def loaded(request, tmp_path):
    """(the load's printed report, the store opened after ``nichegraph load`` ran into it)."""
    if request.param == "duckdb":
        path = str(tmp_path / "x.duckdb")
        out = _load(path)
        st = DuckDBStore(path)
    else:
        from nichegraph.graph_store.neo4j_store import Neo4jStore

        uri = request.getfixturevalue("neo4j_uri")
        wipe_neo4j(uri)
        out = _load(uri)
        st = Neo4jStore.connect(uri)
    yield out, st
    st.close()


def _posts(store) -> dict[str, dict]:
    ids = store.read_accounts().column("id").to_pylist()
    return {r["post_id"]: r | {"author": ids[r["author"]]} for r in store.read_posts().to_pylist()}


def test_real_export_counts_checked_by_hand(loaded):
    out, store = loaded
    assert store.counts() == {"accounts": ACCOUNTS, "follows": 0, "interactions": len(INTERACTIONS), "posts": POSTS}
    assert f"posts        │   {POST_ROWS} │  {POSTS} │" in out.replace("\u2502", "│")
    e = store.read_edges()
    ids = list(e.node_ids)
    got = {(ids[s], ids[d], INTERACTION_KINDS[int(k)]) for s, d, k in
           zip(e.interaction_src, e.interaction_dst, e.interaction_kind, strict=True)}
    assert got == INTERACTIONS and len(e.interaction_src) == len(INTERACTIONS)


def test_real_export_named_posts_and_accounts(loaded):
    _, store = loaded
    posts = _posts(store)
    # kinds: from referenced_tweets (retweeted -> repost; replied_to -> reply, also when it quotes too)
    kinds = {k: sum(p["kind"] == k for p in posts.values()) for k in ("original", "reply", "quote", "repost")}
    assert kinds == {"original": 8, "reply": 3, "quote": 0, "repost": 2}
    # many_urls includes.tweets[1]: "like_count": 611, "reply_count": 18, "retweet_count": 195, "quote_count": 0
    p = posts["1610623087061471232"]
    assert (p["author"], p["kind"], p["likes"], p["replies"], p["reposts"], p["quotes"], p["views"]) == (
        "1328271312628936705", "original", 611, 18, 195, 0, None)
    # quoted_edit includes.tweets[2] (the tweet replied to): 39 likes, 14 replies, 3 retweets, 4 quotes
    p = posts["1576994789110992896"]
    assert (p["likes"], p["replies"], p["reposts"], p["quotes"]) == (39, 14, 3, 4)
    assert p["ts"] == dt.datetime(2022, 10, 3, 17, 57, 11)
    # quoted_edit data: a reply that also quotes; 1 like, 1 reply
    p = posts["1576995594388000768"]
    assert (p["kind"], p["likes"], p["replies"], p["reposts"], p["quotes"]) == ("reply", 1, 1, 0, 0)
    # cashtags: the only tweet with impression_count (52); cashtags ($...) are not hashtags
    p = posts["1611077073803841538"]
    assert (p["views"], p["likes"], p["hashtags"]) == (52, 1, ["business", "NFT", "StockMarket", "option"])
    assert sum(q["views"] is not None for q in posts.values()) == 1
    # mentions_tweet: the retweet carries the original's text, hence no hashtags of its own in entities
    assert posts["1589681856941002753"]["kind"] == "repost"
    assert posts["1589671906718134272"]["hashtags"] == ["Xbox", "PlayStation", "gaming"]
    assert posts["1589671906718134272"]["likes"] == 6
    # geo_tweets line 1: 13 hashtag entities, "harrypotter" twice; the post keeps them as the API lists them
    assert len(posts["1249702384659554308"]["hashtags"]) == 13
    acc = {a["id"]: a for a in store.read_accounts().to_pylist()}
    assert (acc["783214"]["handle"], acc["783214"]["followers_count"], acc["783214"]["following_count"]) == (
        "Twitter", 61_062_181, 5)
    assert (acc["337119125"]["handle"], acc["337119125"]["followers_count"]) == ("wongmjane", 138_098)
    assert {a["platform"] for a in acc.values()} == {"x"}


def test_real_export_hashtag_uses(loaded):
    """Every post's tags once per post, lower case; a tag a tweet repeats is one use."""
    _, store = loaded
    ids = store.read_accounts().column("id").to_pylist()
    per: dict[tuple[str, str], int] = {}
    for u in store.read_hashtag_uses().to_pylist():
        key = (ids[u["source"]], u["tag"])
        per[key] = per.get(key, 0) + u["n"]
    # geo_tweets line 1 by 2344192110: 13 entities, 12 distinct tags ("harrypotter" twice), each used once
    geo = {t: n for (a, t), n in per.items() if a == "2344192110"}
    assert len(geo) == 12 and set(geo.values()) == {1} and geo["harrypotter"] == 1
    assert "zostańwdomu" in geo and "zostanwdomu" in geo
    # POIUYTREWQ: the original (two_tweets includes) and its retweet, each by its own author
    assert per[("1380086327023169540", "poiuytrewq")] == 1 and per[("1379899464345923590", "poiuytrewq")] == 1
    # tags in all: 12 (geo) + 1 + 1 (POIUYTREWQ) + 3 (Xbox...) + 1 (tweepy) + 4 (cashtags tweet)
    assert sum(per.values()) == 22
