"""Run tables written by an earlier version whose column types changed since (real DuckDB)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from nichegraph.graph_store import RunRecord, StoreError
from nichegraph.graph_store.duckdb_store import DuckDBStore


def _accounts(n: int) -> pa.Table:
    return pa.table({"id": [f"a{i}" for i in range(n)], "pagerank": pa.array([0.5] * n)})


def test_widened_column_keeps_earlier_runs(tmp_path):
    path = tmp_path / "s.duckdb"
    with DuckDBStore(str(path)) as st:
        narrow = pa.table(
            {"source": pa.array([0, 1], pa.int32()), "tag": ["x", "y"], "n": pa.array([1, 2], pa.int32())}
        )
        st.write_run(
            RunRecord("run-1", "2026-01-01T00:00:00", {}, {}), {"accounts": _accounts(2), "hashtag_uses": narrow}
        )
        wide = pa.table({"source": pa.array([0], pa.int32()), "tag": ["z"], "n": pa.array([2**40], pa.int64())})
        st.write_run(
            RunRecord("run-2", "2026-01-02T00:00:00", {}, {}), {"accounts": _accounts(1), "hashtag_uses": wide}
        )
        _, old = st.read_run("run-1", tables=["hashtag_uses"])
        _, new = st.read_run("run-2", tables=["hashtag_uses"])
    assert old["hashtag_uses"].column("n").to_pylist() == [1, 2]
    assert new["hashtag_uses"].column("n").to_pylist() == [2**40]


def test_inconvertible_column_is_refused_and_nothing_written(tmp_path):
    path = tmp_path / "s.duckdb"
    with DuckDBStore(str(path)) as st:
        seconds = pa.table(
            {"source": pa.array([0], pa.int32()), "tag": ["x"], "ts": pa.array([1_700_000_000], pa.int64())}
        )
        st.write_run(
            RunRecord("run-1", "2026-01-01T00:00:00", {}, {}), {"accounts": _accounts(1), "hashtag_uses": seconds}
        )
        stamps = pa.table(
            {
                "source": pa.array([0], pa.int32()),
                "tag": ["x"],
                "ts": pa.array([dt.datetime(2026, 1, 1)], pa.timestamp("us")),
            }
        )
        with pytest.raises(StoreError, match=r"result_hashtag_uses.*'ts'.*BIGINT.*TIMESTAMP"):
            st.write_run(
                RunRecord("run-2", "2026-01-02T00:00:00", {}, {}), {"accounts": _accounts(1), "hashtag_uses": stamps}
            )
        assert [r.run_id for r in st.list_runs()] == ["run-1"]
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM result_accounts").fetchone()[0] == 1
    assert (
        con.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name='result_hashtag_uses' AND column_name='ts'"
        ).fetchone()[0]
        == "BIGINT"
    )
