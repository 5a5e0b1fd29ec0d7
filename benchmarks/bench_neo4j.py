"""The Neo4j store against plain Cypher and the bulk importer, in one run on one server and one world.

The world is ``nichegraph synth --accounts A --edges E --seed S`` (the issue's world is
200,000 accounts, 2,000,000 edges, seed 1: 2.2M rows).  Its files are read once into canonical
batches; every path below writes those same rows.  In order, on one server (the test launcher,
``tests/neo4j_server``, started here with ``--heap`` and ``--pagecache``):

1. ``Neo4jStore.load`` right after the server started, into an empty database ("cold");
2. the same load again (nothing new: "re-load");
3. ``read_edges()`` twice (edges/s; the server's and the client's CPU seconds next to it);
4. ``run_analysis`` (what ``nichegraph analyze`` runs): its stages, ``write`` being the write-back;
5. the database wiped; plain Cypher, one session, ``UNWIND`` batches of ``--plain-batch`` rows
   (maps), ``CREATE`` of every input row (accounts by a unique ``id``, relationships between
   endpoints found by that index): the "plain CREATE" baseline;
6. the same plain statements with ``MERGE`` over the data step 5 stored (a plain re-load):
   the "plain MERGE" baseline;
7. the database wiped; ``Neo4jStore.load`` again, now into a warm server ("warm");

then the server is stopped and the bulk path runs: the batches loaded into a DuckDB store,
``nichegraph export --format neo4j-admin``'s files written from it, and the real
``neo4j-admin database import full`` (the Maven artifacts' ``AdminTool``) into a new home.

Rows are input rows (accounts + follows + interactions); every rate is rows (or edges) per
wall second.  The CPU seconds of the server JVM and of this client are recorded per step.

Example::

    .venv/bin/python benchmarks/bench_neo4j.py --accounts 200000 --edges 2000000 --seed 1
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LIB = ROOT / "tests" / "neo4j_server" / "target" / "lib"

from nichegraph.api.analysis import run_analysis  # noqa: E402
from nichegraph.graph_store import neo4j_adjacency as adjacency  # noqa: E402
from nichegraph.graph_store.base import LoadCounts  # noqa: E402
from nichegraph.graph_store.duckdb_store import DuckDBStore  # noqa: E402
from nichegraph.graph_store.ingest import load_files  # noqa: E402
from nichegraph.graph_store.neo4j_bulk import write_import_files  # noqa: E402
from nichegraph.graph_store.neo4j_store import DEFAULT_WORKERS, Neo4jStore  # noqa: E402
from nichegraph.graph_store.schema import TableBatch  # noqa: E402


def launcher():
    spec = importlib.util.spec_from_file_location("nichegraph_neo4j_test_server",
                                                  ROOT / "tests" / "neo4j_server" / "server.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class _Capture:
    """A "store" that keeps the batches ``load_files`` produces (the files are parsed once)."""

    location = None

    def __init__(self) -> None:
        self.batches: list[TableBatch] = []

    def load(self, batches, *, source=None) -> LoadCounts:
        self.batches = list(batches)
        return LoadCounts()


def synth_batches(tmp: Path, accounts: int, edges: int, seed: int) -> list[TableBatch]:
    files = tmp / "world"
    subprocess.run([sys.executable, "-m", "nichegraph.api.cli", "synth", "--out", str(files), "--accounts",
                    str(accounts), "--edges", str(edges), "--seed", str(seed), "-q"], check=True)
    cap = _Capture()
    load_files(cap, accounts=str(files / "accounts.csv"), follows=str(files / "follows.csv"),
               interactions=str(files / "interactions.csv"))
    return cap.batches


SERVER_PID: list[int] = []
CPU: dict[str, float] = {}


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of the server JVM's threads by kind: the JIT compilers, the VM thread (the serial
    collector's pauses run there) and everything else (Bolt workers running Cypher, ...)."""
    out = {"jit": 0.0, "gc": 0.0, "other": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / tick
        kind = "jit" if "CompilerThre" in comm else "gc" if comm == "VM Thread" else "other"
        out[kind] += cpu
    return out


def timed(fn, label: str | None = None):
    """Run ``fn``; (result, wall seconds).  Records the server's and the client's CPU seconds under ``label``
    (the server's also split by thread kind, :func:`thread_cpu`)."""
    import psutil

    srv = psutil.Process(SERVER_PID[0]) if SERVER_PID else None
    c0 = sum(srv.cpu_times()[:2]) if srv else 0.0
    k0 = thread_cpu(SERVER_PID[0]) if SERVER_PID else {}
    p0 = time.process_time()
    t = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t
    if label:
        CPU[label + "_server_cpu_s"] = (sum(srv.cpu_times()[:2]) - c0) if srv else float("nan")
        CPU[label + "_client_cpu_s"] = time.process_time() - p0
        if SERVER_PID:
            k1 = thread_cpu(SERVER_PID[0])
            for k in k1:
                CPU[f"{label}_server_{k}_s"] = k1[k] - k0.get(k, 0.0)
    return out, wall


# -- where a load's time goes: per phase (wall, server CPU by thread kind, client CPU), per statement ---------
PHASES: dict[str, dict[str, float]] = {}
STATEMENTS: dict[str, list[float]] = {}


def instrument_loader() -> None:
    """Record, for every phase of ``Neo4jStore.load`` (``neo4j_batches.phase``), its wall seconds, the server's
    CPU seconds (all threads, and the JIT compiler threads) and this client's; and for every kind of statement
    the loader sends (its ``what``), how many and their summed wall seconds (summed over parallel writers)."""
    from contextlib import contextmanager

    import psutil

    from nichegraph.graph_store import neo4j_loader, neo4j_session
    from nichegraph.graph_store import neo4j_store as store_mod

    inner = neo4j_loader.phase

    @contextmanager
    def phase(phases, name):
        srv = psutil.Process(SERVER_PID[0])
        c0, k0, p0, t0 = sum(srv.cpu_times()[:2]), thread_cpu(SERVER_PID[0]), time.process_time(), time.perf_counter()
        with inner(phases, name):
            yield
        k1, got = thread_cpu(SERVER_PID[0]), PHASES.setdefault(name, {})
        for key, v in (("wall", time.perf_counter() - t0), ("server", sum(srv.cpu_times()[:2]) - c0),
                       ("jit", k1["jit"] - k0["jit"]), ("client", time.process_time() - p0)):
            got[key] = got.get(key, 0.0) + v

    neo4j_loader.phase = store_mod.phase = phase
    write = neo4j_session.Sessions.write

    def timed_write(self, query, params=None, *, what="write", retry_query=None):
        t0 = time.perf_counter()
        try:
            return write(self, query, params, what=what, retry_query=retry_query)
        finally:
            s = STATEMENTS.setdefault(what, [0, 0.0])
            s[0] += 1
            s[1] += time.perf_counter() - t0

    neo4j_session.Sessions.write = timed_write


def load_profiled(st, batches, label: str, res: dict) -> None:
    """``st.load(batches)`` with its phases and statements recorded under ``res[label + "_profile"]``."""
    PHASES.clear()
    STATEMENTS.clear()
    st.load(batches)
    res[label + "_profile"] = {"phases": {k: dict(v) for k, v in PHASES.items()},
                               "statements": {k: {"n": v[0], "wall_s": v[1]} for k, v in STATEMENTS.items()}}


def print_profile(label: str, prof: dict) -> None:
    print(f"{label}: phase  wall s / server CPU s (JIT s) / client CPU s")
    for k, v in prof["phases"].items():
        print(f"  {k:20}{v['wall']:8.2f}{v['server']:8.2f} ({v['jit']:5.2f}){v['client']:8.2f}")
    print("  statements (what: n, wall s summed over writers): " + ", ".join(
        f"{k}: {v['n']}, {v['wall_s']:.1f}" for k, v in prof["statements"].items()))


# -- the plain Cypher baselines: what a user would write first ---------------------------------------
PLAIN_SCHEMA = "CREATE CONSTRAINT plain_account_id IF NOT EXISTS FOR (a:Account) REQUIRE a.id IS UNIQUE"
PLAIN = {
    "CREATE": {
        "accounts": """UNWIND $rows AS r CREATE (a:Account {id: r.id, handle: r.handle, platform: r.platform,
                       followers_count: r.followers_count, following_count: r.following_count})""",
        "follows": """UNWIND $rows AS r MATCH (a:Account {id: r.follower}) MATCH (b:Account {id: r.followee})
                      CREATE (a)-[:FOLLOWS {since: r.since}]->(b)""",
        "interactions": """UNWIND $rows AS r MATCH (a:Account {id: r.source}) MATCH (b:Account {id: r.target})
                           CREATE (a)-[:INTERACTS {kind: r.kind, ts: r.ts}]->(b)""",
    },
    "MERGE": {
        "accounts": """UNWIND $rows AS r MERGE (a:Account {id: r.id})
                       SET a.handle = r.handle, a.platform = r.platform, a.followers_count = r.followers_count,
                           a.following_count = r.following_count""",
        "follows": """UNWIND $rows AS r MATCH (a:Account {id: r.follower}) MATCH (b:Account {id: r.followee})
                      MERGE (a)-[f:FOLLOWS]->(b) ON CREATE SET f.since = r.since""",
        "interactions": """UNWIND $rows AS r MATCH (a:Account {id: r.source}) MATCH (b:Account {id: r.target})
                           MERGE (a)-[:INTERACTS {kind: r.kind, ts: r.ts}]->(b)""",
    },
}
PLAIN_COLUMNS = {"accounts": ("id", "handle", "platform", "followers_count", "following_count"),
                 "follows": ("follower", "followee", "since"), "interactions": ("source", "target", "kind", "ts")}


def plain_load(driver, batches: list[TableBatch], verb: str, batch: int) -> int:
    """Every input row through one session, ``UNWIND`` of ``batch`` maps per transaction; the rows sent.

    Accounts first (every id the edges use: the input's accounts, then the endpoints they lack, as
    bare nodes), then follows and interactions in input order.
    """
    import pyarrow as pa

    rows = 0
    with driver.session() as s:
        s.run(PLAIN_SCHEMA).consume()
        s.run("CALL db.awaitIndexes(300)").consume()
        acc = [b.batch for b in batches if b.table == "accounts"]
        known = set()
        for rb in acc:
            known.update(rb.column(0).to_pylist())
        extra = set()
        for b in batches:
            if b.table in ("follows", "interactions"):
                for c in (0, 1):
                    extra.update(b.batch.column(c).to_pylist())
        extra -= known
        tables = {"accounts": [pa.Table.from_batches([rb]).select(list(PLAIN_COLUMNS["accounts"])) for rb in acc]
                  + [pa.table({"id": sorted(extra)})]}
        for t in ("follows", "interactions"):
            tables[t] = [pa.Table.from_batches([b.batch]).select(list(PLAIN_COLUMNS[t]))
                         for b in batches if b.table == t]
        for t in ("accounts", "follows", "interactions"):
            q = PLAIN[verb][t]
            for tab in tables[t]:
                for lo in range(0, tab.num_rows, batch):
                    part = tab.slice(lo, batch).to_pylist()
                    s.execute_write(lambda tx, p=part: tx.run(q, rows=p).consume())
                    rows += len(part)
    return rows


def importer_env(tmp: Path, home: Path, memory: str) -> dict[str, str]:
    """The environment in which ``import.sh`` runs the real importer: ``NEO4J_ADMIN`` is a script that
    starts the Maven artifacts' ``AdminTool`` (JVM ``-Xmx1g``, ``--max-off-heap-memory=memory``) on
    the new home ``home``."""
    (home / "conf").mkdir(parents=True)
    admin = tmp / "neo4j-admin"
    admin.write_text(f'#!/bin/sh\nexec java -Xmx1g -cp "{LIB}{os.pathsep}{LIB}/*" org.neo4j.cli.AdminTool "$@" '
                     f'--max-off-heap-memory={memory}\n')
    admin.chmod(0o755)
    return {**os.environ, "NEO4J_ADMIN": str(admin), "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}


def wipe(driver) -> None:
    with driver.session() as s:
        s.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS").consume()
        s.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()
        names = [r["name"] for r in s.run("SHOW CONSTRAINTS YIELD name RETURN name")]
        for name in names:
            if name.startswith("plain_"):
                s.run(f"DROP CONSTRAINT {name}").consume()  # names from the list above, not input


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    ap.add_argument("--plain-batch", type=int, default=20_000, help="rows per plain UNWIND statement")
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--importer-memory", default="1g", help="the importer's --max-off-heap-memory")
    ap.add_argument("--skip-plain", action="store_true", help="leave out the plain Cypher baselines")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    import neo4j

    instrument_loader()
    srv_mod = launcher()
    if not srv_mod.is_built():
        srv_mod.build()
    res: dict = {"args": vars(args)}
    t: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="nichegraph-neo4j-bench-") as tmp_s:
        tmp = Path(tmp_s)
        batches = synth_batches(tmp, args.accounts, args.edges, args.seed)
        rows = sum(b.batch.num_rows for b in batches)
        edge_rows = sum(b.batch.num_rows for b in batches if b.table != "accounts")
        res["rows"], res["edge_rows"] = rows, edge_rows
        print(f"world: synth --accounts {args.accounts} --edges {args.edges} --seed {args.seed}: {rows:,} rows",
              flush=True)
        srv = srv_mod.Neo4jServer(heap=args.heap, pagecache=args.pagecache, startup_timeout=300)
        t0 = time.perf_counter()
        uri = srv.start()
        t["server start"] = time.perf_counter() - t0
        SERVER_PID.append(srv.proc.pid)
        try:
            st = Neo4jStore.connect(uri, workers=args.workers, max_retry_time=300)
            _, t["load, cold server"] = timed(lambda: load_profiled(st, batches, "load_cold", res), "load_cold")
            res["load_cold_phases_s"] = dict(st.last_load_phases)
            print(f"load, cold server: {t['load, cold server']:.1f}s", flush=True)
            again, t["re-load"] = timed(lambda: st.load(batches), "reload")
            assert again.follows.inserted == 0 and again.interactions.inserted == 0, again
            res["counts"] = st.counts()
            e, t["read_edges (first)"] = timed(st.read_edges, "read_first")
            _, t["read_edges"] = timed(st.read_edges, "read")
            n_edges = e.follow_src.size + e.interaction_src.size
            res["edges_read"] = int(n_edges)
            # the same edges read from the relationships (what read_edges did before the adjacency records)
            every = np.arange(e.n_nodes)
            rel, t["read relationships"] = timed(
                lambda: adjacency.read_in_chunks(st._read_values, every, st.read_workers), "read_rel")
            assert sum(p.fs.size + p.s.size for p in rel) == n_edges
            _, t["read_edges (again)"] = timed(st.read_edges, "read_again")
            print(f"re-load {t['re-load']:.1f}s, read {t['read_edges']:.2f}s ({n_edges:,} edges)", flush=True)
            a, t["analyze"] = timed(lambda: run_analysis(st), "analyze")
            res["analyze_stages_s"] = dict(a.timings)
            print(f"analyze {t['analyze']:.1f}s: {a.timings}", flush=True)
            st.close()
            with neo4j.GraphDatabase.driver(uri, auth=None) as d:
                wipe(d)
                if not args.skip_plain:
                    n, t["plain CREATE"] = timed(lambda: plain_load(d, batches, "CREATE", args.plain_batch),
                                                 "plain_create")
                    res["plain_rows"] = n
                    print(f"plain CREATE {t['plain CREATE']:.1f}s", flush=True)
                    _, t["plain MERGE (re-load)"] = timed(
                        lambda: plain_load(d, batches, "MERGE", args.plain_batch), "plain_merge")
                    print(f"plain MERGE {t['plain MERGE (re-load)']:.1f}s", flush=True)
                    wipe(d)
            st = Neo4jStore.connect(uri, workers=args.workers, max_retry_time=300)
            _, t["load, warm server"] = timed(lambda: load_profiled(st, batches, "load_warm", res), "load_warm")
            res["load_warm_phases_s"] = dict(st.last_load_phases)
            assert st.counts() == res["counts"], (st.counts(), res["counts"])
            st.close()
            print(f"load, warm server: {t['load, warm server']:.1f}s", flush=True)
        finally:
            srv.stop()
            SERVER_PID.clear()

        # bulk path: DuckDB store, the import files, the real importer
        duck = tmp / "bulk.duckdb"
        with DuckDBStore(duck) as dk:
            _, t["bulk: DuckDB load"] = timed(lambda: dk.load(batches))
            assert dk.counts() == res["counts"], (dk.counts(), res["counts"])
        out = tmp / "import"
        _, t["bulk: import files"] = timed(lambda: write_import_files(duck, out))
        home = tmp / "bulk-home"
        env = importer_env(tmp, home, args.importer_memory)
        _, t["bulk: neo4j-admin import"] = timed(
            lambda: subprocess.run(["sh", str(out / "import.sh"), "neo4j"], env=env, check=True,
                                   capture_output=True))

    res["seconds"], res["cpu_s"] = t, dict(CPU)
    r = lambda k, n=rows: n / t[k]  # noqa: E731
    print(f"\n{'step':34}{'s':>9}{'rows/s':>12}  server CPU s / client CPU s")
    for k, label in (("load, cold server", "load_cold"), ("load, warm server", "load_warm"), ("re-load", "reload"),
                     ("plain CREATE", "plain_create"), ("plain MERGE (re-load)", "plain_merge"),
                     ("bulk: neo4j-admin import", None)):
        if k in t:
            cpu = (f"  {CPU.get(label + '_server_cpu_s', float('nan')):.1f} / {CPU.get(label + '_client_cpu_s'):.1f}"
                   if label else "")
            print(f"{k:34}{t[k]:9.1f}{r(k):12,.0f}{cpu}")
    for k, label in (("read_edges", "read"), ("read_edges (again)", "read_again"), ("read relationships", "read_rel")):
        print(f"{k:34}{t[k]:9.2f}{res['edges_read'] / t[k]:12,.0f} edges/s  "
              f"{CPU[label + '_server_cpu_s']:.2f} / {CPU[label + '_client_cpu_s']:.2f}")
    for label in ("load_cold", "load_warm"):
        print(f"{label} server CPU by thread (s): " + ", ".join(
            f"{k} {CPU.get(f'{label}_server_{k}_s', float('nan')):.1f}" for k in ("other", "jit", "gc")))
    for label in ("load_cold", "load_warm"):
        print_profile(label, res[label + "_profile"])
    print(f"analyze stages (s): {res['analyze_stages_s']}")
    bulk = t["bulk: DuckDB load"] + t["bulk: import files"] + t["bulk: neo4j-admin import"]
    print(f"bulk path (DuckDB load {t['bulk: DuckDB load']:.1f} + files {t['bulk: import files']:.1f} + importer "
          f"{t['bulk: neo4j-admin import']:.1f}): {bulk:.1f}s = {rows / bulk:,.0f} rows/s")
    ratios = {}
    if "plain CREATE" in t:
        ratios["fresh load (warm) vs plain CREATE"] = r("load, warm server") / (res["plain_rows"] / t["plain CREATE"])
        ratios["fresh load (cold) vs plain CREATE"] = r("load, cold server") / (res["plain_rows"] / t["plain CREATE"])
        ratios["re-load vs plain MERGE"] = r("re-load") / (res["plain_rows"] / t["plain MERGE (re-load)"])
    ratios["cold load time / warm load time"] = t["load, cold server"] / t["load, warm server"]
    ratios["read_edges vs reading the relationships"] = t["read relationships"] / t["read_edges"]
    res["ratios"] = ratios
    for k, v in ratios.items():
        print(f"{k}: {v:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
