"""The result properties a new run writes on Neo4j accounts: only what changes, and the nodes end up exact.

``changed_rows`` is checked against a naive per-cell reference on varied tables (no server); the
write-back is checked on the real server: after any sequence of runs (values changed, values becoming
null, NaN, lists, a column dropped, accounts added, an interrupted write) every account holds exactly
the latest run's values.
"""

from __future__ import annotations

import math

import neo4j
import numpy as np
import pyarrow as pa
import pytest

from nichegraph.graph_store import RunRecord, cypher
from nichegraph.graph_store.neo4j_convert import neo4j_column
from nichegraph.graph_store.neo4j_results import NO_RESULTS, UNKNOWN, changed_rows

from .helpers import batch


def _table(n: int, seed: int, idx=None, nulls: float = 0.3, nan: bool = True) -> pa.Table:
    rng = np.random.default_rng(seed)

    def maybe(values):
        return [None if rng.random() < nulls else v for v in values]

    score = rng.integers(0, 3, n).astype(float) / 2
    if nan:
        score[rng.random(n) < 0.2] = np.nan
    return pa.table(
        {
            "idx": pa.array(np.arange(n) if idx is None else idx, pa.int32()),
            "tier": pa.array(maybe(rng.choice(["nano", "micro"], n).tolist()), pa.string()),
            "flag": pa.array(maybe((rng.random(n) < 0.5).tolist()), pa.bool_()),
            "community": pa.array(maybe(rng.integers(0, 3, n).tolist()), pa.int64()),
            "score": pa.array(maybe(score.tolist()), pa.float64()),
            "members": pa.array(
                maybe([[f"u{j}" for j in range(rng.integers(0, 3))] for _ in range(n)]), pa.list_(pa.string())
            ),
        }
    )


def _naive(table: pa.Table, columns, state, old) -> list[dict]:
    """Cell by cell: write unless the node is known to hold the same value already."""
    new_rows = table.to_pylist()
    out = []
    for r, row in enumerate(new_rows):
        want = {}
        k = int(state[r])
        held = None
        if k >= 0:
            at = [i for i, v in enumerate(old[k].column("idx").to_pylist()) if v == row["idx"]]
            held = old[k].slice(at[0], 1).to_pylist()[0] if at else None
        for c in columns:
            v = neo4j_column(table.column(c).slice(r, 1))[0]
            if k == NO_RESULTS:
                write = v is not None
            elif (
                k == UNKNOWN
                or held is None
                or c not in old[k].column_names
                or old[k].schema.field(c).type != table.schema.field(c).type
            ):
                write = True
            else:
                o = neo4j_column(old[k].column(c).slice(at[0], 1))[0]
                both_nan = isinstance(v, float) and isinstance(o, float) and math.isnan(v) and math.isnan(o)
                write = not (both_nan or (v == o and (v is None) == (o is None)))
            if write:
                want[c] = v
        out.append(want)
    return out


def _same_rows(a: list[dict], b: list[dict]) -> bool:
    def norm(d):
        return {k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}

    return [norm(x) for x in a] == [norm(y) for y in b]


@pytest.mark.parametrize("seed", range(6))
def test_changed_rows_match_a_cell_by_cell_reference(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 40))
    new = _table(n, seed)
    # two earlier runs: one over a shuffled, partly missing set of accounts, one without the "members" column
    keep = rng.permutation(n)[: max(1, n - 3)]
    first = _table(keep.size, seed + 50, idx=keep, nulls=0.5)
    second = _table(n, seed + 60).drop_columns(["members"])
    # nearly equal to the new run, so that most cells are unchanged
    mostly_same = new.set_column(
        1,
        "tier",
        pa.array([None if i % 7 == 0 else v for i, v in enumerate(new.column("tier").to_pylist())], pa.string()),
    )
    old = [first, second, mostly_same]
    state = rng.choice([NO_RESULTS, UNKNOWN, 0, 1, 2], n)
    columns = ["tier", "flag", "community", "score", "members"]
    got = changed_rows(new, columns, state, old)
    assert _same_rows(got, _naive(new, columns, state, old))
    # the same table over itself changes nothing; over nothing stored, only the non-null cells are written
    assert changed_rows(new, columns, np.zeros(n, dtype=np.int64), [new]) == [{}] * n
    empty = changed_rows(new, columns, np.full(n, NO_RESULTS), [])
    assert all(v is not None for row in empty for v in row.values())
    assert sum(map(len, empty)) == sum(new.column(c).length() - new.column(c).null_count for c in columns)


def test_a_changed_column_type_is_written_whole():
    old = pa.table({"idx": pa.array([0, 1], pa.int32()), "x": pa.array([1, 2], pa.int64())})
    new = pa.table({"idx": pa.array([0, 1], pa.int32()), "x": pa.array([1.0, 2.0], pa.float64())})
    assert changed_rows(new, ["x"], np.array([0, 0]), [old]) == [{"x": 1.0}, {"x": 2.0}]


# -- on the real server --------------------------------------------------------------------------------

_PROPS = ("tier", "flag", "community", "score", "members")


def _held(uri: str) -> list[dict]:
    with neo4j.GraphDatabase.driver(uri, auth=None) as d:
        recs = d.execute_query(
            "MATCH (a:Account) RETURN a.idx AS idx, a.run_id AS run_id, "
            + ", ".join(f"a.{p} AS {p}" for p in _PROPS)
            + " ORDER BY a.idx"
        ).records
    return [dict(r) for r in recs]


def _expected(table: pa.Table, run_id: str, n: int) -> list[dict]:
    rows = {r["idx"]: r for r in table.to_pylist()}
    out = []
    for i in range(n):
        r = rows.get(i)
        want = {"idx": i, "run_id": run_id if r else None}
        for p in _PROPS:
            v = None if r is None or p not in table.column_names else r[p]
            want[p] = [x for x in v if x is not None] if isinstance(v, list) else v
        out.append(want)
    return out


@pytest.mark.neo4j
def test_every_account_holds_exactly_the_latest_runs_values(neo4j_store_factory, neo4j_uri):
    n = 30
    st = neo4j_store_factory(batch_size=7, account_results="all")
    st.load([batch("follows", [{"follower": f"u{i:02d}", "followee": f"u{(i + 1) % n:02d}"} for i in range(n)])])

    def run(run_id: str, table: pa.Table) -> None:
        st.write_run(RunRecord(run_id, f"2026-01-0{len(st.list_runs()) + 1}T00:00:00", {}, {}), {"accounts": table})
        assert _same_rows(_held(neo4j_uri), _expected(table, run_id, n)), run_id

    t1 = _table(n, 1)
    run("r1", t1)  # nothing stored before: the non-null cells
    run("r2", _table(n, 2))  # values change, values become null, NaN stays NaN
    run("r3", _table(n, 2))  # the same values again: only run_id changes
    # an interrupted write of another run left some accounts with its values and its run_id
    part = _table(n, 9, nulls=0.0)
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=None) as d:
        for r in part.slice(0, 10).to_pylist():
            nid = d.execute_query("MATCH (a:Account {idx: $i}) RETURN elementId(a) AS e", i=r["idx"]).records[0]["e"]
            d.execute_query(
                cypher.ACCOUNT_RESULTS, nid=[nid], run_id="lost", p=[{k: v for k, v in r.items() if k != "idx"}]
            )
    run("r4", _table(n, 2))
    run("r5", _table(n, 3).drop_columns(["members"]).append_column("members", pa.nulls(n, pa.list_(pa.string()))))
    run("r6", t1)


def _run(st, run_id: str, table: pa.Table) -> None:
    st.write_run(RunRecord(run_id, f"2026-01-0{len(st.list_runs()) + 1}T00:00:00", {}, {}), {"accounts": table})


def _properties(uri: str) -> list[dict]:
    """Every account's properties besides its base fields and adjacency records, by idx."""
    with neo4j.GraphDatabase.driver(uri, auth=None) as d:
        recs = d.execute_query("MATCH (a:Account) RETURN a.idx AS idx, properties(a) AS p ORDER BY a.idx").records
    skip = {"key", "id", "idx", "handle", "platform", "followers_count", "following_count", "affiliation"}
    return [{k: v for k, v in r["p"].items() if k not in skip and not k.startswith("adj_")} for r in recs]


@pytest.mark.neo4j
def test_headline_results_only_and_switching_between_all_and_headline(neo4j_store_factory, neo4j_uri):
    """By default only the headline columns become properties (the run table keeps every column); a headline
    run after an all-columns run removes what that run wrote beyond the headline, and back again."""
    from nichegraph.graph_store.neo4j_runs import HEADLINE_RESULTS

    n = 12
    load = [batch("follows", [{"follower": f"u{i:02d}", "followee": f"u{(i + 1) % n:02d}"} for i in range(n)])]
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "idx": pa.array(np.arange(n), pa.int32()),
            "tier": pa.array(rng.choice(["nano", "micro"], n).tolist(), pa.string()),
            "pagerank": pa.array(rng.random(n), pa.float64()),
            "community": pa.array([None if i % 5 == 0 else i % 3 for i in range(n)], pa.int64()),
            "auth_pod": pa.array(rng.random(n), pa.float64()),  # not a headline column
            "pod_ties": pa.array(rng.integers(0, 9, n), pa.int64()),  # nor this
        }
    )
    assert {"tier", "pagerank", "community"} <= set(HEADLINE_RESULTS)
    assert not {"auth_pod", "pod_ties"} & set(HEADLINE_RESULTS)

    def expect(run_id: str, columns) -> list[dict]:
        rows = table.to_pylist()
        return [{"run_id": run_id, **{c: r[c] for c in columns if r[c] is not None}} for r in rows]

    headline = neo4j_store_factory(batch_size=5)
    headline.load(load)
    _run(headline, "h1", table)
    assert _properties(neo4j_uri) == expect("h1", ["tier", "pagerank", "community"])
    # the run's table still holds every column, exactly
    assert headline.read_run("h1")[1]["accounts"].equals(table)
    every = neo4j_store_factory(batch_size=5, account_results="all")
    _run(every, "a2", table)
    assert _properties(neo4j_uri) == expect("a2", table.column_names[1:])
    _run(headline, "h3", table)  # removes auth_pod and pod_ties, writes nothing else but run_id
    assert _properties(neo4j_uri) == expect("h3", ["tier", "pagerank", "community"])
    with pytest.raises(Exception, match="account_results"):
        neo4j_store_factory(account_results="some")
