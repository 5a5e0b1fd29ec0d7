"""A shared zoo of small undirected test graphs with stated sizes.

Every entry is a :class:`ZooGraph` (edge arrays plus ``n_nodes``) and can be
turned into an engine :class:`~engine.Graph`, a networkx graph or an igraph
graph, so fast kernels can be checked against slow references on each of
them.  Other areas may import this module.

Graphs (n nodes / m edges): ``empty`` 0/0, ``one_node`` 1/0, ``isolated`` 8/3
(5 isolated), ``self_loops`` 6/9 (3 self-loops, one weighted 2.5),
``disconnected`` 12/14, ``weighted`` 40/~120 random weights, ``two_cliques``
10/21, ``ring_of_cliques`` 24/42 (6 K4 joined in a ring), ``star`` 11/10,
``random`` 60 nodes G(n, p=0.08), ``lfr_mu{0.1,0.3}`` networkx LFR (n=500, ~3100 edges).
:func:`directed_zoo` holds the directed cases (centrality, niche centrality, reach).
The real data sets (karate, football, polbooks, email-Eu-core) are read by
:func:`dataset` from ``../shared/datasets`` next to the repository (or ``$NICHEGRAPH_DATASETS``) (see each folder's SOURCE.md).
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATASETS = Path(os.environ.get("NICHEGRAPH_DATASETS", Path(__file__).resolve().parents[3] / "shared" / "datasets"))


@dataclass(frozen=True)
class ZooGraph:
    name: str
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    n_nodes: int
    truth: np.ndarray | None = None  # ground-truth communities where known

    def engine(self):
        from nichegraph.engine import from_edges
        return from_edges(self.src, self.dst, self.weight, n_nodes=self.n_nodes, directed=False)

    def networkx(self):
        import networkx as nx
        G = nx.MultiGraph()  # duplicates summed below into a simple Graph
        G.add_nodes_from(range(self.n_nodes))
        H = nx.Graph()
        H.add_nodes_from(range(self.n_nodes))
        for u, v, w in zip(self.src.tolist(), self.dst.tolist(), self.weight.tolist()):
            if H.has_edge(u, v):
                H[u][v]["weight"] += w
            else:
                H.add_edge(u, v, weight=w)
        return H

    def igraph(self):
        import igraph as ig
        H = self.networkx()
        g = ig.Graph(n=self.n_nodes, edges=[(u, v) for u, v in H.edges()])
        g.es["weight"] = [d["weight"] for _, _, d in H.edges(data=True)]
        return g


def _z(name, src, dst, weight=None, n=None, truth=None) -> ZooGraph:
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.ones(src.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
    if n is None:
        n = int(max(src.max(initial=-1), dst.max(initial=-1))) + 1
    return ZooGraph(name, src, dst, weight, int(n), truth)


def _cliques(k: int, size: int, ring: bool):
    src, dst = [], []
    for c in range(k):
        b = c * size
        for i in range(size):
            for j in range(i + 1, size):
                src.append(b + i)
                dst.append(b + j)
        if ring and k > 1:
            src.append(b)
            dst.append(((c + 1) % k) * size + 1)
    return src, dst


def _lfr(mu: float, seed: int = 42) -> ZooGraph:
    import networkx as nx
    G = nx.LFR_benchmark_graph(500, 2.5, 1.5, mu, average_degree=10, max_degree=50, min_community=20,
                               max_community=100, seed=seed)
    e = np.array(list(G.edges()), dtype=np.int64).reshape(-1, 2)
    truth = np.zeros(G.number_of_nodes(), dtype=np.int64)
    for i, com in enumerate({frozenset(G.nodes[v]["community"]) for v in G}):
        truth[list(com)] = i
    return _z(f"lfr_mu{mu}", e[:, 0], e[:, 1], n=G.number_of_nodes(), truth=truth)


@functools.cache
def zoo() -> dict[str, ZooGraph]:
    """All zoo graphs by name (built once)."""
    rng = np.random.default_rng(7)
    out = [
        _z("empty", [], [], n=0),
        _z("one_node", [], [], n=1),
        _z("isolated", [0, 1, 2], [1, 2, 0], n=8),
        _z("self_loops", [0, 1, 2, 0, 3, 4, 5, 3, 2], [1, 2, 0, 0, 4, 5, 3, 3, 2],
           [1, 1, 1, 2.5, 1, 1, 1, 1, 1]),
        _z("disconnected", *_cliques(3, 4, ring=False), n=12),
    ]
    s, d = _cliques(2, 5, ring=False)
    s.append(0), d.append(5)
    out.append(_z("two_cliques", s, d))
    out.append(_z("ring_of_cliques", *_cliques(6, 4, ring=True)))
    out.append(_z("star", [0] * 10, list(range(1, 11))))
    n = 40
    a = rng.integers(0, n, 150)
    b = rng.integers(0, n, 150)
    keep = a != b
    out.append(_z("weighted", a[keep], b[keep], rng.uniform(0.1, 5.0, keep.sum()), n=n))
    n = 60
    iu = np.triu_indices(n, 1)
    m = rng.random(iu[0].shape[0]) < 0.08
    out.append(_z("random", iu[0][m], iu[1][m], n=n))
    out.append(_lfr(0.1))
    out.append(_lfr(0.3))
    return {g.name: g for g in out}


#: A directed case: (name, n_nodes, src, dst, weight or None, community label per node).
DirectedCase = tuple


@functools.cache
def _directed_cases() -> tuple[DirectedCase, ...]:
    def case(name, n, src, dst, weight=None, community=None):
        src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        # arbitrary (negative, sparse) labels where a case states none: kernels must not assume dense ones
        comm = np.arange(n) // 3 * 7 - 3 if community is None else np.asarray(community, dtype=np.int64)
        return (name, n, src, dst, None if weight is None else np.asarray(weight, dtype=np.float64), comm)

    out = [
        case("empty", 0, [], []),
        case("one_node", 1, [], [], community=[0]),
        case("isolated", 6, [1], [2], community=[0, 0, 1, 5, 5, 1]),
        case("self_loops", 3, [0, 1, 1, 2], [0, 1, 2, 0], community=[1, 1, 2]),
        case("self_loop_and_edge", 2, [0, 0], [0, 1]),
        case("duplicates", 4, [1, 1, 2, 2, 3], [0, 0, 0, 1, 1]),
        case("path_dangling", 4, [0, 1, 2], [1, 2, 3]),
        case("two_components", 6, [0, 1, 2, 3, 4], [1, 2, 0, 4, 5]),
        case("star_in", 5, [1, 2, 3, 4], [0, 0, 0, 0]),
        case("two_triangles_bridge", 6, [0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], community=[0, 0, 0, 9, 9, 9]),
        case("dangling_in_community", 5, [0, 1, 2, 3], [1, 0, 0, 4], community=[0, 0, 0, 1, 1]),
        # Langville & Meyer's example (networkx test_pagerank.py)
        case("langville_meyer", 6, [0, 0, 2, 2, 2, 3, 3, 4, 4, 5], [1, 2, 0, 1, 4, 4, 5, 3, 5, 3]),
    ]
    rng = np.random.default_rng(42)
    for k in range(6):
        n = int(rng.integers(4, 60))
        m = int(rng.integers(0, 5 * n))
        w = rng.random(m) * 3 + 0.05 if k % 2 else None
        comm = rng.integers(0, max(1, n // 6), n) * 7 - 3
        out.append(case(f"random{k}", n, rng.integers(0, n, m), rng.integers(0, n, m), w, comm))
    return tuple(out)


def directed_zoo(*, min_nodes: int = 0) -> list[DirectedCase]:
    """Small directed graphs with stated sizes and a community label per node, as plain arrays.

    ``(name, n_nodes, src, dst, weight or None, community)``: edge cases (no nodes, isolated nodes,
    self-loops, repeated edges, dangling nodes, several components), the Langville-Meyer example and
    six random graphs (every other one weighted).  ``min_nodes`` drops the smaller ones.
    """
    return [c for c in _directed_cases() if c[1] >= min_nodes]


@functools.cache
def random_arcs(seed: int, max_arcs: int, max_nodes: int = 30):
    """A seeded random directed edge list, repeats and self-loops included: ``(rng, n, src, dst)``.

    ``1 <= n < max_nodes`` nodes, ``0 <= m < max_arcs`` arcs; ``rng`` goes on with the same stream
    for a test's further draws (weights, labels).
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, max_nodes))
    m = int(rng.integers(0, max_arcs))
    return rng, n, rng.integers(0, n, m), rng.integers(0, n, m)


def lfr(mu: float, seed: int = 42) -> ZooGraph:
    """networkx LFR graph: n=500, tau1=2.5, tau2=1.5, average degree 10, max degree 50, communities 20..100."""
    return _lfr(mu, seed)


def _gml_edges(path: Path, label_key: str | None):
    import networkx as nx
    G = nx.read_gml(path, label="id")
    nodes = sorted(G.nodes())
    index = {v: i for i, v in enumerate(nodes)}
    e = np.array([(index[u], index[v]) for u, v in G.edges()], dtype=np.int64)
    truth = None
    if label_key:
        vals = [G.nodes[v].get(label_key) for v in nodes]
        _, truth = np.unique(np.array([str(x) for x in vals]), return_inverse=True)
    return e, len(nodes), truth


@functools.cache
def dataset(name: str) -> ZooGraph:
    """A real data set as an undirected simple graph: karate, football, polbooks, email-Eu-core."""
    if name == "karate":
        e, n, truth = _gml_edges(DATASETS / "zachary-karate" / "karate_club.gml", "club")
    elif name == "football":
        e, n, truth = _gml_edges(DATASETS / "newman-football" / "football.gml", "value")
    elif name == "polbooks":
        e, n, truth = _gml_edges(DATASETS / "newman-polbooks" / "polbooks.gml", "value")
    elif name == "email-Eu-core":
        raw = np.loadtxt(DATASETS / "snap-email-eu-core" / "email-Eu-core.txt", dtype=np.int64).reshape(-1, 2)
        lab = np.loadtxt(DATASETS / "snap-email-eu-core" / "email-Eu-core-department-labels.txt", dtype=np.int64)
        n = int(max(raw.max(), lab[:, 0].max())) + 1
        truth = np.zeros(n, dtype=np.int64)
        truth[lab[:, 0]] = lab[:, 1]
        e = raw[raw[:, 0] != raw[:, 1]]
        # undirected simple graph: each pair once, weight 1 (as igraph's simplify would)
        e = np.unique(np.sort(e, axis=1), axis=0)
    else:
        raise KeyError(name)
    return _z(name, e[:, 0], e[:, 1], n=n, truth=truth)


DATASET_NAMES = ("karate", "football", "polbooks", "email-Eu-core")


@contextlib.contextmanager
def parallel_kernels(monkeypatch, threads: int):
    """Every serial-or-parallel kernel runs its parallel compilation, on ``threads`` threads (restored after)."""
    import numba

    from nichegraph.engine import _jit

    monkeypatch.setattr(_jit, "PARALLEL_MIN_WORK", 0)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(before)
