"""A Neo4j server killed (SIGKILL) and restarted in the middle of a load: the load still completes.

Runs its own small server (512 MB heap), separate from the session one, on a fresh data folder.
"""

from __future__ import annotations

import sys
import threading
import time

import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore

from .test_neo4j_resilience import assert_same_as_reference, world

pytestmark = pytest.mark.neo4j


def test_server_killed_and_restarted_mid_load(tmp_path):
    """SIGKILL the Neo4j JVM during a batched load and start it again on the same data and port."""
    from nichegraph.graph_store.neo4j_store import Neo4jStore

    neo4j_launcher = sys.modules["nichegraph_neo4j_test_server"]  # registered by tests/conftest.py

    small = dict(n_acc=1500, n_fol=12000, n_int=12000)  # long enough to be caught mid-load by a fast loader
    ref = DuckDBStore(tmp_path / "ref.duckdb")
    ref.load(world(**small))
    reference = ref.counts(), ref.read_edges(), ref.read_accounts().to_pylist()
    ref.close()
    srv = neo4j_launcher.Neo4jServer(tmp_path / "neo4j-home", heap="512m", pagecache="64m",
                                     settings={"db.transaction.timeout": "7m"})
    uri = srv.start()
    try:
        import neo4j
        with neo4j.GraphDatabase.driver(uri, auth=None) as d:  # extra settings reach the server
            rows = d.execute_query("SHOW SETTINGS YIELD name, value WHERE name = 'db.transaction.timeout' "
                                   "RETURN value").records
        assert [r["value"] for r in rows] == ["7m"]
        st = Neo4jStore.connect(uri, atomic_rows=0, batch_size=200, max_retry_time=180)
        probe = Neo4jStore.connect(uri)
        result: dict = {}

        def run() -> None:
            try:
                result["counts"] = st.load(world(**small))
            except BaseException as exc:  # noqa: BLE001
                result["error"] = exc
        t = threading.Thread(target=run)
        t.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and probe.counts()["follows"] == 0:
            time.sleep(0.01)
        assert t.is_alive(), "load finished before the server could be killed"
        srv.kill()
        time.sleep(1.0)
        srv.start()  # same home, same port: recovery, then the driver's retries reconnect
        t.join(240)
        assert not t.is_alive()
        assert "error" not in result, repr(result.get("error"))
        probe.close()
        probe = Neo4jStore.connect(uri)
        assert_same_as_reference(probe, reference)
        probe.close()
        st.close()
    finally:
        srv.kill()  # its data is thrown away with tmp_path
