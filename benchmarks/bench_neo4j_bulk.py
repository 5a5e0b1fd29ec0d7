"""The bulk path into a new Neo4j database next to ``nichegraph load`` into a fresh Neo4j, in one run.

On the files of ``nichegraph synth --accounts A --edges E --seed S`` (CSV), both paths end with
the same graph in a running Neo4j 5.26 (the test launcher, ``tests/neo4j_server``):

* bulk: ``nichegraph load`` into a new DuckDB store, ``nichegraph export --format neo4j-admin``, the real
  ``neo4j-admin database import full`` (the Maven artifacts' ``org.neo4j.cli.AdminTool``, with
  the flags the command prints), start the server on the imported home, run ``finish.cypher``;
* transactional: start a server on an empty home, ``nichegraph load --store bolt://...``.

Each step is timed as a wall clock around the real command (CLI steps as subprocesses, so
their Python start-up counts).  Rows = accounts + follows + interactions rows of the files.
At the end both databases are checked to hold the same counts.

Example (the measurement in benchmarks/RESULTS.md)::

    flock /tmp/nichegraph-bench.lock .venv/bin/python benchmarks/bench_neo4j_bulk.py \\
        --accounts 200000 --edges 2000000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NICHEGRAPH = [sys.executable, "-m", "nichegraph.api.cli"]

# the test launcher, loaded as the other Neo4j benchmark does
from bench_neo4j import importer_env, launcher  # noqa: E402


def run(cmd: list[str], **kw) -> float:
    """Run a command to completion; its wall seconds (raises with its output on failure)."""
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd[:6])} ... failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return time.perf_counter() - t


def counts(uri: str) -> dict:
    r = subprocess.run([*NICHEGRAPH, "info", "--store", uri, "--json"], capture_output=True, text=True, check=True)
    return {k: v for k, v in json.loads(r.stdout).items() if k in ("accounts", "follows", "interactions")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--importer-memory", default="2g", help="the importer's --max-off-heap-memory")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    srv_mod = launcher()
    with tempfile.TemporaryDirectory(prefix="nichegraph-bulk-bench-") as tmp:
        tmp = Path(tmp)
        files = tmp / "world"
        run([*NICHEGRAPH, "synth", "--out", str(files), "--accounts", str(args.accounts), "--edges", str(args.edges),
             "--seed", str(args.seed), "-q"])
        inputs = ["--accounts", str(files / "accounts.csv"), "--follows", str(files / "follows.csv"),
                  "--interactions", str(files / "interactions.csv")]
        rows = 0
        for name in ("accounts.csv", "follows.csv", "interactions.csv"):
            with open(files / name, "rb") as f:
                rows += sum(1 for _ in f) - 1  # minus the header
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t: dict[str, float] = {}

        # bulk path
        duck = tmp / "world.duckdb"
        t["bulk: nichegraph load into DuckDB"] = run([*NICHEGRAPH, "load", "--store", str(duck), *inputs, "-q"], env=env)
        out = tmp / "import"
        t["bulk: nichegraph export --format neo4j-admin"] = run(
            [*NICHEGRAPH, "export", "--format", "neo4j-admin", "--store", str(duck), "--out", str(out), "-q"], env=env)
        home = tmp / "bulk-home"
        # import.sh (the command the CLI prints) with neo4j-admin = the Maven artifacts' AdminTool
        t["bulk: neo4j-admin database import full"] = run(
            ["sh", str(out / "import.sh"), "neo4j"], env=importer_env(tmp, home, args.importer_memory))
        t0 = time.perf_counter()
        srv = srv_mod.Neo4jServer(home=home, heap=args.heap, pagecache=args.pagecache)
        srv.start()
        try:
            t["bulk: server start"] = time.perf_counter() - t0
            import neo4j

            t0 = time.perf_counter()
            with neo4j.GraphDatabase.driver(srv.uri, auth=None) as d, d.session() as s:
                for stmt in (out / "finish.cypher").read_text().split(";\n"):
                    if stmt.strip():
                        s.run(stmt).consume()
            t["bulk: finish.cypher"] = time.perf_counter() - t0
            bulk_counts = counts(srv.uri)
        finally:
            srv.stop()

        # transactional path into a fresh server
        t0 = time.perf_counter()
        srv = srv_mod.Neo4jServer(heap=args.heap, pagecache=args.pagecache)
        srv.start()
        try:
            t["load: server start"] = time.perf_counter() - t0
            t["load: nichegraph load --store bolt://"] = run([*NICHEGRAPH, "load", "--store", srv.uri, *inputs, "-q"],
                                                             env=env)
            load_counts = counts(srv.uri)
        finally:
            srv.stop()

    assert bulk_counts == load_counts, (bulk_counts, load_counts)
    bulk_steps = [k for k in t if k.startswith("bulk:") and k != "bulk: server start"]
    bulk = sum(t[k] for k in bulk_steps)
    load = t["load: nichegraph load --store bolt://"]
    print(f"world: synth --accounts {args.accounts} --edges {args.edges} --seed {args.seed}: {rows:,} rows; "
          f"both databases hold {bulk_counts}")
    for k, v in t.items():
        print(f"  {k:45s} {v:8.2f} s")
    print(f"bulk path, files to stored graph (without server start): {bulk:.1f} s = {rows / bulk:,.0f} rows/s "
          f"(importer alone {rows / t['bulk: neo4j-admin database import full']:,.0f} rows/s)")
    print(f"nichegraph load into a fresh Neo4j: {load:.1f} s = {rows / load:,.0f} rows/s; bulk / load speed "
          f"{load / bulk:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "seconds": t, "counts": bulk_counts}, indent=2))


if __name__ == "__main__":
    main()
