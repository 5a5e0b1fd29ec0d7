"""The ``store`` fixture: every contract test runs on a fresh DuckDBStore and a fresh Neo4jStore."""

from __future__ import annotations

import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore


def wipe_neo4j(uri: str) -> None:
    """Delete every node and relationship (constraints stay: the store creates them IF NOT EXISTS)."""
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=None) as d, d.session() as s:
        s.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS").consume()
        s.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()


@pytest.fixture
def neo4j_store_factory(neo4j_uri):
    """Open Neo4jStores on a wiped database; options as for ``Neo4jStore.connect``."""
    from nichegraph.graph_store.neo4j_store import Neo4jStore

    wipe_neo4j(neo4j_uri)
    opened = []

    def make(**options):
        st = Neo4jStore.connect(neo4j_uri, **options)
        opened.append(st)
        return st
    yield make
    for st in opened:
        st.close()


@pytest.fixture(params=["duckdb", pytest.param("neo4j", marks=pytest.mark.neo4j),
                        pytest.param("neo4j-batched", marks=pytest.mark.neo4j)])
def store(request, tmp_path):
    """A fresh, empty store of each kind.

    ``neo4j`` loads small inputs in one transaction; ``neo4j-batched`` commits tiny batches
    from two parallel writers, the path large loads take.
    """
    if request.param == "duckdb":
        st = DuckDBStore(tmp_path / "store.duckdb")
        yield st
        st.close()
    elif request.param == "neo4j":
        yield request.getfixturevalue("neo4j_store_factory")()
    else:
        yield request.getfixturevalue("neo4j_store_factory")(atomic_rows=0, batch_size=7, workers=2)
