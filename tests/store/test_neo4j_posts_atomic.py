"""The Neo4j store writes a load's posts in the load's own transaction (small loads are atomic).

The failure is a real one on the server: a uniqueness constraint that the test adds on a post
property, which the load's second post breaks while the posts are written (after the load's
accounts, follows and interactions were sent in the same transaction).
"""

from __future__ import annotations

import neo4j
import pytest

from nichegraph.graph_store.errors import StoreError

from .helpers import batch

pytestmark = pytest.mark.neo4j

LOAD = [
    batch("accounts", [{"id": "a", "followers_count": 10}, {"id": "b"}]),
    batch("follows", [{"follower": "a", "followee": "b"}]),
    batch("interactions", [{"source": "b", "target": "a", "kind": "reply", "post_id": "p2"}]),
    batch("posts", [{"post_id": "p1", "author": "a", "kind": "original", "likes": 7},
                    {"post_id": "p2", "author": "b", "kind": "reply", "likes": 7},
                    {"post_id": "p3", "author": "new", "kind": "original", "hashtags": [None, "Tag"]}]),
]


def _cypher(uri: str, query: str) -> None:
    with neo4j.GraphDatabase.driver(uri, auth=None) as d, d.session() as s:
        s.run(query).consume()


def test_a_load_whose_posts_fail_leaves_nothing(neo4j_store_factory, neo4j_uri):
    st = neo4j_store_factory(max_retry_time=5)
    st.ensure_schema()
    _cypher(neo4j_uri, "CREATE CONSTRAINT ng_test_likes IF NOT EXISTS FOR (p:Post) REQUIRE p.likes IS UNIQUE")
    try:
        with pytest.raises(StoreError, match=r"(?i)constraint|already exists"):
            st.load(LOAD)
        assert st.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}
    finally:
        _cypher(neo4j_uri, "DROP CONSTRAINT ng_test_likes IF EXISTS")
    counts = st.load(LOAD)
    assert st.counts() == {"accounts": 3, "follows": 1, "interactions": 1, "posts": 3}
    assert (counts.posts.rows, counts.posts.inserted) == (3, 3)
    # a null hashtag element is dropped (Neo4j lists hold no nulls), as for interactions
    tags = {r["post_id"]: r["hashtags"] for r in st.read_posts().to_pylist()}
    assert tags == {"p1": None, "p2": None, "p3": ["Tag"]}


def test_a_batched_load_writes_posts_after_the_graph(neo4j_store_factory):
    st = neo4j_store_factory(atomic_rows=0, batch_size=1)
    counts = st.load(LOAD)
    assert (counts.posts.rows, counts.posts.inserted, counts.posts.existing) == (3, 3, 0)
    again = st.load(LOAD)
    assert (again.posts.inserted, again.posts.existing, again.posts.updated) == (0, 3, 0)
    assert st.counts() == {"accounts": 3, "follows": 1, "interactions": 1, "posts": 3}
