"""Undefined values of an analysis run are stored as NULL, never NaN, in both stores.

Checked with the stores' own aggregates: DuckDB SQL ``avg``/``median`` and a Cypher ``avg``
over the Account properties must equal numpy's mean/median of the defined values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nichegraph.api.analysis import AnalysisParams, run_analysis
from nichegraph.graph_store.neo4j_runs import HEADLINE_RESULTS
from nichegraph.graph_store.synth import generate

#: columns that are undefined for some accounts of the world below (no inbound events, no followers)
NULLABLE = ("social_ratio", "follow_back_ratio", "niche_share", "social_ratio_shrunk", "score_hidden")
assert {"social_ratio", "social_ratio_shrunk", "score_hidden"} <= set(HEADLINE_RESULTS)  # Neo4j checks these as properties


@pytest.fixture
def analysed(store):
    world = generate(n_accounts=300, n_edges=1_500, seed=5)
    store.load(world.batches())
    result = run_analysis(store, AnalysisParams(seed=0))
    return store, result


def _defined(result, column) -> np.ndarray:
    values = np.array([np.nan if v is None else v for v in result.accounts.column(column).to_pylist()], dtype=float)
    assert np.isnan(values).any() and (~np.isnan(values)).any(), column  # the world must exercise both
    return values[~np.isnan(values)]


def test_undefined_values_are_null(analysed):
    store, result = analysed
    for column in NULLABLE:
        col = result.accounts.column(column)
        assert col.null_count > 0 and not np.isnan(col.to_numpy(zero_copy_only=False)[~np.asarray(col.is_null())]).any()
        defined = _defined(result, column)
        if hasattr(store, "con"):  # DuckDB: SQL aggregates skip NULL
            avg, med, nans = store.con.execute(
                f'SELECT avg("{column}"), median("{column}"), count(*) FILTER (WHERE isnan("{column}")) '
                "FROM result_accounts WHERE run_id = ?", [result.run.run_id]).fetchone()
            assert nans == 0
            assert med == pytest.approx(float(np.median(defined)), rel=1e-12)
        elif column not in HEADLINE_RESULTS:  # Neo4j keeps it in the run table only (checked below)
            continue
        else:  # Neo4j: headline results are Account properties; a NULL property is absent, avg skips it
            with store.driver.session(database=store.database) as s:
                rec = s.run(f"MATCH (a:Account) WHERE a.run_id = $run RETURN avg(a.`{column}`) AS avg, "
                            f"count(a.`{column}`) AS n, sum(CASE WHEN isNaN(a.`{column}`) THEN 1 ELSE 0 END) AS nans",
                            run=result.run.run_id).single()
            avg = rec["avg"]
            assert rec["n"] == defined.size and rec["nans"] == 0
        assert not math.isnan(avg) and avg == pytest.approx(float(defined.mean()), rel=1e-12)
    # the run read back keeps NULL (and no NaN) in every column
    _, tables = store.read_run()
    for column in NULLABLE:
        back = tables["accounts"].column(column)
        assert back.null_count == result.accounts.column(column).null_count, column
        assert not np.isnan(back.to_numpy(zero_copy_only=False)[~np.asarray(back.is_null())]).any(), column
