"""Agreement between partitions, and how well a labelling fits a graph.

* :func:`nmi`, :func:`ari`, :func:`purity`: agreement of two partitions of the
  same items (found communities against ground-truth labels).
* :func:`label_modularity`, :func:`label_assortativity`: how strongly a
  labelling (for example the ground truth itself) clusters on an undirected
  graph, to set the found communities' agreement against.
"""

from __future__ import annotations

import numpy as np

from .community import modularity
from .graph import Graph


def _contingency(a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero cells ``(row, col, count)`` of the contingency table plus both marginals."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"partitions must be 1-d arrays of equal length; got {a.shape} and {b.shape}")
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    nb = int(bi.max(initial=0)) + 1
    cells, nij = np.unique(ai.astype(np.int64) * nb + bi, return_counts=True)
    return (
        cells // nb,
        cells % nb,
        nij.astype(np.float64),
        np.bincount(ai).astype(np.float64),
        np.bincount(bi).astype(np.float64),
    )


def nmi(a, b) -> float:
    r"""Normalised mutual information with arithmetic-mean normalisation.

    .. math:: \mathrm{NMI}(A, B) = \frac{2\,I(A; B)}{H(A) + H(B)}

    (scikit-learn's default).  1.0 for identical partitions up to relabelling,
    and when both partitions are a single block.

    Examples
    --------
    >>> nmi([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    """
    row, col, nij, ai, bj = _contingency(a, b)
    n = ai.sum()
    if n == 0:
        return 1.0
    ha = -np.sum(ai / n * np.log(ai / n))
    hb = -np.sum(bj / n * np.log(bj / n))
    if ha + hb == 0.0:
        return 1.0
    pij = nij / n
    mi = np.sum(pij * np.log(pij * n * n / (ai[row] * bj[col])))
    return float(min(1.0, max(0.0, 2.0 * mi / (ha + hb))))


def ari(a: np.ndarray, b: np.ndarray) -> float:
    r"""Adjusted Rand index of two partitions (Hubert and Arabie 1985)."""
    _, _, nij, ai, bj = _contingency(a, b)
    n = ai.sum()
    comb = lambda x: x * (x - 1) / 2.0
    index = comb(nij).sum()
    expected = comb(ai).sum() * comb(bj).sum() / comb(n) if n > 1 else 0.0
    maximum = (comb(ai).sum() + comb(bj).sum()) / 2.0
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))


def purity(found, truth) -> float:
    r"""Purity of ``found`` communities with respect to ``truth`` classes.

    .. math:: \mathrm{purity} = \frac{1}{n} \sum_{c} \max_{t} |c \cap t|

    Each found community is credited with its most common true class.  1.0
    when every community lies inside one class (singletons score 1.0 too, so
    read it next to :func:`nmi`); 1.0 for no items.

    Parameters
    ----------
    found, truth : array_like, shape (n,)
        Community and class of every item (any hashable values numpy can sort).

    Examples
    --------
    >>> purity([0, 0, 0, 1, 1], ["a", "a", "b", "b", "b"])
    0.8
    """
    row, _, nij, ai, _ = _contingency(found, truth)
    n = ai.sum()
    if n == 0:
        return 1.0
    best = np.zeros(ai.size)
    np.maximum.at(best, row, nij)
    return float(best.sum() / n)


def label_modularity(g: Graph, labels) -> float:
    r"""Newman-Girvan modularity (resolution 1) of a labelling on undirected ``g``.

    Same convention as :func:`engine.modularity`: :math:`Q = \sum_c e_{cc} - a_c^2`
    with :math:`e_{cc}` the share of edge weight inside class ``c`` and
    :math:`a_c` the share of edge ends (strength) in ``c``.  NaN without edges.
    """
    _, codes = np.unique(np.asarray(labels), return_inverse=True)
    return modularity(g, codes.reshape(-1).astype(np.int64))


def label_assortativity(g: Graph, labels) -> float:
    r"""Newman's assortativity coefficient of a categorical labelling on undirected weighted ``g``.

    .. math:: r = \frac{\sum_c e_{cc} - \sum_c a_c^2}{1 - \sum_c a_c^2} = \frac{Q}{1 - \sum_c a_c^2}

    with :math:`e_{cc}` the share of edge weight with both ends in class ``c``
    and :math:`a_c` the share of strength in ``c`` (Newman 2003, "Mixing
    patterns in networks", eq. 2; a self-loop counts twice towards strength as
    in :func:`engine.modularity`).  1 when every edge stays inside its class,
    0 for random mixing, negative for disassortative mixing; NaN without edges
    or when one class holds every edge end (the denominator is 0).  On an
    unweighted graph this is igraph's ``assortativity_nominal(directed=False)``
    and networkx's ``attribute_assortativity_coefficient``.

    Parameters
    ----------
    g : Graph
        Undirected, non-negative weights.
    labels : array_like, shape (n_nodes,)
        Class of every node (any values numpy can sort).

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], directed=False)
    >>> round(label_assortativity(g, list("aaabbb")), 6)
    0.714286
    """
    _, codes = np.unique(np.asarray(labels), return_inverse=True)
    codes = codes.reshape(-1).astype(np.int64)
    q = modularity(g, codes)
    if not np.isfinite(q):
        return float("nan")
    strength = g.strength()
    a = np.bincount(codes, weights=strength, minlength=int(codes.max(initial=-1)) + 1) / strength.sum()
    denominator = 1.0 - float(np.sum(a * a))
    return float(q / denominator) if denominator > 0 else float("nan")
