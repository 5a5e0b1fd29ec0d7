"""Planted-partition graphs with power-law degrees and community sizes (LFR-like).

Used by tests and benchmarks to measure how well community detection
recovers known communities at any scale, in seconds rather than the hours
networkx's LFR generator needs for millions of edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .graph import Graph, from_edges


@dataclass(frozen=True)
class PlantedGraph:
    """A generated graph and its planted communities.

    Attributes
    ----------
    graph : Graph
        Undirected, unweighted (duplicate pairs summed), self-loops dropped.
    labels : ndarray of int64, shape (n_nodes,)
        Planted community of every node.
    """

    graph: Graph
    labels: np.ndarray


def _power_law(rng: np.random.Generator, exponent: float, lo: float, hi: float, size: int) -> np.ndarray:
    """Samples of a continuous power law ``p(x) ~ x**-exponent`` on ``[lo, hi]`` (inverse CDF)."""
    u = rng.random(size)
    a = 1.0 - exponent
    return (lo**a + u * (hi**a - lo**a)) ** (1.0 / a)


def planted_partition(
    n_edges: int,
    *,
    mixing: float = 0.3,
    degree_exponent: float = 2.5,
    size_exponent: float = 1.5,
    min_size: int = 20,
    max_size: int = 5000,
    min_degree: int = 5,
    seed: int = 0,
) -> PlantedGraph:
    r"""Generate a graph of about ``n_edges`` edges with planted communities.

    Community sizes follow :math:`p(s) \propto s^{-\tau_2}` on
    ``[min_size, max_size]``; degrees follow :math:`p(k) \propto k^{-\tau_1}`
    from ``min_degree`` up to the node's community size.  As in LFR, the
    fraction ``mixing`` of each node's stubs leaves its community; stubs are paired
    at random (a configuration model inside each community and one across
    communities).  Self-loops are dropped and repeated pairs are merged, so
    the edge count is slightly below ``n_edges``.

    Parameters
    ----------
    n_edges : int
        Target number of edges.
    mixing : float
        Expected fraction of each node's edges that leave its community (mu).
    degree_exponent, size_exponent : float
        Power-law exponents of degrees and community sizes.
    min_size, max_size : int
        Community size range.
    min_degree : int
        Smallest degree.
    seed : int
        Seed of the numpy Generator; same seed, same graph.

    Returns
    -------
    PlantedGraph
    """
    rng = np.random.default_rng(seed)
    mean_size = _power_law(rng, size_exponent, min_size, max_size, 100_000).mean()
    mean_degree = _power_law(rng, degree_exponent, min_degree, max_size, 100_000).mean()
    n_target = int(2 * n_edges / mean_degree)
    k = max(1, int(round(n_target / mean_size)))
    sizes = np.maximum(_power_law(rng, size_exponent, min_size, max_size, k).astype(np.int64), min_size)
    labels = np.repeat(np.arange(k, dtype=np.int64), sizes)
    n = labels.shape[0]
    cap = np.repeat(sizes, sizes).astype(np.float64)
    deg = _power_law(rng, degree_exponent, min_degree, max_size, n)
    deg = np.minimum(deg, np.maximum(cap / max(1e-9, 1.0 - mixing) * 0.9, min_degree))
    deg = np.maximum(np.round(deg), 1).astype(np.int64)
    # LFR: every node sends the fraction `mixing` of its edges outside (stochastic rounding)
    k_out = np.floor(mixing * deg + rng.random(n)).astype(np.int64)
    k_in = deg - k_out
    # internal stubs: pair them at random inside each community
    stubs = np.repeat(np.arange(n, dtype=np.int64), k_in)
    key = labels[stubs] * 2.0 + rng.random(stubs.shape[0])
    stubs = stubs[np.argsort(key, kind="stable")]
    same = labels[stubs[0::2][: stubs.shape[0] // 2]] == labels[stubs[1::2][: stubs.shape[0] // 2]]
    a_in = stubs[0::2][: stubs.shape[0] // 2][same]
    b_in = stubs[1::2][: stubs.shape[0] // 2][same]
    # external stubs: pair at random across the graph
    ext = np.repeat(np.arange(n, dtype=np.int64), k_out)
    ext = ext[rng.permutation(ext.shape[0])]
    h = ext.shape[0] // 2
    a_out, b_out = ext[:h], ext[h : 2 * h]
    src = np.concatenate([a_in, a_out]).astype(np.int32)
    dst = np.concatenate([b_in, b_out]).astype(np.int32)
    g = from_edges(src, dst, n_nodes=n, directed=False, self_loops="drop")
    # repeated pairs count once: unweighted graph
    g = Graph(g.indptr, g.indices, np.ones_like(g.weights), g.node_ids, False)
    return PlantedGraph(g, labels)
