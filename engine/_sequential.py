"""Left-to-right sums in numpy, for small loops that are not worth a compiled kernel.

A kernel's ``t = 0.0; for x in a: t += x`` adds in index order; ``np.sum`` adds pairwise and can
differ in the last bits.  ``np.cumsum`` and ``np.bincount(..., weights=...)`` add in index order,
so the helpers here give the same bits as such a loop, without compiling anything (each kernel
compiled on a first run costs a tenth of a second or more; these loops run over a few thousand
values at most, or once per call).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sequential_sum"]


def sequential_sum(a) -> np.ndarray:
    """``0.0 + a[0] + a[1] + ...`` in that order, along the first axis.

    Parameters
    ----------
    a : array_like of float, shape (m,) or (m, d)

    Returns
    -------
    numpy.ndarray
        float64 of shape () or (d,): the running sum after the last row (zero when ``m == 0``).
    """
    a = np.asarray(a, dtype=np.float64)
    return np.cumsum(np.concatenate([np.zeros((1, *a.shape[1:])), a]), axis=0)[-1]
