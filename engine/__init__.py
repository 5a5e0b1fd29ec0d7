"""nichegraph's numerical core: CSR graphs and numba kernels over arrays.

This package imports only numpy and numba.  It knows nothing about files,
stores or HTTP: it takes arrays and returns small frozen result objects.
"""

from .errors import EngineError, GraphInputError, NotConverged
from .graph import Graph, from_edges

__all__ = ["EngineError", "Graph", "GraphInputError", "NotConverged", "from_edges"]
