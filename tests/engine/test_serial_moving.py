"""The serial fast local moving kernel against a plain-Python transcription of the paper's queue.

``move_nodes`` must make exactly the moves of the transcription below (same
visiting order, same ties, same floating-point sums), on every graph of the
zoo and on random graphs where nodes are visited many times, from singletons
and from random partitions.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from naive import community_state
from zoo import zoo

from nichegraph.engine import from_edges
from nichegraph.engine.community._objective import make_objective, work_graph
from nichegraph.engine.community._rng import block_permutation, new_state
from nichegraph.engine.community.local_moving import move_nodes

ZOO = zoo()


def naive_move_nodes(indptr, indices, A, node_w, comm, scale, order, tol):
    """Algorithm A.2's ``MoveNodesFast``: labels and the number of moves."""
    n = len(comm)
    comm, W, size, empty = community_state(comm, node_w)
    queue = deque(int(v) for v in order)
    in_queue = [True] * n
    moves = 0
    while queue:
        v = queue.popleft()
        in_queue[v] = False
        a, wv = comm[v], node_w[v]
        neigh = {}  # first met first
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if u != v:
                neigh[comm[u]] = neigh.get(comm[u], 0.0) + A[p]
        W[a] -= wv
        stay = neigh.get(a, 0.0) - scale * wv * W[a]
        best, best_gain = a, stay
        for c, k in neigh.items():
            if c != a and k - scale * wv * W[c] > best_gain:
                best, best_gain = c, k - scale * wv * W[c]
        if size[a] > 1 and empty and best_gain < 0.0:
            best, best_gain = empty[-1], 0.0
        if best != a and best_gain - stay > tol:
            if size[best] == 0:
                empty.pop()
            comm[v] = best
            W[best] += wv
            size[best] += 1
            size[a] -= 1
            if size[a] == 0:
                empty.append(a)
            moves += 1
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if not in_queue[u] and comm[u] != best:
                    in_queue[u] = True
                    queue.append(u)
        else:
            W[a] += wv
    return np.array(comm, dtype=np.int32), moves


def random_graph(n, deg, seed):
    """Random graph, communities of 10 consecutive ids, half its edges inside them (many revisits)."""
    rng = np.random.default_rng(seed)
    src = np.repeat(np.arange(n), deg // 2)
    inside = rng.random(src.size) < 0.5
    dst = np.where(inside, src // 10 * 10 + rng.integers(0, 10, src.size), rng.integers(0, n, src.size))
    keep = src != dst
    w = rng.choice([1.0, 2.0, 0.5], keep.sum())
    return from_edges(src[keep], dst[keep], w, n_nodes=n, directed=False)


GRAPHS = {name: ZOO[name].engine for name in sorted(ZOO) if ZOO[name].n_nodes > 0}
GRAPHS.update({f"random_{n}_{s}": (lambda n=n, s=s: random_graph(n, 8, s)) for n, s in ((300, 1), (2000, 2), (5000, 3))})


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("objective", ["modularity", "cpm"])
def test_move_nodes_matches_naive_queue(name, objective):
    g = GRAPHS[name]()
    wg = work_graph(g, objective)
    obj = make_objective(objective, 1.0 if objective == "modularity" else 0.05, wg)
    if objective == "modularity" and obj.scale == 0.0:
        return  # no edges: modularity undefined, nothing to move
    rng = np.random.default_rng(7)
    for start in (np.arange(wg.n), rng.integers(0, max(wg.n // 5, 1), wg.n)):
        order = block_permutation(new_state(11), wg.n, 4)
        expected, n_moves = naive_move_nodes(wg.indptr, wg.indices, wg.A, wg.node_w, start, obj.scale, order, 1e-10)
        got = start.astype(np.int32)
        moves = move_nodes(wg.indptr, wg.indices, wg.A, wg.node_w, got, obj.scale, order, 1e-10)
        assert moves == n_moves
        assert np.array_equal(got, expected)
