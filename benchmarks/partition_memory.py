"""Bytes per edge one Spark worker needs to analyse a partition: the measurement behind the default
``--max-partition`` (``api.spark.budget.BYTES_PER_EDGE``).

The parent writes a synthetic world's follows and interactions as the rows a worker receives (the
partition's halo: ``src, dst, follow, kind, ts, weight``) to a Parquet file; a fresh child process
imports the engine, compiles its kernels on a tiny world, notes its resident memory, and then runs,
on the whole world as one partition, what the workers run on a partition in the Spark engine:
``work.halo_graphs`` (graphs step), ``work.broad_communities`` and ``work.niche_communities``
(communities step) and ``work.halo_metrics`` (metrics step). It prints the peak resident memory
above the warm baseline after each step, and that peak divided by the halo's edges.

    .venv/bin/python benchmarks/partition_memory.py --edges 1000000
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

import numpy as np


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    """Peak resident memory since :func:`_reset_peak` (``VmHWM``), bytes."""
    with open("/proc/self/status") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def _reset_peak() -> None:
    """Start ``VmHWM`` again from the current resident memory (Linux: ``5`` into ``clear_refs``)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _halo_file(edges: int, accounts: int, seed: int, out: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_spark import store_for

    from nichegraph.api.spark import work
    from nichegraph.graph_store.duckdb_store import DuckDBStore

    with DuckDBStore(str(store_for(accounts, edges, seed))) as st:
        e = st.read_edges()
    table = pa.table(work.raw_rows(e))
    pq.write_table(table, out / "halo.parquet")
    pq.write_table(
        pa.table({"idx": np.arange(e.n_nodes, dtype=np.int64), "followers_count": e.followers_count.astype(float)}),
        out / "nodes.parquet",
    )
    return {"accounts": int(e.n_nodes), "rows": table.num_rows}


def _child(folder: Path) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    from nichegraph.api.params import AnalysisParams
    from nichegraph.api.spark import work

    params = AnalysisParams()
    cp, mp = params.communities, params.metrics

    def run(nodes: pd.DataFrame, raw: pd.DataFrame) -> dict:
        built = work.halo_graphs(nodes, raw, cp, mp)
        aff = built[built.graph == 0][["src", "dst", "weight"]].reset_index(drop=True)
        del built
        yield "graphs"
        broad = work.broad_communities(nodes, aff, cp.resolution, params.seed, cp.n_iterations, cp.parallel)
        yield "broad"
        labelled = nodes.merge(broad, on="idx")
        nic = work.niche_communities(labelled, aff, 0.05, params.seed, cp.n_iterations, cp.parallel)
        del aff
        yield "niches"
        lab = nic.set_index("idx")["label"]
        raw = raw.assign(src_label=lab.loc[raw.src].to_numpy(), dst_label=lab.loc[raw.dst].to_numpy())
        work.halo_metrics(nodes.merge(nic, on="idx"), raw, mp)
        yield "metrics"

    # compile (or load from the cache) every kernel on a tiny world first
    rng = np.random.default_rng(0)
    tiny_n = pd.DataFrame({"idx": np.arange(50, dtype=np.int64), "followers_count": np.full(50, 10.0)})
    tiny = pd.DataFrame(
        {
            "src": rng.integers(0, 50, 400),
            "dst": rng.integers(0, 50, 400),
            "follow": np.arange(400) < 200,
            "kind": np.where(np.arange(400) < 200, 0, 1).astype(np.int32),
            "ts": np.where(np.arange(400) < 200, -1, 1_600_000_000 + np.arange(400)).astype(np.int64),
            "weight": np.ones(400),
        }
    )
    tiny = tiny[tiny.src != tiny.dst].drop_duplicates(["src", "dst", "follow"]).reset_index(drop=True)
    for _ in run(tiny_n, tiny):
        pass
    base = _rss()
    _reset_peak()  # the kernels' compilation peaked above what stays resident
    t0 = time.process_time()
    nodes = pq.read_table(folder / "nodes.parquet").to_pandas()
    raw = pq.read_table(folder / "halo.parquet").to_pandas()
    out = {"baseline_rss_gb": base / 1e9, "input_rows": len(raw)}
    out["after_read_gb"] = (_peak() - base) / 1e9
    for step in run(nodes, raw):
        out[f"after_{step}_gb"] = (_peak() - base) / 1e9
    out["peak_above_baseline_gb"] = (_peak() - base) / 1e9
    out["bytes_per_edge"] = (_peak() - base) / len(raw)
    out["cpu_s"] = time.process_time() - t0
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=None, help="default edges / 20")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(Path(args.child))
        return
    with tempfile.TemporaryDirectory() as tmp:
        info = _halo_file(args.edges, args.accounts or args.edges // 20, args.seed, Path(tmp))
        print(json.dumps({"load_avg": os.getloadavg(), "edges": args.edges, **info}), flush=True)
        subprocess.run([sys.executable, __file__, "--child", tmp], check=True)


if __name__ == "__main__":
    main()
