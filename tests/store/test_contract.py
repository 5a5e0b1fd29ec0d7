"""The store contract (graph_store.base), run on DuckDBStore and on Neo4jStore against a real Neo4j."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.graph_store import NoRunError, RunRecord, StoreError
from nichegraph.graph_store.base import Store

from .helpers import (HOSTILE_IDS, assert_edge_dtypes, batch, random_world, reference_edges, store_edges, ts,
                      weighted)


def test_is_a_store(store):
    assert isinstance(store, Store)


def test_empty_store(store):
    assert store.counts() == {"accounts": 0, "follows": 0, "interactions": 0, "posts": 0}
    e = store.read_edges()
    assert e.n_nodes == 0 and e.follow_src.size == 0 and e.interaction_src.size == 0
    assert_edge_dtypes(e)
    assert store.read_accounts().num_rows == 0
    src, tags = store.read_hashtags()
    assert src.size == 0 and tags.size == 0
    assert store.list_runs() == []
    with pytest.raises(NoRunError):
        store.read_run()
    assert store.interactions_to(["nobody"]).num_rows == 0
    assert store.hashtag_users(["none"]).num_rows == 0


def world_batches():
    return [
        batch("accounts", [{"id": "b", "handle": "@b"}, {"id": "a", "followers_count": 5},
                           {"id": "a", "platform": "x"}]),
        batch("follows", [{"follower": "a", "followee": "b", "since": ts(3)},
                          {"follower": "a", "followee": "b", "since": ts(1)},
                          {"follower": "c", "followee": "a"},
                          {"follower": "c", "followee": "c"}]),
        batch("interactions", [{"source": "a", "target": "b", "kind": "reply", "ts": ts(0)},
                               {"source": "a", "target": "b", "kind": "reply", "ts": ts(0)},
                               {"source": "b", "target": "d", "kind": "mention", "hashtags": ["Tag", "x"]},
                               {"source": "d", "target": "d", "kind": "repost", "weight": 2.0}]),
    ]


def test_load_counts_known_answer(store):
    c = store.load(world_batches()).as_dict()
    assert c["accounts"] == {"rows": 3, "inserted": 2, "existing": 0, "duplicates": 1, "self_loops": 0,
                             "updated": 0}
    assert c["follows"] == {"rows": 4, "inserted": 3, "existing": 0, "duplicates": 1, "self_loops": 1,
                            "updated": 0}
    assert c["interactions"] == {"rows": 4, "inserted": 4, "existing": 0, "duplicates": 1, "self_loops": 1,
                                 "updated": 0}
    assert c["new_endpoint_accounts"] == 2  # c and d
    assert store.counts() == {"accounts": 4, "follows": 3, "interactions": 4, "posts": 0}


def test_reload_is_idempotent(store):
    store.load(world_batches())
    before_acc = store.read_accounts().to_pylist()
    before = store_edges(store.read_edges())
    again = store.load(world_batches()).as_dict()
    assert again["accounts"]["inserted"] == 0 and again["accounts"]["existing"] == 2
    assert again["accounts"]["updated"] == 0
    assert again["follows"]["inserted"] == 0 and again["follows"]["existing"] == 3
    assert again["interactions"]["inserted"] == 0 and again["interactions"]["existing"] == 3
    assert again["new_endpoint_accounts"] == 0
    assert store.counts() == {"accounts": 4, "follows": 3, "interactions": 4, "posts": 0}
    assert store.read_accounts().to_pylist() == before_acc
    after = store_edges(store.read_edges())
    assert sorted(after[0]) == sorted(before[0]) and after[1] == before[1]


def test_dense_idx_in_id_order_and_stable(store):
    store.load([batch("follows", [{"follower": "m", "followee": "c"}, {"follower": "a", "followee": "z"}])])
    assert list(store.read_edges().node_ids) == ["a", "c", "m", "z"]
    store.load([batch("follows", [{"follower": "b", "followee": "a"}, {"follower": "zz", "followee": "0"}])])
    ids = list(store.read_edges().node_ids)
    assert ids == ["a", "c", "m", "z", "0", "b", "zz"]  # old indices never move; new ones follow, in id order
    assert [r["id"] for r in store.read_accounts().to_pylist()] == ids


def test_account_upsert(store):
    store.load([batch("accounts", [{"id": "a", "handle": "@a", "followers_count": 1, "affiliation": "org"}])])
    c = store.load([batch("accounts", [{"id": "a", "handle": None, "followers_count": 7},
                                       {"id": "b", "platform": "bsky"}])]).as_dict()["accounts"]
    assert (c["inserted"], c["existing"], c["updated"]) == (1, 1, 1)
    rows = {r["id"]: r for r in store.read_accounts().to_pylist()}
    assert rows["a"] == {"id": "a", "handle": "@a", "platform": None, "followers_count": 7, "following_count": None,
                         "affiliation": "org"}
    assert rows["b"]["platform"] == "bsky"
    # same values again: nothing updated
    c = store.load([batch("accounts", [{"id": "a", "followers_count": 7}])]).as_dict()["accounts"]
    assert c["updated"] == 0
    e = store.read_edges()
    assert e.followers_count[0] == 7 and math.isnan(e.followers_count[1])


def test_interaction_multiplicity(store):
    row = {"source": "a", "target": "b", "kind": "mention", "ts": ts(2), "post_id": "p", "hashtags": ["h"]}
    store.load([batch("interactions", [row] * 3)])
    assert store.counts()["interactions"] == 3
    c = store.load([batch("interactions", [row] * 2)]).as_dict()["interactions"]
    assert (c["inserted"], c["existing"], c["duplicates"]) == (0, 1, 1)
    assert store.counts()["interactions"] == 3
    c = store.load([batch("interactions", [row] * 5)]).as_dict()["interactions"]
    assert c["inserted"] == 2
    assert store.counts()["interactions"] == 5
    e = store.read_edges()
    assert e.interaction_weight.sum() == 5.0
    src, tags = store.read_hashtags()
    assert list(tags) == ["h"] * 5
    assert store.interactions_to(["b"]).to_pylist() == [{"source": "a", "target": "b", "kind": "mention", "n": 5}]


@pytest.mark.parametrize("seed", [1, 2])
def test_edges_match_reference(store, seed):
    accounts, follows, inter = random_world(seed)
    half = len(follows) // 2
    store.load([batch("accounts", accounts), batch("follows", follows[:half]), batch("interactions", inter)])
    store.load([batch("follows", follows[half:])])
    e = store.read_edges()
    assert_edge_dtypes(e)
    pairs, events = reference_edges(follows, inter)
    got_pairs, got_events = store_edges(e)
    assert len(got_pairs) == len(set(got_pairs))
    assert set(got_pairs) == pairs
    assert got_events == weighted(events)
    assert store.counts() == {"accounts": len({r["follower"] for r in follows} | {r["followee"] for r in follows}
                                              | {r["source"] for r in inter} | {r["target"] for r in inter}
                                              | {r["id"] for r in accounts}),
                              "follows": len(pairs), "interactions": len(inter), "posts": 0}
    fc = {r["id"]: r["followers_count"] for r in accounts}
    for i, ident in enumerate(e.node_ids):
        want = fc.get(ident)
        assert (math.isnan(e.followers_count[i]) if want is None else e.followers_count[i] == want)


@pytest.mark.parametrize("seed", [3])
def test_follow_since_read_back(store, seed):
    """``EdgeArrays.follow_ts``: the earliest ``since`` of every follow pair in Unix seconds, -1 where none."""
    accounts, follows, inter = random_world(seed)
    store.load([batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)])
    e = store.read_edges()
    assert e.follow_ts is not None and e.follow_ts.dtype == np.int64 and e.follow_ts.shape == e.follow_src.shape
    want: dict = {}
    for r in follows:
        key = (r["follower"], r["followee"])
        t = None if r["since"] is None else int(round(r["since"].replace(tzinfo=dt.timezone.utc).timestamp()))
        old = want.get(key)
        want[key] = t if old is None else (old if t is None else min(old, t))
    ids = e.node_ids
    got = {(ids[s], ids[d]): int(t) for s, d, t in zip(e.follow_src, e.follow_dst, e.follow_ts)}
    assert got == {k: (-1 if v is None else v) for k, v in want.items()}
    assert (e.follow_ts >= 0).any() and (e.follow_ts == -1).any()


def test_hostile_ids_round_trip(store):
    ids = HOSTILE_IDS
    follows = [{"follower": ids[i], "followee": ids[(i + 1) % len(ids)]} for i in range(len(ids))]
    inter = [{"source": ids[i], "target": ids[-1 - i], "kind": "quote", "post_id": ids[i], "hashtags": [ids[i]]}
             for i in range(len(ids))]
    accounts = [{"id": i, "handle": i, "affiliation": i} for i in ids]
    store.load([batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)])
    acc = store.read_accounts().to_pylist()
    assert sorted(r["id"] for r in acc) == sorted(ids)
    assert all(r["handle"] == r["id"] == r["affiliation"] for r in acc)
    e = store.read_edges()
    assert sorted(e.node_ids) == sorted(ids)
    got_pairs, _ = store_edges(e)
    assert set(got_pairs) == {(r["follower"], r["followee"]) for r in follows}
    to = store.interactions_to([ids[0], ids[-1], ids[5]]).to_pylist()
    assert sorted((r["source"], r["target"]) for r in to) == sorted(
        [(ids[-1], ids[0]), (ids[0], ids[-1]), (ids[len(ids) - 6], ids[5])])
    users = store.hashtag_users(["{curly}", "X" * 10_000]).to_pylist()
    assert users == sorted([{"source": "x" * 10_000, "tag": "x" * 10_000, "n": 1},
                            {"source": "{curly}", "tag": "{curly}", "n": 1}], key=lambda r: r["source"])
    # loading the same hostile data again adds nothing
    store.load([batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)])
    assert store.counts() == {"accounts": len(ids), "follows": len(ids), "interactions": len(ids), "posts": 0}


def test_load_is_all_or_nothing_on_input_error(store):
    store.load([batch("follows", [{"follower": "a", "followee": "b"}])])

    def bad():
        yield batch("follows", [{"follower": "x", "followee": "y"}])
        yield batch("interactions", [{"source": "x", "target": "y", "kind": "reply"}])
        raise ValueError("broken input at line 3")
    with pytest.raises(ValueError, match="line 3"):
        store.load(bad())
    assert store.counts() == {"accounts": 2, "follows": 1, "interactions": 0, "posts": 0}
    assert list(store.read_edges().node_ids) == ["a", "b"]


def test_hashtags_and_interactions_to(store):
    store.load([batch("interactions", [
        {"source": "a", "target": "t", "kind": "mention", "hashtags": ["Vegan", "food"]},
        {"source": "a", "target": "t", "kind": "reply", "hashtags": ["vegan"]},
        {"source": "b", "target": "t", "kind": "mention", "hashtags": ["VEGAN"]},
        {"source": "b", "target": "u", "kind": "mention"},
        {"source": "c", "target": "u", "kind": "mention", "hashtags": []},
    ])])
    assert store.hashtag_users(["vegan"]).to_pylist() == [{"source": "a", "tag": "vegan", "n": 2},
                                                          {"source": "b", "tag": "vegan", "n": 1}]
    assert store.hashtag_users(["FOOD", "none"]).to_pylist() == [{"source": "a", "tag": "food", "n": 1}]
    assert store.interactions_to(["t", "u"]).to_pylist() == [
        {"source": "a", "target": "t", "kind": "mention", "n": 1}, {"source": "a", "target": "t", "kind": "reply", "n": 1},
        {"source": "b", "target": "t", "kind": "mention", "n": 1}, {"source": "b", "target": "u", "kind": "mention", "n": 1},
        {"source": "c", "target": "u", "kind": "mention", "n": 1}]
    src, tags = store.read_hashtags()
    ids = store.read_edges().node_ids
    assert sorted(zip(ids[src], tags)) == sorted([("a", "Vegan"), ("a", "food"), ("a", "vegan"), ("b", "VEGAN")])


def result_tables(n_acc: int, seed: int):
    rng = np.random.default_rng(seed)
    acc = pa.table({
        "idx": pa.array(np.arange(n_acc, dtype=np.int32)),
        "id": pa.array([f"u{i}" for i in range(n_acc)]),
        "tier": pa.array(rng.choice(["nano", "micro", None], n_acc).tolist(), pa.string()),
        "tier_estimated": pa.array(rng.random(n_acc) < .5),
        "community": pa.array(rng.integers(0, 3, n_acc)),
        "pagerank": pa.array(rng.random(n_acc)),
        "social_ratio": pa.array([None if i % 4 == 0 else float(i) / n_acc for i in range(n_acc)], pa.float64()),
    })
    com = pa.table({
        "community": pa.array([0, 1, 2], pa.int64()), "level": ["broad", "broad", "niche"],
        "parent": pa.array([None, None, 1], pa.int64()), "size": pa.array([3, 4, 5], pa.int64()),
        "density": [0.5, 0.25, 1.0], "top_members": [["u1", "u2"], [], ["u'3\"`{}"]],
        "top_hashtags": pa.array([["a"], ["b", "c"], []], pa.list_(pa.string())),
    })
    return {"accounts": acc, "communities": com}


def test_runs_round_trip(store):
    store.load([batch("follows", [{"follower": f"u{i}", "followee": f"u{(i + 1) % 10}"} for i in range(10)])])
    # ids u0..u9 sort as u0, u1, ..., u9: idx i is u{i}
    t1, t2 = result_tables(10, 1), result_tables(10, 2)
    r1 = RunRecord("run-1", "2026-01-01T00:00:00", {"seed": 1, "resolution": 1.0}, {"accounts": 10})
    r2 = RunRecord("run-2", "2026-01-02T00:00:00", {"seed": 2}, {"accounts": 10})
    store.write_run(r1, t1)
    store.write_run(r2, t2)
    assert [r.run_id for r in store.list_runs()] == ["run-2", "run-1"]
    run, tables = store.read_run()
    assert run == r2
    for name in ("accounts", "communities"):
        assert tables[name].to_pylist() == t2[name].to_pylist()
    run, tables = store.read_run("run-1")
    assert run == r1 and tables["accounts"].to_pylist() == t1["accounts"].to_pylist()
    with pytest.raises(NoRunError):
        store.read_run("nope")
    with pytest.raises(StoreError):
        store.write_run(RunRecord("run-3", "2026-01-03", {}, {}), {"evil; DROP": t1["accounts"]})


def test_serving_tables_round_trip_and_partial_reads(store):
    """The run tables the service answers from, as `analyze` builds them, survive the store; read_run(tables=) reads
    only what is asked, and a run without a table simply lacks it."""
    from nichegraph.api.stages.serving import serving_tables

    store.load([batch("follows", [{"follower": "a", "followee": "b"}, {"follower": "b", "followee": "a"},
                                  {"follower": "c", "followee": "a"}]),
                batch("interactions", [
                    {"source": "a", "target": "c", "kind": "reply", "hashtags": ["Vegan"]},
                    {"source": "c", "target": "a", "kind": "reply"},
                    {"source": "c", "target": "a", "kind": "mention", "hashtags": ["vegan", "food"]},
                    {"source": "b", "target": "c", "kind": "mention"}])])
    edges = store.read_edges()
    serving = serving_tables(store, edges)
    ids = list(edges.node_ids)  # a, b, c
    touches = {(ids[r["source"]], ids[r["target"]]): r["n"] for r in serving["touches"].to_pylist()}
    assert touches == {("a", "c"): 1, ("c", "a"): 2, ("b", "c"): 1}
    uses = {(ids[r["source"]], r["tag"]): r["n"] for r in serving["hashtag_uses"].to_pylist()}
    assert uses == {("a", "vegan"): 1, ("c", "vegan"): 1, ("c", "food"): 1}
    ties = {(ids[r["account"]], ids[r["other"]]): (r["strength"], r["mutual_follow"])
            for r in serving["mutuals"].to_pylist()}
    assert ties == {("a", "b"): (0.0, True), ("b", "a"): (0.0, True), ("a", "c"): (1.0, False),
                    ("c", "a"): (1.0, False)}
    assert sorted(zip(serving["audience"].column("follower").to_pylist(),
                      serving["audience"].column("account").to_pylist())) == [(0, 1), (1, 0), (2, 0)]
    acc = pa.table({"idx": pa.array([0, 1, 2], pa.int32()), "id": ids})
    store.write_run(RunRecord("run-1", "2026-01-01T00:00:00", {}, {}), {"accounts": acc})
    store.write_run(RunRecord("run-2", "2026-01-02T00:00:00", {}, {}), {"accounts": acc, **serving})
    _, tables = store.read_run()
    assert set(tables) == {"accounts", *serving}
    for name, table in serving.items():
        assert sorted(tables[name].to_pylist(), key=str) == sorted(table.to_pylist(), key=str), name
    _, tables = store.read_run(tables=("touches",))
    assert set(tables) == {"touches"}
    _, tables = store.read_run("run-1", tables=("accounts", "audience"))
    assert set(tables) == {"accounts"}
    with pytest.raises(StoreError, match="unknown result tables"):
        store.read_run(tables=("accounts", "secrets"))


def test_posts_upsert_and_read_back_alike(store):
    """Posts on both stores: upsert by post_id (last non-null wins, nulls keep), authors become accounts,
    the same counts, rows and hashtag uses (a post's hashtags once, an event's not made by a post per event)."""
    first = [batch("accounts", [{"id": "a", "followers_count": 100}]),
             batch("posts", [{"post_id": "p1", "author": "a", "ts": ts(0), "hashtags": ["Vegan"], "kind": "original",
                              "likes": 3, "views": 40, "platform": "x"},
                             {"post_id": "p1", "author": "a", "kind": "original", "likes": 5},
                             {"post_id": "p2", "author": "n'ew", "kind": "reply", "hashtags": ["vegan", "x"]}]),
             batch("interactions", [{"source": "a", "target": "b", "kind": "mention", "post_id": "p1",
                                     "hashtags": ["Vegan"]},
                                    {"source": "b", "target": "a", "kind": "reply", "post_id": "q9",
                                     "hashtags": ["vegan"], "ts": ts(1)},
                                    {"source": "b", "target": "a", "kind": "reply", "post_id": "q9",
                                     "hashtags": ["vegan"], "ts": ts(1)}])]
    c = store.load(first).as_dict()
    assert c["posts"] == {"rows": 3, "inserted": 2, "existing": 0, "duplicates": 1, "self_loops": 0, "updated": 0}
    assert c["new_endpoint_accounts"] == 2  # b (an interaction endpoint) and n'ew (an author)
    assert store.counts() == {"accounts": 3, "follows": 0, "interactions": 3, "posts": 2}
    ids = store.read_accounts().column("id").to_pylist()
    rows = {r["post_id"]: {**r, "author": ids[r["author"]]} for r in store.read_posts().to_pylist()}
    assert rows["p1"] == {"author": "a", "post_id": "p1", "ts": ts(0), "kind": "original", "hashtags": ["Vegan"],
                          "likes": 5, "replies": None, "reposts": None, "quotes": None, "views": 40, "platform": "x"}
    assert rows["p2"]["author"] == "n'ew" and rows["p2"]["ts"] is None and rows["p2"]["likes"] is None
    uses = sorted((ids[u["source"]], u["tag"], u["ts"], u["post_id"], u["n"])
                  for u in store.read_hashtag_uses().to_pylist())
    assert uses == [("a", "vegan", ts(0), "p1", 1), ("b", "vegan", ts(1), "q9", 2),
                    ("n'ew", "vegan", None, "p2", 1), ("n'ew", "x", None, "p2", 1)]
    again = store.load([batch("posts", [{"post_id": "p1", "author": "a", "kind": "original", "replies": 2},
                                        {"post_id": "p2", "author": "n'ew", "kind": "reply"}])]).as_dict()["posts"]
    assert (again["inserted"], again["existing"], again["updated"]) == (0, 2, 1)
    p1 = next(r for r in store.read_posts().to_pylist() if r["post_id"] == "p1")
    assert (p1["likes"], p1["replies"], p1["views"], p1["hashtags"]) == (5, 2, 40, ["Vegan"])
