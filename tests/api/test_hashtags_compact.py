"""Hashtags converted once to Arrow (``compact_hashtags``) give the same tables as the store's numpy strings."""

from __future__ import annotations

import numpy as np

from nichegraph.api.stages.communities import detect_communities
from nichegraph.api.stages.hashtags import compact_hashtags
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate


def test_compact_hashtags_give_the_same_tables(tmp_path):
    with DuckDBStore(str(tmp_path / "w.duckdb")) as st:
        st.load(generate(n_accounts=300, n_edges=4_000, seed=2).batches())
        edges = st.read_edges()
        src, tags = st.read_hashtags()
    assert tags.dtype == object and len(tags) > 100
    # mixed case and non-ASCII tags, as real data has
    tags = tags.copy()
    tags[::5] = [t.upper() for t in tags[::5]]
    tags[1::7] = "Ünïcode"
    raw = (src, tags)
    compact = compact_hashtags(raw)
    assert compact[0].dtype == np.int32 and len(compact[1]) == len(tags)
    assert compact_hashtags(compact)[1] is compact[1]  # already Arrow: not converted again
    a = detect_communities(edges, hashtags=raw)
    b = detect_communities(edges, hashtags=compact)
    assert a.table.equals(b.table)
    assert any("ünïcode" in t for t in a.table.column("top_hashtags").to_pylist())
