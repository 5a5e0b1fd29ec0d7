"""Audience-size tiers from follower counts.

Defaults (follower count ``f``): nano ``f < 10,000``, micro
``10,000 <= f < 100,000``, macro ``100,000 <= f < 1,000,000``, mega
``f >= 1,000,000``.  Where the platform count is missing (NaN) the tier is
``unknown``: the observed follower in-degree of a sample says little about an
account's audience.  Only when the caller states that the follow layer is
complete (``follows_complete=True``) is the observed in-degree used instead,
and the account flagged as estimated.
"""

from __future__ import annotations

import numpy as np

from .errors import GraphInputError

TIER_NAMES: tuple[str, ...] = ("nano", "micro", "macro", "mega")
TIER_THRESHOLDS: tuple[float, ...] = (10_000, 100_000, 1_000_000)
#: The tier of an account without a platform follower count (code ``len(names)``).
UNKNOWN_TIER = "unknown"


def check_thresholds(thresholds, names) -> tuple[np.ndarray, tuple[str, ...]]:
    """Validate tier thresholds (strictly increasing, one fewer than names)."""
    t = np.asarray(thresholds, dtype=np.float64)
    names = tuple(names)
    if t.ndim != 1 or t.shape[0] != len(names) - 1:
        raise GraphInputError(f"need {len(names) - 1} thresholds for tiers {names}; got {t.tolist()}.")
    if np.any(np.diff(t) <= 0) or not np.all(np.isfinite(t)):
        raise GraphInputError(f"tier thresholds must be finite and strictly increasing; got {t.tolist()}.")
    return t, names


def tiers(
    followers_count,
    followers_observed,
    *,
    thresholds=TIER_THRESHOLDS,
    names=TIER_NAMES,
    follows_complete: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Tier code and estimated flag per account.

    .. math:: \mathrm{tier}_v = \#\{j : f_v \ge \theta_j\}

    with :math:`f_v` the platform follower count.  Where the count is missing
    the tier is unknown (code ``len(names)``), or, with ``follows_complete``,
    computed from the observed follower in-degree.

    Parameters
    ----------
    followers_count : array_like of float, shape (n,)
        Platform follower count, NaN where unknown.
    followers_observed : array_like of int, shape (n,)
        Follower in-degree in the follow graph.
    thresholds : sequence of float, default (10_000, 100_000, 1_000_000)
        Lower bounds of every tier after the first.
    names : sequence of str, default ("nano", "micro", "macro", "mega")
    follows_complete : bool, default False
        The follow graph holds every follower of every account, so the
        observed in-degree is the follower count.

    Returns
    -------
    code : ndarray of int8, shape (n,)
        Index into ``names``; ``len(names)`` for unknown (see :func:`tier_names`).
    estimated : ndarray of bool, shape (n,)
        True where the observed in-degree was used.

    Examples
    --------
    >>> code, est = tiers([500.0, 12_000.0, float("nan"), 1e6], [3, 40, 20_000, 9])
    >>> code.tolist(), est.tolist()
    ([0, 1, 4, 3], [False, False, False, False])
    >>> code, est = tiers([500.0, 12_000.0, float("nan"), 1e6], [3, 40, 20_000, 9], follows_complete=True)
    >>> code.tolist(), est.tolist()
    ([0, 1, 1, 3], [False, False, True, False])
    """
    t, _ = check_thresholds(thresholds, names)
    f = np.asarray(followers_count, dtype=np.float64)
    obs = np.asarray(followers_observed, dtype=np.float64)
    if f.shape != obs.shape:
        raise GraphInputError("followers_count and followers_observed must have the same shape.")
    missing = np.isnan(f)
    if np.any(f[~missing] < 0):
        raise GraphInputError("followers_count must be >= 0 (or NaN when unknown).")
    x = np.where(missing, obs, f)
    code = np.searchsorted(t, x, side="right").astype(np.int8)
    if not follows_complete:
        code[missing] = len(t) + 1
        return code, np.zeros_like(missing)
    return code, missing


def tier_names(code, names=TIER_NAMES) -> np.ndarray:
    """Tier codes to names (object array of str); code ``len(names)`` is ``"unknown"``."""
    return np.asarray((*names, UNKNOWN_TIER), dtype=object)[np.asarray(code, dtype=np.int64)]
