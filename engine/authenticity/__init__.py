"""Audience authenticity: does an account's audience look bought or gamed?

One module per signal, each a function over plain arrays with its formula in
its docstring, and their combination:

* :mod:`.mass_followers`: followers that follow far more than they are followed,
  and the account's own following/follower anomaly;
* :mod:`.bursts`: followers arriving in one burst (from follow ``since`` times);
* :mod:`.sybilrank`: trust propagated from genuine seeds (Cao et al. 2012);
* :mod:`.pods`: engagement pods, small groups answering each other fast and densely
  (Weerasinghe et al. 2020);
* :mod:`.combine`: the score (the weakest known component) and which component set it;
* :mod:`.audit`: all of the above from a graph's arrays (:func:`audience_authenticity`).
"""

from .audit import AUTHENTICITY_COLUMNS, AuthenticityParams, AuthenticityReport, audience_authenticity, mutual_seeds
from .bursts import FollowerBursts, follower_bursts
from .combine import COMPONENTS, Authenticity, combine
from .mass_followers import MassFollowerShare, follow_ratio_score, mass_follower_share, mass_followers
from .pods import EngagementPods, engagement_pods
from .sybilrank import SybilRank, sybilrank

__all__ = [
    "AUTHENTICITY_COLUMNS",
    "COMPONENTS",
    "Authenticity",
    "AuthenticityParams",
    "AuthenticityReport",
    "EngagementPods",
    "FollowerBursts",
    "MassFollowerShare",
    "SybilRank",
    "audience_authenticity",
    "combine",
    "engagement_pods",
    "follow_ratio_score",
    "follower_bursts",
    "mass_follower_share",
    "mass_followers",
    "mutual_seeds",
    "sybilrank",
]
