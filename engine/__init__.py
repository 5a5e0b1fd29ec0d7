"""nichegraph's numerical core: CSR graphs and numba kernels over arrays.

This package imports only numpy and numba.  It knows nothing about files,
stores or HTTP: it takes arrays and returns small frozen result objects.

Graphs and errors
-----------------
:class:`Graph` (CSR, scipy's array names), built in one validated step by
:func:`from_edges`; every input error is a :class:`GraphInputError`, every
iteration that runs out of steps a :class:`NotConverged` (both :class:`EngineError`).

Communities
-----------
:func:`leiden` and :func:`louvain` (and their per-level generators) return a
:class:`Partition` (:class:`LeidenParams` holds leiden's parameters); :func:`modularity` scores one.  :func:`affinity_graph`
weighs follows and interactions into the graph they run on, and :func:`niches`
finds the niche-scale communities inside each broad one.  :func:`resolution_profile`
lists the resolution ranges over which one partition stays best (the macro split
without guessing a resolution).

Scoring communities against labels
----------------------------------
:func:`nmi`, :func:`ari`, :func:`purity`, and the modularity and assortativity of
a labelling itself (:func:`label_modularity`, :func:`label_assortativity`).

Influence inside and across communities
---------------------------------------
:func:`attention_graph` (who gives attention to whom), :func:`pagerank`,
:func:`coreness`, niche centrality (:func:`niche_pagerank`, :func:`niche_share`,
:func:`within_module_z`, :func:`participation`, :func:`percentile_within`).

Social versus parasocial audiences
----------------------------------
:func:`social_ratio`, :func:`follow_back_ratio`, :func:`asymmetry` and
:func:`aggregate_by_group`.

Tiers and rankings
------------------
:func:`tiers` (audience-size tiers named by :data:`TIER_NAMES`) and
:func:`hidden_influencer_score` (rankings themselves are queries over a run: ``api.rankings``).

Reach and campaigns
-------------------
The audience graph (:func:`audience_graph`), overlaps, unique reach (exact and
sketched) and influencer portfolios (greedy coverage, IMM spread).
"""

from typing import TYPE_CHECKING

# ``tiers`` is both a submodule and its function: bound now (numpy only), as the submodule import would
# otherwise leave the package attribute pointing at the module
from .errors import EngineError, GraphInputError, NotConverged
from .tiers import TIER_NAMES, tiers

if TYPE_CHECKING:
    from .affinity import AffinityWeights, affinity_graph
    from .attention import KINDS, attention_graph, kind_weights
    from .centrality import coreness, pagerank
    from .community import (
        LeidenParams,
        Partition,
        ProfileStep,
        ResolutionProfile,
        default_resolution_range,
        leiden,
        leiden_levels,
        louvain,
        louvain_levels,
        modularity,
        resolution_profile,
    )
    from .compare import ari, label_assortativity, label_modularity, nmi, purity
    from .graph import Graph, from_edges
    from .influence import (
        audience_graph,
        audience_overlap,
        estimate_reach,
        ic_spread,
        imm_portfolio,
        max_reach_portfolio,
        minhash_sketches,
        reach_sketch,
        unique_reach,
    )
    from .niche_centrality import niche_pagerank, niche_share, participation, percentile_within, within_module_z
    from .niche_detection import Niches, niche_resolution, niches
    from .ranking import hidden_influencer_score
    from .social import aggregate_by_group, asymmetry, follow_back_ratio, social_ratio

#: Where each public name lives: imported on first use (PEP 562), so that ``nichegraph --help`` or
#: ``from nichegraph.engine.errors import EngineError`` does not import numba and compile nothing.
_HOME: dict[str, str] = {
    "AffinityWeights": "affinity",
    "EngineError": "errors",
    "Graph": "graph",
    "GraphInputError": "errors",
    "KINDS": "attention",
    "LeidenParams": "community",
    "Niches": "niche_detection",
    "NotConverged": "errors",
    "Partition": "community",
    "ProfileStep": "community",
    "ResolutionProfile": "community",
    "TIER_NAMES": "tiers",
    "affinity_graph": "affinity",
    "aggregate_by_group": "social",
    "ari": "compare",
    "asymmetry": "social",
    "attention_graph": "attention",
    "audience_graph": "influence",
    "audience_overlap": "influence",
    "coreness": "centrality",
    "default_resolution_range": "community",
    "estimate_reach": "influence",
    "follow_back_ratio": "social",
    "from_edges": "graph",
    "hidden_influencer_score": "ranking",
    "ic_spread": "influence",
    "imm_portfolio": "influence",
    "kind_weights": "attention",
    "label_assortativity": "compare",
    "label_modularity": "compare",
    "leiden": "community",
    "leiden_levels": "community",
    "louvain": "community",
    "louvain_levels": "community",
    "max_reach_portfolio": "influence",
    "minhash_sketches": "influence",
    "modularity": "community",
    "niche_pagerank": "niche_centrality",
    "niche_resolution": "niche_detection",
    "niche_share": "niche_centrality",
    "niches": "niche_detection",
    "nmi": "compare",
    "pagerank": "centrality",
    "participation": "niche_centrality",
    "percentile_within": "niche_centrality",
    "purity": "compare",
    "reach_sketch": "influence",
    "resolution_profile": "community",
    "social_ratio": "social",
    "tiers": "tiers",
    "unique_reach": "influence",
    "within_module_z": "niche_centrality",
}


def __getattr__(name: str):
    """Import the submodule that defines ``name`` (see :data:`_HOME`) and return ``name`` from it."""
    from importlib import import_module

    if name not in _HOME:  # a submodule (``engine.community``) is imported on first use too
        try:
            return import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":  # the submodule exists but needs something missing
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


__all__ = [
    # influence inside and across communities
    "KINDS",
    # tiers and rankings
    "TIER_NAMES",
    # communities
    "AffinityWeights",
    # graphs and errors
    "EngineError",
    "Graph",
    "GraphInputError",
    "LeidenParams",
    "Niches",
    "NotConverged",
    "Partition",
    "ProfileStep",
    "ResolutionProfile",
    "affinity_graph",
    # social versus parasocial audiences
    "aggregate_by_group",
    # scoring communities against labels
    "ari",
    "asymmetry",
    "attention_graph",
    # reach and campaigns
    "audience_graph",
    "audience_overlap",
    "coreness",
    "default_resolution_range",
    "estimate_reach",
    "follow_back_ratio",
    "from_edges",
    "hidden_influencer_score",
    "ic_spread",
    "imm_portfolio",
    "kind_weights",
    "label_assortativity",
    "label_modularity",
    "leiden",
    "leiden_levels",
    "louvain",
    "louvain_levels",
    "max_reach_portfolio",
    "minhash_sketches",
    "modularity",
    "niche_pagerank",
    "niche_resolution",
    "niche_share",
    "niches",
    "nmi",
    "pagerank",
    "participation",
    "percentile_within",
    "purity",
    "reach_sketch",
    "resolution_profile",
    "social_ratio",
    "tiers",
    "unique_reach",
    "within_module_z",
]
