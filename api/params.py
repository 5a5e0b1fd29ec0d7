"""The parameters of an analysis run, typed and nested, and the one reader of a run's stored parameters.

Every value has one place::

    AnalysisParams(
        seed=0,                      # the run's only source of randomness
        level="niche",               # the communities the rankings are computed inside
        threads=None,                # numba worker threads (results do not depend on it)
        communities=CommunityParams(resolution=1.0, parallel=False, affinity={...}, ...),
        metrics=MetricsParams(min_evidence=3, follows_complete=False, hidden_tiers=(...), ...),
        engagement=EngagementParams(window_days=90.0, half_posts=12.0),
    )

A run stores ``dataclasses.asdict(params)`` as JSON (next to what the analysis measured:
``modularity``, ``kept_ids``, ``fitted``).  :func:`stored_params` reads it back, in this layout or
the one runs were written in before: ``seed``, ``resolution``, ``level``, ``threads`` and
``parallel`` at the top and the per-stage overrides in ``extra = {"communities": {...},
"metrics": {...}}`` (a seed in ``extra["communities"]`` won over the top-level one).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .stages.authenticity import AuthenticityStageParams
from .stages.communities import CommunityParams
from .stages.engagement import EngagementParams
from .stages.metrics import MetricsParams

LEVELS = ("niche", "broad")


@dataclass(frozen=True)
class AnalysisParams:
    """Parameters of one analysis run (stored with the run as JSON).

    seed : the only source of randomness (same data and seed, same results).
    level : "niche" (default) or "broad": the communities inside which niche
        centrality and the rankings are computed.
    threads : numba worker threads (results do not depend on it).
    communities : the communities stage (:class:`api.stages.communities.CommunityParams`:
        resolution, niches, ``parallel``, affinity weights, id matching).
    metrics : the metrics stage (:class:`api.stages.metrics.MetricsParams`: PageRank,
        attention weights, tiers, hidden-score eligibility and evidence).
    authenticity : the authenticity stage (:class:`api.stages.authenticity.AuthenticityStageParams`:
        the signals' rules and windows, trusted seed accounts).
    engagement : the engagement stage (:class:`api.stages.engagement.EngagementParams`: the recent
        window and the shrinkage's half weight in posts).
    """

    seed: int = 0
    level: str = "niche"
    threads: int | None = None
    communities: CommunityParams = field(default_factory=CommunityParams)
    metrics: MetricsParams = field(default_factory=MetricsParams)
    authenticity: AuthenticityStageParams = field(default_factory=AuthenticityStageParams)
    engagement: EngagementParams = field(default_factory=EngagementParams)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be 'niche' or 'broad'; got {self.level!r}")
        stages: tuple[tuple[str, type], ...] = (
            ("communities", CommunityParams),
            ("metrics", MetricsParams),
            ("engagement", EngagementParams),
            ("authenticity", AuthenticityStageParams),
        )
        for name, cls in stages:
            value = getattr(self, name)
            if not isinstance(value, cls):
                raise TypeError(f"AnalysisParams.{name} must be a {cls.__name__}, not {type(value).__name__}")


_P = TypeVar("_P", CommunityParams, MetricsParams, EngagementParams)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _stage(cls: type[_P], values: dict[str, Any]) -> _P:
    """A stage's parameters from stored JSON: fields it does not know are passed over, lists become tuples."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            v = values[f.name]
            kwargs[f.name] = tuple(v) if isinstance(f.default, tuple) and isinstance(v, list) else v
    return cls(**kwargs)


def stored_params(params: dict | None) -> AnalysisParams:
    """The :class:`AnalysisParams` a run was made with, from its stored ``params`` (either layout).

    Values a run did not store (it predates them) take today's defaults; keys this version does not
    know are passed over, so any run that could be written can be read.
    """
    params = _dict(params)
    if "extra" in params or "communities" not in params:  # the layout before nested parameters
        extra = _dict(params.get("extra"))
        communities: dict[str, Any] = {k: params[k] for k in ("resolution", "parallel") if k in params}
        communities.update(_dict(extra.get("communities")))
        seed = communities.pop("seed", params.get("seed", 0))
        metrics = _dict(extra.get("metrics"))
        engagement = _dict(extra.get("engagement"))
    else:
        communities, metrics = _dict(params["communities"]), _dict(params.get("metrics"))
        engagement = _dict(params.get("engagement"))
        seed = params.get("seed", 0)
    level = params.get("level", "niche")
    return AnalysisParams(
        seed=int(seed),
        level=level if level in LEVELS else "niche",
        threads=params.get("threads"),
        communities=_stage(CommunityParams, communities),
        metrics=_stage(MetricsParams, metrics),
        authenticity=AuthenticityStageParams.from_stored(params.get("authenticity")),
        engagement=_stage(EngagementParams, engagement),
    )
