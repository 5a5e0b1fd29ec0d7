r"""Rankings built from documented components.

Hidden-influencer score
-----------------------
.. math:: H_v = E_v \cdot N_v \cdot S_v \cdot W_v
    \quad\text{if } m_v \ge m_{\min}, \text{ else undefined (NaN)}

* :math:`E_v \in \{0, 1\}`: the account's tier is eligible (nano, micro and
  unknown by default);
* :math:`N_v = \mathrm{niche\_percentile}_v / 100 \in [0, 1]`: how central it is
  inside its own community (0 where undefined);
* :math:`S_v \in [0, 1]`: the mean of the defined values among the (shrunk)
  social ratio and follow-back ratio (0 when neither is defined): whether it
  talks back;
* :math:`W_v = m_v / (m_v + h)`: the evidence weight, with :math:`m_v` the
  distinct accounts of its own community that pay it attention and
  :math:`h` the half-weight count (:func:`engine.evidence.evidence_weight`).

A high score needs all of them: to be listened to inside the niche by many
distinct accounts *and* to return attention.  Below the minimum evidence
:math:`m_{\min}` the score is undefined: a percentile resting on one or two
accounts is not evidence of influence.  Every component is stored next to the
score.

Ranking accounts by these scores (filters, order, ties, pages) is one query
engine in the API layer (``api.rankings`` over ``api.run_query``), shared by
the CLI, the HTTP service and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import GraphInputError
from .evidence import evidence_weight

#: Tier codes (indices into ``engine.tiers.TIER_NAMES``) eligible by default: nano, micro.
DEFAULT_HIDDEN_TIERS: tuple[int, ...] = (0, 1)


@dataclass(frozen=True)
class HiddenScore:
    """Hidden-influencer score and its components, arrays of shape (n,).

    ``score`` (NaN below the minimum evidence), ``niche`` :math:`N`, ``social``
    :math:`S`, ``evidence`` :math:`W` (float64), ``eligible`` :math:`E` (bool).
    """

    score: np.ndarray
    niche: np.ndarray
    social: np.ndarray
    eligible: np.ndarray
    evidence: np.ndarray


def hidden_influencer_score(
    niche_percentile,
    social_ratio,
    follow_back_ratio,
    tier_code,
    *,
    eligible_tiers=DEFAULT_HIDDEN_TIERS,
    engaged=None,
    min_evidence: int = 0,
    evidence_half: float = 1.0,
) -> HiddenScore:
    """Hidden-influencer score :math:`H = E \\cdot N \\cdot S \\cdot W` (see the module docstring).

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
    engaged : array_like of int, shape (n,), optional
        Distinct accounts of the same community paying each account attention
        (:math:`m_v`).  Without it every evidence weight is 1 and no minimum applies.
    min_evidence : int, default 0
        :math:`m_{\\min}`: accounts with fewer engaged accounts get NaN.
    evidence_half : float, default 1.0
        :math:`h`, the engaged count that gets half weight.

    Examples
    --------
    >>> h = hidden_influencer_score([80.0, 80.0, 50.0], [0.5, float("nan"), 1.0],
    ...                             [1.0, 0.25, float("nan")], [0, 1, 2])
    >>> h.score.tolist()
    [0.6000000000000001, 0.2, 0.0]
    >>> h = hidden_influencer_score([80.0, 80.0, 50.0], [0.5, 0.5, 1.0], [1.0, 1.0, 1.0], [0, 0, 0],
    ...                             engaged=[2, 6, 30], min_evidence=3, evidence_half=6.0)
    >>> h.score.round(4).tolist(), h.evidence.round(4).tolist()
    ([nan, 0.3, 0.4167], [0.25, 0.5, 0.8333])
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
    if engaged is None:
        weight = np.ones_like(niche)
        enough = np.ones(niche.shape, dtype=bool)
    else:
        m = np.asarray(engaged, dtype=np.int64)
        if m.shape != pct.shape:
            raise GraphInputError("engaged must have one count per account.")
        weight = evidence_weight(m, evidence_half)
        enough = m >= min_evidence
    score = np.where(eligible, niche * social * weight, 0.0)
    score = np.where(enough, score, np.nan)
    return HiddenScore(score, niche, social, eligible, weight)
