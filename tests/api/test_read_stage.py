"""The read step of ``analyze`` (``api.analysis.read_inputs``): what it keeps of the previous run, and a second
run on the same store keeping the first run's community and niche ids."""

from __future__ import annotations

from nichegraph.api.analysis import PREVIOUS_COLUMNS, previous_accounts, read_inputs, run_analysis
from nichegraph.api.params import AnalysisParams
from nichegraph.graph_store.duckdb_store import DuckDBStore
from nichegraph.graph_store.synth import generate


def test_a_second_run_reads_only_the_ids_it_keeps_and_keeps_them(tmp_path):
    world = generate(n_accounts=1500, n_edges=15_000, seed=4)
    with DuckDBStore(str(tmp_path / "w.duckdb")) as st:
        st.load(world.batches())
        assert previous_accounts(st) is None and read_inputs(st).previous is None
        first = run_analysis(st, AnalysisParams(seed=3, threads=1))
        prev = previous_accounts(st)
        assert prev is not None and prev.column_names == list(PREVIOUS_COLUMNS)
        assert prev.equals(first.accounts.select(list(PREVIOUS_COLUMNS)))
        assert read_inputs(st).previous.equals(prev)
        second = run_analysis(st, AnalysisParams(seed=3, threads=1))
        n_communities = len(set(first.accounts.column("community").to_pylist()))
        assert second.run.params["kept_ids"] == n_communities  # every community matched its earlier self
        for col in ("community", "niche"):
            assert second.accounts.column(col).equals(first.accounts.column(col))
