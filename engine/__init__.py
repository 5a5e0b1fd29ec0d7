"""nichegraph's numerical core: CSR graphs and numba kernels over arrays.

This package imports only numpy and numba.  It knows nothing about files,
stores or HTTP: it takes arrays and returns small frozen result objects.
"""

from .errors import EngineError, GraphInputError, NotConverged
from .graph import Graph, from_edges
from .campaign import (audience_graph, audience_overlap, estimate_reach, ic_spread, imm_portfolio,
                       max_reach_portfolio, minhash_sketches, reach_sketch, unique_reach)

__all__ = ["EngineError", "Graph", "GraphInputError", "NotConverged", "from_edges"]
__all__ += ["audience_graph", "audience_overlap", "estimate_reach", "ic_spread", "imm_portfolio",
            "max_reach_portfolio", "minhash_sketches", "reach_sketch", "unique_reach"]
