"""The touches serving table two ways on one store, same process: one sort of the edge arrays vs the store query.

Run: .venv/bin/python benchmarks/touches_paths.py STORE.duckdb
"""
import dataclasses, sys, time
from nichegraph.api.stages.serving import touches_table
from nichegraph.graph_store.duckdb_store import DuckDBStore
with DuckDBStore(sys.argv[1], read_only=True) as st:
    e = st.read_edges()
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        a = touches_table(st, e)
        t1, c1 = time.perf_counter(), time.process_time()
        b = touches_table(st, dataclasses.replace(e, interaction_n=None))
        t2, c2 = time.perf_counter(), time.process_time()
        print(f"one sort: {t1-t0:.2f} s wall {c1-c0:.2f} s CPU | store query: {t2-t1:.2f} s wall {c2-c1:.2f} s CPU | rows {a.num_rows:,} equal {a.equals(b)}", flush=True)
