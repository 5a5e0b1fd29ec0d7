"""Neo4j store throughput against a real local Neo4j 5.26, with the DuckDB store side by side.

Measures, on a deterministic random world of ``--follows`` follows and ``--interactions``
interaction events over ``--accounts`` accounts:

* load, fresh database: rows/s (follows + interactions rows) through ``Neo4jStore.load``, on a
  warm server (the steady state of a server that has been running);
* load, fresh database, new server: the first load after the server started, while the JVM's
  JIT compiler still compiles the write path (it is the warm-up's first load);
* load again (re-run of the same data: everything already there);
* read back: ``read_edges()`` edges/s (follows + interaction events into numpy arrays).

The warm-up loads another world of the same size (a different seed) twice, reads it, and
wipes the database; ``--warmup N`` makes that world ``N`` follows and ``N`` interactions over
``N / 5`` accounts instead (30,000 was the setting of the first versions).  The CPU seconds of
the server, of its JIT compiler threads and of the client are printed per phase.

The server is the test launcher (``tests/neo4j_server``, built by ``.ci/neo4j.sh``), started here
with ``--heap``; or pass ``--uri`` for a server you run (its database is wiped!).

Example::

    .venv/bin/python benchmarks/bench_neo4j.py --follows 1000000 --interactions 1000000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nichegraph.graph_store.duckdb_store import DuckDBStore  # noqa: E402
from nichegraph.graph_store.neo4j_store import DEFAULT_WORKERS, Neo4jStore  # noqa: E402
from nichegraph.graph_store.schema import SCHEMAS, TableBatch  # noqa: E402


def launcher():
    spec = importlib.util.spec_from_file_location("nichegraph_neo4j_test_server",
                                                  ROOT / "tests" / "neo4j_server" / "server.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def world(n_acc: int, n_fol: int, n_int: int, seed: int = 0, chunk: int = 200_000) -> list[TableBatch]:
    """Canonical batches: heavy-tailed follows (no repeats), interactions with timestamps and kinds."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"user_{i:08d}" for i in range(n_acc)], dtype=object)
    out = [TableBatch("accounts", pa.RecordBatch.from_arrays(
        [pa.array(ids.tolist()), pa.array([None] * n_acc, pa.string()), pa.array(["x"] * n_acc),
         pa.array(rng.integers(0, 10**6, n_acc)), pa.array([None] * n_acc, pa.int64()),
         pa.array([None] * n_acc, pa.string())], schema=SCHEMAS["accounts"]))]
    # exactly n_fol distinct follow pairs: uniform followers, half heavy-tailed (zipf) followees
    codes = np.empty(0, dtype=np.int64)
    while codes.size < n_fol:
        m = 2 * (n_fol - codes.size) + 1000
        dst = np.where(rng.random(m) < .5, rng.zipf(1.6, m) % n_acc, rng.integers(0, n_acc, m))
        new = rng.integers(0, n_acc, m).astype(np.int64) * n_acc + dst
        codes = np.concatenate([codes, new])
        _, first = np.unique(codes, return_index=True)
        codes = codes[np.sort(first)]
    codes = codes[:n_fol]
    fs, fd = codes // n_acc, codes % n_acc
    since = (1_500_000_000 + rng.integers(0, 10**8, fs.size)) * 1_000_000
    for lo in range(0, fs.size, chunk):
        sl = slice(lo, lo + chunk)
        out.append(TableBatch("follows", pa.RecordBatch.from_arrays(
            [pa.array(ids[fs[sl]].tolist()), pa.array(ids[fd[sl]].tolist()),
             pa.array(since[sl]).cast(pa.timestamp("us"))], schema=SCHEMAS["follows"])))
    s = rng.integers(0, n_acc, n_int)
    d = rng.zipf(1.6, n_int) % n_acc
    kinds = np.array(["mention", "reply", "repost", "quote"], dtype=object)[rng.integers(0, 4, n_int)]
    ts = (1_600_000_000 + rng.integers(0, 10**8, n_int)) * 1_000_000
    for lo in range(0, n_int, chunk):
        sl = slice(lo, lo + chunk)
        k = sl.stop - lo if sl.stop <= n_int else n_int - lo
        out.append(TableBatch("interactions", pa.RecordBatch.from_arrays(
            [pa.array(ids[s[sl]].tolist()), pa.array(ids[d[sl]].tolist()), pa.array(kinds[sl].tolist()),
             pa.array(ts[sl]).cast(pa.timestamp("us")), pa.array([None] * k, pa.string()),
             pa.array([None] * k, pa.list_(pa.string())), pa.array([None] * k, pa.float64())],
            schema=SCHEMAS["interactions"])))
    return out


SERVER_PID: list[int] = []
CPU: dict[str, float] = {}


def _jit_cpu_s(pid: int) -> float:
    """CPU seconds so far of the JVM's JIT compiler threads (``C1/C2 CompilerThread*``; Linux ``/proc``)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().startswith(("C1 Compiler", "C2 Compiler")):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:  # the thread ended meanwhile
            pass
    return total


def timed(fn, label: str | None = None):
    """Run ``fn``; return (result, wall seconds).

    Records under ``label`` the server's and the client's CPU seconds, and the server JIT
    compiler threads' share of the server's (a warm server compiles next to nothing).
    """
    import psutil

    srv = psutil.Process(SERVER_PID[0]) if SERVER_PID else None
    c0 = sum(srv.cpu_times()[:2]) if srv else 0.0
    j0 = _jit_cpu_s(srv.pid) if srv else 0.0
    p0 = time.process_time()
    t = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t
    if label:
        CPU[label + "_server_cpu_s"] = (sum(srv.cpu_times()[:2]) - c0) if srv else float("nan")
        CPU[label + "_client_cpu_s"] = time.process_time() - p0
        CPU[label + "_server_jit_cpu_s"] = (_jit_cpu_s(srv.pid) - j0) if srv else float("nan")
    return out, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--follows", type=int, default=100_000)
    ap.add_argument("--interactions", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--uri", help="use this server instead of starting one (its database is wiped)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--warmup", type=int, default=0,
                    help="follows and interactions, each, of the warm-up world (a fifth as many accounts); "
                         "default: the timed world's sizes")
    args = ap.parse_args()

    batches = world(args.accounts, args.follows, args.interactions)
    rows = sum(b.batch.num_rows for b in batches if b.table != "accounts")
    print(f"world: {args.accounts:,} accounts, {args.follows:,} follows, {args.interactions:,} interactions "
          f"({rows:,} edge rows)", flush=True)

    srv = None
    uri = args.uri
    if uri is None:
        mod = launcher()
        if not mod.is_built():
            mod.build()
        srv = mod.Neo4jServer(heap=args.heap, pagecache=args.pagecache, startup_timeout=300)
        uri = srv.start()
        SERVER_PID.append(srv.proc.pid)
    results: dict = {"rows": rows, "accounts": args.accounts, "batch_size": args.batch_size,
                     "workers": args.workers, "heap": args.heap, "warmup": args.warmup}
    try:
        st = Neo4jStore.connect(uri, batch_size=args.batch_size, workers=args.workers,
                                max_retry_time=300)
        def wipe() -> None:
            with st.driver.session() as s:
                s.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS").consume()
                s.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()
        # warm-up (JVM JIT, query plans): another world loaded twice and read, then wiped; its first
        # load is the fresh load of a new server
        wipe()
        if args.warmup:
            warm = world(max(args.warmup // 5, 1), args.warmup, args.warmup, seed=1)
        else:
            warm = world(args.accounts, args.follows, args.interactions, seed=1)
        warm_rows = sum(b.batch.num_rows for b in warm if b.table != "accounts")
        _, t_cold = timed(lambda: st.load(warm), "load_fresh_new_server")
        _, t_warm = timed(lambda: (st.load(warm), st.read_edges()))
        print(f"warm-up: {t_cold + t_warm:.1f}s", flush=True)
        wipe()
        c1, t_fresh = timed(lambda: st.load(batches), "load_fresh")
        phases_fresh = dict(st.last_load_phases)
        c2, t_again = timed(lambda: st.load(batches), "load_again")
        assert c2.follows.inserted == 0 and c2.interactions.inserted == 0, c2
        counts = st.counts()
        e, t_read = timed(st.read_edges, "read")
        edges = e.follow_src.size + e.interaction_src.size
        _, t_read2 = timed(st.read_edges)
        st.close()
        with tempfile.TemporaryDirectory() as tmp:
            dk = DuckDBStore(Path(tmp) / "bench.duckdb")
            _, d_fresh = timed(lambda: dk.load(batches))
            _, d_again = timed(lambda: dk.load(batches))
            de, d_read = timed(dk.read_edges)
            assert dk.counts() == counts, (dk.counts(), counts)
            dk.close()
        results.update({
            "counts": counts,
            "neo4j": {"load_fresh_s": t_fresh, "load_fresh_rows_per_s": rows / t_fresh,
                      "load_again_s": t_again, "load_again_rows_per_s": rows / t_again,
                      "read_s": min(t_read, t_read2), "read_edges_per_s": edges / min(t_read, t_read2),
                      "read_first_s": t_read, "load_fresh_phases_s": phases_fresh,
                      "load_fresh_new_server_s": t_cold, "load_fresh_new_server_rows": warm_rows,
                      "load_fresh_new_server_rows_per_s": warm_rows / t_cold},
            "cpu": dict(CPU),
            "duckdb": {"load_fresh_s": d_fresh, "load_fresh_rows_per_s": rows / d_fresh,
                       "load_again_s": d_again, "load_again_rows_per_s": rows / d_again,
                       "read_s": d_read, "read_edges_per_s": edges / d_read},
        })
    finally:
        if srv is not None:
            srv.stop()
    n, d = results["neo4j"], results["duckdb"]
    print(f"{'':24}{'neo4j':>16}{'duckdb':>16}{'duckdb/neo4j':>14}")
    for key, label in (("load_fresh_rows_per_s", "load fresh rows/s"), ("load_again_rows_per_s", "load re-run rows/s"),
                       ("read_edges_per_s", "read edges/s")):
        print(f"{label:24}{n[key]:>16,.0f}{d[key]:>16,.0f}{d[key] / n[key]:>14.1f}")
        if key == "load_fresh_rows_per_s":
            size = "" if warm_rows == rows else f" ({warm_rows:,} rows)"
            first = "  first load" if args.uri else "  new server"  # --uri: the server may be warm already
            print(f"{first + size:24}{n['load_fresh_new_server_rows_per_s']:>16,.0f}")
    print(f"neo4j times: fresh {n['load_fresh_s']:.1f}s (new server {n['load_fresh_new_server_s']:.1f}s), "
          f"re-run {n['load_again_s']:.1f}s, "
          f"read {n['read_s']:.2f}s (first {n['read_first_s']:.2f}s)")
    print("fresh load phases (s):", ", ".join(f"{k} {v:.2f}" for k, v in n["load_fresh_phases_s"].items()))
    print("cpu seconds (server JVM, of it JIT compiler / client):", ", ".join(
        f"{k}: {results['cpu'].get(k + '_server_cpu_s', float('nan')):.1f}, "
        f"{results['cpu'].get(k + '_server_jit_cpu_s', float('nan')):.1f} / "
        f"{results['cpu'].get(k + '_client_cpu_s', float('nan')):.1f}"
        for k in ("load_fresh_new_server", "load_fresh", "load_again", "read")))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
