"""Writing a run to Neo4j is linear in its size: every write statement finds each row with one seek.

The plans come from the real server (``EXPLAIN`` and ``PROFILE``), after the store created its schema.
"""

from __future__ import annotations

import neo4j
import pytest

from nichegraph.graph_store import RunRecord, cypher

pytestmark = pytest.mark.neo4j

_COMMUNITY = {"run_id": "r", "level": "broad", "id": 0, "size": 3, "top_members": ["a"]}
#: Every statement :meth:`Neo4jStore.write_run` sends, with parameters of the right shape.
_RUN_WRITES = {
    "run table chunks": (cypher.RUN_TABLE_CHUNKS,
                         {"run_id": "r", "chunks": [{"run_id": "r", "table": "accounts", "seq": 0, "data": b""}]}),
    "run table chunks, retried": (cypher.RUN_TABLE_CHUNKS_IDEMPOTENT,
                                  {"run_id": "r", "chunks": [{"run_id": "r", "table": "accounts", "seq": 0, "data": b""}]}),
    "account results": (cypher.ACCOUNT_RESULTS,
                        {"run_id": "r", "nid": ["4:x:0"], "p": [{"pagerank": 0.5, "tier": "nano"}]}),
    "communities": (cypher.COMMUNITIES, {"run_id": "r", "p": [_COMMUNITY]}),
    "communities, retried": (cypher.COMMUNITIES_IDEMPOTENT, {"run_id": "r", "p": [_COMMUNITY]}),
    "run": (cypher.CREATE_RUN, {"run_id": "r", "created_at": "", "params": "{}", "counts": "{}", "tables": []}),
    "clearing a half-written run": (cypher.DELETE_RUN_PARTS, {"run_id": "r"}),
}
_COMMUNITIES = cypher.COMMUNITIES_IDEMPOTENT
#: Operators that read more than the rows a statement names.
_SCANS = {"AllNodesScan", "NodeByLabelScan", "NodeIndexScan", "NodeIndexContainsScan", "NodeIndexEndsWithScan",
          "DirectedAllRelationshipsScan", "UndirectedAllRelationshipsScan", "DirectedRelationshipTypeScan",
          "UndirectedRelationshipTypeScan"}


def _operators(plan: dict) -> list[dict]:
    out = [plan]
    for child in plan.get("children", []):
        out += _operators(child)
    return out


def _kind(op: dict) -> str:
    return op["operatorType"].split("@")[0]


def _planned_afresh(s: neo4j.Session) -> None:
    """Forget cached plans: the next statements are planned for the (wiped, empty) database, the state in
    which a planner free to choose would pick the narrower index on ``run_id`` alone."""
    s.run("CALL db.clearQueryCaches()").consume()


@pytest.fixture
def session(neo4j_store_factory, neo4j_uri):
    neo4j_store_factory().ensure_schema()
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=None) as d, d.session() as s:
        _planned_afresh(s)
        yield s


@pytest.mark.parametrize("name", sorted(_RUN_WRITES))
def test_every_run_write_seeks_each_row(session, name):
    query, params = _RUN_WRITES[name]
    plan = session.run("EXPLAIN " + query, params).consume().plan
    ops = _operators(plan)
    kinds = [_kind(op) for op in ops]
    assert not _SCANS & set(kinds), f"{name} scans: {kinds}"
    if "MATCH" in query or "MERGE" in query:
        assert any("Seek" in k for k in kinds), f"{name} finds its rows without an index seek: {kinds}"
    # a Filter right above an index seek means the index matched more rows than the statement names (a seek
    # by element id finds one node at most: a label check above it filters nothing more)
    for op in ops:
        if _kind(op) == "Filter":
            assert not any("Seek" in _kind(c) and _kind(c) != "NodeByElementIdSeek" for c in op.get("children", [])), \
                f"{name} filters the rows of a seek: {op['args'].get('Details')}"


def test_communities_and_chunks_are_found_by_their_whole_identity(session):
    plans = {name: _operators(session.run("EXPLAIN " + _RUN_WRITES[name][0], _RUN_WRITES[name][1]).consume().plan)
             for name in ("communities, retried", "run table chunks, retried")}
    details = {name: " ".join(str(op["args"].get("Details")) for op in ops) for name, ops in plans.items()}
    assert "Community(run_id, level, id)" in details["communities, retried"]
    assert "RunTable(run_id, table, seq)" in details["run table chunks, retried"]


def _db_hits(plan: dict) -> int:
    return sum(int(op.get("dbHits", 0)) for op in _operators(plan))


def test_writing_communities_costs_the_same_per_row_however_many_were_written(neo4j_store_factory, neo4j_uri):
    """The server's work for a batch of communities that may exist (a retried batch) does not grow with the
    communities already in the run."""
    st = neo4j_store_factory()
    st.ensure_schema()
    batch = 200

    def rows(lo: int, hi: int) -> dict:
        return {"p": [{"run_id": "grow", "level": "broad", "id": i, "size": 1} for i in range(lo, hi)]}

    def profiled(lo: int) -> int:
        return _db_hits(s.run("PROFILE " + _COMMUNITIES, run_id="grow", **rows(lo, lo + batch)).consume().profile)

    with neo4j.GraphDatabase.driver(neo4j_uri, auth=None) as d, d.session() as s:
        _planned_afresh(s)
        hits = [profiled(0)]
        s.run(_COMMUNITIES, run_id="grow", **rows(batch, 5_000)).consume()
        hits.append(profiled(5_000))
        n = s.run("MATCH (c:Community {run_id: 'grow'}) RETURN count(c) AS n").single()["n"]
    assert n == 5_000 + batch
    # 4,800 more communities stored before the second batch; a filter over the run would cost ~24x
    assert hits[1] <= 1.5 * hits[0] + 100, hits


def test_a_rewritten_half_written_run_keeps_one_community_per_identity(neo4j_store_factory, cy_count):
    from .test_contract import result_tables

    st = neo4j_store_factory()
    st.load([])
    tables = result_tables(10, 1)
    com = tables["communities"]
    # an interrupted write left communities but no Run node: writing the run again keeps one of each
    left = [{"run_id": "again", "level": lv, "id": i, "size": 0}
            for lv, i in zip(com.column("level").to_pylist(), com.column("community").to_pylist())]
    st.sessions.write(cypher.COMMUNITIES, {"run_id": "again", "p": left})
    st.write_run(RunRecord("again", "2026-01-01T00:00:00", {}, {}), {"communities": com})
    assert cy_count("MATCH (c:Community {run_id: 'again'}) RETURN count(c) AS n") == com.num_rows
    rewritten = "MATCH (c:Community {run_id: 'again'}) WHERE c.density IS NOT NULL AND c.size > 0 RETURN count(c) AS n"
    assert cy_count(rewritten) == com.num_rows


@pytest.fixture
def cy_count(neo4j_uri):
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=None) as d:
        yield lambda q: d.execute_query(q).records[0]["n"]
