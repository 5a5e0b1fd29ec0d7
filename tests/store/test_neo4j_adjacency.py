"""The accounts' adjacency records (graph_store.neo4j_adjacency) always read as the relationships do.

Every test compares ``read_edges()`` (records) with the same accounts' relationships read one by one
(``read_in_chunks``, the obviously-correct path) and with a DuckDB store given the same loads.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from nichegraph.graph_store import neo4j_adjacency as adjacency
from nichegraph.graph_store.duckdb_store import DuckDBStore

from .helpers import batch, random_world, ts

pytestmark = pytest.mark.neo4j


def world(seed: int, **kw):
    accounts, follows, inter = random_world(seed, **kw)
    return [batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)]


def rows(e) -> tuple[list, list]:
    """Edges as sorted tuples of ids and values (order-free)."""
    ids = e.node_ids
    fol = sorted(zip(ids[e.follow_src], ids[e.follow_dst], e.follow_ts.tolist()))
    itr = sorted(
        zip(ids[e.interaction_src], ids[e.interaction_dst], e.interaction_kind.tolist(), e.interaction_ts.tolist(),
            e.interaction_weight.tolist(), e.interaction_n.tolist())
    )
    return fol, itr


def through_relationships(st):
    """The arrays read from the relationships themselves, every account."""
    e = st.read_edges()
    adj = adjacency.Adjacency.concat(adjacency.read_in_chunks(st._read_values, np.arange(e.n_nodes), 1))
    return adjacency.edge_arrays(e.node_ids, e.followers_count, adj)


def stale(st) -> list[int]:
    return st.sessions.read(
        "MATCH (a:Account) WHERE a.adj_v IS NULL OR a.adj_v <> $v RETURN collect(a.idx) AS idx",
        {"v": adjacency.ADJ_VERSION},
    )[0]["idx"]


def check(st, ref: DuckDBStore) -> None:
    e = st.read_edges()
    assert rows(e) == rows(through_relationships(st))
    assert rows(e) == rows(ref.read_edges())
    assert list(e.node_ids) == list(ref.read_edges().node_ids)


@pytest.mark.parametrize("options", [{}, {"atomic_rows": 0, "batch_size": 13, "workers": 2}], ids=["atomic", "batched"])
def test_records_follow_every_load(neo4j_store_factory, tmp_path, options):
    """Fresh load, a second load with new edges on stored sources, earlier ``since`` and more twins, a re-load."""
    st = neo4j_store_factory(**options)
    ref = DuckDBStore(tmp_path / "ref.duckdb")
    first = world(1)
    for b in (first, world(2), first):
        st.load(b)
        ref.load(b)
        assert stale(st) == []
        check(st, ref)
    more = [
        batch("follows", [{"follower": "u001", "followee": "u002", "since": ts(-5)}]),
        batch("interactions", [{"source": "u003", "target": "u004", "kind": "reply", "ts": ts(0)}] * 9),
    ]
    st.load(more)
    ref.load(more)
    check(st, ref)
    ref.close()


def test_stale_accounts_read_through_their_relationships(neo4j_store_factory, tmp_path):
    """Accounts whose ``adj_v`` is gone (a killed load) are read from their relationships; a load repairs them."""
    st = neo4j_store_factory()
    ref = DuckDBStore(tmp_path / "ref.duckdb")
    w = world(3)
    st.load(w)
    ref.load(w)
    st.sessions.write("MATCH (a:Account) WHERE a.idx % 3 = 0 REMOVE a.adj_v, a.adj_f")  # some lose their records
    assert len(stale(st)) > 0
    check(st, ref)
    st.load([])  # nothing new: the load still writes the missing records
    assert stale(st) == []
    check(st, ref)
    ref.close()


def test_relationships_written_by_another_client(neo4j_store_factory, tmp_path, caplog):
    """A relationship another client adds (or deletes) without touching ``adj_v`` changes the counts: the read
    notices, says so and reads every relationship; ``build_adjacency(everything=True)`` rewrites the records."""
    st = neo4j_store_factory()
    ref = DuckDBStore(tmp_path / "ref.duckdb")
    w = world(4)
    st.load(w)
    ref.load(w)
    st.sessions.write(
        "MATCH (a:Account {id: 'u005'}), (b:Account {id: 'u006'}) CREATE (a)-[:FOLLOWS]->(b), (a)-[:FOLLOWS]->(b)"
    )
    st.sessions.write("MATCH (:Account {id: 'u007'})-[e:INTERACTS]->() WITH e LIMIT 1 DELETE e")
    with caplog.at_level(logging.WARNING):
        e = st.read_edges()
    assert "reading every relationship instead" in caplog.text
    assert rows(e) == rows(through_relationships(st))
    assert rows(e)[0] != rows(ref.read_edges())[0]  # the two follows are there
    assert st.build_adjacency(everything=True) == e.n_nodes
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert rows(st.read_edges()) == rows(e)
    assert "reading every relationship" not in caplog.text
    ref.close()


def test_records_round_trip():
    """pack then unpack gives the columns back, per account, with accounts that have no edges."""
    rng = np.random.default_rng(0)
    n = 50
    fs = rng.integers(0, n, 400).astype(np.int32)
    s = rng.integers(0, n, 300).astype(np.int32)
    adj = adjacency.Adjacency(
        fs, rng.integers(0, n, 400).astype(np.int32), rng.integers(-(2**62), 2**62, 400),
        s, rng.integers(0, n, 300).astype(np.int32), rng.integers(0, 7, 300).astype(np.int8),
        rng.integers(-(2**62), 2**62, 300), rng.random(300), rng.integers(1, 9, 300).astype(np.int32),
    )
    idx = list(range(n + 3))  # three accounts without edges
    f, r = adjacency.pack(idx, adj)
    assert f[-1] is None and r[-1] is None
    back = adjacency.unpack(np.asarray(idx), [x or b"" for x in f], [x or b"" for x in r])
    key_f = lambda a: sorted(zip(a.fs.tolist(), a.fd.tolist(), a.fus.tolist()))  # noqa: E731
    key_e = lambda a: sorted(zip(a.s.tolist(), a.d.tolist(), a.kind.tolist(), a.us.tolist(), a.w.tolist(),  # noqa: E731
                                 a.n.tolist()))
    assert key_f(back) == key_f(adj) and key_e(back) == key_e(adj)
