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
    chosen = [e for e in KERNELS if e[1] in ("_row_sums", "_serial_sum")]
    assert len(chosen) == 2 and compile_kernels(chosen) == 2
    """
    first = _run(body, "nichegraph.engine", tmp_path)
    assert {"nichegraph.engine.graph", "nichegraph.engine.niche_centrality"} <= set(first)
    assert _run(body, "nichegraph.engine", tmp_path) == []  # both loaded from what the first process wrote
