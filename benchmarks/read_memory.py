"""RSS after each bulk read of a DuckDB store (edges, accounts, hashtag uses, posts, the previous run).

Run: .venv/bin/python benchmarks/read_memory.py STORE.duckdb
"""
import sys, psutil
p = psutil.Process()
def rss(tag): print(f"{tag}: {p.memory_info().rss/2**30:.2f} GiB", flush=True)
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.api.analysis import previous_accounts
with DuckDBStore(sys.argv[1], read_only=True) as st:
    rss("open")
    e = st.read_edges(); rss("read_edges")
    a = st.read_accounts(); rss("read_accounts")
    u = st.read_hashtag_uses(); rss("read_hashtag_uses"); print(u.num_rows, u.nbytes/2**30)
    po = st.read_posts(); rss("read_posts"); print(po.num_rows)
    pr = previous_accounts(st); rss("previous_accounts"); print(pr.nbytes/2**30 if pr is not None else None)
    print(st.con.execute("select tag, memory_usage_bytes from duckdb_memory() where memory_usage_bytes>0").fetchall())
