"""The serving run tables' share of ``analyze``: what the HTTP service reads instead of the store's edges.

Loads one synthetic world into a DuckDB store, runs ``run_analysis`` twice (the
first warms the JIT) and prints the second run's time per stage, the share of
the ``serving`` stage (``api.stages.serving``: mutuals, touches, hashtag uses,
audience), each serving table's build time, and how long reading every run
table back takes (what the service does when a run changes).

    .venv/bin/python benchmarks/bench_serving_tables.py --accounts 100000 --edges 1000000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from nichegraph.api.analysis import run_analysis
from nichegraph.api.stages import serving
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    world = generate(n_accounts=args.accounts, n_edges=args.edges, seed=1)
    with tempfile.TemporaryDirectory() as tmp, DuckDBStore(os.path.join(tmp, "s.duckdb")) as st:
        st.load(world.batches())
        run_analysis(st)
        t = run_analysis(st).timings
        total = sum(t.values())
        print(" ".join(f"{k}={v:.2f}s" for k, v in t.items()) + f" total={total:.2f}s "
              f"serving share={t['serving'] / total:.1%}")
        edges = st.read_edges()
        for name, build in [("mutuals", lambda: serving.mutuals_table(edges)),
                            ("touches", lambda: serving.touches_table(st, edges)),
                            ("hashtag_uses", lambda: serving.hashtag_uses_table(st.read_hashtag_uses())),
                            ("audience", lambda: serving.audience_table(edges))]:
            t0 = time.perf_counter()
            rows = build().num_rows
            print(f"  {name}: {time.perf_counter() - t0:.2f}s, {rows:,} rows")
        t0 = time.perf_counter()
        st.read_run()
        print(f"read_run (every table): {time.perf_counter() - t0:.2f}s")


if __name__ == "__main__":
    main()
