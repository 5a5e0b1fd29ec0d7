"""What makes a first run fast: the one stable sort kernels share, one signature per kernel, and the
compile helper's list of kernels (``engine._warmup``), which must name real kernels and fill the cache
a later process reads."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from test_jit_cache import _run

from nichegraph.engine._jit import SerialOrParallel, read_only
from nichegraph.engine._sort import stable_argsort
from nichegraph.engine._warmup import KERNELS, describe_signature, dispatcher, parse_signature


@pytest.mark.parametrize("m", [0, 1, 2, 15, 16, 17, 31, 32, 33, 100, 1000, 4097])
@pytest.mark.parametrize("span", [1, 3, 50, 10**6])
def test_stable_argsort_is_numpys_stable_argsort(m, span):
    rng = np.random.default_rng(m * 7 + span)
    keys = rng.integers(0, span, m).astype(np.int32)
    assert np.array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))


def test_stable_argsort_sorted_and_reversed_input():
    for keys in (np.arange(200, dtype=np.int32), np.arange(200, dtype=np.int32)[::-1].copy()):
        assert np.array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))


def test_read_only_is_a_view_unless_the_type_changes():
    a = np.arange(5, dtype=np.int64)
    v = read_only(a, np.int64)
    assert not v.flags.writeable and np.shares_memory(a, v) and a.flags.writeable
    c = read_only(np.arange(5, dtype=np.int32), np.int64)
    assert c.dtype == np.int64 and not c.flags.writeable
    s = read_only(np.arange(10, dtype=np.int64)[::2], np.int64)
    assert s.flags.c_contiguous and s.tolist() == [0, 2, 4, 6, 8]


def test_signature_notation_round_trips():
    for _, _, _, sig in KERNELS:
        assert describe_signature(parse_signature(sig)) == sig


def test_every_listed_kernel_exists_with_that_many_arguments():
    assert len(set(KERNELS)) == len(KERNELS)
    for module, name, variant, sig in KERNELS:
        d = dispatcher(module, name, variant)
        assert hasattr(d, "compile"), (module, name)
        owner_is_pair = isinstance(
            getattr(__import__(f"nichegraph.engine.{module}", fromlist=[name]), name), SerialOrParallel
        )
        assert owner_is_pair == bool(variant), (module, name, variant)
        assert len(inspect.signature(d.py_func).parameters) == len(parse_signature(sig)), (module, name)


def test_the_helper_fills_the_cache_that_a_new_process_loads(tmp_path):
    body = """
    from nichegraph.engine._warmup import KERNELS, compile_kernels
    chosen = [e for e in KERNELS if e[1] in ("_row_sums", "_intra_filter")]
    assert len(chosen) == 2 and compile_kernels(chosen) == 2
    """
    first = _run(body, "nichegraph.engine", tmp_path)
    assert {"nichegraph.engine.graph", "nichegraph.engine.niche_centrality"} <= set(first)
    assert _run(body, "nichegraph.engine", tmp_path) == []  # both loaded from what the first process wrote


def _quantile_inputs():
    """Values/groups of varied shape: empty, one value, empty groups, ties, wide and narrow groups."""
    rng = np.random.default_rng(7)
    yield np.zeros(0), np.zeros(0, dtype=np.int64), 3
    yield np.array([2.5]), np.array([1]), 2
    for m, k in ((10, 1), (57, 9), (1000, 40), (5000, 3000), (30_000, 200)):
        v = rng.normal(size=m)
        v[rng.random(m) < 0.3] = 0.5  # ties
        v[rng.random(m) < 0.05] = -0.0
        yield v, rng.integers(0, k, m), k + 2  # the last two groups empty


@pytest.mark.parametrize("qs", [(0.5,), (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)])
def test_grouped_quantiles_numpy_path_equals_the_kernel(qs):
    # small inputs take the numpy path (nothing to compile), large ones the kernel: same bits
    from nichegraph.engine.engagement import _group_quantiles, _group_quantiles_numpy

    q = np.asarray(qs, dtype=np.float64)
    for v, g, k in _quantile_inputs():
        want, want_count = _group_quantiles(v, g.astype(np.int64), k, q)
        got, got_count = _group_quantiles_numpy(v, g.astype(np.int64), k, q)
        assert got_count.dtype == np.int64 and np.array_equal(got_count, want_count)
        assert np.array_equal(got, want, equal_nan=True)
        assert np.array_equal(np.signbit(got), np.signbit(want))


def test_split_disconnected_is_split_disconnected_in_with_every_community_checked():
    from nichegraph.engine.community.connectivity import split_disconnected, split_disconnected_in

    rng = np.random.default_rng(3)
    for n, m, k in ((0, 0, 1), (1, 0, 1), (40, 60, 5), (300, 500, 12)):
        src, dst = rng.integers(0, max(n, 1), m), rng.integers(0, max(n, 1), m)
        order = np.lexsort((dst, src))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
        indices = dst[order].astype(np.int32)
        labels = rng.integers(0, k, n).astype(np.int32)
        out, parts = split_disconnected(indptr, indices, labels)
        want, want_parts = split_disconnected_in(indptr, indices, labels, np.ones(k, dtype=np.bool_))
        assert parts == want_parts and np.array_equal(out, want)


def test_without_events_the_authenticity_stage_gives_what_its_kernels_give_for_none():
    # no timed follow / no interaction (the demo's data): the kernels are not called (nothing to
    # compile on a first run), and the results are what the kernels return for empty input
    from nichegraph.engine.authenticity import bursts, pods

    n = 4
    untimed = bursts.follower_bursts(n, [0, 2, 2], [-1, -1, -1])
    peak, start = bursts._peak_windows(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), 86_400)
    for got, want in ((untimed.peak, peak), (untimed.peak_start, start)):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    none = np.zeros(0, dtype=np.int64)
    flag = pods._co_thread_events(none, none, none, 3600, 3, n)
    assert flag.dtype == np.bool_ and flag.shape == (0,)
    tri = pods._triangles(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    assert tri.dtype == np.int64 and np.array_equal(tri, np.zeros(n, dtype=np.int64))
    quiet = pods.engagement_pods(n, [], [], [])
    assert np.array_equal(quiet.density, np.zeros(n)) and np.array_equal(quiet.crowd_events, np.zeros(n))
    assert quiet.pod_ties.dtype == np.int64 and quiet.crowd_events.dtype == np.int64


def test_numpy_sums_keep_float64_when_empty():
    # np.bincount of nothing is int64 even with weights: a kernel fed that would compile a second signature
    from nichegraph.engine.community.aggregation import sum_by_label
    from nichegraph.engine.niche_centrality import _comm_dangling

    none = np.zeros(0, dtype=np.int64)
    assert _comm_dangling(np.ones(3), none, none, 2).dtype == np.float64
    assert sum_by_label(np.zeros(0), np.zeros(0, dtype=np.int32), 3).dtype == np.float64
