"""Basic per-account measures: degrees on the attention graph and follow reciprocity."""

from __future__ import annotations

import numpy as np

from engine import from_edges
from engine.degree import in_degree, reciprocity
from graph_store import EdgeArrays


def basic_measures(edges: EdgeArrays) -> dict[str, np.ndarray]:
    """Follower in-degree, attention in/out degree and follow reciprocity per account.

    Returns
    -------
    dict of str to ndarray, each of shape (n_accounts,)
        ``in_degree`` / ``out_degree`` (int64, distinct accounts that follow or
        interact with the account / that it follows or interacts with; self
        excluded) and ``reciprocity`` (float64, mutual share of follow ties).
    """
    n = edges.n_nodes
    follows = from_edges(edges.follow_src, edges.follow_dst, n_nodes=n, self_loops="drop")
    attention = from_edges(np.concatenate([edges.follow_src, edges.int_src]),
                           np.concatenate([edges.follow_dst, edges.int_dst]), n_nodes=n, self_loops="drop")
    return {
        "in_degree": in_degree(attention),
        "out_degree": attention.out_degree().astype(np.int64),
        "reciprocity": reciprocity(follows),
    }
