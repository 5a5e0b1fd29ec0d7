"""RSS after each bulk read of a DuckDB store (edges, accounts, hashtags), to see what the read holds.

Run: .venv/bin/python benchmarks/read_memory.py STORE.duckdb
"""
import sys, gc, psutil, numpy as np
p = psutil.Process()
def rss(tag): print(f"{tag}: {p.memory_info().rss/2**30:.2f} GiB", flush=True)
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.api.stages.hashtags import compact_hashtags
rss("start")
with DuckDBStore(sys.argv[1], read_only=True) as st:
    rss("open")
    e = st.read_edges(); rss("read_edges")
    print("edge arrays", sum(getattr(e, f).nbytes for f in ("follow_src","follow_dst","interaction_src","interaction_dst","interaction_kind","interaction_ts","interaction_weight","interaction_n","followers_count"))/2**30, "GiB")
    a = st.read_accounts(); rss("read_accounts"); print("accounts table", a.nbytes/2**30)
    h = st.read_hashtags(); rss("read_hashtags"); print("hashtag uses", len(h[0]))
    h = compact_hashtags(h); gc.collect(); rss("compact_hashtags")
    print(st.con.execute("select * from duckdb_memory()").fetchall()[:3])
    st.con.execute("PRAGMA memory_limit='100MB'"); rss("after memory_limit 100MB")
rss("closed")
