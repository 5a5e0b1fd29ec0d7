r"""How much evidence stands behind a ratio: empirical Bayes shrinkage and distinct-account counts.

A ratio such as the social ratio (returned inbound events / inbound events)
is 1 for an account whose single inbound interaction was answered.  Read
alone it outranks an account that answered 40 of 50.  This module estimates
every such share with its uncertainty:

* :func:`fit_beta_prior` fits a Beta(:math:`\alpha, \beta`) prior to the
  population of observed shares by the method of moments for the
  beta-binomial (Kleinman 1973), weighting each account by its number of
  trials;
* :func:`shrink_ratio` returns the posterior mean
  :math:`(k_v + \alpha) / (n_v + \alpha + \beta)` and the posterior standard
  deviation: an account with few trials is pulled towards the population
  mean, one with many keeps its own share;
* :func:`distinct_inbound` counts the distinct accounts behind an account's
  inbound events (optionally only those of its own community), the evidence
  a ranking needs before it calls someone influential.

Method of moments (Kleinman 1973)
---------------------------------
With :math:`k_i` successes out of :math:`n_i > 0` trials for each of the
:math:`m` accounts that have trials, :math:`N = \sum_i n_i`, :math:`p_i = k_i / n_i`:

.. math::
    \hat\mu = \frac{\sum_i k_i}{N}, \qquad
    S = \sum_i n_i (p_i - \hat\mu)^2, \qquad
    \hat\rho = \frac{S / (\hat\mu(1-\hat\mu)) - \sum_i (1 - n_i/N)}{\sum_i (1 - n_i/N)(n_i - 1)}

because under the beta-binomial :math:`E[S] = \mu(1-\mu)\sum_i (1 - n_i/N)(1 + (n_i - 1)\rho)`
with the intra-class correlation :math:`\rho = 1 / (\alpha + \beta + 1)`.
:math:`\hat\rho` is clipped to :math:`[10^{-6}, 1 - 10^{-6}]`; then
:math:`\alpha + \beta = 1/\hat\rho - 1`, :math:`\alpha = \hat\mu(\alpha+\beta)`.
Trials may be fractional (weighted events); the formulas do not need integers.

References
----------
J. C. Kleinman. Proportions with extraneous variance: single and independent samples.
J. American Statistical Association 68, 46-54 (1973).
B. Efron, C. Morris. Data analysis using Stein's estimator and its generalizations. JASA 70, 311-319 (1975).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import GraphInputError
from .graph import index_pairs
from .pairs import pair_csr

#: Bounds on the fitted intra-class correlation (keeps alpha + beta finite and positive).
RHO_BOUNDS: tuple[float, float] = (1e-6, 1.0 - 1e-6)


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(alpha, beta) prior fitted to a population of shares.

    ``n_accounts`` is the number of accounts with at least one trial that the
    fit used (0 when it fell back to the uninformative Beta(1, 1)).
    """

    alpha: float
    beta: float
    n_accounts: int

    @property
    def mean(self) -> float:
        """Prior mean alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """alpha + beta: the number of trials at which an account's own share and the prior weigh equally."""
        return self.alpha + self.beta

    def as_dict(self) -> dict:
        """JSON-able parameters (stored with an analysis run)."""
        return {
            "alpha": self.alpha,
            "beta": self.beta,
            "mean": self.mean,
            "strength": self.strength,
            "n_accounts": self.n_accounts,
        }


@dataclass(frozen=True)
class ShrunkRatio:
    """Result of :func:`shrink_ratio`; float64 arrays of shape (n,).

    ``estimate`` posterior mean, ``sd`` posterior standard deviation, ``raw``
    successes / trials (NaN without trials), ``prior`` the Beta prior used.
    """

    estimate: np.ndarray
    sd: np.ndarray
    raw: np.ndarray
    prior: BetaPrior


def _check_counts(successes, trials) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if k.shape != n.shape or k.ndim != 1:
        raise GraphInputError(f"successes and trials must be 1-d arrays of one length; got {k.shape} and {n.shape}.")
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(n))):
        raise GraphInputError("successes and trials must be finite (use 0 trials for an undefined share).")
    if np.any(n < 0) or np.any(k < 0) or np.any(k > n * (1 + 1e-12)):
        raise GraphInputError("need 0 <= successes <= trials for every account.")
    return np.minimum(k, n), n


def fit_beta_prior(successes, trials) -> BetaPrior:
    """Beta prior of a population of shares by the beta-binomial method of moments (module docstring).

    Parameters
    ----------
    successes, trials : array_like of float, shape (n,)
        Per account; accounts with 0 trials are left out of the fit.

    Returns
    -------
    BetaPrior
        Beta(1, 1) when fewer than two accounts have trials or every share
        equals the mean's extreme (0 or 1): no population to learn from.

    Examples
    --------
    >>> p = fit_beta_prior([0, 1, 2, 3, 4], [4, 4, 4, 4, 4])
    >>> round(p.mean, 4), round(p.strength, 4)
    (0.5, 1.0)
    """
    k, n = _check_counts(successes, trials)
    has = n > 0
    k, n = k[has], n[has]
    m = int(n.shape[0])
    total = n.sum()
    mu = k.sum() / total if m else 0.5
    if m < 2 or mu <= 0.0 or mu >= 1.0:
        return BetaPrior(1.0, 1.0, 0)
    p = k / n
    s = np.sum(n * (p - mu) ** 2)
    share = 1.0 - n / total
    den = np.sum(share * (n - 1.0))
    if den <= 0:  # every account has a single trial: dispersion is not identifiable
        return BetaPrior(1.0, 1.0, 0)
    rho = (s / (mu * (1.0 - mu)) - share.sum()) / den
    rho = min(max(rho, RHO_BOUNDS[0]), RHO_BOUNDS[1])
    strength = 1.0 / rho - 1.0
    return BetaPrior(float(mu * strength), float((1.0 - mu) * strength), m)


def shrink_ratio(successes, trials, *, prior: BetaPrior | None = None) -> ShrunkRatio:
    r"""Empirical Bayes estimate of each account's share, with its uncertainty.

    .. math::
        \hat p_v = \frac{k_v + \alpha}{n_v + \alpha + \beta}, \qquad
        \mathrm{sd}_v = \sqrt{\frac{a_v b_v}{(a_v + b_v)^2 (a_v + b_v + 1)}},\quad
        a_v = k_v + \alpha,\; b_v = n_v - k_v + \beta

    Parameters
    ----------
    successes, trials : array_like of float, shape (n,)
        Per account (e.g. ``SocialRatio.reciprocated`` and ``.inbound``).
    prior : BetaPrior, optional
        Default: :func:`fit_beta_prior` on these counts.

    Returns
    -------
    ShrunkRatio
        An account with no trials gets the prior mean and the prior's sd.

    Examples
    --------
    >>> r = shrink_ratio([1, 40], [1, 50], prior=BetaPrior(1.0, 4.0, 2))
    >>> r.raw.tolist(), r.estimate.round(4).tolist()
    ([1.0, 0.8], [0.3333, 0.7455])
    """
    k, n = _check_counts(successes, trials)
    if prior is None:
        prior = fit_beta_prior(k, n)
    a = k + prior.alpha
    b = n - k + prior.beta
    est = a / (a + b)
    sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0)))
    raw = np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)
    return ShrunkRatio(est, sd, raw, prior)


def distinct_inbound(n_nodes: int, src, dst, *, community=None) -> np.ndarray:
    """Distinct accounts with at least one edge towards each account (self excluded), int64 (n_nodes,).

    Parameters
    ----------
    n_nodes : int
    src, dst : array_like of int, shape (m,)
        Edges (events or ties) ``src -> dst``; repeats count once.
    community : array_like of int, shape (n_nodes,), optional
        When given, only sources in the same community as the target count.

    Examples
    --------
    >>> distinct_inbound(3, [1, 1, 2, 0, 0], [0, 0, 0, 0, 1]).tolist()
    [2, 1, 0]
    >>> distinct_inbound(3, [1, 1, 2, 0], [0, 0, 0, 1], community=[0, 0, 1]).tolist()
    [1, 1, 0]
    """
    s, d = index_pairs(n_nodes, src, dst, dtype=np.int32)
    keep = s != d
    if community is not None:
        c = np.asarray(community, dtype=np.int64)
        if c.shape != (n_nodes,):
            raise GraphInputError(f"community must have one label per account ({n_nodes}); got shape {c.shape}.")
        keep &= c[s] == c[d]
    return np.diff(pair_csr(n_nodes, d, s, keep=keep).indptr)


def evidence_weight(count, half: float) -> np.ndarray:
    r"""Saturating weight :math:`c / (c + h)` of an evidence count, float64 of the count's shape.

    0 without evidence, 1/2 at ``half``, approaching 1 as evidence grows: many
    observations always weigh more than one.

    Examples
    --------
    >>> evidence_weight([0, 10, 30], 10.0).tolist()
    [0.0, 0.5, 0.75]
    """
    c = np.asarray(count, dtype=np.float64)
    if not half > 0:
        raise GraphInputError(f"half must be > 0; got {half}.")
    return c / (c + half)
