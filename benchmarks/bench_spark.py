"""The Spark engine beside the single-machine engine on one synthetic world, in the same run.

For each world size: generate and load a DuckDB store (cached under benchmarks/data), run the
single-machine ``analyze`` and the Spark ``analyze`` (local mode, each master given) on copies of
it, and print time, CPU seconds and peak memory (this process plus its children, sampled: the Spark
JVM and its Python workers included), the load average before and after each engine, and the
agreement: PageRank L1 difference, NMI of communities and niches, overlap of the top 100 of the
PageRank and hidden-score rankings.  ``--max-partition`` defaults to the engine's own default (what
fits one task's memory, ``api.spark.budget``); the row reports the value used and the partitions.

    timeout 3600 .venv/bin/python benchmarks/bench_spark.py --edges 1000000 --masters 'local[2]' 'local[1]'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import psutil
from sklearn.metrics import normalized_mutual_info_score as nmi

from nichegraph.api.analysis import AnalysisParams, run_analysis
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate

DATA = Path(__file__).parent / "data"


class PeakRss:
    """Peak resident memory and CPU seconds (user + system) of this process and all its children, sampled every
    0.2 s (a child's CPU counts up to its last sample; the JVM and the Python workers live through the run)."""

    def __init__(self):
        self.peak = 0
        self.cpu = 0.0
        self._stop = threading.Event()

    def __enter__(self):
        me = psutil.Process()
        start = {me.pid: sum(me.cpu_times()[:2])}
        for p in me.children(recursive=True):  # a JVM left from an earlier run counts from now
            with contextlib.suppress(psutil.Error):
                start[p.pid] = sum(p.cpu_times()[:2])
        last: dict[int, float] = dict(start)

        def sample():
            while not self._stop.is_set():
                total = 0
                for p in [me, *me.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                        last[p.pid] = sum(p.cpu_times()[:2])
                self.peak = max(self.peak, total)
                self.cpu = sum(v - start.get(k, 0.0) for k, v in last.items())
                time.sleep(0.2)

        self._t = threading.Thread(target=sample, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def store_for(accounts: int, edges: int, seed: int) -> Path:
    path = DATA / f"spark_{accounts}_{edges}_{seed}.duckdb"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        with DuckDBStore(str(path)) as st:
            st.load(generate(n_accounts=accounts, n_edges=edges, seed=seed).batches())
    return path


def top(df, col, k=100):
    return set(df.sort_values([col, "idx"], ascending=[False, True]).idx[:k])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=None, help="default edges / 20")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--masters", nargs="+", default=["local[2]"])
    ap.add_argument("--max-partition", type=int, default=None, help="default: the engine's (one task's memory)")
    ap.add_argument("--driver-memory", default="2g")
    ap.add_argument("--conf", nargs="*", default=[], help="more Spark settings, KEY=VALUE")
    ap.add_argument("--skip-single", action="store_true", help="only the Spark rows (agreement not measured)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    accounts = args.accounts or args.edges // 20
    src = store_for(accounts, args.edges, args.seed)
    conf = dict(kv.split("=", 1) for kv in args.conf)
    print(json.dumps({"load_avg": os.getloadavg(), "accounts": accounts, "edges": args.edges}), flush=True)
    rows = []
    work = DATA / f"spark_run_{os.getpid()}.duckdb"
    base = None
    if not args.skip_single:
        shutil.copy(src, work)
        load0 = os.getloadavg()
        with DuckDBStore(str(work)) as st, PeakRss() as mem:
            t0 = time.perf_counter()
            single = run_analysis(st, AnalysisParams())
            rows.append(
                {"engine": "single", "seconds": time.perf_counter() - t0, "peak_gb": 0.0, "timings": single.timings}
            )
        rows[-1].update(peak_gb=mem.peak / 1e9, cpu_s=mem.cpu, load_avg=[load0, os.getloadavg()])
        base = single.accounts.to_pandas()
        print(json.dumps(rows[-1]), flush=True)
    from nichegraph.api.spark import SparkParams, run_spark_analysis, spark_session

    for master in args.masters:
        # one JVM per master: Spark cannot change the master of a running session
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
        shutil.copy(src, work)
        load0 = os.getloadavg()
        with DuckDBStore(str(work)) as st, PeakRss() as mem:
            t0 = time.perf_counter()
            spark = spark_session(master, driver_memory=args.driver_memory, conf=conf)
            started = time.perf_counter() - t0
            res = run_spark_analysis(
                st, AnalysisParams(), SparkParams(master=master, max_partition=args.max_partition), spark=spark
            )
            secs = time.perf_counter() - t0
        row = {
            "engine": f"spark {master}",
            "seconds": secs,
            "session_s": started,
            "peak_gb": mem.peak / 1e9,
            "cpu_s": mem.cpu,
            "load_avg": [load0, os.getloadavg()],
            "partitions": res.run.params["spark"]["partitions"],
            "max_partition": res.run.params["spark"]["max_partition"],
            "timings": res.timings,
        }
        if base is not None:
            row.update(agreement(base, res.accounts.to_pandas()))
            row.update(
                communities=[single.run.counts["communities"], res.run.counts["communities"]],
                niches=[single.run.counts["niches"], res.run.counts["niches"]],
            )
        rows.append(row)
        print(json.dumps(row), flush=True)
    work.unlink(missing_ok=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


def agreement(base, acc) -> dict:
    """PageRank L1 difference, NMI of communities and niches, top-100 overlaps of ``acc`` against ``base``."""
    return {
        "pagerank_l1": float(np.abs(acc.pagerank - base.pagerank).sum()),
        "nmi_community": float(nmi(base.community, acc.community)),
        "nmi_niche": float(nmi(base.niche, acc.niche)),
        "top100_pagerank": len(top(base, "pagerank") & top(acc, "pagerank")) / 100,
        "top100_hidden": len(
            top(base.fillna({"score_hidden": -1}), "score_hidden")
            & top(acc.fillna({"score_hidden": -1}), "score_hidden")
        )
        / 100,
    }


if __name__ == "__main__":
    main()
