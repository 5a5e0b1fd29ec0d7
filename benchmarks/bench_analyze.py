"""The whole ``analyze`` step (read edges, communities, every measure, write the run) with peak memory.

Two phases, each in its own process so that peak memory belongs to one phase:

1. ``prepare`` -- generate a synthetic world (``graph_store.synth.generate``)
   and load it into a DuckDB store (cached: skipped when the store exists);
2. ``analyze`` -- open the store and run the analysis while a sampling thread
   records the process's resident memory every 20 ms (peak RSS also checked
   against ``VmHWM``).

The analysis is ``api.analysis.run_analysis`` when it already runs the
communities and metrics stages; otherwise the same stages are composed here
(read_edges -> detect_communities -> basic_measures -> compute_metrics ->
write_run) and the output says so.

Run: .venv/bin/python benchmarks/bench_analyze.py --accounts 50000 --edges 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prepare(args) -> None:
    from nichegraph.graph_store.duckdb_store import DuckDBStore
    from nichegraph.graph_store.synth import generate

    t0 = time.perf_counter()
    world = generate(n_accounts=args.accounts, n_edges=args.edges, seed=args.seed)
    t1 = time.perf_counter()
    with DuckDBStore(args.store) as st:
        st.load(world.batches())
        counts = st.counts()
    print(json.dumps({"generate_s": t1 - t0, "load_s": time.perf_counter() - t1, **counts}))


class PeakRSS:
    """Peak RSS of the process, overall and per step: ``enter(name)`` starts attributing samples to
    ``name`` (run_analysis's ``progress`` calls it as each stage and step begins)."""

    def __init__(self):
        import psutil

        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self.label = None
        self.steps: dict[str, dict] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def enter(self, name):
        rss = self.proc.memory_info().rss
        if self.label is not None:
            self.steps[self.label]["peak"] = max(self.steps[self.label]["peak"], rss)
        self.label = name
        self.steps[name] = {"start": rss, "peak": rss}

    def _run(self):
        while not self.stop.is_set():
            rss = self.proc.memory_info().rss
            self.peak = max(self.peak, rss)
            if self.label is not None:
                step = self.steps[self.label]
                step["peak"] = max(step["peak"], rss)
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def vm_hwm() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def analyze(args) -> None:
    import numpy as np
    import pyarrow as pa

    from nichegraph.api import analysis
    from nichegraph.engine import from_edges, pagerank
    from nichegraph.graph_store import RunRecord
    from nichegraph.graph_store.duckdb_store import DuckDBStore

    pagerank(from_edges([0, 1], [1, 0]))  # numba caches loaded before timing
    base_rss = None
    timings: dict[str, float] = {}
    cpu_timings: dict[str, float] = {}
    with DuckDBStore(args.store) as st, PeakRSS() as mem:
        base_rss = mem.peak
        t0 = time.perf_counter()
        c0 = time.process_time()
        probe = analysis.run_analysis.__code__.co_names
        full = "compute_metrics" in probe or "metrics_stage" in probe or "detect_communities" in probe
        if full:
            res = analysis.run_analysis(st, progress=mem.enter)
            timings.update(res.timings)
            cpu_timings = getattr(res, "cpu_timings", {})
            cols = res.accounts.column_names
            mode = "nichegraph.api.analysis.run_analysis"
        else:
            from nichegraph.api.stages.basic import basic_measures
            from nichegraph.api.stages.communities import detect_communities
            from nichegraph.api.stages.metrics import compute_metrics

            def step(name, fn):
                t = time.perf_counter()
                out = fn()
                timings[name] = time.perf_counter() - t
                return out

            edges = step("read", st.read_edges)
            accounts = step("read_accounts", st.read_accounts)
            hashtags = step("read_hashtags", st.read_hashtags)
            comm = step("communities", lambda: detect_communities(edges, hashtags=hashtags))
            basic = step("basic", lambda: basic_measures(edges))
            sub: dict[str, float] = {}
            metrics = step("metrics", lambda: compute_metrics(edges, accounts, comm.niche, timings=sub))
            timings.update({f"metrics.{k}": v for k, v in sub.items()})
            cols = {"idx": np.arange(edges.n_nodes, dtype=np.int32)}
            for c in ("id", "handle", "platform", "followers_count", "affiliation"):
                cols[c] = accounts.column(c)
            cols.update(basic)
            cols["community"] = comm.community
            cols["niche"] = comm.niche
            cols.update(metrics)
            table = pa.table({k: v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(v)
                              for k, v in cols.items()})
            run = RunRecord(f"bench-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}", dt.datetime.now(
                dt.timezone.utc).isoformat(), {}, st.counts())
            step("write", lambda: st.write_run(run, {"accounts": table, "communities": comm.table}))
            cols = table.column_names
            mode = "stages composed in benchmarks/bench_analyze.py (run_analysis did not run them yet)"
        total = time.perf_counter() - t0
        cpu = time.process_time() - c0
    print(json.dumps({"mode": mode, "total_s": total, "cpu_s": cpu, "peak_rss_bytes": max(mem.peak, vm_hwm() or 0),
                      "rss_before_bytes": base_rss, "timings": timings, "cpu_timings": cpu_timings, "step_rss": mem.steps,
                      "columns": list(cols)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=50_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", default=None, help="DuckDB file (default /tmp/nichegraph_bench_analyze_<edges>.duckdb)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--phase", choices=("all", "prepare", "analyze"), default="all")
    args = ap.parse_args()
    if args.store is None:
        args.store = f"/tmp/nichegraph_bench_analyze_{args.accounts}_{args.edges}_{args.seed}.duckdb"
    if args.phase == "prepare":
        return prepare(args)
    if args.phase == "analyze":
        if args.threads:
            import numba

            numba.set_num_threads(args.threads)
        return analyze(args)
    base = [sys.executable, __file__, "--accounts", str(args.accounts), "--edges", str(args.edges),
            "--seed", str(args.seed), "--store", args.store]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not Path(args.store).exists():
        out = subprocess.run(base + ["--phase", "prepare"], env=env, check=True, capture_output=True, text=True)
        print("prepare:", out.stdout.strip(), flush=True)
    extra = ["--threads", str(args.threads)] if args.threads else []
    out = subprocess.run(base + ["--phase", "analyze"] + extra, env=env, check=True, capture_output=True, text=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"analyze ({res['mode']}): {res['total_s']:.1f} s wall, {res.get('cpu_s', float('nan')):.1f} s CPU "
          f"(all threads), peak RSS {res['peak_rss_bytes'] / 2**30:.2f} GiB "
          f"(before {res['rss_before_bytes'] / 2**30:.2f} GiB)")
    steps = res.get("step_rss", {})
    cpu = res.get("cpu_timings", {})
    print("| step | wall s | CPU s | RSS at start (GiB) | peak RSS in the step (GiB) |")
    print("|---|---|---|---|---|")
    for k in steps:  # in the order the steps began
        v = res["timings"].get(k, float("nan"))
        inner = [s for name, s in steps.items() if name == k or name.startswith(k + ".")]
        peak = max(s["peak"] for s in inner)
        print(f"| {'&nbsp;&nbsp;' * k.count('.')}{k} | {v:.2f} | {cpu.get(k, float('nan')):.2f} "
              f"| {steps[k]['start'] / 2**30:.2f} | {peak / 2**30:.2f} |")
    for k, v in res["timings"].items():
        if k not in steps:
            print(f"  {k}: {v:.2f} s")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
