"""Serving stage: the run tables the HTTP service answers from, so it never reads the store's edges.

``serving_tables(store, edges)`` returns four compact tables keyed by
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
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nichegraph.engine.mutual_ties import mutual_ties
from nichegraph.graph_store import EdgeArrays, Store

#: Run tables written by this stage, besides ``accounts`` and ``communities``.
SERVING_TABLES: tuple[str, ...] = ("mutuals", "touches", "hashtag_uses", "audience")
#: Mutual ties kept per account (the API serves at most 100).
MUTUALS_PER_ACCOUNT = 100


def mutuals_table(edges: EdgeArrays, per_node: int = MUTUALS_PER_ACCOUNT) -> pa.Table:
    ties = mutual_ties(
        edges.n_nodes,
        edges.follow_src,
        edges.follow_dst,
        edges.interaction_src,
        edges.interaction_dst,
        edges.interaction_weight,
        per_node=per_node,
    )
    return pa.table(
        {
            "account": pa.array(ties.account, pa.int32()),
            "other": pa.array(ties.other, pa.int32()),
            "strength": pa.array(ties.strength, pa.float64()),
            "mutual_follow": pa.array(ties.mutual_follow, pa.bool_()),
        }
    )


def touches_table(store: Store, edges: EdgeArrays) -> pa.Table:
    """Interaction events per ``(source, target)`` pair, counted as the store counts them (events, not weights)."""
    empty = pa.table(
        {"source": pa.array([], pa.int32()), "target": pa.array([], pa.int32()), "n": pa.array([], pa.int64())}
    )
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


def audience_table(edges: EdgeArrays) -> pa.Table:
    return pa.table(
        {
            "follower": pa.array(np.asarray(edges.follow_src, np.int32), pa.int32()),
            "account": pa.array(np.asarray(edges.follow_dst, np.int32), pa.int32()),
        }
    )


def uses_per_row(uses: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """``(source idx int32, tag)`` with one entry per use, from a ``read_hashtag_uses()`` table (each row ``n`` times)."""
    n = np.asarray(uses.column("n").to_numpy(zero_copy_only=False), dtype=np.int64)
    src = np.asarray(uses.column("source").to_numpy(zero_copy_only=False), dtype=np.int32)
    tags = np.asarray(uses.column("tag").to_numpy(zero_copy_only=False), dtype=object)
    return np.repeat(src, n), np.repeat(tags, n)


def serving_tables(store: Store, edges: EdgeArrays, uses: pa.Table | None = None) -> dict[str, pa.Table]:
    """The four serving run tables (see the module docstring) from the store's edges and hashtag uses
    (``store.read_hashtag_uses()``, read here when not given)."""
    return {
        "mutuals": mutuals_table(edges),
        "touches": touches_table(store, edges),
        "hashtag_uses": hashtag_uses_table(store.read_hashtag_uses() if uses is None else uses),
        "audience": audience_table(edges),
    }
