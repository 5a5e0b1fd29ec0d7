"""Small builders and a slow, obvious reference for the store contract tests."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import numpy as np
import pyarrow as pa

from nichegraph.graph_store.schema import INTERACTION_KINDS, SCHEMAS, TableBatch


def batch(table: str, rows: list[dict]) -> TableBatch:
    """A canonical batch from a list of row dicts (missing fields are null)."""
    return TableBatch(table, pa.RecordBatch.from_pylist(rows, schema=SCHEMAS[table]))


def ts(day: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2024, 1, 1) + dt.timedelta(days=day, seconds=second)


#: Ids that break naive string building in SQL, Cypher, JSON, shells or terminals.
HOSTILE_IDS = [
    "o'brien", 'say "hi"', "back`tick`", "{curly}", "}{", "$param", "a\\b", "semi;colon -- comment",
    "MATCH (n) DETACH DELETE n", "'); DROP TABLE accounts; --", "new\nline", "tab\there", "  spaced  ",
    "ünïcödé", "日本語", "😀🚀", "\u200bzero-width", "rtl\u202etxt", "x" * 10_000, "ü" * 10_000, "😀" * 3_000,
    "%s %d {0}", "null", "NULL", "", "0", "-1",
]


def random_world(seed: int, n: int = 60, n_follows: int = 300, n_inter: int = 300):
    """A random world as row dicts: accounts, follows (with repeats) and interactions (with twins)."""
    rng = random.Random(seed)
    ids = [f"u{i:03d}" for i in range(n)]
    accounts = [{"id": i, "handle": f"@{i}", "followers_count": rng.randrange(0, 10_000) if rng.random() < .7
                 else None} for i in ids[: n // 2]]
    follows = []
    for _ in range(n_follows):
        a, b = rng.choice(ids), rng.choice(ids)
        follows.append({"follower": a, "followee": b, "since": ts(rng.randrange(100)) if rng.random() < .5 else None})
    inter = []
    for _ in range(n_inter):
        a, b = rng.choice(ids), rng.choice(ids)
        row = {"source": a, "target": b, "kind": rng.choice(INTERACTION_KINDS[:4]),
               "ts": ts(rng.randrange(5), rng.randrange(3)) if rng.random() < .8 else None,
               "post_id": rng.choice([None, "p1", "p2"]), "hashtags": rng.choice([None, [], ["A"], ["a", "B"]]),
               "weight": rng.choice([None, 1.0, 2.5])}
        inter.append(row)
        if rng.random() < .2:
            inter.append(dict(row))  # an identical twin event
    return accounts, follows, inter


def reference_edges(follows: list[dict], inter: list[dict]):
    """The expected graph by plain Python: follow pairs, and interaction events as a multiset."""
    pairs = {(r["follower"], r["followee"]) for r in follows}
    events: Counter = Counter()
    for r in inter:
        t = -1 if r["ts"] is None else int(round(r["ts"].replace(tzinfo=dt.timezone.utc).timestamp()))
        w = 1.0 if r.get("weight") is None else r["weight"]
        events[(r["source"], r["target"], INTERACTION_KINDS.index(r["kind"]), t, w)] += 1
    return pairs, events


def store_edges(e):
    """What a store's EdgeArrays say, in the reference's terms (ids, multiset of events)."""
    ids = e.node_ids
    pairs = [(ids[s], ids[d]) for s, d in zip(e.follow_src, e.follow_dst)]
    events: Counter = Counter()
    for s, d, k, t, w in zip(e.interaction_src, e.interaction_dst, e.interaction_kind, e.interaction_ts, e.interaction_weight):
        events[(ids[s], ids[d], int(k), int(t))] += float(w)
    return pairs, events


def weighted(events: Counter) -> Counter:
    """Reference events summed into ``(src, dst, kind, ts) -> total weight``."""
    out: Counter = Counter()
    for (s, d, k, t, w), n in events.items():
        out[(s, d, k, t)] += w * n
    return out


def assert_edge_dtypes(e) -> None:
    assert e.node_ids.dtype == object
    assert e.followers_count.dtype == np.float64
    for name in ("follow_src", "follow_dst", "interaction_src", "interaction_dst"):
        assert getattr(e, name).dtype == np.int32, name
    assert e.interaction_kind.dtype == np.int8
    assert e.interaction_ts.dtype == np.int64
    assert e.interaction_weight.dtype == np.float64
