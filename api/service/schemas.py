"""Response schemas: the HTTP contract, separate from the stored result tables.

Account and community rows carry the columns documented in
docs/ARCHITECTURE.md; a run may hold more (or, while issues land, fewer) and
every field but ``id`` / ``community`` is optional.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RUN_EXAMPLE = "20260101T120000000000Z-1a2b3c4d"

ACCOUNT_EXAMPLE: dict[str, Any] = {
    "idx": 42,
    "id": "1201",
    "handle": "trailrunner_ana",
    "platform": "x",
    "affiliation": None,
    "followers_count": 2300,
    "followers_observed": 180,
    "tier": "nano",
    "tier_estimated": False,
    "community": 3,
    "niche": 17,
    "in_degree": 211,
    "out_degree": 150,
    "reciprocity": 0.41,
    "pagerank": 2.1e-5,
    "coreness": 12.0,
    "niche_pagerank": 0.031,
    "niche_percentile": 0.97,
    "within_module_z": 2.4,
    "participation": 0.22,
    "niche_share": 0.6,
    "social_ratio": 0.58,
    "follow_back_ratio": 0.44,
    "asymmetry": 0.3,
    "score_hidden": 0.87,
}


class AccountRow(BaseModel):
    """One account of a run: identity, tier, community and every score column the run holds."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [ACCOUNT_EXAMPLE]})

    id: str
    idx: int | None = None
    handle: str | None = None
    platform: str | None = None
    affiliation: str | None = None
    followers_count: int | None = None
    followers_observed: int | None = None
    tier: str | None = None
    tier_estimated: bool | None = None
    community: int | None = None
    niche: int | None = None
    in_degree: int | None = None
    out_degree: int | None = None
    reciprocity: float | None = None
    pagerank: float | None = None
    coreness: float | None = None
    niche_pagerank: float | None = None
    niche_percentile: float | None = None
    within_module_z: float | None = None
    participation: float | None = None
    niche_share: float | None = None
    social_ratio: float | None = None
    follow_back_ratio: float | None = None
    asymmetry: float | None = None
    score_hidden: float | None = None


class Page(BaseModel):
    run_id: str = Field(examples=[RUN_EXAMPLE])
    sort: str = Field(description="The score column the items are sorted by.", examples=["score_hidden"])
    order: str = Field(examples=["desc"])
    limit: int = Field(examples=[50])
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page.")


class RankingsPage(Page):
    items: list[AccountRow]
    notes: list[str] = Field(
        default_factory=list,
        description="What the page leaves out and which data it lacks: "
        "accounts of unknown tier left out by a tier filter, an empty answer and what to load.",
    )


class MutualConnection(BaseModel):
    id: str
    handle: str | None = None
    strength: float = Field(description="min(interaction weight u->v, v->u); 0 for a follow-only tie.")
    mutual_follow: bool


class AccountCommunities(BaseModel):
    broad: Community | None = Field(None, description="The account's broad community (null if unknown).")
    niche: Community | None = Field(None, description="The account's niche (null if unknown).")


class AccountDetail(BaseModel):
    run_id: str = Field(examples=[RUN_EXAMPLE])
    account: AccountRow
    communities: AccountCommunities
    mutual_connections: list[MutualConnection] = Field(
        description="Strongest mutual ties (both follow, or both interact with the other), strongest first."
    )
    explanation: list[str] = Field(
        default_factory=list,
        description="Why the account ranks where it does by "
        "hidden-influencer score, with the evidence, and what would change it (plain words; "
        "the same text as `nichegraph rank --explain`).",
    )


class Community(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "community": 3,
                    "level": "broad",
                    "parent": None,
                    "size": 5120,
                    "internal_edges": 40211,
                    "density": 0.0031,
                    "top_members": ["1201", "877"],
                    "top_hashtags": ["trailrunning", "ultra"],
                }
            ]
        },
    )

    community: int
    level: str = "broad"
    parent: int | None = None
    size: int | None = None
    internal_edges: int | None = None
    density: float | None = None
    top_members: list[str] | None = None
    top_hashtags: list[str] | None = None


class CommunityList(BaseModel):
    run_id: str = Field(examples=[RUN_EXAMPLE])
    limit: int
    next_cursor: str | None = None
    items: list[Community]


class CommunityDetail(BaseModel):
    run_id: str = Field(examples=[RUN_EXAMPLE])
    community: Community
    niches: list[Community] = Field(description="Niches inside a broad community (empty for a niche).")


class AffinityRow(AccountRow):
    brand_touches: float = Field(
        0,
        description="Interactions towards the brand account plus uses of its "
        "hashtags (as in `nichegraph rank --by brand-affinity`).",
    )


class BrandAffinityPage(Page):
    brand: dict[str, Any] = Field(examples=[{"handle": "acme", "id": "99", "hashtags": ["acme"]}])
    items: list[AffinityRow]


class InternalPage(Page):
    organisation: str = Field(examples=["Acme"])
    items: list[AccountRow]


class RunInfo(BaseModel):
    run_id: str = Field(examples=[RUN_EXAMPLE])
    created_at: str = Field(examples=["2026-01-01T12:00:00+00:00"])
    params: dict[str, Any] = {}
    counts: dict[str, Any] = {}


class RunList(BaseModel):
    current_run_id: str | None = Field(description="The run this server answers from.")
    items: list[RunInfo]


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Ready(BaseModel):
    status: str = Field(examples=["ready"])
    run_id: str | None = None
    accounts: int | None = None
    message: str | None = None


AccountCommunities.model_rebuild()
AccountDetail.model_rebuild()
