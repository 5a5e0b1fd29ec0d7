r"""Mass-followers: accounts that follow far more accounts than follow them.

Bought followers are typically fresh accounts that follow hundreds or thousands
of accounts and are followed by almost nobody.  An account :math:`u` is a
*mass-follower* when

.. math::
    \mathrm{following}_u \ge m \quad\text{and}\quad
    \mathrm{following}_u \ge r\,(\mathrm{followers}_u + 1)

(defaults :math:`m = 500`, :math:`r = 50`; docs/metrics.md shows the synthetic data behind them).  Two signals follow from it:

* :func:`mass_follower_share`: for every account, how many of its followers in
  the follow graph are mass-followers (the numerator and denominator of the
  share; the caller shrinks the share with :func:`engine.evidence.shrink_ratio`
  so that 1 mass-follower out of 1 never outranks 300 out of 400);
* :func:`follow_ratio_score`: the account's own following/follower anomaly,
  :math:`\min(1, r(\mathrm{followers}_u + 1) / \mathrm{following}_u)` for
  accounts following at least :math:`m`, else 1 (1 = an ordinary ratio,
  towards 0 = following far more than it is followed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GraphInputError
from ..graph import Graph

#: Defaults: a mass-follower follows at least MIN_FOLLOWING accounts and RATIO times its followers (+1).
MASS_RATIO = 50.0
MIN_FOLLOWING = 500.0


def _counts(following, followers) -> tuple[np.ndarray, np.ndarray]:
    fo = np.asarray(following, dtype=np.float64)
    fe = np.asarray(followers, dtype=np.float64)
    if fo.shape != fe.shape or fo.ndim != 1:
        raise GraphInputError(f"following and followers must be 1-d of one length; got {fo.shape} and {fe.shape}.")
    if np.any(fo < 0) or np.any(fe < 0):
        raise GraphInputError("following and followers counts must be >= 0 (use NaN for unknown).")
    return fo, fe


def mass_followers(following, followers, *, ratio: float = MASS_RATIO, min_following: float = MIN_FOLLOWING):
    """Which accounts are mass-followers (module docstring), bool of shape (n,).

    Parameters
    ----------
    following, followers : array_like of float, shape (n,)
        Accounts each account follows and accounts following it (NaN: unknown,
        never a mass-follower).
    ratio, min_following : float
        :math:`r` and :math:`m` of the rule.

    Examples
    --------
    >>> mass_followers([3000, 600, 600, 50], [5, 5, 100, 0]).tolist()
    [True, True, False, False]
    """
    fo, fe = _counts(following, followers)
    with np.errstate(invalid="ignore"):
        return (fo >= min_following) & (fo >= ratio * (fe + 1.0))


def follow_ratio_score(following, followers, *, ratio: float = MASS_RATIO, min_following: float = MIN_FOLLOWING):
    r"""Own follow-ratio component in [0, 1], float64 (n,); NaN where a count is unknown.

    .. math:: s_u = \min\left(1, \frac{r(\mathrm{followers}_u + 1)}{\mathrm{following}_u}\right)
        \text{ if } \mathrm{following}_u \ge m \text{ else } 1

    Examples
    --------
    >>> follow_ratio_score([3000, 100, 5000], [5, 0, 39]).tolist()
    [0.1, 1.0, 0.4]
    """
    fo, fe = _counts(following, followers)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(fo >= min_following, np.minimum(1.0, ratio * (fe + 1.0) / np.maximum(fo, 1.0)), 1.0)
    return np.where(np.isnan(fo) | np.isnan(fe), np.nan, s)


@dataclass(frozen=True)
class MassFollowerShare:
    """Counts behind the mass-follower share, int64 arrays of shape (n,).

    ``mass`` followers that are mass-followers, ``followers`` followers in the follow graph.
    """

    mass: np.ndarray
    followers: np.ndarray


def mass_follower_share(follows: Graph, is_mass) -> MassFollowerShare:
    """How many of each account's followers are mass-followers.

    Parameters
    ----------
    follows : Graph
        Directed follow graph, ``u -> v`` when ``u`` follows ``v`` (self-loops
        count like any follower; build it with ``self_loops="drop"``).
    is_mass : array_like of bool, shape (n,)
        From :func:`mass_followers`.

    Examples
    --------
    >>> from nichegraph.engine import from_edges
    >>> s = mass_follower_share(from_edges([0, 1, 2], [2, 2, 0], n_nodes=3), [True, False, False])
    >>> s.mass.tolist(), s.followers.tolist()
    ([0, 0, 1], [1, 0, 2])
    """
    m = np.asarray(is_mass, dtype=bool)
    if not follows.directed:
        raise GraphInputError("mass_follower_share needs the directed follow graph.")
    if m.shape != (follows.n_nodes,):
        raise GraphInputError(f"is_mass must have one flag per account ({follows.n_nodes}); got shape {m.shape}.")
    src = np.repeat(np.arange(follows.n_nodes), np.diff(follows.indptr))
    mass = np.bincount(follows.indices, weights=m[src].astype(np.float64), minlength=follows.n_nodes)
    followers = np.bincount(follows.indices, minlength=follows.n_nodes)
    return MassFollowerShare(mass.astype(np.int64), followers.astype(np.int64))
