r"""Rankings built from documented components.

Hidden-influencer score
-----------------------
.. math:: H_v = E_v \cdot N_v \cdot S_v

* :math:`E_v \in \{0, 1\}`: the account's tier is eligible (nano and micro by default);
* :math:`N_v = \mathrm{niche\_percentile}_v / 100 \in [0, 1]`: how central it is
  inside its own community (0 where undefined);
* :math:`S_v \in [0, 1]`: the mean of the defined values among the social ratio
  and the follow-back ratio (0 when neither is defined): whether it talks back.

A high score needs both: to be listened to inside the niche *and* to return
attention.  Every component is stored next to the score.

Ranking accounts by these scores (filters, order, ties, pages) is one query
engine in the API layer (``api.rankings`` over ``api.run_query``), shared by
the CLI, the HTTP service and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import GraphInputError

#: Tier codes (indices into ``engine.tiers.TIER_NAMES``) eligible by default: nano, micro.
DEFAULT_HIDDEN_TIERS: tuple[int, ...] = (0, 1)


@dataclass(frozen=True)
class HiddenScore:
    """Hidden-influencer score and its components, float64 arrays of shape (n,)."""

    score: np.ndarray
    niche: np.ndarray
    social: np.ndarray
    eligible: np.ndarray


def hidden_influencer_score(
    niche_percentile,
    social_ratio,
    follow_back_ratio,
    tier_code,
    *,
    eligible_tiers=DEFAULT_HIDDEN_TIERS,
) -> HiddenScore:
    """Hidden-influencer score :math:`H = E \\cdot N \\cdot S` (see the module docstring).

    Parameters
    ----------
    niche_percentile : array_like of float, shape (n,)
        Percentile 0-100 of niche PageRank within the community (NaN allowed).
    social_ratio, follow_back_ratio : array_like of float, shape (n,)
        Ratios in [0, 1], NaN where undefined.
    tier_code : array_like of int, shape (n,)
        Tier code per account.
    eligible_tiers : sequence of int, default (0, 1)
        Tier codes that may score above 0.

    Examples
    --------
    >>> h = hidden_influencer_score([80.0, 80.0, 50.0], [0.5, float("nan"), 1.0],
    ...                             [1.0, 0.25, float("nan")], [0, 1, 2])
    >>> h.score.tolist()
    [0.6000000000000001, 0.2, 0.0]
    """
    pct = np.asarray(niche_percentile, dtype=np.float64)
    sr = np.asarray(social_ratio, dtype=np.float64)
    fb = np.asarray(follow_back_ratio, dtype=np.float64)
    code = np.asarray(tier_code, dtype=np.int64)
    if not (pct.shape == sr.shape == fb.shape == code.shape):
        raise GraphInputError("all inputs of hidden_influencer_score must have one value per account.")
    niche = np.nan_to_num(pct / 100.0, nan=0.0)
    both = np.stack([sr, fb])
    cnt = np.sum(~np.isnan(both), axis=0)
    social = np.where(cnt > 0, np.nansum(both, axis=0) / np.maximum(cnt, 1), 0.0)
    eligible = np.isin(code, np.asarray(list(eligible_tiers), dtype=np.int64))
    score = np.where(eligible, niche * social, 0.0)
    return HiddenScore(score, niche, social, eligible)
