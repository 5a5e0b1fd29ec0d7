"""Columnar reads on Neo4j (accounts, posts, hashtag uses: one record of lists per range of accounts) give
exactly what the embedded store gives, whatever the range size, with nulls in every nullable field; and
``analyze``'s concurrent read step gives what the reads give one by one."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from nichegraph.api.analysis import read_inputs
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate

from .helpers import HOSTILE_IDS, batch

pytestmark = pytest.mark.neo4j


def _odd_rows() -> list:
    """Accounts, posts and events with nulls where the schema allows them, hostile ids and tags."""
    when = dt.datetime(2024, 3, 1, 12, 0, 0, 123456)
    ids = HOSTILE_IDS[:6]
    accounts = [
        {"id": ids[0]},  # every field null
        {"id": ids[1], "handle": "h", "followers_count": 0},
        {"id": ids[2], "platform": "x", "following_count": 7, "affiliation": "acme"},
        {"id": ids[3], "handle": "", "platform": "", "affiliation": ""},  # empty strings stay strings
    ]
    posts = [
        {"post_id": "p-null", "author": ids[0], "kind": "post"},  # no time, no tags, no metrics
        {
            "post_id": "p-tags",
            "author": ids[1],
            "kind": "reply",
            "ts": when,
            "hashtags": ["Tag", "tag", "ünï"],
            "likes": 3,
            "views": 0,
        },
        {"post_id": 'p"quote', "author": ids[4], "kind": "quote", "hashtags": ["x"], "platform": "bsky"},
    ]
    events = [
        {"source": ids[1], "target": ids[0], "kind": "reply", "ts": when, "post_id": "p-tags", "hashtags": ["Tag"]},
        {"source": ids[2], "target": ids[5], "kind": "mention", "hashtags": ["a", "B"]},  # no time, no post
        {"source": ids[2], "target": ids[5], "kind": "mention", "hashtags": ["a", "B"]},  # the same event again
        {"source": ids[5], "target": ids[2], "kind": "repost", "ts": when, "post_id": "elsewhere", "hashtags": ["z"]},
    ]
    return [batch("accounts", accounts), batch("posts", posts), batch("interactions", events)]


def _posts(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: r["post_id"])


def test_columnar_reads_equal_the_embedded_store(neo4j_store_factory, tmp_path):
    world = generate(n_accounts=200, n_edges=1_200, seed=3)
    duck = DuckDBStore(tmp_path / "ref.duckdb")
    neo = neo4j_store_factory(batch_size=500)
    for st in (duck, neo):
        st.load(world.batches(posts=True))
        st.load(_odd_rows())
    try:
        accounts, posts, uses = duck.read_accounts(), duck.read_posts(), duck.read_hashtag_uses()
        assert posts.num_rows > 100 and uses.num_rows > 100
        for per in (1, 7, 50_000):  # accounts per record: one, a few (ranges with no post), all
            neo.accounts_per_range = per
            got = neo.read_accounts()
            assert got.to_pylist() == accounts.to_pylist(), per
            assert [(f.name, f.type) for f in got.schema] == [(f.name, f.type) for f in accounts.schema]
            assert _posts(neo.read_posts()) == _posts(posts), per
            assert neo.read_hashtag_uses().to_pylist() == uses.to_pylist(), per
        # the concurrent read step of analyze: the same as each read on its own
        inputs = read_inputs(neo)
        assert inputs.accounts.equals(neo.read_accounts())
        assert inputs.uses.equals(neo.read_hashtag_uses()) and inputs.posts.equals(neo.read_posts())
        edges = neo.read_edges()
        assert inputs.edges.n_nodes == edges.n_nodes and (inputs.edges.follow_src == edges.follow_src).all()
        assert inputs.previous is None
    finally:
        duck.close()
