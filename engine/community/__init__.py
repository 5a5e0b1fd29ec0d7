"""Community detection: modularity and CPM, Leiden and Louvain over CSR arrays.

Layout (objective separate from search):

* :mod:`._objective` - quality functions and move gains (modularity, CPM).
* :mod:`.local_moving`, :mod:`.refinement`, :mod:`.aggregation` - numba passes.
* :mod:`.leiden` - the readable multilevel loops (:func:`leiden`, :func:`louvain`
  and the ``*_levels`` generators).
* :mod:`.partition` - the frozen :class:`Partition` result.
* :mod:`.profile` - the resolution profile (stable ranges of the resolution).
"""

from ._objective import modularity, move_delta, quality
from .leiden import LeidenParams, leiden, leiden_levels, louvain, louvain_levels
from .partition import Partition, canonical_labels
from .profile import ProfileStep, ResolutionProfile, default_resolution_range, resolution_profile

__all__ = [
    "LeidenParams",
    "Partition",
    "ProfileStep",
    "ResolutionProfile",
    "canonical_labels",
    "default_resolution_range",
    "leiden",
    "leiden_levels",
    "louvain",
    "louvain_levels",
    "modularity",
    "move_delta",
    "quality",
    "resolution_profile",
]
