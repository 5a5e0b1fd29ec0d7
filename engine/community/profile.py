r"""Resolution profile: the partitions that are best over ranges of the resolution.

Traag, Krings & Van Dooren (2013) observe that the quality of a *fixed*
partition is linear in the resolution :math:`\gamma`:

.. math::

    Q(\gamma) = E - \gamma K, \qquad
    E = \sum_c \frac{e_c}{m},\quad K = \sum_c \Big(\frac{K_c}{2m}\Big)^2
    \quad \text{(modularity)}, \qquad
    E = \sum_c e_c,\quad K = \sum_c \binom{n_c}{2} \quad \text{(CPM)}

so among any set of partitions, the best one at each :math:`\gamma` is read
off the upper envelope of their lines, and each partition on that envelope is
best over one interval of :math:`\gamma`: its *stable range*.  A partition
that stays best over a wide range (measured as the ratio of its ends, since
the resolution is a scale) is a significant scale of the network; the widest
range is a significant scale of the network; the first partition that cuts a
connected component (the coarsest split) is its macro split, found without
guessing a resolution.

:func:`resolution_profile` finds the partitions by bisection: Leiden at both
ends of the range; wherever the partitions at the two ends of an interval
differ, Leiden again at its geometric midpoint, down to a minimum ratio
``min_ratio`` between the ends.  The stable ranges are then computed exactly
from the lines of every partition found (not from where each was found).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GraphInputError
from ..graph import Graph
from ._objective import OBJECTIVES, check_undirected, quality
from .connectivity import split_disconnected
from .leiden import leiden
from .partition import _frozen


@dataclass(frozen=True, eq=False)
class ProfileStep:
    r"""One partition and the resolutions over which it is the best one found.

    Attributes
    ----------
    resolution_lo, resolution_hi : float
        Its stable range :math:`[\gamma_{lo}, \gamma_{hi}]` (clipped to the profile's range).
    labels : ndarray of int64, shape (n_nodes,)
        Canonical labels (community 0 the largest).
    inside : float
        :math:`E`, the quality at resolution 0.
    penalty : float
        :math:`K`; the quality at :math:`\gamma` is ``inside - gamma * penalty``.
    """

    resolution_lo: float
    resolution_hi: float
    labels: np.ndarray
    inside: float
    penalty: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))

    @property
    def n_communities(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0

    @property
    def width(self) -> float:
        """Width of the stable range on a log scale, :math:`\\ln(\\gamma_{hi} / \\gamma_{lo})`."""
        return math.log(self.resolution_hi / self.resolution_lo)

    @property
    def resolution(self) -> float:
        """The geometric middle of the stable range (a resolution to re-run Leiden at)."""
        return math.sqrt(self.resolution_lo * self.resolution_hi)

    def sizes(self) -> np.ndarray:
        """Community sizes, int64 (k,), largest first."""
        return np.bincount(self.labels, minlength=self.n_communities).astype(np.int64)

    def quality(self, resolution: float) -> float:
        return self.inside - resolution * self.penalty


@dataclass(frozen=True)
class ResolutionProfile:
    """Output of :func:`resolution_profile`.

    Attributes
    ----------
    objective : str
    resolution_range : (float, float)
    steps : tuple of ProfileStep
        By increasing resolution; consecutive ranges touch.
    n_searches : int
        Leiden runs made.
    n_components : int
        Connected components of the graph (an isolated node is one).
    """

    objective: str
    resolution_range: tuple
    steps: tuple
    n_searches: int
    n_components: int

    def macro(self) -> ProfileStep | None:
        """The macro split: the lowest-resolution step that splits a connected component of the graph.

        At low resolution modularity keeps each connected component whole; the first partition that
        cuts one is the network's coarsest split (for a polarised network, its two sides).  Read its
        :attr:`~ProfileStep.width`: a narrow range means no clear macro split.  None when no step splits
        a component in the range.
        """
        return next((s for s in self.steps if s.n_communities > self.n_components), None)

    def widest(self, min_communities: int = 2) -> ProfileStep | None:
        """The step with the widest stable range among those with at least ``min_communities`` communities."""
        candidates = [s for s in self.steps if s.n_communities >= min_communities]
        return max(candidates, key=lambda s: (s.width, -s.resolution_lo)) if candidates else None


def default_resolution_range(g: Graph, objective: str) -> tuple[float, float]:
    """``(lo, hi)`` searched by default: (0.01, 10) for modularity; for CPM from a tenth of the edge density
    (one community is best below the density) to the heaviest edge (singletons are best above it)."""
    if objective == "modularity":
        return 0.01, 10.0
    n = g.n_nodes
    total = float(g.weights.sum()) / 2.0
    density = total / (n * (n - 1) / 2.0) if n > 1 else 1.0
    heaviest = float(g.weights.max()) if g.nnz else 1.0
    return max(density / 10.0, 1e-12), max(heaviest, density)


def _envelope(lines: list[tuple[float, float, int]], lo: float, hi: float) -> list[tuple[float, float, int]]:
    """Upper envelope of lines ``E - gamma K`` over ``[lo, hi]``: ``(start, end, line index)`` per piece."""

    def value(i: int, gamma: float) -> float:
        return lines[i][0] - gamma * lines[i][1]

    # the best line at lo; on ties the smaller K, which stays best above lo
    current = max(range(len(lines)), key=lambda i: (value(i, lo), -lines[i][1]))
    start = lo
    pieces = []
    while True:
        e0, k0, _ = lines[current]
        best_x, best = math.inf, None
        for j, (e1, k1, _) in enumerate(lines):
            if k1 < k0:
                x = (e0 - e1) / (k0 - k1)
                if x < best_x - 1e-15 * max(1.0, abs(x)) or (
                    abs(x - best_x) <= 1e-15 * max(1.0, abs(x)) and best is not None and k1 < lines[best][1]
                ):
                    best_x, best = x, j
        if best is None or best_x >= hi:
            pieces.append((start, hi, current))
            return pieces
        if best_x > start:
            pieces.append((start, best_x, current))
            start = best_x
        current = best


def resolution_profile(
    g: Graph,
    *,
    objective: str = "modularity",
    resolution_range=None,
    seed: int = 0,
    n_iterations: int = 2,
    min_ratio: float = 1.02,
    max_searches: int = 100,
    parallel: bool = False,
) -> ResolutionProfile:
    r"""Stable resolution ranges of ``g`` by bisection (Traag, Krings & Van Dooren 2013).

    Parameters
    ----------
    g : Graph
        Undirected graph with non-negative weights.
    objective : {"modularity", "cpm"}, default "modularity"
    resolution_range : (float, float), optional
        :math:`0 < \gamma_{lo} < \gamma_{hi}`.  Default (0.01, 10) for
        modularity; for CPM from a tenth of the graph's edge density to its
        heaviest edge.
    seed, n_iterations, parallel
        Passed to :func:`leiden` at every resolution tried (the same seed each time; ``n_iterations``
        2 as in ``analyze``).
    min_ratio : float, default 1.02
        Intervals whose ends differ by less than this factor are not split further.
    max_searches : int, default 100
        At most this many Leiden runs.  Where Leiden's partitions keep changing (typically at high
        resolution, many small communities) the bisection stops here; the ranges it did find are exact
        for the partitions it found.

    Returns
    -------
    ResolutionProfile
        ``steps`` with their stable ranges; :meth:`ResolutionProfile.macro`
        gives the coarsest split, :meth:`ResolutionProfile.widest` the widest range.

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> g = from_edges([0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3], directed=False)
    >>> p = resolution_profile(g, resolution_range=(0.1, 10))
    >>> [(s.n_communities, round(s.resolution_lo, 3), round(s.resolution_hi, 3)) for s in p.steps]
    [(1, 0.1, 0.286), (2, 0.286, 2.333), (4, 2.333, 3.5), (6, 3.5, 10.0)]
    """
    check_undirected(g, "resolution_profile")
    if objective not in OBJECTIVES:
        raise GraphInputError(f"objective must be one of {OBJECTIVES}; got {objective!r}.")
    lo, hi = default_resolution_range(g, objective) if resolution_range is None else map(float, resolution_range)
    if not (0 < lo < hi and math.isfinite(hi)):
        raise GraphInputError(f"resolution_range must be (lo, hi) with 0 < lo < hi; got {resolution_range!r}.")
    if not (min_ratio > 1 and math.isfinite(min_ratio)):
        raise GraphInputError(f"min_ratio must be a finite number > 1; got {min_ratio!r}.")
    if g.n_nodes == 0 or g.nnz == 0:
        step = ProfileStep(lo, hi, np.arange(g.n_nodes, dtype=np.int64), 0.0, 0.0)
        return ResolutionProfile(objective, (lo, hi), (step,), 0, g.n_nodes)

    lines: list[tuple[float, float, int]] = []  # (E, K, index into partitions)
    partitions: list[np.ndarray] = []
    tol = 1e-12

    def search(gamma: float) -> int:
        labels = leiden(
            g, resolution=gamma, objective=objective, seed=seed, n_iterations=n_iterations, parallel=parallel
        ).labels
        inside = quality(g, labels, objective=objective, resolution=0.0)
        penalty = inside - quality(g, labels, objective=objective, resolution=1.0)
        for i, (e, k, _) in enumerate(lines):  # the same quality line: the same partition for the profile
            if abs(e - inside) <= tol * max(1.0, abs(e)) and abs(k - penalty) <= tol * max(1.0, abs(k)):
                return i
        partitions.append(np.asarray(labels, dtype=np.int64))
        lines.append((inside, penalty, len(partitions) - 1))
        return len(lines) - 1

    stack = [(lo, search(lo), hi, search(hi))]
    searches = 2
    while stack and searches < max_searches:
        a, la, b, lb = stack.pop()
        if la == lb or b / a < min_ratio:
            continue
        mid = math.sqrt(a * b)
        lm = search(mid)
        searches += 1
        stack.append((mid, lm, b, lb))
        stack.append((a, la, mid, lm))
    steps = tuple(
        ProfileStep(s, e, partitions[lines[i][2]], lines[i][0], lines[i][1]) for s, e, i in _envelope(lines, lo, hi)
    )
    _, n_components = split_disconnected(g.indptr, g.indices, np.zeros(g.n_nodes, dtype=np.int32))
    return ResolutionProfile(objective, (lo, hi), steps, searches, int(n_components))
