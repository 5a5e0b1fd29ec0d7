"""DuckDBStore's bulk reads: hashtags as shared strings, no cached blocks kept, the store still answers; edges
streamed into their final arrays equal a plain fetch; reads under a memory limit too small for them still answer."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from nichegraph.graph_store import duckdb_posts, duckdb_read
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import INTERACTION_KINDS

from .helpers import batch, random_world, ts


def test_hashtags_share_equal_strings_and_the_store_keeps_answering(tmp_path):
    with DuckDBStore(str(tmp_path / "s.duckdb")) as st:
        st.load([batch("interactions", [
            {"source": "a", "target": "b", "kind": "mention", "hashtags": ["Vegan", "food"]},
            {"source": "b", "target": "a", "kind": "reply", "hashtags": ["Vegan"]},
            {"source": "c", "target": "a", "kind": "reply", "hashtags": ["food", "Vegan", "ünï"]},
        ])])
        limit = st.con.execute("SELECT current_setting('memory_limit')").fetchall()
        e = st.read_edges()
        src, tags = st.read_hashtags()
        assert st.con.execute("SELECT current_setting('memory_limit')").fetchall() == limit  # restored
        assert tags.dtype == object
        got = sorted(zip(e.node_ids[src].tolist(), tags.tolist()))
        assert got == sorted([("a", "Vegan"), ("a", "food"), ("b", "Vegan"), ("c", "food"), ("c", "Vegan"),
                              ("c", "ünï")])
        vegan = [t for t in tags if t == "Vegan"]
        assert len(vegan) == 3 and all(t is vegan[0] for t in vegan)  # one object per distinct tag
        assert st.counts()["interactions"] == 3 and st.counts()["accounts"] == 3
        assert st.read_edges().interaction_n.tolist() == e.interaction_n.tolist()
    with DuckDBStore(str(tmp_path / "empty.duckdb")) as st:
        src, tags = st.read_hashtags()
        assert src.size == 0 and tags.size == 0 and tags.dtype == object


def _plain_edges(con):
    """The edge columns by a plain DB-API fetch, one Python value at a time (the slow, obvious read)."""
    fol = con.execute("SELECT src, dst, coalesce(epoch(since)::BIGINT, -1) FROM follows").fetchall()
    itr = con.execute(
        "SELECT src, dst, kind::VARCHAR, coalesce(epoch(ts)::BIGINT, -1), weight * n, n FROM interactions"
    ).fetchall()
    return fol, itr


def _edges_as_rows(e):
    fol = list(zip(e.follow_src.tolist(), e.follow_dst.tolist(), e.follow_ts.tolist()))
    kinds = [INTERACTION_KINDS[k] for k in e.interaction_kind.tolist()]
    itr = list(zip(e.interaction_src.tolist(), e.interaction_dst.tolist(), kinds, e.interaction_ts.tolist(),
                   e.interaction_weight.tolist(), e.interaction_n.tolist()))
    return fol, itr


@pytest.mark.parametrize("batch_rows", [1, 7, 1 << 20])
def test_streamed_edges_equal_a_plain_fetch_in_any_batch_size(tmp_path, monkeypatch, batch_rows):
    monkeypatch.setattr(duckdb_read, "BATCH_ROWS", batch_rows)  # batches end anywhere: rows stitched in order
    accounts, follows, inter = random_world(3, n=80, n_follows=2500, n_inter=2500)
    with DuckDBStore(str(tmp_path / "s.duckdb")) as st:
        st.load([batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)])
        st.load([batch("interactions", inter[:300])])  # repeated events: n > 1
        e = st.read_edges()
        assert _edges_as_rows(e) == _plain_edges(st.con)
        assert max(e.interaction_n) > 1 and min(e.follow_ts) == -1 and min(e.interaction_ts) == -1
        for name in ("follow_src", "follow_dst", "interaction_src", "interaction_dst", "interaction_n"):
            assert getattr(e, name).dtype == np.int32 and getattr(e, name).flags.c_contiguous
        assert e.interaction_kind.dtype == np.int8 and e.interaction_ts.dtype == np.int64
        assert e.follow_ts.dtype == np.int64 and e.interaction_weight.dtype == np.float64
        ids = st.con.execute("SELECT id, followers_count FROM accounts ORDER BY idx").fetchall()
        assert e.node_ids.tolist() == [i for i, _ in ids]
        assert [None if np.isnan(x) else x for x in e.followers_count.tolist()] == [c for _, c in ids]


def test_a_store_whose_kind_enum_has_another_order_reads_the_same_kinds(tmp_path):
    path = str(tmp_path / "old.duckdb")
    other_order = ", ".join(f"'{k}'" for k in reversed(INTERACTION_KINDS))  # fixed test constants
    con = duckdb.connect(path)
    con.execute(f"CREATE TYPE interaction_kind AS ENUM ({other_order})")
    con.close()
    rows = [{"source": "a", "target": "b", "kind": k} for k in INTERACTION_KINDS]
    with DuckDBStore(path) as st:
        st.load([batch("interactions", rows)])
        e = st.read_edges()
        ids = e.node_ids
        got = sorted((ids[s], ids[d], INTERACTION_KINDS[k]) for s, d, k in
                     zip(e.interaction_src, e.interaction_dst, e.interaction_kind))
        assert got == sorted(("a", "b", k) for k in INTERACTION_KINDS)
        assert st.con.execute("SELECT enum_code('share'::interaction_kind)").fetchall()[0][0] == 0


def test_reads_under_a_memory_limit_too_small_for_them_still_answer(tmp_path, monkeypatch):
    accounts, follows, inter = random_world(5, n=80, n_follows=2000, n_inter=2000)
    with DuckDBStore(str(tmp_path / "s.duckdb")) as st:
        st.load([batch("accounts", accounts), batch("follows", follows), batch("interactions", inter)])
        want_edges, want_uses = _edges_as_rows(st.read_edges()), st.read_hashtag_uses()
        default = st.con.execute("SELECT current_setting('memory_limit')").fetchall()
        st.con.execute("SET memory_limit = '1MB'")
        with pytest.raises(duckdb.OutOfMemoryException):  # the uses' group-by does not fit in 1 MB ...
            duckdb_posts.read_hashtag_uses(st.con)
        st.con.execute("RESET memory_limit")
        monkeypatch.setattr(duckdb_read, "READ_MEMORY_LIMIT", "1MB")  # ... so the read runs again without it
        assert _edges_as_rows(st.read_edges()) == want_edges
        assert st.read_hashtag_uses().equals(want_uses)
        assert st.con.execute("SELECT current_setting('memory_limit')").fetchall() == default  # restored


def _uses_by_group_by(con):
    """The uses as one SQL GROUP BY and ORDER BY over the same rows (the obvious form of the read)."""
    return con.sql(f"""SELECT source::INTEGER AS source, tag, ts, post_id, sum(n)::BIGINT AS n
                       FROM ({duckdb_posts.HASHTAG_USE_ROWS_SQL}) GROUP BY ALL
                       ORDER BY tag, source, ts NULLS FIRST, post_id NULLS FIRST""").to_arrow_table()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hashtag_uses_summed_as_neighbours_equal_a_group_by(tmp_path, seed):
    rng = np.random.default_rng(seed)
    accounts, follows, inter = random_world(seed, n=30, n_follows=50, n_inter=900)
    ids = sorted({r["source"] for r in inter})
    posts = [{"post_id": f"p{k}", "author": str(rng.choice(ids)), "kind": "original",
              "ts": None if k % 4 == 0 else ts(int(rng.integers(3))),
              "hashtags": [None, [], ["A", "a"], ["b", None, "B", "c"]][k % 4]} for k in range(1, 5)]
    with DuckDBStore(str(tmp_path / "s.duckdb")) as st:
        st.load([batch("posts", posts), batch("interactions", inter)])
        st.load([batch("interactions", inter[:200])])  # rows with n > 1
        got, want = st.read_hashtag_uses(), _uses_by_group_by(st.con)
        assert got.equals(want)
        assert got.schema == want.schema and got.num_rows > 20
        rows = st.con.sql(f"SELECT count(*) FROM ({duckdb_posts.HASHTAG_USE_ROWS_SQL})").fetchall()[0][0]
        assert rows > got.num_rows  # some uses were summed from several rows
        assert max(got.column("n").to_pylist()) > 1


def test_summing_equal_neighbours_by_a_plain_loop():
    rng = np.random.default_rng(7)
    n = 500
    table = pa.table({"a": pa.array([None if x == 0 else str(x) for x in rng.integers(0, 3, n)]),
                      "b": pa.array([None if x == 2 else int(x) for x in rng.integers(0, 3, n)], pa.int32()),
                      "n": pa.array(rng.integers(1, 5, n), pa.int64())})
    table = table.sort_by([("a", "ascending"), ("b", "ascending")])
    want: list[list] = []
    for a, b, k in zip(*(table.column(c).to_pylist() for c in ("a", "b", "n"))):
        if want and want[-1][0] == a and want[-1][1] == b:
            want[-1][2] += k
        else:
            want.append([a, b, k])
    got = duckdb_read.sum_equal_neighbours(table, ["a", "b"], "n")
    assert [list(r.values()) for r in got.to_pylist()] == want
    assert sum(got.column("n").to_pylist()) == sum(table.column("n").to_pylist())
    distinct = table.slice(0, 1)
    assert duckdb_read.sum_equal_neighbours(distinct, ["a", "b"], "n") is distinct


def test_a_run_written_under_a_memory_limit_too_small_for_it_is_written_once(tmp_path, monkeypatch):
    from nichegraph.graph_store.base import RunRecord
    from nichegraph.graph_store.duckdb_runs import write_run

    rng = np.random.default_rng(3)
    table = pa.table({"account": pa.array(np.arange(300_000, dtype=np.int32)),
                      "score": pa.array(rng.random(300_000)),
                      "tag": pa.array([f"t{i % 977}" for i in range(300_000)])})
    with DuckDBStore(str(tmp_path / "s.duckdb")) as st:
        st.load([batch("interactions", [{"source": "a", "target": "b", "kind": "mention"}])])
        st.con.execute("SET memory_limit = '1MB'")
        with pytest.raises(duckdb.OutOfMemoryException):  # this write does not fit in 1 MB ...
            write_run(st.con, RunRecord("r0", "2024-01-01T00:00:00", {}, {}), {"touches": table})
        st.con.execute("RESET memory_limit")
        monkeypatch.setattr(duckdb_read, "READ_MEMORY_LIMIT", "1MB")  # ... so it is rolled back and redone
        st.write_run(RunRecord("r1", "2024-01-01T00:00:01", {}, {}), {"touches": table})
        assert [r.run_id for r in st.list_runs()] == ["r1"]
        run, tables = st.read_run("r1", tables=["touches"])
        assert tables["touches"].equals(table)
