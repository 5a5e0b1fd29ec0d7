"""Kernels compiled both ways (:class:`engine._jit.SerialOrParallel`) give identical results either way:
small graphs run the serial compilation, large ones the parallel one."""

from __future__ import annotations

import numpy as np
import pytest
from zoo import zoo

from nichegraph import engine
from nichegraph.engine import _jit
from nichegraph.engine.community._objective import community_totals, make_objective, work_graph
from nichegraph.engine.degree import reciprocity

ZOO = zoo()


def _everything(g):
    """Every public result that goes through a serial-or-parallel kernel."""
    rebuilt = engine.from_edges(*_edges(g), n_nodes=g.n_nodes, directed=g.directed)
    out = {"indptr": rebuilt.indptr, "indices": rebuilt.indices, "weights": rebuilt.weights,
           "pagerank": engine.pagerank(g), "coreness": engine.coreness(g)}
    labels = np.arange(g.n_nodes) % 3
    out["niche_pagerank"] = engine.niche_pagerank(g, labels)
    if g.directed:
        out["reciprocity"] = reciprocity(g)
    else:
        wg = work_graph(g, "modularity")
        make_objective("modularity", 1.0, wg)
        inside, total = community_totals.pick(0)(wg.indptr, wg.indices, wg.A, wg.node_w, labels.astype(np.int32), 3)
        out["inside"], out["total"] = inside, total
        out["quality"] = np.array([engine.modularity(g, labels)])
    return out


def _edges(g):
    src = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr))
    return src, g.indices, g.weights


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("name", sorted(ZOO))
def test_serial_and_parallel_compilations_agree(name, directed, monkeypatch):
    z = ZOO[name]
    g = engine.from_edges(z.src, z.dst, z.weight, n_nodes=z.n_nodes, directed=directed)
    monkeypatch.setattr(_jit, "PARALLEL_MIN_WORK", 1 << 62)
    serial = _everything(g)
    monkeypatch.setattr(_jit, "PARALLEL_MIN_WORK", 0)
    parallel = _everything(g)
    assert serial.keys() == parallel.keys()
    for key in serial:
        np.testing.assert_array_equal(serial[key], parallel[key], err_msg=key)


def test_pick_follows_the_work_size():
    kernel = engine.centrality._pr_sweep
    assert kernel.pick(_jit.PARALLEL_MIN_WORK - 1) is kernel.serial
    assert kernel.pick(_jit.PARALLEL_MIN_WORK) is kernel.parallel
