r"""One authenticity score per account from its components, with the evidence behind each.

Every component is in [0, 1], 1 meaning "nothing suspicious", and NaN where
the account has no data for it:

=============== ====================================================================== ==================
component       value                                                                  unknown when
=============== ====================================================================== ==================
``audience``    :math:`1 - s_v n_v / (n_v + h_a)`, :math:`s_v` the shrunk share of its  no followers
                :math:`n_v` followers that are mass-followers
``burst``       :math:`1 - b_v n_v / (n_v + h_a)`, :math:`b_v` the shrunk share of its  no follower with a
                timed followers in the busiest window beyond an even audience's        ``since``
``trust``       :math:`1 - \delta_v d_v / (d_v + h)`, doubt                            no mutual tie
                :math:`\delta_v = 1 - \min(1, \text{normalised SybilRank trust} / \tau)`
``pod``         :math:`1 - \rho_v \cdot` shrunk share of the fast crowds answering it   no timed inbound
                that its pod partners supplied                                         interaction
``follow_ratio`` own following/follower anomaly (:mod:`.mass_followers`)               a count unknown
=============== ====================================================================== ==================

The score is the weakest known component,

.. math:: A_v = \min_{c\,:\,x_{vc}\ \text{known}} x_{vc},

NaN when no component is known: one red flag is enough to question an
audience, and the explanation names the component that set the score
(``weakest``).  Shares are shrunk towards the population's share with a
fitted Beta prior (:func:`engine.evidence.shrink_ratio`), so an account whose
single follower is a mass-follower keeps most of the benefit of the doubt while
one with 300 of 400 does not: small samples never outrank large ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GraphInputError

#: Component names, in the order ``weakest`` indexes them.
COMPONENTS: tuple[str, ...] = ("audience", "burst", "trust", "pod", "follow_ratio")


@dataclass(frozen=True)
class Authenticity:
    """Result of :func:`combine`: ``score`` float64 (n,) (NaN: nothing known), ``weakest`` int8 (n,)
    index into :data:`COMPONENTS` of the component that set the score (-1: none), ``known`` int8 (n,)
    number of known components."""

    score: np.ndarray
    weakest: np.ndarray
    known: np.ndarray

    def weakest_names(self) -> np.ndarray:
        """``weakest`` as component names (None where no component is known), object (n,)."""
        names = np.array([*COMPONENTS, None], dtype=object)
        return names[np.where(self.weakest >= 0, self.weakest, len(COMPONENTS))]


def combine(components: dict[str, np.ndarray]) -> Authenticity:
    """The weakest known component of every account (module docstring).

    Parameters
    ----------
    components : dict of str to array_like of float, shape (n,) each
        Keys from :data:`COMPONENTS` (any subset, at least one); values in
        [0, 1] or NaN (unknown).  Ties go to the earlier component.

    Examples
    --------
    >>> a = combine({"audience": [0.9, np.nan, np.nan], "trust": [0.2, 0.7, np.nan]})
    >>> a.score.tolist()[:2], a.weakest_names().tolist(), a.known.tolist()
    ([0.2, 0.7], ['trust', 'trust', None], [2, 1, 0])
    """
    if not components:
        raise GraphInputError(f"combine needs at least one component of {COMPONENTS}.")
    unknown = set(components) - set(COMPONENTS)
    if unknown:
        raise GraphInputError(f"unknown authenticity components {sorted(unknown)}; known: {COMPONENTS}.")
    names = [c for c in COMPONENTS if c in components]
    cols = [np.asarray(components[c], dtype=np.float64) for c in names]
    n = cols[0].shape[0]
    if any(c.shape != (n,) for c in cols):
        raise GraphInputError("every authenticity component must be 1-d of one length.")
    m = np.stack(cols)
    if np.any((m < 0) | (m > 1)):
        raise GraphInputError("authenticity components must lie in [0, 1] (NaN for unknown).")
    known = ~np.isnan(m)
    filled = np.where(known, m, np.inf)
    arg = np.argmin(filled, axis=0)
    any_known = known.any(axis=0)
    score = np.where(any_known, filled[arg, np.arange(n)], np.nan)
    index = np.array([COMPONENTS.index(c) for c in names], dtype=np.int8)
    weakest = np.where(any_known, index[arg], -1).astype(np.int8)
    return Authenticity(score, weakest, known.sum(axis=0).astype(np.int8))
