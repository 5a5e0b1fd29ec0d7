"""Validation of a label per node (communities, niches, initial partitions), shared by every kernel family."""

from __future__ import annotations

import numpy as np

from .errors import GraphInputError


def check_labels(labels, n_nodes: int, what: str = "labels") -> np.ndarray:
    """Validate one integer label per node.

    Parameters
    ----------
    labels : array_like of int, shape (n_nodes,)
        Any integers (they need not be dense).
    n_nodes : int
        Nodes of the graph the labels belong to.
    what : str
        The argument's name, for the message.

    Returns
    -------
    numpy.ndarray of int64, shape (n_nodes,)

    Raises
    ------
    GraphInputError
        When the shape or dtype is wrong; the message says which is expected.
    """
    c = np.asarray(labels)
    if c.ndim != 1 or c.shape[0] != n_nodes:
        raise GraphInputError(f"{what} must be one label per node, shape ({n_nodes},); got shape {c.shape}.")
    if c.size and not np.issubdtype(c.dtype, np.integer):
        raise GraphInputError(f"{what} must be integers; got dtype {c.dtype}.")
    return c.astype(np.int64, copy=False)
