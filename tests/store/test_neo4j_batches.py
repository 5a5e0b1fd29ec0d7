"""How the Neo4j loader schedules relationship batches: buckets with disjoint node groups in parallel.

The scheduler (``run_disjoint``) is checked with plain threads against what it promises (every item
once, a bucket's items in order, never two running buckets with a common group); the Neo4j test checks
that a parallel load of a world with hubs runs without a single lock wait turning into a deadlock retry.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time

import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.neo4j_batches import node_groups, run_disjoint

from .helpers import batch, ts


def _buckets(groups: int, per_bucket: int) -> list[tuple[frozenset[int], list[tuple[int, int, int]]]]:
    """Every bucket of ``groups`` groups (pairs and diagonals), ``per_bucket`` items ``(lo, hi, k)`` each."""
    return [
        (frozenset((lo, hi)), [(lo, hi, k) for k in range(per_bucket)])
        for lo, hi in itertools.combinations_with_replacement(range(groups), 2)
    ]


@pytest.mark.parametrize("workers", [1, 2, 3, 5])
@pytest.mark.parametrize("groups", [1, 2, 4, 7])
def test_running_buckets_never_share_a_group(workers, groups):
    buckets = _buckets(groups, 3)
    lock = threading.Lock()
    running: dict[tuple[int, int], int] = {}  # bucket -> items of it running now
    seen: list[tuple[int, int, int]] = []
    clash: list[tuple] = []
    peak = [0]
    rng = random.Random(groups * 10 + workers)

    def fn(item):
        lo, hi, k = item
        with lock:
            mine = {lo, hi}
            for (olo, ohi), n in running.items():
                if n and (olo, ohi) != (lo, hi) and mine & {olo, ohi}:
                    clash.append(((lo, hi), (olo, ohi)))
            assert running.get((lo, hi), 0) == 0, "two items of one bucket at once"
            running[(lo, hi)] = 1
            peak[0] = max(peak[0], sum(1 for v in running.values() if v))
            seen.append(item)
        time.sleep(rng.random() * 0.002)
        with lock:
            running[(lo, hi)] = 0
        return lo * 1000 + hi * 10 + k

    out = run_disjoint(workers, buckets, fn)
    assert clash == []
    every = [x for _, items in buckets for x in items]
    assert sorted(seen) == sorted(every)  # every item exactly once
    assert sorted(out) == sorted((x, x[0] * 1000 + x[1] * 10 + x[2]) for x in every)
    for lo, hi in {(x[0], x[1]) for x in every}:  # a bucket's items in their order
        assert [x[2] for x in seen if (x[0], x[1]) == (lo, hi)] == [0, 1, 2]
    if workers > 1 and groups >= 4:
        assert peak[0] >= 2  # disjoint buckets did run side by side


def test_an_error_stops_new_buckets_and_is_raised():
    started: list[frozenset] = []

    def fn(item):
        started.append(item)
        if item == (0, 1, 0):
            raise ValueError("boom")
        time.sleep(0.001)
        return 0

    with pytest.raises(ValueError, match="boom"):
        run_disjoint(2, _buckets(6, 1), fn)
    assert len(started) < len(_buckets(6, 1))


def test_node_groups():
    assert node_groups(0, 10_000, 2) == 4  # at least two disjoint buckets per worker pair
    assert node_groups(250_000, 10_000, 2) == 8  # a bucket is about one batch: 2 * 250k / 8**2 <= 10k
    assert node_groups(10**9, 10, 2) == 64
    assert node_groups(100, 1, 3) == 15
    assert node_groups(10**6, 10, 1) == 1  # one writer: batches in source order, no buckets


@pytest.mark.neo4j
def test_parallel_load_with_hubs_needs_no_deadlock_retry(neo4j_store_factory, tmp_path, caplog):
    """Hubs that everyone follows and mentions, small batches, two writers: no deadlock on a node lock
    (the driver logs each retry with the lock it could not take; before the buckets, such loads met
    several per run), and the counts equal the DuckDB store's.

    Not asserted: no retry at all.  Linking a new relationship into a node's chain also locks the
    chain's first relationship, which leads to a node of any group, so two buckets can still (rarely)
    meet on a relationship lock; the driver retries those."""
    rng = random.Random(7)
    ids = [f"u{i:04d}" for i in range(400)]
    hubs = ids[:5]
    follows = {(a, h) for a in ids for h in hubs if a != h}
    follows |= {(rng.choice(ids), rng.choice(ids)) for _ in range(3000)}
    fol = [{"follower": a, "followee": b, "since": ts(rng.randrange(100))} for a, b in sorted(follows)]
    itr = [
        {"source": rng.choice(ids), "target": rng.choice(hubs + ids), "kind": rng.choice(["mention", "reply"]),
         "ts": ts(rng.randrange(50))}
        for _ in range(6000)
    ]
    data = [batch("accounts", [{"id": i} for i in ids]), batch("follows", fol), batch("interactions", itr)]
    st = neo4j_store_factory(atomic_rows=0, batch_size=50, workers=2)
    caplog.set_level(logging.INFO)
    counts = st.load(data)
    node_locks = [m for m in (r.getMessage() for r in caplog.records) if "Deadlock" in m and "on NODE(" in m]
    assert node_locks == []
    ref = DuckDBStore(tmp_path / "ref.duckdb")
    assert counts == ref.load(data)
    assert st.counts() == ref.counts()
    ref.close()
