"""DuckDBStore's bulk reads: hashtags as shared strings, no cached blocks kept, the store still answers."""

from __future__ import annotations

from nichegraph.graph_store.duckdb_store import DuckDBStore

from .helpers import batch


def test_hashtags_share_equal_strings_and_the_store_keeps_answering(tmp_path):
    with DuckDBStore(str(tmp_path / "s.duckdb")) as st:
        st.load([batch("interactions", [
            {"source": "a", "target": "b", "kind": "mention", "hashtags": ["Vegan", "food"]},
            {"source": "b", "target": "a", "kind": "reply", "hashtags": ["Vegan"]},
            {"source": "c", "target": "a", "kind": "reply", "hashtags": ["food", "Vegan", "ünï"]},
        ])])
        limit = st.con.execute("SELECT current_setting('memory_limit')").fetchall()
        e = st.read_edges()
        src, tags = st.read_hashtags()
        assert st.con.execute("SELECT current_setting('memory_limit')").fetchall() == limit  # restored
        assert tags.dtype == object
        got = sorted(zip(e.node_ids[src].tolist(), tags.tolist()))
        assert got == sorted([("a", "Vegan"), ("a", "food"), ("b", "Vegan"), ("c", "food"), ("c", "Vegan"),
                              ("c", "ünï")])
        vegan = [t for t in tags if t == "Vegan"]
        assert len(vegan) == 3 and all(t is vegan[0] for t in vegan)  # one object per distinct tag
        assert st.counts()["interactions"] == 3 and st.counts()["accounts"] == 3
        assert st.read_edges().interaction_n.tolist() == e.interaction_n.tolist()
    with DuckDBStore(str(tmp_path / "empty.duckdb")) as st:
        src, tags = st.read_hashtags()
        assert src.size == 0 and tags.size == 0 and tags.dtype == object
