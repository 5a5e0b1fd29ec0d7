"""Serving stage: the run tables the HTTP service answers from, so it never reads the store's edges.

``serving_tables(store, edges)`` returns five compact tables keyed by
dense account index (``idx`` of the ``accounts`` table), all written with the run
(shapes in docs/ARCHITECTURE.md, "Run tables"):

``mutuals``       ``account``, ``other`` (int32), ``strength`` (float64), ``mutual_follow`` (bool):
                  each account's strongest mutual ties (:func:`engine.mutual_ties.mutual_ties`).
``touches``       ``source``, ``target`` (int32), ``n`` (int64): interaction events per ordered pair,
                  so a brand's audience is the rows whose ``target`` is the brand.
``hashtag_uses``  ``source`` (int32), ``tag`` (lower-case string), ``n`` (int64), ``ts`` (timestamp, null
                  when unknown), ``post_id`` (string, null when unknown): hashtag uses per account, tag,
                  time and post; a post's hashtags count once (not once per interaction it makes),
                  so posts' hashtags feed it alongside interactions'.
``audience``      ``follower``, ``account`` (int32): every follow, the campaign planner's audience graph.
``engaged``       ``engager``, ``account`` (int32), ``ts`` (int64 Unix seconds, null when unknown),
                  ``weight`` (float64): interactions per ordered pair and time, self-interactions left
                  out; the *engaged audience* of ``account`` (:mod:`api.audiences`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine.mutual_ties import MutualTies
from nichegraph.engine.pairs import collapse_by_time, pair_csr, pair_order
from nichegraph.graph_store import EdgeArrays, Store

from .authenticity import all_mutual_ties
from .stopwatch import Stopwatch, stopwatch

#: Run tables written by this stage, besides ``accounts`` and ``communities``.
SERVING_TABLES: tuple[str, ...] = ("mutuals", "touches", "hashtag_uses", "audience", "engaged")
#: Mutual ties kept per account (the API serves at most 100).
MUTUALS_PER_ACCOUNT = 100


def mutuals_table(edges: EdgeArrays, per_node: int = MUTUALS_PER_ACCOUNT, ties: MutualTies | None = None) -> pa.Table:
    """The ``mutuals`` table: each account's ``per_node`` strongest ties, cut from ``ties`` (every tie;
    computed here when not given)."""
    ties = (all_mutual_ties(edges) if ties is None else ties).top(per_node)
    return pa.table(
        {
            "account": pa.array(ties.account, pa.int32()),
            "other": pa.array(ties.other, pa.int32()),
            "strength": pa.array(ties.strength, pa.float64()),
            "mutual_follow": pa.array(ties.mutual_follow, pa.bool_()),
        }
    )


def inbound_order(edges: EdgeArrays) -> np.ndarray:
    """Every interaction event ordered by ``(target, source)``, then event index (:func:`engine.pairs.pair_order`):
    the grouping both :func:`touches_table` and :func:`engaged_table` need, sorted once."""
    return pair_order(edges.n_nodes, edges.interaction_dst, edges.interaction_src)


def touches_table(store: Store, edges: EdgeArrays, order: np.ndarray | None = None) -> pa.Table:
    """Interaction events per ``(source, target)`` pair, counted as the store counts them (events, not weights).

    The interaction rows grouped by ``(target, source)`` (:func:`engine.pairs.pair_csr`, a counting sort)
    and their event counts (``edges.interaction_n``) summed; a store that does not provide the counts is asked for them
    (:meth:`Store.interactions_to`).  ``order``: :func:`inbound_order` when the caller has it.
    """
    if edges.interaction_n is None:
        return _touches_from_store(store, edges)
    pairs = pair_csr(edges.n_nodes, edges.interaction_dst, edges.interaction_src, edges.interaction_n, order=order)
    return _touches(pairs.indices, pairs.rows(), pairs.weight.astype(np.int64))


def _touches(source: np.ndarray, target: np.ndarray, n: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "source": pa.array(np.asarray(source, np.int32), pa.int32()),
            "target": pa.array(np.asarray(target, np.int32), pa.int32()),
            "n": pa.array(np.asarray(n, np.int64), pa.int64()),
        }
    )


def _touches_from_store(store: Store, edges: EdgeArrays) -> pa.Table:
    """:func:`touches_table` from the store's own counts (one query for every target)."""
    empty = _touches(np.zeros(0), np.zeros(0), np.zeros(0))
    if len(edges.interaction_dst) == 0:
        return empty
    ids = pa.array(edges.node_ids.tolist(), pa.string())
    targets = ids.take(pa.array(np.unique(edges.interaction_dst)))
    pairs = store.interactions_to(targets.to_pylist())
    if pairs.num_rows == 0:
        return empty
    source = pc.index_in(pairs.column("source"), value_set=ids)
    target = pc.index_in(pairs.column("target"), value_set=ids)
    t = pa.table(
        {
            "source": pc.cast(source, pa.int32()),
            "target": pc.cast(target, pa.int32()),
            "n": pc.cast(pairs.column("n"), pa.int64()),
        }
    ).drop_null()
    t = t.group_by(["source", "target"]).aggregate([("n", "sum")]).rename_columns(["source", "target", "n"])
    return t.sort_by([("target", "ascending"), ("source", "ascending")])


#: Columns of ``hashtag_uses``, in order (the first three are the original ones).
HASHTAG_USES_COLUMNS: tuple[str, ...] = ("source", "tag", "n", "ts", "post_id")


def hashtag_uses_table(uses: pa.Table) -> pa.Table:
    """The ``hashtag_uses`` run table from the store's ``read_hashtag_uses()``: columns in their stable order."""
    return uses.select(list(HASHTAG_USES_COLUMNS))


def engaged_table(edges: EdgeArrays, order: np.ndarray | None = None) -> pa.Table:
    """Interaction weight per ``(engager, account, ts)``, self-interactions left out, sorted by account.

    ``weight`` sums the events' weights (the number of events when each weighs 1) in event order;
    ``ts`` is null where the event had no time.  Sorted by account, engager, then time (unknown last):
    the events grouped by ``(account, engager)`` with a counting sort (:func:`engine.pairs.pair_order`),
    each group ordered by time (:func:`engine.pairs.collapse_by_time`).  ``order``: :func:`inbound_order`
    when the caller has it.
    """
    src, dst = np.asarray(edges.interaction_src), np.asarray(edges.interaction_dst)
    if order is None:
        order = pair_order(edges.n_nodes, dst, src, np.flatnonzero(src != dst))
    else:
        order = order[src[order] != dst[order]]
    account, engager, ts, weight = collapse_by_time(order, dst, src, edges.interaction_ts, edges.interaction_weight)
    return pa.table(
        {
            "engager": pa.array(engager, pa.int32()),
            "account": pa.array(account, pa.int32()),
            "ts": pa.array(ts, pa.int64(), mask=ts < 0),
            "weight": pa.array(weight, pa.float64()),
        }
    )


def audience_table(edges: EdgeArrays) -> pa.Table:
    return pa.table(
        {
            "follower": pa.array(np.asarray(edges.follow_src, np.int32), pa.int32()),
            "account": pa.array(np.asarray(edges.follow_dst, np.int32), pa.int32()),
        }
    )


def serving_tables(
    store: Store,
    edges: EdgeArrays,
    uses: pa.Table | None = None,
    watch: Stopwatch | None = None,
    ties: MutualTies | None = None,
) -> dict[str, pa.Table]:
    """The serving run tables (see the module docstring) from the store's edges and hashtag uses
    (``store.read_hashtag_uses()``, read here when not given); ``ties``: every mutual tie, when the
    caller has them (the ``mutuals`` table is then cut from them)."""
    step = stopwatch(watch)
    tables = {}
    with step("mutuals"):
        tables["mutuals"] = mutuals_table(edges, ties=ties)
    with step("touches"):
        order = inbound_order(edges)  # the touches and the engaged rows group the same events the same way
        tables["touches"] = touches_table(store, edges, order)
    with step("hashtag_uses"):
        tables["hashtag_uses"] = hashtag_uses_table(store.read_hashtag_uses() if uses is None else uses)
    with step("audience"):
        tables["audience"] = audience_table(edges)
    with step("engaged"):
        tables["engaged"] = engaged_table(edges, order)
    return tables
