"""The store's statements raise no server warning (deprecations, performance hints).

The driver turns every notification into a Python warning here (``warn_notification_severity``);
the store leaves deprecation notifications on, so a statement that uses something deprecated
(such as ``id(n)``) fails this test instead of breaking on a later server.  (The store turns off
only ``UNRECOGNIZED``: "property does not exist" depends on the data, not on the statement.)
"""

from __future__ import annotations

import warnings

import pytest

from nichegraph.graph_store import RunRecord

from .helpers import batch, random_world
from .test_contract import result_tables

pytestmark = pytest.mark.neo4j


def _world(seed: int):
    accounts, follows, inter = random_world(seed)
    return [batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)]


@pytest.mark.parametrize("atomic_rows", [0, 1_000_000], ids=["batched", "atomic"])
def test_no_warning_notifications(neo4j_store_factory, atomic_rows):
    from neo4j.warnings import Neo4jDeprecationWarning, Neo4jWarning

    st = neo4j_store_factory(warn_notification_severity="WARNING", atomic_rows=atomic_rows, batch_size=37)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first = st.load(_world(1))
        again = st.load(_world(1))  # everything stored: reads the stored relationships, writes nothing new
        more = st.load(_world(2))  # some new, some changed
        e = st.read_edges()
        st.read_accounts()
        st.read_hashtags()
        st.interactions_to(["u001", "u002"])
        st.hashtag_users(["a"])
        tables = result_tables(int(e.node_ids.size), 0)
        st.write_run(RunRecord("r1", "2024-01-01T00:00:00+00:00", {}, {}), tables)
        st.read_run("r1")
    assert first.follows.inserted > 0 and again.follows.inserted == 0 and more.follows.inserted > 0
    assert [str(w.message) for w in seen if issubclass(w.category, Neo4jWarning)] == []
    # the same store and driver do report a deprecated statement
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        st.sessions.read("MATCH (a:Account) RETURN id(a) AS x LIMIT 1")
    assert [w for w in seen if issubclass(w.category, Neo4jDeprecationWarning)]
