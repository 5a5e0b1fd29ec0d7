"""One thin router per resource; :data:`V1_ROUTERS` are mounted under ``/v1``."""

from __future__ import annotations

from . import accounts, brands, campaigns, communities, health, organisations, rankings, runs

#: (router, scope) pairs mounted under /v1 by :func:`api.service.app.create_app`.
V1_ROUTERS = [
    (rankings.router, "rankings"),
    (accounts.router, "accounts"),
    (communities.router, "communities"),
    (brands.router, "brands"),
    (organisations.router, "organisations"),
    (runs.router, "runs"),
    (campaigns.router, "campaigns"),
]

__all__ = ["V1_ROUTERS", "health"]
