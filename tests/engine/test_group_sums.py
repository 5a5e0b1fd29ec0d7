"""Per-group sums of the communities descriptions against obviously-correct references over the zoo."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from zoo import zoo

from nichegraph.api.stages.communities import community_rows, group_index, top_by_score
from nichegraph.api.stages.hashtags import tag_counts, tag_counts_of_uses, top_tags
from nichegraph.engine import from_edges
from nichegraph.engine.group_sums import group_sums, top_items


def _groupings(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [
        np.zeros(n, dtype=np.int64),
        np.arange(n, dtype=np.int64),
        rng.integers(0, max(1, n // 3), n).astype(np.int64),
    ]


@pytest.mark.parametrize("name", sorted(zoo()))
def test_group_sums_match_bincount_over_the_zoo(name):
    z = zoo()[name]
    g = from_edges(z.src, z.dst, z.weight, n_nodes=z.n_nodes, directed=False)
    rng = np.random.default_rng(len(name))
    src, dst, w = g.edges()
    for group in _groupings(g.n_nodes, rng):
        k = int(group.max(initial=-1)) + 1
        internal, inner = group_sums(g, group, k)
        inside = group[src] == group[dst]
        upper = inside & (src < dst)
        assert np.array_equal(internal, np.bincount(group[src[upper]], minlength=k).astype(np.int64))
        ref = np.bincount(src[inside], weights=w[inside], minlength=g.n_nodes)
        assert inner.tobytes() == ref.astype(np.float64).tobytes()  # same sums to the bit


def test_group_sums_with_self_loops_and_weights():
    g = from_edges([0, 0, 1, 2, 3], [0, 1, 2, 3, 3], [2.0, 1.5, 0.25, 4.0, 1.0], n_nodes=5, directed=False)
    internal, inner = group_sums(g, np.array([0, 0, 0, 1, 2]), 3)
    assert internal.tolist() == [2, 0, 0]  # 0-1 and 1-2 inside group 0; self-loops not counted
    assert inner.tolist() == [2.0 + 1.5, 1.5 + 0.25, 0.25, 1.0, 0.0]  # a self-loop counts in its own row once


def test_group_index_is_np_unique():
    rng = np.random.default_rng(3)
    for labels in (
        np.array([5, 5, 2, 9], dtype=np.int64),
        rng.integers(0, 50, 300),
        np.array([10**12, 3, 3]),  # too sparse to count: np.unique
        np.array([-4, 7, -4]),
        np.zeros(0, dtype=np.int64),
    ):
        ids, inv = group_index(labels)
        ref_ids, ref_inv = np.unique(labels, return_inverse=True)
        assert np.array_equal(ids, ref_ids) and np.array_equal(inv, ref_inv.reshape(-1))


def test_top_by_score_is_the_lexsort_order():
    rng = np.random.default_rng(4)
    for n, k in ((1, 1), (40, 3), (500, 17)):
        group = rng.integers(0, k, n)
        group[:k] = np.arange(k)
        score = rng.integers(0, 4, n).astype(np.float64)  # many ties: broken by index
        order = np.lexsort((np.arange(n), -score, group))
        for top_k in (1, 3, 1000):
            got = top_by_score(group, score, k, top_k)
            for c in range(k):
                assert got[c].tolist() == [int(i) for i in order if group[i] == c][:top_k]


def _naive_top(group, item, count, k, top_k):
    out = []
    for c in range(k):
        tally = Counter()
        for g, t, m in zip(group, item, count):
            if g == c and m > 0:
                tally[int(t)] += int(m)
        out.append([t for t, _ in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))][:top_k])
    return out


@pytest.mark.parametrize("seed", range(6))
def test_top_items_match_naive(seed):
    rng = np.random.default_rng(seed)
    r, k, t = int(rng.integers(0, 400)), int(rng.integers(1, 9)), int(rng.integers(1, 30))
    group, item, count = rng.integers(0, k, r), rng.integers(0, t, r), rng.integers(0, 4, r)
    for top_k in (0, 1, 5, 100):
        indptr, items = top_items(group, item, count, k, t, top_k)
        got = [items[indptr[c] : indptr[c + 1]].tolist() for c in range(k)]
        assert got == _naive_top(group, item, count, k, top_k)


def _arrow_top_tags(src, tags, group, k, top_k):
    """The Arrow group-by the descriptions used before: count per (group, lower-cased tag), ties by tag."""
    t = pa.table({"c": pa.array(group[np.asarray(src, dtype=np.int64)]), "tag": pc.utf8_lower(pa.array(tags))})
    t = t.filter(pc.invert(pc.is_null(t.column("tag"))))
    counts = t.group_by(["c", "tag"]).aggregate([("tag", "count")])
    counts = counts.sort_by([("c", "ascending"), ("tag_count", "descending"), ("tag", "ascending")])
    cs, names = counts.column("c").to_numpy(), counts.column("tag").to_pylist()
    bounds = np.searchsorted(cs, np.arange(k + 1))
    return [names[bounds[i] : min(bounds[i] + top_k, bounds[i + 1])] for i in range(k)]


def test_top_tags_match_the_arrow_group_by():
    rng = np.random.default_rng(7)
    words = ["Rust", "rust", "RUST", "python", "Ünïcode", "ünïcode", "ß", "SS", "", "zeta", "Alpha", "alpha", None]
    n, r = 30, 2000
    src = rng.integers(0, n, r).astype(np.int32)
    tags = np.array([words[i] for i in rng.integers(0, len(words), r)], dtype=object)
    group = rng.integers(0, 6, n).astype(np.int64)
    group[:6] = np.arange(6)
    for top_k in (1, 3, 20):
        expected = _arrow_top_tags(src, tags, group, 6, top_k)
        assert top_tags(tag_counts((src, tags)), group, 6, top_k) == expected
        assert top_tags(tag_counts((src, pa.chunked_array([tags[:700], tags[700:]]))), group, 6, top_k) == expected
    # the store's table form (source, tag, n), each row n times: the same counts without repeating rows
    n_uses = rng.integers(0, 3, r)
    uses = pa.table({"source": pa.array(src), "tag": pa.array(tags), "n": pa.array(n_uses)})
    expected = _arrow_top_tags(np.repeat(src, n_uses), np.repeat(tags, n_uses), group, 6, 5)
    assert top_tags(tag_counts_of_uses(uses), group, 6, 5) == expected


def test_community_rows_without_uses_or_with_only_null_tags():
    labels = np.array([0, 0, 1], dtype=np.int64)
    ids = np.array(["a", "b", "c"], dtype=object)
    for hashtags in (None, (np.zeros(0, np.int32), np.zeros(0, dtype=object)), (np.array([0, 2]), [None, None])):
        t = community_rows(labels, np.array([1, 0]), np.array([1.0, 1.0, 0.0]), ids, "broad", None, hashtags, 10)
        assert t.column("top_hashtags").to_pylist() == [[], []]
        assert t.column("top_members").to_pylist() == [["a", "b"], ["c"]]


def test_group_sizes_count_each_accounts_group():
    from nichegraph.api.analysis import group_sizes

    rng = np.random.default_rng(9)
    for labels in (np.array([3, 3, 1]), rng.integers(0, 100, 1000), np.zeros(0, np.int64), np.array([10**13, 5, 5])):
        _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        got = group_sizes(labels)
        assert got.dtype == np.int64 and np.array_equal(got, counts[inverse.reshape(-1)])
