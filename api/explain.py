"""Why an account ranks where it does, in plain words (``nichegraph rank --explain``, ``GET /v1/accounts/{id}``).

:func:`explain_account` reads one row of a run's ``accounts`` table (a dict of
its columns) and the run's parameters, and returns sentences: where the
account ranks by hidden-influencer score, each component of the score with the
evidence behind it, its tier and why, and what would change its rank most.
The CLI and the HTTP service call this one function.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa


def _num(row: dict, key: str) -> float | None:
    v = row.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _int(row: dict, key: str) -> str:
    v = _num(row, key)
    return "unknown" if v is None else f"{int(v):,}"


def _ratio(raw: float | None, shrunk: float | None, sd: float | None, prior: dict | None) -> str:
    if raw is None:
        return "undefined (no events)"
    text = f"{raw:.2f} raw"
    if shrunk is not None:
        text += f", {shrunk:.2f}" + (f" ± {sd:.2f}" if sd is not None else "") + " shrunk"
        if prior:
            text += f" towards the population mean {prior['mean']:.2f} (prior strength {prior['strength']:.1f})"
    return text


def hidden_position(scores: np.ndarray, value: float | None) -> tuple[int | None, int]:
    """1-based rank of ``value`` among the defined ``scores`` (ties share the best rank), and how many are defined."""
    s = np.asarray(scores, dtype=np.float64)
    defined = s[~np.isnan(s)]
    if value is None or math.isnan(value):
        return None, int(defined.size)
    return int(np.count_nonzero(defined > value)) + 1, int(defined.size)


def explain_account(row: dict, params: dict, *, position: int | None = None, scored: int | None = None) -> list[str]:
    """Plain-language reasons for an account's hidden-influencer rank and what would change it.

    Parameters
    ----------
    row : dict
        One row of the run's ``accounts`` table (column name -> value; NaN or None where undefined).
    params : dict
        The run's parameters (``RunRecord.params``): eligible tiers, minimum evidence and fitted priors.
    position, scored : int, optional
        The account's rank by ``score_hidden`` among the ``scored`` accounts with a score
        (:func:`hidden_position`).

    Returns
    -------
    list of str
        Sentences, most important first.
    """
    from .params import stored_params  # imports the stages and numba: only when a run is read

    metrics = stored_params(params).metrics
    fitted = params.get("fitted") or {}
    priors = fitted.get("priors") or {}
    name = row.get("handle") or row.get("id")
    score = _num(row, "score_hidden")
    tier = row.get("tier") or "unknown"
    eligible = tuple(metrics.hidden_tiers)
    need = fitted.get("min_evidence", metrics.min_evidence)
    half = fitted.get("evidence_half")
    engaged = _num(row, "niche_engaged")
    out = []
    if score is None:
        out.append(
            f"{name} has no hidden-influencer score: {_int(row, 'niche_engaged')} distinct accounts of its niche "
            f"engage with it, and the score needs at least {need}."
        )
    else:
        where = f"#{position:,} of {scored:,} accounts with a score (all tiers)" if position and scored else "unranked"
        out.append(f"{name} ranks {where} by hidden-influencer score ({score:.3f}).")
    followers = _num(row, "followers_count")
    if followers is None:
        why = (
            "estimated from the observed followers (the follow layer was declared complete)"
            if row.get("tier_estimated")
            else "unknown because the platform follower count is missing"
        )
    else:
        why = f"from the platform follower count {int(followers):,}"
    out.append(
        f"Tier {tier}: {why}; {_int(row, 'followers_observed')} followers observed in the loaded follows."
        + (
            ""
            if tier in eligible
            else f" Tier {tier} is not eligible for the hidden score "
            f"(eligible: {', '.join(eligible)}), so the score is 0."
        )
    )
    pct = _num(row, "niche_percentile")
    out.append(
        f"Niche: {'unknown' if pct is None else f'percentile {pct:.1f}'} of niche PageRank inside niche "
        f"{row.get('niche')} ({_int(row, 'niche_size')} accounts, broad community {row.get('community')} of "
        f"{_int(row, 'community_size')})."
    )
    out.append(
        f"Evidence: {_int(row, 'niche_engaged')} distinct accounts of its niche pay it attention "
        f"(weight {_fmt(_num(row, 'evidence_weight'))}"
        + (f", half weight at {half:.0f}" if half else "")
        + f"); {_int(row, 'inbound_accounts')} distinct accounts interact with it, in "
        f"{_fmt(_num(row, 'inbound_events'))} events, {_fmt(_num(row, 'reciprocated_events'))} of them returned."
    )
    out.append(
        "Talks back: social ratio "
        + _ratio(
            _num(row, "social_ratio"),
            _num(row, "social_ratio_shrunk"),
            _num(row, "social_ratio_sd"),
            priors.get("social_ratio"),
        )
        + "; follow-back ratio "
        + _ratio(
            _num(row, "follow_back_ratio"),
            _num(row, "follow_back_ratio_shrunk"),
            _num(row, "follow_back_ratio_sd"),
            priors.get("follow_back_ratio"),
        )
        + "."
    )
    if "authenticity" in row:
        out.append(authenticity_sentence(row))
    eng = fitted.get("engagement") or {}
    if "engagement_rate" in row and eng.get("accounts_from_metrics", 0) + eng.get("accounts_from_interactions", 0):
        out.append(_engagement(row, tier, eng))  # only for runs that rated someone (a store with posts)
    out.append(_what_would_change(row, tier in eligible, engaged, need, half, pct))
    return out


#: Each authenticity component, its evidence in words (from the row) and what a low value means.
_COMPONENT_TEXT = {
    "audience": lambda r: (
        f"{_int(r, 'mass_followers')} of {_int(r, 'followers_observed')} observed followers are mass-followers"
    ),
    "burst": lambda r: f"{_int(r, 'burst_peak')} of {_int(r, 'burst_timed')} timed followers arrived within one window",
    "trust": lambda r: (
        f"normalised SybilRank trust {_fmt(_num(r, 'trust_normalized'))}"
        + (" (a trusted seed)" if r.get("trust_seed") else "")
    ),
    "pod": lambda r: (
        f"{_int(r, 'pod_ties')} pod ties of density {_fmt(_num(r, 'pod_density'))}, "
        f"{_int(r, 'pod_events')} fast pod answers"
    ),
    "follow_ratio": lambda r: (
        "follows far more accounts than follow it" if r.get("mass_follower") else "an ordinary following/follower ratio"
    ),
}


#: Why a component is unknown (docs/metrics.md, "Audience authenticity").
_UNKNOWN_BECAUSE = {
    "audience": "no follower in the loaded follows",
    "burst": "no follow with a since time",
    "trust": "no mutual tie",
    "pod": "no timed interaction towards it",
    "follow_ratio": "following or follower count unknown",
}


def authenticity_sentence(row: dict) -> str:
    """The audience-authenticity score, the component that set it and every component's evidence."""
    score = _num(row, "authenticity")
    parts = []
    for name, text in _COMPONENT_TEXT.items():
        value = _num(row, f"auth_{name}")
        parts.append(
            f"{name} unknown ({_UNKNOWN_BECAUSE[name]})" if value is None else f"{name} {value:.2f} ({text(row)})"
        )
    if score is None:
        head = "Audience authenticity: unknown (no followers, ties or timed interactions to judge)"
    else:
        head = f"Audience authenticity {score:.2f}, set by its weakest component ({row.get('authenticity_weakest')})"
    return head + "; components (1 = nothing suspicious): " + "; ".join(parts) + "."


def _pct(v: float | None) -> str:
    return "unknown" if v is None else f"{v * 100:.2f}%"


def _engagement(row: dict, tier: str, fitted: dict) -> str:
    """The engagement-rate sentence: the rate, where it comes from, and the peers' benchmark."""
    days = fitted.get("window_days", 90)
    source = row.get("engagement_source")
    if source is None:
        return f"Engagement: unknown (no post of its own in the {days:g} days before the newest post)."
    rate = _num(row, "engagement_rate")
    if rate is None:
        return "Engagement: unknown (no platform follower count to divide by)."
    how = "median per post, platform metrics" if source == "metrics" else "mean per post, from the interaction log"
    text = (
        f"Engagement: {_pct(rate)} of followers per post ({_pct(_num(row, 'engagement_rate_raw'))} raw, {how}, "
        f"over {_int(row, 'engagement_posts')} posts, leaning on the {tier} median "
        f"{_pct(_num(row, 'engagement_tier_median'))}"
        + (f" with half weight at {fitted['half_posts']:g} posts" if "half_posts" in fitted else "")
        + ")"
    )
    views = _num(row, "engagement_rate_views")
    if views is not None:
        text += f"; {_pct(views)} of views"
    peers = _num(row, "engagement_niche_peers")
    if peers:
        text += (
            f"; {tier} accounts of its niche: median {_pct(_num(row, 'engagement_niche_median'))} "
            f"(quartiles {_pct(_num(row, 'engagement_niche_q1'))} to {_pct(_num(row, 'engagement_niche_q3'))}, "
            f"{int(peers):,} accounts), percentile {_fmt(_num(row, 'engagement_niche_percentile'))}"
        )
    return text + "."


def _fmt(v: float | None) -> str:
    if v is None:
        return "unknown"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:.3g}"


def _what_would_change(row: dict, eligible: bool, engaged: float | None, need: int, half, pct: float | None) -> str:
    """The single change that would move the account most, named by its weakest factor."""
    if not eligible:
        return (
            "What would change it: only its tier; the hidden score is computed for the eligible tiers named "
            "above (a Python run sets them with MetricsParams.hidden_tiers)."
        )
    if engaged is None or engaged < need:
        missing = need - int(engaged or 0)
        return (
            f"What would change it: {missing} more distinct account{'s' if missing != 1 else ''} of its niche "
            "engaging with it would give it a score."
        )
    social = [v for v in (_num(row, "social_ratio_shrunk"), _num(row, "follow_back_ratio_shrunk")) if v is not None]
    factors = {
        "evidence": _num(row, "evidence_weight") or 0.0,
        "niche": (pct or 0.0) / 100.0,
        "social": sum(social) / len(social) if social else 0.0,
    }
    weakest = min(factors, key=factors.__getitem__)
    if weakest == "evidence":
        return (
            f"What would change it most: more distinct accounts of its niche engaging with it (evidence weight "
            f"{factors['evidence']:.2f}" + (f"; {half:.0f} engaged accounts give 0.5" if half else "") + ")."
        )
    if weakest == "social":
        return (
            f"What would change it most: answering more of the accounts that interact with it or following back "
            f"more followers (talks-back factor {factors['social']:.2f})."
        )
    return (
        f"What would change it most: more attention from central members of its niche (niche percentile "
        f"{factors['niche'] * 100:.1f})."
    )


def explain_row(accounts: pa.Table, params: dict, row: int) -> tuple[dict, list[str]]:
    """The row ``row`` of a run's ``accounts`` table (NaN as None) and :func:`explain_account`'s sentences for it."""
    record = {
        k: (None if isinstance(v, float) and math.isnan(v) else v)
        for k, v in accounts.slice(row, 1).to_pylist()[0].items()
    }
    scores = (
        accounts.column("score_hidden").to_numpy(zero_copy_only=False)
        if "score_hidden" in accounts.column_names
        else np.zeros(0)
    )
    position, scored = hidden_position(scores, record.get("score_hidden"))
    return record, explain_account(record, params, position=position, scored=scored)
