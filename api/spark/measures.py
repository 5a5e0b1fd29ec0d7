"""Global measures and the coarse partition on Spark DataFrames.

* :func:`pagerank`: weighted PageRank by power iteration over the attention
  edges, the engine's formula (teleport and dangling mass spread uniformly)
  and stopping rule (L1 change below ``tol``).  GraphFrames' own PageRank is
  unweighted and leaves out the dangling mass, so it would not agree.
* :func:`coreness`: k-core numbers as the fixed point of the neighbours'
  h-index (Lü et al., Nat. Commun. 7, 10168, 2016), exact at convergence.
* :func:`degrees`: GraphFrames ``inDegrees`` / ``outDegrees``.
* :func:`components`: GraphFrames connected components.
* :func:`label_propagation`: weighted, synchronous, ties to the smallest label,
  so it gives the same labels however Spark splits the rows.

Sums of floats are rounded (:data:`ROUND`) before they decide anything, so
a different summation order (other partitioning) cannot change a decision.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

#: Decimal places kept of summed weights before comparing them.
ROUND = 9


def pagerank(
    nodes: DataFrame, att: DataFrame, n: int, *, damping: float = 0.85, tol: float = 1e-10, max_iter: int = 1000
):
    """PageRank of every account, a DataFrame ``idx``, ``pagerank``.

    ``nodes``: ``idx``; ``att``: ``src``, ``dst``, ``weight`` (no self-loops).  Each iteration is one join and
    one aggregation over the edges; the rank vector is checkpointed every iteration so the plan stays short.
    """
    out_w = att.groupBy("src").agg(F.sum("weight").alias("w_out"))
    trans = att.join(out_w, "src").select("src", "dst", (F.col("weight") / F.col("w_out")).alias("p")).localCheckpoint()
    flagged = (
        nodes.join(out_w.withColumnRenamed("src", "idx"), "idx", "left")
        .select("idx", F.col("w_out").isNull().alias("dangling"))
        .localCheckpoint()
    )
    rank = flagged.select("idx", "dangling", F.lit(1.0 / n).alias("r")).localCheckpoint()
    dangling = flagged.where("dangling").count() / n
    for _ in range(max_iter):
        base = (1.0 - damping) / n + damping * dangling / n
        flow = (
            trans.join(rank.select(F.col("idx").alias("src"), "r"), "src")
            .groupBy("dst")
            .agg(F.sum(F.col("p") * F.col("r")).alias("f"))
        )
        # the old rank rides along, so the change is a scan of the checkpoint (no second join per iteration)
        new = (
            rank.join(flow.withColumnRenamed("dst", "idx"), "idx", "left")
            .select(
                "idx",
                "dangling",
                F.col("r").alias("old"),
                (F.lit(base) + F.lit(damping) * F.coalesce(F.col("f"), F.lit(0.0))).alias("r"),
            )
            .localCheckpoint()
        )
        change, dangling = _first(
            new.agg(
                F.sum(F.abs(F.col("r") - F.col("old"))), F.sum(F.when(F.col("dangling"), F.col("r")).otherwise(0.0))
            )
        )
        rank = new.select("idx", "dangling", "r")
        if change < tol:
            break
    rank = rank.select("idx", "r")
    return rank.withColumnRenamed("r", "pagerank")


def _first(df: DataFrame) -> tuple:
    """The single row of an aggregation, as a tuple."""
    row = df.first()
    if row is None:  # an aggregation without grouping always has one row
        raise RuntimeError("an aggregation returned no row")
    return tuple(row)


def simple_undirected(edges: DataFrame) -> DataFrame:
    """Each pair ``{u, v}`` (u != v) of ``edges`` in both directions, once: ``src``, ``dst``."""
    e = edges.where(F.col("src") != F.col("dst")).select("src", "dst")
    return e.union(e.select(F.col("dst").alias("src"), F.col("src").alias("dst"))).distinct()


def coreness(nodes: DataFrame, edges: DataFrame, max_iter: int = 10_000) -> DataFrame:
    """k-core number of every account on the simple undirected graph of ``edges``: ``idx``, ``coreness``."""
    adj = simple_undirected(edges).localCheckpoint()
    est = (
        nodes.join(adj.groupBy("src").count().withColumnRenamed("src", "idx"), "idx", "left")
        .select("idx", F.coalesce(F.col("count"), F.lit(0)).cast("long").alias("k"))
        .localCheckpoint()
    )
    # h-index of the neighbours' estimates: sorted descending, the positions i (1-based) with value >= i
    h = F.size(
        F.filter(F.transform(F.sort_array(F.collect_list("k"), asc=False), lambda x, i: x >= i + 1), lambda b: b)
    )
    for _ in range(max_iter):
        hidx = adj.join(est.withColumnRenamed("idx", "dst"), "dst").groupBy("src").agg(h.alias("h"))
        new = (
            est.join(hidx.withColumnRenamed("src", "idx"), "idx", "left")
            .select("idx", F.least(F.col("k"), F.coalesce(F.col("h"), F.lit(0)).cast("long")).alias("k"))
            .localCheckpoint()
        )
        changed = new.join(est.withColumnRenamed("k", "old"), "idx").where(F.col("k") != F.col("old")).count()
        est = new
        if changed == 0:
            break
    return est.withColumnRenamed("k", "coreness")


def degrees(nodes: DataFrame, att: DataFrame) -> DataFrame:
    """GraphFrames in- and out-degree of the attention graph: ``idx``, ``in_degree``, ``out_degree``."""
    from graphframes import GraphFrame

    g = GraphFrame(nodes.withColumnRenamed("idx", "id"), att.select("src", "dst"))
    out = (
        nodes.join(g.inDegrees.withColumnRenamed("id", "idx"), "idx", "left")
        .join(g.outDegrees.withColumnRenamed("id", "idx"), "idx", "left")
        .select(
            "idx",
            F.coalesce("inDegree", F.lit(0)).cast("long").alias("in_degree"),
            F.coalesce("outDegree", F.lit(0)).cast("long").alias("out_degree"),
        )
    )
    return out


def components(nodes: DataFrame, edges: DataFrame) -> DataFrame:
    """GraphFrames connected components: ``idx``, ``component`` (the smallest index in it)."""
    from graphframes import GraphFrame

    g = GraphFrame(nodes.withColumnRenamed("idx", "id"), edges.select("src", "dst"))
    cc = g.connectedComponents(algorithm="graphx")
    return cc.select(F.col("id").alias("idx"), F.col("component").cast("long").alias("component"))


def label_propagation(nodes: DataFrame, edges: DataFrame, iterations: int) -> DataFrame:
    """Weighted synchronous label propagation: ``idx``, ``cluster``.

    Every account starts with its own index; in each of ``iterations`` rounds
    half of the accounts (alternating by a hash of the index) take the label with
    the largest summed edge weight among their neighbours (ties: the smallest
    label); an account without neighbours keeps its own.
    """
    both = edges.select("src", "dst", "weight").union(
        edges.select(F.col("dst").alias("src"), F.col("src").alias("dst"), "weight")
    )
    both = both.where(F.col("src") != F.col("dst")).localCheckpoint()
    labels = nodes.select("idx", F.col("idx").alias("cluster")).localCheckpoint()
    best = Window.partitionBy("idx").orderBy(F.col("w").desc(), F.col("cluster").asc())
    for round_ in range(iterations):
        votes = (
            both.join(labels.withColumnRenamed("idx", "dst"), "dst")
            .groupBy(F.col("src").alias("idx"), "cluster")
            .agg(F.round(F.sum("weight"), ROUND).alias("w"))
        )
        top = (
            votes.withColumn("rk", F.row_number().over(best)).where("rk = 1").select("idx", F.col("cluster").alias("c"))
        )
        # half the accounts move per round (by a hash of the index): fully synchronous rounds oscillate
        moving = (F.xxhash64("idx") + F.lit(round_)) % 2 == 0
        labels = (
            labels.join(top, "idx", "left")
            .select("idx", F.when(moving, F.coalesce("c", "cluster")).otherwise(F.col("cluster")).alias("cluster"))
            .localCheckpoint()
        )
    return labels
