"""Neo4j loads survive what real deployments do to them: killed loaders, dropped connections, restarts.

No mocks: the loader is a real child process killed with SIGKILL; connections run through a
real TCP proxy that cuts every socket mid-load; the server is a real JVM killed and restarted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.schema import SCHEMAS, TableBatch

from .helpers import store_edges

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parents[2]


def world(n_acc: int = 3000, n_fol: int = 6000, n_int: int = 6000, seed: int = 7) -> list[TableBatch]:
    """A deterministic world as canonical batches (numpy-built, no Python row dicts)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"acc-{i:05d}'`{{}}" for i in range(n_acc)], dtype=object)
    acc = pa.RecordBatch.from_arrays(
        [pa.array(ids[: n_acc // 2].tolist()), pa.array([None] * (n_acc // 2), pa.string()),
         pa.array(["x"] * (n_acc // 2)), pa.array(rng.integers(0, 10**6, n_acc // 2)),
         pa.array([None] * (n_acc // 2), pa.int64()), pa.array([None] * (n_acc // 2), pa.string())],
        schema=SCHEMAS["accounts"])
    fs, fd = rng.integers(0, n_acc, n_fol), rng.integers(0, n_acc, n_fol)
    since = pa.array((1_600_000_000 + rng.integers(0, 10**7, n_fol)) * 1_000_000, pa.int64()).cast(pa.timestamp("us"))
    fol = pa.RecordBatch.from_arrays([pa.array(ids[fs].tolist()), pa.array(ids[fd].tolist()), since],
                                     schema=SCHEMAS["follows"])
    s, d = rng.integers(0, n_acc, n_int), rng.integers(0, n_acc, n_int)
    kinds = np.array(["mention", "reply", "repost"], dtype=object)[rng.integers(0, 3, n_int)]
    tsv = pa.array((1_600_000_000 + rng.integers(0, 1000, n_int)) * 1_000_000, pa.int64()).cast(pa.timestamp("us"))
    itr = pa.RecordBatch.from_arrays(
        [pa.array(ids[s].tolist()), pa.array(ids[d].tolist()), pa.array(kinds.tolist()), tsv,
         pa.array([None] * n_int, pa.string()), pa.array([None] * n_int, pa.list_(pa.string())),
         pa.array([None] * n_int, pa.float64())], schema=SCHEMAS["interactions"])
    return [TableBatch("accounts", acc), TableBatch("follows", fol), TableBatch("interactions", itr)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same world loaded once into DuckDB: the exact answer every Neo4j load must reach."""
    st = DuckDBStore(tmp_path_factory.mktemp("ref") / "ref.duckdb")
    st.load(world())
    out = st.counts(), st.read_edges(), st.read_accounts().to_pylist()
    st.close()
    return out


#: A world big enough that a load lasts seconds even on a fast loader, so connections can be cut mid-load.
BIG = dict(n_fol=40_000, n_int=40_000)


@pytest.fixture(scope="module")
def big_reference(tmp_path_factory):
    """The :data:`BIG` world loaded once into DuckDB."""
    st = DuckDBStore(tmp_path_factory.mktemp("bigref") / "ref.duckdb")
    st.load(world(**BIG))
    out = st.counts(), st.read_edges(), st.read_accounts().to_pylist()
    st.close()
    return out


def assert_same_as_reference(store, reference) -> None:
    counts, edges, accounts = reference
    assert store.counts() == counts
    e = store.read_edges()
    assert list(e.node_ids) == list(edges.node_ids)  # same dense idx for every account
    got, want = store_edges(e), store_edges(edges)
    assert sorted(got[0]) == sorted(want[0]) and got[1] == want[1]
    assert store.read_accounts().to_pylist() == accounts


CHILD = textwrap.dedent("""
    import sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from nichegraph.graph_store.neo4j_store import Neo4jStore
    from store.test_neo4j_resilience import world
    st = Neo4jStore.connect({uri!r}, atomic_rows=0, batch_size={bs})
    st.load(world())
    print("DONE", flush=True)
""")


@pytest.mark.parametrize("phase", ["accounts", "follows", "interactions"])
def test_killed_loader_then_rerun_gives_exact_counts(neo4j_store_factory, neo4j_uri, reference, phase):
    probe = neo4j_store_factory()
    code = CHILD.format(root=str(ROOT), tests=str(ROOT / "tests"), uri=neo4j_uri, bs=100)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    counts_ref = reference[0]
    deadline = time.monotonic() + 120
    killed_at = None
    try:
        while time.monotonic() < deadline and child.poll() is None:
            c = probe.counts()
            if c[phase] > 0:
                child.send_signal(signal.SIGKILL)
                killed_at = c
                break
            time.sleep(0.02)
    finally:
        if child.poll() is None:
            child.kill()
        out, err = child.communicate(timeout=30)
    assert killed_at is not None, f"loader ended before reaching {phase}: {out}\n{err[-2000:]}"
    partial = probe.counts()
    assert partial != counts_ref, "the kill came too late to interrupt the load"
    assert "DONE" not in out
    # the re-run completes the load: nothing duplicated, nothing lost, same idx for every account
    again = neo4j_store_factory(atomic_rows=0, batch_size=1000)
    again.load(world())
    assert_same_as_reference(again, reference)
    # and a third run adds nothing
    c = again.load(world()).as_dict()
    assert c["follows"]["inserted"] == 0 and c["interactions"]["inserted"] == 0 and c["accounts"]["inserted"] == 0
    assert_same_as_reference(again, reference)


def test_rerun_gives_the_idx_holes_of_an_interrupted_parallel_load_back(neo4j_store_factory, reference):
    """Two writers create account batches in parallel, so a killed load can leave a later batch
    committed and an earlier one not.  The re-run must give the missing accounts exactly the ``idx``
    the uninterrupted load gives them (free values first, in id order), not new values after the end."""
    st = neo4j_store_factory(atomic_rows=0, batch_size=500)
    st.load(world())
    n = reference[0]["accounts"]
    # the state such a kill leaves (before any relationship): accounts with a gap in the middle and
    # none after it
    with st.driver.session() as s:
        s.run("MATCH ()-[r]->() DELETE r").consume()
        s.run("MATCH (a:Account) WHERE (a.idx >= 1000 AND a.idx < 1500) OR a.idx >= $hi DETACH DELETE a",
              hi=n - 300).consume()
    assert st.counts() == {"accounts": n - 800, "follows": 0, "interactions": 0, "posts": 0}
    c = st.load(world()).as_dict()
    assert c["accounts"]["inserted"] + c["new_endpoint_accounts"] == 800
    assert_same_as_reference(st, reference)


class CuttingProxy:
    """A real TCP proxy on 127.0.0.1 whose ``cut()`` closes every open connection at once."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.accepted = 0
        self.cuts = 0
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.accepted += 1
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> int:
        with self.lock:
            conns, self.conns = self.conns, []
            self.cuts += 1
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        return len(conns) // 2

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.cut()


def writing(store) -> bool:
    """True while the server runs one of the loader's UNWIND statements."""
    with store.driver.session() as s:
        rows = s.run("SHOW TRANSACTIONS YIELD currentQuery WHERE currentQuery CONTAINS 'UNWIND range' "
                     "AND NOT currentQuery STARTS WITH 'SHOW' RETURN count(*) AS n").single()
    return rows["n"] > 0


@pytest.mark.parametrize("mode", ["batched", "atomic"])
def test_dropped_connections_mid_load_are_survived(neo4j_store_factory, neo4j_uri, big_reference, mode):
    port = int(neo4j_uri.rsplit(":", 1)[1])
    proxy = CuttingProxy(port)
    probe = neo4j_store_factory()
    opts = dict(atomic_rows=0, batch_size=200, workers=2) if mode == "batched" else dict(atomic_rows=10**9)
    from nichegraph.graph_store.neo4j_store import Neo4jStore

    st = Neo4jStore.connect(f"bolt://127.0.0.1:{proxy.port}", max_retry_time=120, **opts)
    result: dict = {}

    def run() -> None:
        try:
            result["counts"] = st.load(world(**BIG))
        except BaseException as exc:  # noqa: BLE001 - reported below
            result["error"] = exc
    t = threading.Thread(target=run)
    t.start()
    cut_live = 0
    try:
        deadline = time.monotonic() + 120
        # cut while a load statement is running on the server (batched: once follows are committed)
        while t.is_alive() and time.monotonic() < deadline and cut_live < 3:
            if (mode == "batched" and probe.counts()["follows"] == 0) or not writing(probe):
                time.sleep(0.01)
                continue
            if t.is_alive() and proxy.cut():
                cut_live += 1
            time.sleep(0.3)
        t.join(180)
    finally:
        proxy.close()
        st.close()
    assert not t.is_alive()
    assert "error" not in result, repr(result.get("error"))
    assert cut_live >= 1, "no connection was cut while the load ran"
    assert proxy.accepted > 1, "the driver never reconnected"
    assert_same_as_reference(probe, big_reference)
