"""The same API over a real Neo4j store: every answer equals the one over DuckDB."""

from __future__ import annotations

import pytest

from .conftest import fill_store, make_client

pytestmark = pytest.mark.neo4j

URLS = [
    "/v1/rankings?limit=500", "/v1/rankings?community=1&tier=nano&sort=pagerank&order=asc",
    "/v1/rankings?followers_min=1000&min_social_ratio=0.2&limit=7", "/v1/accounts/u001", "/v1/accounts/u003",
    "/v1/communities", "/v1/communities/2", "/v1/brands/handle10/affinity",
    "/v1/organisations/acme/internal?brand=handle10", "/v1/runs",
]


def test_neo4j_store_answers_like_duckdb(neo4j_uri, client):
    import neo4j

    from nichegraph.graph_store.neo4j_store import Neo4jStore

    with neo4j.GraphDatabase.driver(neo4j_uri, auth=None) as d, d.session() as s:  # a fresh database
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    with Neo4jStore.connect(neo4j_uri) as st:
        fill_store(st)
    with make_client(neo4j_uri) as neo:
        assert neo.get("/readyz").json()["status"] == "ready"
        for url in URLS:
            a, b = neo.get(url), client.get(url)
            assert a.status_code == b.status_code == 200, (url, a.text)
            assert a.json() == b.json(), url
            assert a.headers["etag"] == b.headers["etag"]
