"""The snapshot query engine against plain-Python references, over both query plans."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest

from nichegraph.api.run_query import snapshot as snapmod
from nichegraph.engine.mutual_ties import mutual_ties
from nichegraph.api.run_query import Filters, MutualIndex, QueryError, RangeFilter, Snapshot, decode_cursor
from nichegraph.graph_store import RunRecord

from .conftest import world_tables
from .reference import ranked_ids

RUN = RunRecord("r1", "2026-01-01T00:00:00+00:00", {}, {})


def _filters(spec: dict) -> Filters:
    values = {k: tuple(spec[k]) for k in ("community", "niche", "tier", "platform", "affiliation") if spec.get(k)}
    ranges = []
    if spec.get("followers_min") is not None or spec.get("followers_max") is not None:
        ranges.append(RangeFilter("followers", spec.get("followers_min"), spec.get("followers_max")))
    if spec.get("min_social_ratio") is not None:
        ranges.append(RangeFilter("social_ratio", spec["min_social_ratio"], None))
    return Filters(values, tuple(ranges))


def _all_pages(snap: Snapshot, filters: Filters, sort: str, desc: bool, limit: int) -> list[str]:
    out, cursor, pages = [], None, 0
    while True:
        rows, cursor, _ = snap.rank(filters, sort, desc, limit, cursor)
        assert len(rows) <= limit
        out += [snap.strings["id"][r] for r in rows]
        pages += 1
        assert pages < 1000
        if cursor is None:
            return out


SPECS = [
    {},
    {"community": [1]},
    {"community": [0, 2], "tier": ["NANO", "micro"]},
    {"niche": [11, 21, 999]},
    {"platform": ["instagram"]},
    {"affiliation": ["ACME"]},
    {"followers_min": 100_000, "followers_max": 1_500_000},
    {"followers_max": 300},
    {"min_social_ratio": 0.5, "tier": ["macro"]},
    {"min_social_ratio": 0.97},
    {"community": [3], "min_social_ratio": 0.2, "followers_min": 50},
    {"tier": ["nonexistent"]},
]


@pytest.fixture(scope="module")
def table():
    return world_tables(seed=11, n=300)[0]


@pytest.mark.parametrize("plan", ["candidates", "walk"])
@pytest.mark.parametrize("spec", SPECS, ids=[str(i) for i in range(len(SPECS))])
def test_rank_matches_reference_every_page(table, spec, plan, monkeypatch):
    monkeypatch.setattr(snapmod, "CANDIDATE_MAX", 10**9 if plan == "candidates" else -1)
    snap = Snapshot(RUN, table)
    rows = table.to_pylist()
    for sort, desc, limit in itertools.product(["score_hidden", "followers_count", "in_degree", "social_ratio"], [True, False],
                                               [1, 7, 500]):
        got = _all_pages(snap, _filters(spec), sort, desc, limit)
        assert got == ranked_ids(rows, sort, desc, spec), (spec, sort, desc, limit)


def test_rank_default_sort_and_bad_sort(table):
    snap = Snapshot(RUN, table)
    assert snap.rank(Filters(), None, True, 3)[2] == "score_hidden"
    with pytest.raises(QueryError) as exc:
        snap.rank(Filters(), "id", True, 3)
    assert exc.value.field == "sort"
    with pytest.raises(QueryError):
        snap.rank(Filters(), "tier_estimated", True, 3)  # booleans are not scores


def test_cursor_checks(table):
    snap = Snapshot(RUN, table)
    _, cursor, _ = snap.rank(Filters(), "pagerank", True, 5)
    assert decode_cursor(cursor, "pagerank", True)[1] >= 0
    for bad_sort, bad_desc in (("pagerank", False), ("in_degree", True)):
        with pytest.raises(QueryError, match="belongs to sort"):
            snap.rank(Filters(), bad_sort, bad_desc, 5, cursor)
    for junk in ("", "!!!", "eyJ4IjoxfQ", "bm90IGpzb24"):
        if junk:
            with pytest.raises(QueryError, match="not a cursor"):
                snap.rank(Filters(), "pagerank", True, 5, junk)


def test_integer_ids_are_served_as_strings():
    snap = Snapshot(RUN, pa.table({"id": pa.array([30, 10, 20], pa.int64()), "pagerank": [0.1, 0.3, 0.2]}))
    assert snap.row_of("10") == 1 and snap.rows(np.array([1], np.int32)) == [{"id": "10", "pagerank": 0.3}]


def test_missing_columns_are_clear_errors():
    t = pa.table({"id": ["a", "b", "c"], "pagerank": [0.2, 0.5, 0.1]})
    snap = Snapshot(RUN, t)
    ids = [snap.strings["id"][r] for r in snap.rank(Filters(), None, True, 10)[0]]
    assert ids == ["b", "a", "c"]
    with pytest.raises(QueryError) as exc:
        snap.rank(Filters({"tier": ("nano",)}), None, True, 10)
    assert exc.value.field == "tier"
    with pytest.raises(QueryError) as exc:
        snap.rank(Filters(ranges=(RangeFilter("social_ratio", 0.5, None, "min_social_ratio"),)), None, True, 10)
    assert exc.value.field == "min_social_ratio"
    with pytest.raises(QueryError) as exc:
        snap.rank(Filters(ranges=(RangeFilter("followers", 1, None, "followers_min"),)), None, True, 10)
    assert exc.value.field == "followers_min"


def test_rows_match_the_table(table):
    snap = Snapshot(RUN, table)
    ref = table.to_pylist()
    rows = snap.rows(np.arange(table.num_rows, dtype=np.int32))
    for got, want in zip(rows, ref):
        for k, v in want.items():
            if isinstance(v, float) and v != v:
                assert isinstance(got[k], float) and got[k] != got[k]  # NaN, written as null by the encoder
            else:
                assert got[k] == v, k
    assert snap.rows(np.array([0], np.int32), ["id", "tier"]) == [{"id": ref[0]["id"], "tier": ref[0]["tier"]}]


def test_json_writes_nan_as_null():
    from nichegraph.api.service.errors import dumps

    assert dumps({"a": float("nan"), "b": [1.5, float("inf")]}) == b'{"a":null,"b":[1.5,null]}'


def test_lookups(table):
    snap = Snapshot(RUN, table)
    assert snap.row_of("u007") == 7 and snap.row_of("nope") is None
    assert snap.row_of_handle("@HANDLE10") == 10 and snap.row_of_handle("handle9") is None  # handle9 is null
    assert snap.has_value("affiliation", "acme") and not snap.has_value("affiliation", "globex")


def test_rank_within_candidates(table):
    snap = Snapshot(RUN, table)
    cands = np.array([3, 50, 7, 120, 8, 9], dtype=np.int32)
    rows = [r for r in table.to_pylist() if r["idx"] in set(cands.tolist())]
    got, cursor, _ = snap.rank(Filters(), "score_hidden", True, 4, candidates=cands)
    rest, cursor2, _ = snap.rank(Filters(), "score_hidden", True, 4, cursor, candidates=cands)
    assert cursor2 is None
    assert [snap.strings["id"][r] for r in np.concatenate([got, rest])] == ranked_ids(rows, "score_hidden", True)


def _naive_mutuals(n, fs, fd, isrc, idst, w):
    fol = set(zip(fs, fd))
    iw = {}
    for s, d, x in zip(isrc, idst, w):
        if s != d:
            iw[(s, d)] = iw.get((s, d), 0.0) + x
    out = {u: [] for u in range(n)}
    for u in range(n):
        for v in range(n):
            if u == v:
                continue
            mf = (u, v) in fol and (v, u) in fol
            mi = (u, v) in iw and (v, u) in iw
            if mf or mi:
                s = min(iw[(u, v)], iw[(v, u)]) if mi else 0.0
                out[u].append((-s, not mf, v, s, mf))
    return {u: [(t[2], t[3], t[4]) for t in sorted(lst)] for u, lst in out.items()}


def _mutual_index(n, fs, fd, isrc, idst, w, per_node):
    """The path `analyze` -> run table -> service takes: engine ties, the `mutuals` table, the in-memory CSR."""
    ties = mutual_ties(n, fs, fd, isrc, idst, w, per_node=per_node)
    table = pa.table({"account": ties.account, "other": ties.other, "strength": ties.strength,
                      "mutual_follow": ties.mutual_follow})
    return MutualIndex.from_table(n, table.take(np.random.default_rng(0).permutation(table.num_rows)))


@pytest.mark.parametrize("seed", range(4))
def test_mutual_index_matches_naive(seed):
    rng = np.random.default_rng(seed)
    n = 12
    fs, fd = rng.integers(0, n, 60), rng.integers(0, n, 60)
    isrc, idst = rng.integers(0, n, 80), rng.integers(0, n, 80)
    w = rng.integers(1, 4, 80).astype(float)
    idx = _mutual_index(n, fs, fd, isrc, idst, w, per_node=5)
    want = _naive_mutuals(n, fs.tolist(), fd.tolist(), isrc.tolist(), idst.tolist(), w.tolist())
    for u in range(n):
        nbr, s, f = idx.of(u, 5)
        assert list(zip(nbr.tolist(), s.tolist(), f.tolist())) == want[u][:5]


def test_mutual_index_empty():
    idx = _mutual_index(3, [], [], [], [], [], per_node=20)
    assert all(len(idx.of(u, 10)[0]) == 0 for u in range(3))
