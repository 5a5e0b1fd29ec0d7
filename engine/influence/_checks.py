"""Validation helpers shared by the influence functions (messages say how to fix the input)."""

from __future__ import annotations

import numpy as np

from ..errors import GraphInputError
from ..graph import Graph


def check_audience(audience: object) -> Graph:
    """Return ``audience`` if it is a directed :class:`Graph`; raise a teaching error otherwise."""
    if not isinstance(audience, Graph):
        raise GraphInputError(
            f"audience must be an engine.Graph whose row u lists u's followers, got {type(audience).__name__}; "
            "build it with engine.influence.audience_graph(follow_src, follow_dst, n_nodes=n)."
        )
    if not audience.directed:
        raise GraphInputError("audience must be a directed graph (row u = followers of u); got an undirected one.")
    return audience


def check_nodes(nodes, n_nodes: int, name: str = "nodes") -> np.ndarray:
    """Coerce ``nodes`` to a 1-d int64 array of valid node indices."""
    arr = np.asarray(nodes)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise GraphInputError(f"{name} must be a one-dimensional array of node indices, got {arr.dtype}{arr.shape}.")
    if arr.min() < 0 or arr.max() >= n_nodes:
        raise GraphInputError(f"{name} holds indices outside 0..{n_nodes - 1}: min {arr.min()}, max {arr.max()}.")
    return np.ascontiguousarray(arr, dtype=np.int64)


def check_mask(mask, n_nodes: int, name: str = "candidates") -> np.ndarray:
    """Coerce a boolean mask of length ``n_nodes`` (``None`` means all nodes)."""
    if mask is None:
        return np.ones(n_nodes, dtype=np.bool_)
    arr = np.asarray(mask)
    if arr.dtype != np.bool_ or arr.shape != (n_nodes,):
        raise GraphInputError(
            f"{name} must be a boolean mask of shape ({n_nodes},), got {arr.dtype}{arr.shape}; "
            "pass None to allow every account."
        )
    return np.ascontiguousarray(arr)


def check_costs(costs, budget, n_nodes: int) -> tuple[np.ndarray, float]:
    """Coerce ``(costs, budget)``: positive finite costs and a non-negative budget, or no budget (inf)."""
    if budget is None:
        if costs is not None:
            raise GraphInputError("costs were given without a budget; pass budget=B as well (or drop costs).")
        return np.ones(n_nodes, dtype=np.float64), np.inf
    budget = float(budget)
    if not np.isfinite(budget) or budget < 0:
        raise GraphInputError(f"budget must be a finite number >= 0, got {budget}.")
    if costs is None:
        return np.ones(n_nodes, dtype=np.float64), budget  # unit costs: the budget is a count
    arr = np.ascontiguousarray(costs, dtype=np.float64)
    if arr.shape != (n_nodes,):
        raise GraphInputError(f"costs must have one value per node ({n_nodes}), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        bad = int(np.flatnonzero(~np.isfinite(arr) | (arr <= 0))[0])
        raise GraphInputError(
            f"costs must be finite and > 0; node {bad} has cost {arr[bad]}. "
            "Exclude such nodes with the candidates mask instead."
        )
    return arr, budget


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise GraphInputError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)
