"""Influence and reach of sets of accounts: audience overlap, unique reach, influencer portfolios, spread.

* :mod:`.overlap` — exact Jaccard / overlap coefficient and MinHash sketches.
* :mod:`.reach` — exact unique reach and HyperLogLog.
* :mod:`.portfolio` — lazy-greedy (CELF) max-coverage portfolios with filters, costs and a budget.
* :mod:`.imm` — independent-cascade spread: IMM seed selection over RR sets, Monte-Carlo spread.

Every function takes the *audience graph* (row ``u`` lists the followers of
``u``), built by :func:`audience_graph` from follow edges.
"""

from .imm import RRSets, SpreadEstimate, ic_spread, imm_portfolio, sample_rr_sets
from .overlap import MinHashSketches, Overlap, audience_graph, audience_overlap, minhash_sketches
from .portfolio import Coverage, Portfolio, greedy_max_coverage, max_reach_portfolio
from .reach import HyperLogLog, ReachEstimate, estimate_reach, hll_estimate, reach_sketch, unique_reach

__all__ = [
    "Coverage",
    "HyperLogLog",
    "MinHashSketches",
    "Overlap",
    "Portfolio",
    "RRSets",
    "ReachEstimate",
    "SpreadEstimate",
    "audience_graph",
    "audience_overlap",
    "estimate_reach",
    "greedy_max_coverage",
    "hll_estimate",
    "ic_spread",
    "imm_portfolio",
    "max_reach_portfolio",
    "minhash_sketches",
    "reach_sketch",
    "sample_rr_sets",
    "unique_reach",
]
