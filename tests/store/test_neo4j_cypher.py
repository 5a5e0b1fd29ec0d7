"""What the Neo4j store writes is an ordinary graph: readable with plain Cypher, as documented."""

from __future__ import annotations

import datetime as dt

import neo4j
import pytest

from nichegraph.graph_store import RunRecord, cypher

from .helpers import HOSTILE_IDS, batch, ts
from .test_contract import result_tables, world_batches

pytestmark = pytest.mark.neo4j


@pytest.fixture
def cy(neo4j_uri):
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=None) as d:
        yield lambda q, **p: [r.data() for r in d.execute_query(q, p).records]


def test_graph_model_in_plain_cypher(neo4j_store_factory, cy):
    st = neo4j_store_factory()
    st.load(world_batches())
    rows = cy("MATCH (a:Account {id: $id})-[f:FOLLOWS]->(b:Account) RETURN b.id AS b, f.since AS since", id="a")
    assert len(rows) == 1 and rows[0]["b"] == "b"
    since = rows[0]["since"].to_native()
    assert since == ts(1).replace(tzinfo=dt.timezone.utc)  # the earliest of the two rows
    rows = cy("MATCH (:Account {id: 'a'})-[e:INTERACTS]->(:Account {id: 'b'}) RETURN e.kind AS kind, e.n AS n")
    assert rows == [{"kind": "reply", "n": 2}]
    rows = cy("MATCH (a:Account) RETURN a.id AS id, a.idx AS idx, a.followers_count AS fc, a.platform AS p "
              "ORDER BY idx")
    assert rows == [{"id": "a", "idx": 0, "fc": 5, "p": "x"}, {"id": "b", "idx": 1, "fc": None, "p": None},
                    {"id": "c", "idx": 2, "fc": None, "p": None}, {"id": "d", "idx": 3, "fc": None, "p": None}]
    tags = cy("MATCH ()-[e:INTERACTS]->() WHERE e.hashtags IS NOT NULL RETURN e.hashtags AS h")
    assert tags == [{"h": ["Tag", "x"]}]
    assert {r["label"] for r in cy("CALL db.labels() YIELD label RETURN label")} <= set(cypher.LABELS)
    assert {r["t"] for r in cy("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t")} <= set(
        cypher.REL_TYPES)
    names = {r["name"] for r in cy("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {"ng_account_key", "ng_account_idx"} <= names
    # relationships carry no key: a pair is a follow's identity, a pair and the fields an event's
    assert not names & {"ng_follows_key", "ng_interacts_key"}
    props = cy("MATCH ()-[r]->() UNWIND keys(r) AS k RETURN DISTINCT type(r) AS t, k ORDER BY t, k")
    assert {(r["t"], r["k"]) for r in props} <= {("FOLLOWS", "since"), *(
        ("INTERACTS", k) for k in ("kind", "ts", "post_id", "hashtags", "weight", "n"))}
    assert ("INTERACTS", "kind") in {(r["t"], r["k"]) for r in props}


#: Events whose fields take every shape a stored value can have (absent, empty, unicode, quotes,
#: weights that print long); each pair of sources gets all of them.
_SHAPES = [{"kind": k, "ts": t, "post_id": p, "hashtags": h, "weight": w}
           for k, t, p, h, w in [
               ("mention", None, None, None, None), ("mention", ts(1), None, None, None),
               ("mention", ts(1, 7), "p'1\"`{}", None, 1.0), ("reply", ts(1), None, [], 2.5),
               ("reply", ts(1), None, ["a", None, "B"], None), ("repost", ts(2), "ü😀", ["日本語", "x" * 300], 0.1 + 0.2),
               ("quote", ts(3), "", [""], 1e-300), ("quote", ts(3), None, ["a", "B"], -0.0)]]


def test_event_identity_round_trips_every_field_shape(neo4j_store_factory, cy):
    st = neo4j_store_factory(atomic_rows=0, batch_size=3)  # the batched path: stored events are read first
    rows = [{"source": s, "target": "t", **e} for s in ("a", "b") for e in _SHAPES]
    c = st.load([batch("interactions", rows)]).as_dict()["interactions"]
    assert (c["inserted"], c["existing"]) == (16, 0)
    # the same events again: each one is recognised from its stored fields, nothing is written (a
    # `key` property, which the model's previous version stored on every event, is not read)
    cy("MATCH ()-[e:INTERACTS]->() SET e.key = 12345")
    c = st.load([batch("interactions", rows)]).as_dict()["interactions"]
    assert (c["inserted"], c["existing"]) == (0, 16)
    assert cy("MATCH ()-[e:INTERACTS]->() RETURN count(e) AS n, sum(coalesce(e.n, 1)) AS m") == [{"n": 16, "m": 16}]
    # one of each twice more: the multiplicity grows on the stored event (the MERGE-like statement)
    c = st.load([batch("interactions", rows[:8] * 3)]).as_dict()["interactions"]
    assert (c["inserted"], c["existing"]) == (16, 8)
    got = cy("MATCH (:Account {id: 'a'})-[e:INTERACTS]->() RETURN count(e) AS n, collect(e.n) AS ns")
    assert got == [{"n": 8, "ns": [3] * 8}]
    assert st.counts()["interactions"] == 32
    # the idempotent statement (how a batch whose commit is in doubt is retried) matches every
    # stored event by its fields, nulls and empty lists included: it creates nothing
    nid = {r["id"]: r["nid"] for r in cy("MATCH (a:Account) RETURN a.id AS id, elementId(a) AS nid")}
    p = {"a": [nid["b"]] * 8, "b": [nid["t"]] * 8, "kind": [e["kind"] for e in _SHAPES],
         "ts": [None if e["ts"] is None else int(e["ts"].replace(tzinfo=dt.timezone.utc).timestamp())
                for e in _SHAPES],
         "tn": [None if e["ts"] is None else 0 for e in _SHAPES], "post": [e["post_id"] for e in _SHAPES],
         "tags": [None if e["hashtags"] is None else [h for h in e["hashtags"] if h is not None] for e in _SHAPES],
         "w": [None if e["weight"] in (None, 1.0) else e["weight"] for e in _SHAPES], "n": [1] * 8}
    assert cy(cypher.MERGE_INTERACTIONS, **p) == [{"inserted": 0, "existing": 8, "matched": 8}]
    assert cy("MATCH ()-[e:INTERACTS]->() RETURN count(e) AS n") == [{"n": 16}]
    p["post"] = ["other"] * 8  # other events: all new
    assert cy(cypher.MERGE_INTERACTIONS, **p)[0]["inserted"] == 8


def test_results_written_back_are_plain_properties(neo4j_store_factory, cy):
    st = neo4j_store_factory(batch_size=3)
    st.load([batch("follows", [{"follower": f"u{i}", "followee": f"u{(i + 1) % 10}"} for i in range(10)])])
    t = result_tables(10, 5)
    st.write_run(RunRecord("r1", "2026-01-01T00:00:00", {"seed": 5}, {"accounts": 10}), t)
    rows = cy("MATCH (a:Account) RETURN a.id AS id, a.tier AS tier, a.community AS community, a.pagerank AS pr, "
              "a.social_ratio AS social, a.tier_estimated AS est, a.run_id AS run ORDER BY a.idx")
    want = t["accounts"].to_pylist()
    assert [r["id"] for r in rows] == [w["id"] for w in want]
    for r, w in zip(rows, want):
        assert (r["tier"], r["community"], r["pr"], r["social"], r["est"], r["run"]) == (
            w["tier"], w["community"], w["pagerank"], w["social_ratio"], w["tier_estimated"], "r1")
    com = cy("MATCH (c:Community {run_id: 'r1'}) RETURN c.id AS id, c.level AS level, c.parent AS parent, "
             "c.size AS size, c.top_members AS top ORDER BY c.id")
    assert com == [{"id": 0, "level": "broad", "parent": None, "size": 3, "top": ["u1", "u2"]},
                   {"id": 1, "level": "broad", "parent": None, "size": 4, "top": []},
                   {"id": 2, "level": "niche", "parent": 1, "size": 5, "top": ["u'3\"`{}"]}]
    run = cy("MATCH (r:Run) RETURN r.run_id AS id, r.created_at AS at, r.params AS params")
    assert run == [{"id": "r1", "at": "2026-01-01T00:00:00", "params": '{"seed": 5}'}]
    # a second run overwrites the account properties and adds its own communities
    t2 = result_tables(10, 6)
    st.write_run(RunRecord("r2", "2026-01-02T00:00:00", {}, {}), t2)
    tiers = [r["tier"] for r in cy("MATCH (a:Account) RETURN a.tier AS tier ORDER BY a.idx")]
    assert tiers == t2["accounts"].column("tier").to_pylist()
    assert cy("MATCH (c:Community) RETURN c.run_id AS r, count(*) AS n ORDER BY r") == [
        {"r": "r1", "n": 3}, {"r": "r2", "n": 3}]
    with pytest.raises(Exception, match="already exists"):
        st.write_run(RunRecord("r2", "2026-01-03T00:00:00", {}, {}), t2)


def test_hostile_values_stay_values(neo4j_store_factory, cy):
    st = neo4j_store_factory()
    evil = [i for i in HOSTILE_IDS if i]
    st.load([batch("accounts", [{"id": i, "handle": i} for i in evil])])
    got = cy("MATCH (a:Account) RETURN a.id AS id, a.handle AS handle")
    assert sorted(r["id"] for r in got) == sorted(evil)
    assert all(r["id"] == r["handle"] for r in got)
    # nothing was executed: the graph holds only the documented labels
    assert {r["l"] for r in cy("MATCH (n) UNWIND labels(n) AS l RETURN DISTINCT l")} == {"Account"}


def test_permanent_errors_stop_with_a_clear_message(neo4j_uri):
    from nichegraph.graph_store import StoreError, open_store

    st = open_store(neo4j_uri, database="no_such_database")
    with pytest.raises(StoreError, match=r"Neo4j bolt://127\.0\.0\.1:\d+: .*(DatabaseNotFound|database)"):
        st.load([batch("follows", [{"follower": "a", "followee": "b"}])])
    st.close()
    with pytest.raises(StoreError, match="cannot reach Neo4j"):
        open_store("bolt://127.0.0.1:1")


def test_reload_keeps_the_earliest_since_and_stores_only_non_default_weights(neo4j_store_factory, cy):
    st = neo4j_store_factory(atomic_rows=0, batch_size=2)  # the batched path: stored rows are read first
    st.load([batch("follows", [{"follower": "a", "followee": "b", "since": ts(5)},
                               {"follower": "a", "followee": "c"}])])
    c = st.load([batch("follows", [{"follower": "a", "followee": "b", "since": ts(2)},
                                   {"follower": "a", "followee": "c", "since": ts(7)},
                                   {"follower": "b", "followee": "a", "since": ts(9)}])]).as_dict()["follows"]
    assert (c["inserted"], c["existing"]) == (1, 2)
    c = st.load([batch("follows", [{"follower": "a", "followee": "b", "since": ts(3)},
                                   {"follower": "a", "followee": "c", "since": ts(8)}])]).as_dict()["follows"]
    assert (c["inserted"], c["existing"]) == (0, 2)
    got = {(r["a"], r["b"]): r["since"].to_native() for r in cy(
        "MATCH (x:Account)-[f:FOLLOWS]->(y:Account) RETURN x.id AS a, y.id AS b, f.since AS since")}
    utc = dt.timezone.utc
    assert got == {("a", "b"): ts(2).replace(tzinfo=utc), ("a", "c"): ts(7).replace(tzinfo=utc),
                   ("b", "a"): ts(9).replace(tzinfo=utc)}
    st.load([batch("interactions", [{"source": "a", "target": "b", "kind": "reply", "ts": ts(1), "weight": w}
                                    for w in (None, 1.0, 2.5)])])
    rows = cy("MATCH ()-[e:INTERACTS]->() RETURN e.weight AS w, e.n AS n ORDER BY w")
    # defaults are not stored: weight 1.0, multiplicity 1 (read as coalesce(e.n, 1))
    assert rows == [{"w": 2.5, "n": None}, {"w": None, "n": 2}]
    assert cy("MATCH ()-[e:INTERACTS]->() RETURN sum(coalesce(e.n, 1)) AS n") == [{"n": 3}]
    assert st.counts()["interactions"] == 3
    assert sorted(st.read_edges().interaction_weight.tolist()) == [2.0, 2.5]
