"""Communities stage: affinity graph -> Leiden (broad communities and niches) -> stable ids -> descriptions.

``detect_communities(edges, *, params=..., seed=..., previous=..., hashtags=...)``
returns a :class:`CommunityResult`: a ``community`` and a ``niche`` id per
account and the ``communities`` result table (docs/ARCHITECTURE.md).

* **Broad communities**: :func:`engine.leiden` on the undirected affinity
  graph (:func:`engine.affinity_graph`, weights in :mod:`engine.affinity`),
  modularity at ``resolution``.
* **Niches**: :func:`engine.niches` (docs/niches.md): CPM Leiden on the same
  graph with every edge *between* broad communities removed, at a resolution
  derived from the densities between and inside broad communities (or
  ``niche_resolution`` when given), so every niche lies inside one broad
  community (its ``parent``) and is connected.
* **Stable ids** (docs/communities.md): a new community takes the id of the
  previous run's community with the largest Jaccard overlap of member accounts,
  :math:`|C \\cap P| / |C \\cup P| \\ge` ``match_threshold`` (0.5), pairs taken
  greedily by decreasing overlap (ties: larger intersection, then larger new
  community, then smaller old id), each old id used at most once.  Communities
  without a match get new ids above every id of the previous run, largest
  community first.  Without a previous run ids are ``0..k-1``, largest first.
* **Descriptions**: ``size``; ``internal_edges`` (affinity edges with both
  ends inside); ``density`` = internal_edges / (size (size - 1) / 2), 0 for a
  single account; ``top_members`` (ids of the ``top_k`` members with the
  largest weighted degree inside the community, ties by index); and
  ``top_hashtags`` (the ``top_k`` hashtags members used most, lower-cased,
  ties alphabetical).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine import AffinityWeights, Graph, affinity_graph, leiden, niches
from nichegraph.engine.group_sums import group_sums
from nichegraph.graph_store import EdgeArrays

from .hashtags import Hashtags, TagCounts, tag_counts, top_tags
from .stopwatch import Stopwatch, stopwatch

COMMUNITY_COLUMNS = ("community", "level", "parent", "size", "internal_edges", "density", "top_members", "top_hashtags")


@dataclass(frozen=True)
class CommunityParams:
    """Parameters of the communities stage (JSON-able; stored with the run).

    resolution : modularity resolution of the broad communities.
    find_niches : False skips niches (``niche`` = ``community``).
    niche_resolution : CPM resolution of niches; None derives it (:func:`engine.niche_resolution`).
    n_iterations : passed to :func:`engine.leiden` (the seed is the run's: ``detect_communities(seed=)``).
    parallel : community detection on numba's threads (``parallel=True`` of
        :func:`engine.leiden`, the default): labels never depend on the thread count, but on
        graphs of 100,000+ accounts they differ from the serial search's (False).
    affinity : overrides of :class:`engine.AffinityWeights` (``{"mutual_follow": .., "kind": {"like": ..}}``).
    match_threshold : minimum Jaccard overlap to keep an id across runs.
    top_k : members and hashtags listed per community.
    """

    resolution: float = 1.0
    find_niches: bool = True
    niche_resolution: float | None = None
    n_iterations: int = 2
    parallel: bool = True
    affinity: dict = field(default_factory=dict)
    match_threshold: float = 0.5
    top_k: int = 10


@dataclass(frozen=True)
class CommunityResult:
    """Output of :func:`detect_communities`.

    community, niche : ndarray of int64, shape (n_accounts,)
    table : pyarrow.Table with :data:`COMMUNITY_COLUMNS`, broad rows first then niches, by id
    modularity : float, of the broad communities on the affinity graph (NaN without edges)
    n_communities, n_niches : int
    matched : int, broad communities that kept an id from the previous run
    """

    community: np.ndarray
    niche: np.ndarray
    table: pa.Table
    modularity: float
    n_communities: int
    n_niches: int
    matched: int = 0

    def summary(self) -> dict:
        sizes = (
            np.bincount(np.unique(self.community, return_inverse=True)[1].reshape(-1))
            if self.community.size
            else np.zeros(0, dtype=np.int64)
        )
        return {
            "communities": self.n_communities,
            "niches": self.n_niches,
            "modularity": self.modularity,
            "largest": sorted(sizes.tolist(), reverse=True)[:5],
            "kept_ids": self.matched,
        }


def previous_rows(node_ids: np.ndarray, previous: pa.Table) -> np.ndarray:
    """Row of each account in the previous run's ``accounts`` table (by ``id``), -1 where it was not there:
    int64 of shape (n,)."""
    prev_ids = pc.cast(previous.column("id"), pa.string())
    pos = pc.index_in(pa.array(np.asarray(node_ids, dtype=object), pa.string()), value_set=prev_ids)
    return pc.fill_null(pos, -1).to_numpy().astype(np.int64)


def match_ids(
    labels: np.ndarray,
    node_ids: np.ndarray,
    previous: pa.Table | None,
    column: str,
    threshold: float = 0.5,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Stable ids for ``labels`` (canonical 0..k-1) from ``previous[column]`` by Jaccard overlap.

    Returns ``(ids int64 (n,), number of communities that kept an old id)``;
    the rule is in the module docstring.  ``rows``: :func:`previous_rows` of ``node_ids`` when the
    caller has it (both levels match against the same previous run).
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = labels.shape[0]
    k = int(labels.max()) + 1 if n else 0
    if (
        previous is None
        or column not in previous.column_names
        or "id" not in previous.column_names
        or previous.num_rows == 0
        or n == 0
    ):
        return labels.copy(), 0
    prev_comm = pc.fill_null(pc.cast(previous.column(column), pa.int64()), -1).to_numpy().astype(np.int64)
    valid = prev_comm >= 0
    pos = previous_rows(node_ids, previous) if rows is None else rows
    old = np.where(pos >= 0, prev_comm[np.maximum(pos, 0)], -1)
    old_vals, old_size = np.unique(prev_comm[valid], return_counts=True)
    next_id = int(old_vals.max()) + 1 if old_vals.size else 0
    new_size = np.bincount(labels, minlength=k)
    has = old >= 0
    pairs, inter = np.unique(np.stack([labels[has], old[has]]), axis=1, return_counts=True)
    mapping = np.full(k, -1, dtype=np.int64)
    matched = 0
    if pairs.size:
        c, p = pairs
        psize = old_size[np.searchsorted(old_vals, p)]
        jac = inter / (new_size[c] + psize - inter)
        order = np.lexsort((p, -new_size[c], -inter, -jac))
        used = set()
        for i in order.tolist():
            if jac[i] < threshold:
                break
            ci, pi = int(c[i]), int(p[i])
            if mapping[ci] < 0 and pi not in used:
                mapping[ci] = pi
                used.add(pi)
                matched += 1
    for ci in range(k):  # canonical order: largest community first
        if mapping[ci] < 0:
            mapping[ci] = next_id
            next_id += 1
    return mapping[labels], matched


def _describe(
    g: Graph,
    labels: np.ndarray,
    node_ids: np.ndarray,
    level: str,
    parent: np.ndarray | None,
    hashtags: TagCounts | None,
    top_k: int,
) -> pa.Table:
    """One row per community id in ``labels`` (ascending)."""
    ids, inv = group_index(labels)
    internal, inner = group_sums(g, inv, ids.size)
    return community_rows(labels, internal, inner, node_ids, level, parent, hashtags, top_k)


def group_index(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(labels, return_inverse=True)`` (ids ascending, int64 position of each label among them), by
    counting when the labels are non-negative and not much larger than their number (community ids are)."""
    labels = np.asarray(labels)
    if labels.size and labels.dtype.kind in "iu" and labels.min() >= 0 and labels.max() < 4 * labels.size + 1024:
        present = np.bincount(labels) > 0
        ids = np.flatnonzero(present).astype(labels.dtype, copy=False)
        position = np.cumsum(present) - 1
        return ids, position[labels]
    ids, inv = np.unique(labels, return_inverse=True)
    return ids, inv.reshape(-1)


def top_by_score(group: np.ndarray, score: np.ndarray, k: int, top_k: int) -> list[np.ndarray]:
    """For each group ``0..k-1`` the indices of its ``top_k`` members with the largest ``score``, ties by index
    (the order of ``np.lexsort((np.arange(n), -score, group))``) from one stable sort of the scores."""
    order = np.argsort(-score, kind="stable")
    g = group[order]
    rank = np.argsort(g, kind="stable")  # members of each group in score order
    sorted_groups = g[rank]
    starts = np.searchsorted(sorted_groups, np.arange(k + 1))
    chosen = order[rank]
    return [chosen[starts[c] : min(starts[c] + top_k, starts[c + 1])] for c in range(k)]


def community_rows(
    labels: np.ndarray,
    internal: np.ndarray,
    inner: np.ndarray,
    node_ids: np.ndarray,
    level: str,
    parent: np.ndarray | None,
    hashtags: Hashtags | TagCounts | None,
    top_k: int,
) -> pa.Table:
    """The ``communities`` rows of one level from what the graph says about each community.

    Parameters
    ----------
    labels : ndarray of int64, shape (n,)
        Community id per account.
    internal : ndarray of int64, shape (k,)
        Affinity edges with both ends inside each community (communities by ascending id).
    inner : ndarray of float64, shape (n,)
        Each account's weighted degree inside its own community.
    node_ids, level, parent, top_k
        As for :func:`detect_communities` (``parent`` one per community, ascending id).
    hashtags : (source idx, tag) arrays or :class:`TagCounts`, optional
        Hashtag uses (:func:`tag_counts` of them is made here when they are arrays).
    """
    ids, inv = group_index(labels)
    k = ids.size
    size = np.bincount(inv, minlength=k)
    pairs = size * (size - 1) / 2
    density = np.divide(internal, pairs, out=np.zeros(k), where=pairs > 0)
    node_ids = np.asarray(node_ids, dtype=object)
    top_members = [node_ids[m].tolist() for m in top_by_score(inv, np.asarray(inner, dtype=np.float64), k, top_k)]
    top = [[] for _ in range(k)] if hashtags is None else top_tags(tag_counts(hashtags), inv, k, top_k)
    return pa.table(
        {
            "community": pa.array(ids.astype(np.int64)),
            "level": pa.array([level] * k, pa.string()),
            "parent": pa.array(parent, pa.int64()) if parent is not None else pa.nulls(k, pa.int64()),
            "size": pa.array(size.astype(np.int64)),
            "internal_edges": pa.array(internal),
            "density": pa.array(density.astype(np.float64)),
            "top_members": pa.array(top_members, pa.list_(pa.string())),
            "top_hashtags": pa.array(top, pa.list_(pa.string())),
        }
    )


def community_graph(edges: EdgeArrays, params: CommunityParams | None = None) -> Graph:
    """The undirected affinity graph that the communities stage runs on (weights from ``params.affinity``)."""
    p = params or CommunityParams()
    return affinity_graph(
        edges.n_nodes,
        edges.follow_src,
        edges.follow_dst,
        edges.interaction_src,
        edges.interaction_dst,
        edges.interaction_kind,
        edges.interaction_weight,
        weights=AffinityWeights.from_dict(p.affinity),
    )


def detect_communities(
    edges: EdgeArrays,
    *,
    params: CommunityParams | None = None,
    seed: int = 0,
    previous: pa.Table | None = None,
    hashtags: Hashtags | TagCounts | None = None,
    watch: Stopwatch | None = None,
) -> CommunityResult:
    """Broad communities and niches of every account, with stable ids and descriptions.

    Parameters
    ----------
    edges : EdgeArrays
        From ``store.read_edges()``.
    params : CommunityParams, optional
        See :class:`CommunityParams` (defaults when omitted).
    seed : int
        The run's seed (broad communities and niches).
    previous : pyarrow.Table, optional
        The previous run's ``accounts`` table (columns ``id``, ``community``,
        and ``niche`` if present) for stable ids.
    hashtags : (ndarray of int32, ndarray of str) or TagCounts, optional
        Source account index and hashtag of every use (a post's hashtags once, an interaction's per
        event), or
        the same uses counted per row (:func:`api.stages.hashtags.tag_counts_of_uses`).
    watch : Stopwatch, optional
        Times the steps (``run_analysis`` passes its ``communities`` stopwatch).

    Returns
    -------
    CommunityResult
    """
    p = params or CommunityParams()
    n = edges.n_nodes
    step = stopwatch(watch)
    tags = None if hashtags is None else tag_counts(hashtags)  # lower-cased and encoded once for both levels
    with step("affinity"):
        g = community_graph(edges, p)
    with step("leiden"):
        part = leiden(g, resolution=p.resolution, seed=seed, n_iterations=p.n_iterations, parallel=p.parallel)
        rows = (
            None if previous is None or "id" not in previous.column_names else previous_rows(edges.node_ids, previous)
        )
        community, matched = match_ids(part.labels, edges.node_ids, previous, "community", p.match_threshold, rows)
    with step("describe"):
        tables = [_describe(g, community, edges.node_ids, "broad", None, tags, p.top_k)]
    niche = community.copy()
    n_niches = part.n_communities
    if p.find_niches and n:
        with step("niches"):
            niche_part = niches(
                g,
                seed=seed,
                broad=part,
                resolution=p.niche_resolution,
                n_iterations=p.n_iterations,
                parallel=p.parallel,
            )
            niche, _ = match_ids(niche_part.labels, edges.node_ids, previous, "niche", p.match_threshold, rows)
        with step("describe_niches"):
            nid, first = np.unique(niche, return_index=True)
            tables.append(_describe(g, niche, edges.node_ids, "niche", community[first], tags, p.top_k))
            n_niches = int(nid.size)
    return CommunityResult(
        community, niche, pa.concat_tables(tables), float(part.quality), part.n_communities, n_niches, matched
    )
