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
:class:`Partition`; :func:`modularity` scores one.  :func:`affinity_graph`
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

from .affinity import AffinityWeights, affinity_graph
from .attention import KINDS, attention_graph, kind_weights
from .centrality import coreness, pagerank
from .community import (
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
from .errors import EngineError, GraphInputError, NotConverged
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
from .tiers import TIER_NAMES, tiers

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
