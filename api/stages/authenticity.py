"""Authenticity stage: the audience-authenticity score and its components as account columns.

``compute_authenticity(edges, accounts, community, params=...)`` returns one
array per column of :data:`engine.authenticity.AUTHENTICITY_COLUMNS` (NULL
where a signal has no data), computed by
:func:`engine.authenticity.audience_authenticity`.  Counts for the
mass-follower rule are the platform counts where the store has them, else the
observed follow degrees.  SybilRank's seeds are the accounts given as trusted
(``analyze --trusted FILE``) or, by default, the accounts with the most
two-way conversing mutual ties overall and in each community
(:func:`engine.authenticity.mutual_seeds`).  Definitions: docs/metrics.md,
"Audience authenticity".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from nichegraph.engine.authenticity import AuthenticityParams, audience_authenticity
from nichegraph.engine.graph import Graph
from nichegraph.engine.mutual_ties import MutualTies, mutual_ties
from nichegraph.graph_store import EdgeArrays


@dataclass(frozen=True)
class AuthenticityStageParams:
    """Parameters of the authenticity stage (JSON-able; stored with the run).

    signals : the engine's :class:`engine.authenticity.AuthenticityParams` (rules, windows, seeds).
    trusted : account ids known to be genuine (``analyze --trusted FILE``), the SybilRank seeds;
        empty: the default seeds.
    trusted_lines, trusted_file : where each trusted id came from (for error messages).
    """

    signals: AuthenticityParams = field(default_factory=AuthenticityParams)
    trusted: tuple[str, ...] = ()
    trusted_lines: tuple[int, ...] = ()
    trusted_file: str | None = None

    @classmethod
    def from_stored(cls, values: dict | None) -> AuthenticityStageParams:
        """From a run's stored JSON (keys this version does not know are passed over)."""
        values = values if isinstance(values, dict) else {}
        stored = values.get("signals")
        signals: dict = stored if isinstance(stored, dict) else {}
        known = {f.name for f in dataclasses.fields(AuthenticityParams)}
        return cls(
            signals=AuthenticityParams(**{k: v for k, v in signals.items() if k in known}),
            trusted=tuple(values.get("trusted") or ()),
            trusted_lines=tuple(values.get("trusted_lines") or ()),
            trusted_file=values.get("trusted_file"),
        )


class TrustedAccountError(ValueError):
    """A trusted account named in ``--trusted FILE`` is not an account of the store."""


def _platform_or_observed(platform: np.ndarray, observed: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(platform), observed.astype(np.float64), platform)


def _counts(accounts: pa.Table | None, name: str, n: int) -> np.ndarray:
    if accounts is None or name not in accounts.column_names:
        return np.full(n, np.nan)
    col = accounts.column(name)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def trusted_rows(edges: EdgeArrays, spec: AuthenticityStageParams) -> np.ndarray | None:
    """Row indices of the trusted ids ``spec.trusted`` (None when none are given).

    Raises :class:`TrustedAccountError` naming the file and line of the first id that is not in the store.
    """
    ids = spec.trusted
    if not ids:
        return None
    index = {str(v): i for i, v in enumerate(edges.node_ids)}
    lines: tuple = spec.trusted_lines or (None,) * len(ids)
    rows = []
    for account, line in zip(ids, lines):
        if str(account) not in index:
            where = f"{spec.trusted_file or '--trusted'}" + (f":{line}" if line else "")
            raise TrustedAccountError(
                f"{where}: field 'id': trusted account {account!r} is not an account of the store; "
                "list ids as loaded (nichegraph rank --by pagerank shows them)."
            )
        rows.append(index[str(account)])
    return np.asarray(rows, dtype=np.int64)


def all_mutual_ties(edges: EdgeArrays, follows: Graph | None = None) -> MutualTies:
    """Every mutual tie of every account, the input of the trust signal and of the ``mutuals`` run table
    (``follows``: the follow graph, :func:`api.stages.metrics.follow_graph`, when the caller built it)."""
    return mutual_ties(
        edges.n_nodes,
        edges.follow_src,
        edges.follow_dst,
        edges.interaction_src,
        edges.interaction_dst,
        edges.interaction_weight,
        per_node=max(edges.n_nodes, 1),
        follows=follows,
    )


def compute_authenticity(
    edges: EdgeArrays,
    accounts: pa.Table | None,
    community: np.ndarray,
    *,
    params: AuthenticityStageParams | None = None,
    fitted: dict | None = None,
    ties: MutualTies | None = None,
    follows: Graph | None = None,
) -> dict[str, np.ndarray | pa.Array]:
    """Every authenticity column for every account.

    Parameters
    ----------
    edges : EdgeArrays
        From ``store.read_edges()`` (``follow_ts`` None: no burst signal).
    accounts : pyarrow.Table or None
        From ``store.read_accounts()``: platform ``followers_count`` and ``following_count``.
    community : ndarray of int, shape (n,)
        Community per account (one default seed per community).
    params : AuthenticityStageParams or None
        The engine's parameters and the trusted accounts (default: defaults, no trusted accounts).
    fitted : dict, optional
        Filled under ``"authenticity"`` with the Beta priors, the seed count and the iterations.
    ties : MutualTies, optional
        Every mutual tie (:func:`all_mutual_ties`), when the caller computed them already.
    follows : Graph, optional
        The follow graph (:func:`api.stages.metrics.follow_graph`), when the caller built it already.
    """
    spec = params if params is not None else AuthenticityStageParams()
    n = edges.n_nodes
    observed_following = np.bincount(edges.follow_src, minlength=n)
    observed_followers = np.bincount(edges.follow_dst, minlength=n)
    following = _platform_or_observed(_counts(accounts, "following_count", n), observed_following)
    followers = _platform_or_observed(np.asarray(edges.followers_count, dtype=np.float64), observed_followers)
    report = audience_authenticity(
        n,
        follow_src=edges.follow_src,
        follow_dst=edges.follow_dst,
        follow_ts=edges.follow_ts,
        following=following,
        followers=followers,
        interaction_src=edges.interaction_src,
        interaction_dst=edges.interaction_dst,
        interaction_ts=edges.interaction_ts,
        interaction_weight=edges.interaction_weight,
        seeds=trusted_rows(edges, spec),
        community=community,
        params=spec.signals,
        ties=ties,
        follows=follows,
    )
    if fitted is not None:
        fitted["authenticity"] = {**report.fitted, "trusted": bool(spec.trusted)}
    cols: dict[str, np.ndarray | pa.Array] = dict(report.columns)
    cols["authenticity_weakest"] = pa.array(report.columns["authenticity_weakest"], type=pa.string())
    no_timed = report.columns["burst_timed"] == 0
    for name in ("burst_peak", "burst_start"):  # no timed follower: unknown, not -1
        cols[name] = pa.array(report.columns[name], type=pa.int64(), mask=no_timed)
    return cols
