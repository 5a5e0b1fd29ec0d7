"""Agreement between two partitions: normalised mutual information and adjusted Rand index."""

from __future__ import annotations

import numpy as np


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
    return (cells // nb, cells % nb, nij.astype(np.float64),
            np.bincount(ai).astype(np.float64), np.bincount(bi).astype(np.float64))


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
    comb = lambda x: x * (x - 1) / 2.0  # noqa: E731
    index = comb(nij).sum()
    expected = comb(ai).sum() * comb(bj).sum() / comb(n) if n > 1 else 0.0
    maximum = (comb(ai).sum() + comb(bj).sum()) / 2.0
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))
