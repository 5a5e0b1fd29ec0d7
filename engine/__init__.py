"""nichegraph's numerical core: CSR graphs and numba kernels over arrays.

This package imports only numpy and numba.  It knows nothing about files,
stores or HTTP: it takes arrays and returns small frozen result objects.
"""

from .errors import EngineError, GraphInputError, NotConverged
from .graph import Graph, from_edges
from .campaign import (audience_graph, audience_overlap, estimate_reach, ic_spread, imm_portfolio,
                       max_reach_portfolio, minhash_sketches, reach_sketch, unique_reach)

__all__ = ["EngineError", "Graph", "GraphInputError", "NotConverged", "from_edges"]

# niche centrality, social vs parasocial, tiers and rankings (issue 4)
from .attention import KINDS, attention_graph, kind_weights
from .centrality import coreness, pagerank
from .niche import niche_pagerank, niche_share, participation, percentile_within, within_module_z
from .ranking import hidden_influencer_score
from .social import aggregate_by_group, asymmetry, follow_back_ratio, social_ratio
from .tiers import TIER_NAMES, tiers

__all__ += ["KINDS", "attention_graph", "kind_weights", "coreness", "pagerank", "niche_pagerank", "niche_share",
            "participation", "percentile_within", "within_module_z", "hidden_influencer_score",
            "aggregate_by_group", "asymmetry", "follow_back_ratio", "social_ratio", "TIER_NAMES", "tiers"]
__all__ += ["audience_graph", "audience_overlap", "estimate_reach", "ic_spread", "imm_portfolio",
            "max_reach_portfolio", "minhash_sketches", "reach_sketch", "unique_reach"]

# community detection (issue 3)
from .affinity import AffinityWeights, affinity_graph
from .community import Partition, leiden, leiden_levels, louvain, louvain_levels, modularity

__all__ += ["AffinityWeights", "affinity_graph", "Partition", "leiden", "leiden_levels", "louvain", "louvain_levels",
            "modularity"]

# niche-scale communities (issue 9)
from .niches import Niches, niche_resolution, niches

__all__ += ["Niches", "niche_resolution", "niches"]

# scoring against labels, resolution profile (issue 19)
from .community import ProfileStep, ResolutionProfile, default_resolution_range, resolution_profile
from .compare import ari, label_assortativity, label_modularity, nmi, purity

__all__ += ["ProfileStep", "ResolutionProfile", "default_resolution_range", "resolution_profile", "ari",
            "label_assortativity", "label_modularity", "nmi", "purity"]
