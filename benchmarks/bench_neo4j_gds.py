"""End to end on Neo4j: ``nichegraph analyze --store bolt://...`` next to Graph Data Science, one server.

One world (``nichegraph synth --accounts A --edges E --seed S``; the issue's world is 200,000
accounts, 2,000,000 edges, seed 1), loaded once with ``nichegraph load`` into the test launcher
(``tests/neo4j_server``, ``--heap`` / ``--pagecache``) started with GDS 2.13.9's open-source
modules on its classpath and as plugins (``bash .ci/gds.sh`` fetches them from Maven Central;
``gds.*`` procedures allowed).  Then, on that same database:

1. the server restarted (a freshly started JVM); GDS twice ("cold", then "warm"):
   ``gds.graph.project`` of the accounts and every relationship between them as one undirected
   simple graph (``type: '*'``, ``orientation: UNDIRECTED``, ``aggregation: SINGLE``),
   ``gds.leiden.mutate``, ``gds.graph.nodeProperties.write`` of the one community property to every
   account, ``gds.graph.drop``;
2. the server restarted again; ``nichegraph analyze --store bolt://...`` twice (cold, warm), each a
   subprocess (Python start-up included), its stages read from its summary (read, communities,
   metrics, ..., write).

Every step records its wall seconds and the server JVM's CPU seconds (and, for analyze, the
client's); the ratios of analyze to GDS's project + Leiden + write are printed at the end.

Example::

    bash .ci/neo4j.sh && bash .ci/gds.sh
    .venv/bin/python benchmarks/bench_neo4j_gds.py --accounts 50000 --edges 500000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
GDS_LIB = ROOT / ".ci" / "gds" / "target" / "lib"
CLI = [sys.executable, "-m", "nichegraph.api.cli"]

from bench_neo4j import launcher  # noqa: E402

PROJECT = """CALL gds.graph.project('ng', 'Account',
  {REL: {type: '*', orientation: 'UNDIRECTED', aggregation: 'SINGLE'}})
YIELD nodeCount, relationshipCount RETURN nodeCount, relationshipCount"""
LEIDEN = """CALL gds.leiden.mutate('ng', {mutateProperty: 'gds_community', randomSeed: $seed, concurrency: $c})
YIELD communityCount, modularity, ranLevels RETURN communityCount, modularity, ranLevels"""
WRITE = """CALL gds.graph.nodeProperties.write('ng', ['gds_community'], ['Account'], {writeConcurrency: $c})
YIELD propertiesWritten RETURN propertiesWritten"""
DROP = "CALL gds.graph.drop('ng') YIELD graphName RETURN graphName"
#: ``nichegraph analyze``'s summary line: ``time read 1.23s, communities 0.45s, ...``
STAGES = re.compile(r"([a-z_]+) ([0-9.]+)s")


def server_cpu(proc) -> float:
    import psutil

    return sum(psutil.Process(proc.pid).cpu_times()[:2])


def gds_server(srv_mod, home: Path, heap: str, pagecache: str):
    """The test launcher on ``home`` with the GDS jars on its classpath and as plugins."""
    return srv_mod.Neo4jServer(
        home=home, heap=heap, pagecache=pagecache, startup_timeout=600, extra_classpath=(str(GDS_LIB / "*"),),
        settings={"server.directories.plugins": str(GDS_LIB), "dbms.security.procedures.unrestricted": "gds.*",
                  "dbms.security.procedures.allowlist": "gds.*"})


def gds_round(uri: str, proc, seed: int, concurrency: int) -> dict:
    """Project, Leiden, write one property, drop: wall and server CPU seconds of each, and GDS's figures."""
    import neo4j

    out: dict = {}
    with neo4j.GraphDatabase.driver(uri, auth=None) as d, d.session() as s:
        for name, q in (("project", PROJECT), ("leiden", LEIDEN), ("write", WRITE), ("drop", DROP)):
            c0, t0 = server_cpu(proc), time.perf_counter()
            rec = s.run(q, seed=seed, c=concurrency).single(strict=True)
            out[name + "_s"] = time.perf_counter() - t0
            out[name + "_server_cpu_s"] = server_cpu(proc) - c0
            out.update({k: v for k, v in rec.items() if k != "graphName"})
    out["total_s"] = out["project_s"] + out["leiden_s"] + out["write_s"]
    return out


def analyze_round(uri: str, proc, seed: int) -> dict:
    """``nichegraph analyze`` as a subprocess: wall, stages, server and client CPU seconds."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0, t0 = server_cpu(proc), time.perf_counter()
    r = subprocess.run([*CLI, "analyze", "--store", uri, "--seed", str(seed)], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"})
    wall = time.perf_counter() - t0
    if r.returncode:
        raise SystemExit(f"analyze failed:\n{r.stdout}\n{r.stderr}")
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in r.stdout.splitlines() if re.search(r"\btime\b.*\bread [0-9.]+s", ln)), None)
    if line is None:
        raise SystemExit(f"no stage timings in analyze's output:\n{r.stdout}")
    stages = {k: float(v) for k, v in STAGES.findall(line.split("time", 1)[1])}
    mod = re.search(r"modularity \(broad\)\s*│?\s*([0-9.]+)", r.stdout)
    return {"total_s": wall, "stages_s": stages, "server_cpu_s": server_cpu(proc) - c0,
            "client_cpu_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
            "modularity": float(mod.group(1)) if mod else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--concurrency", type=int, default=2, help="GDS's concurrency (Community allows up to 4)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    if not any(GDS_LIB.glob("proc-2.*.jar")):
        subprocess.run(["bash", str(ROOT / ".ci" / "gds.sh")], check=True)
    srv_mod = launcher()
    if not srv_mod.is_built():
        srv_mod.build()
    res: dict = {"args": vars(args), "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="nichegraph-gds-bench-") as tmp_s:
        tmp = Path(tmp_s)
        world, home = tmp / "world", tmp / "home"
        subprocess.run([*CLI, "synth", "--out", str(world), "--accounts", str(args.accounts), "--edges",
                        str(args.edges), "--seed", str(args.seed), "-q"], check=True)
        srv = gds_server(srv_mod, home, args.heap, args.pagecache)
        try:
            uri = srv.start()
            t0 = time.perf_counter()
            subprocess.run([*CLI, "load", "--store", uri, "-q", "--accounts", str(world / "accounts.csv"),
                            "--follows", str(world / "follows.csv"), "--interactions",
                            str(world / "interactions.csv")], check=True, stdout=subprocess.DEVNULL)
            res["load_s"] = time.perf_counter() - t0
            print(f"world: synth --accounts {args.accounts} --edges {args.edges} --seed {args.seed}; "
                  f"load {res['load_s']:.1f}s", flush=True)
            for who in ("gds", "analyze"):
                srv.stop()
                t0 = time.perf_counter()
                uri = srv.start()
                res[f"{who}_server_start_s"] = time.perf_counter() - t0
                for when in ("cold", "warm"):
                    if who == "gds":
                        r = gds_round(uri, srv.proc, args.seed, args.concurrency)
                    else:
                        r = analyze_round(uri, srv.proc, args.seed)
                    r["load_average"] = os.getloadavg()[0]
                    res[f"{who}_{when}"] = r
                    print(f"{who} {when}: {json.dumps(r)}", flush=True)
        finally:
            srv.stop()
    for when in ("cold", "warm"):
        g, a = res[f"gds_{when}"], res[f"analyze_{when}"]
        print(f"{when}: GDS project {g['project_s']:.2f} + Leiden {g['leiden_s']:.2f} + write {g['write_s']:.2f} = "
              f"{g['total_s']:.2f}s; analyze {a['total_s']:.2f}s ({a['stages_s']}); "
              f"analyze / GDS = {a['total_s'] / g['total_s']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
