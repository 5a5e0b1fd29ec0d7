"""``nichegraph analyze --engine spark --input DIR --output DIR``: Parquet in, Parquet result tables out, no store.

The analysis is :func:`api.spark.pipeline.analyse` on the inputs :func:`api.spark.lake.read_lake`
reads; then

* **authenticity** runs in one task on one worker (every follow and interaction of the
  graph in that worker's memory, the single-machine stage inside): not distributed yet;
* **engagement**: the posts on the driver, the interaction-log counts aggregated on Spark;
* **serving tables**: ``mutuals`` per hash group of accounts on the workers (an account's
  ties depend only on its own edges), ``touches``, ``hashtag_uses``, ``audience`` and
  ``engaged`` as Spark aggregations, written by Spark.

The output folder receives ``accounts.parquet`` and ``communities.parquet`` (written from the
driver: one row per account / community), one Parquet folder per serving table
(``mutuals.parquet/`` ...) and ``manifest.json`` (run id, parameters, counts, files).
Everything is written into a sibling temporary folder first and renamed at the end, so
a failed run leaves no half-written output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.parquet as pq

from nichegraph.graph_store import EdgeArrays

from ..analysis import as_arrow
from ..params import AnalysisParams
from ..stages.authenticity import compute_authenticity, trusted_rows
from ..stages.engagement import ENGAGING_KINDS, engagement_columns
from ..stages.serving import mutuals_table
from ..stages.stopwatch import Stopwatch
from . import work
from .lake import LakeInputRejected, LakeInputs, edge_rows, read_lake
from .pipeline import SparkParams, _cogroup, _halo, analyse, engine_params

#: Result tables written by Spark as Parquet folders, with the order their rows are written in.
SPARK_TABLES: dict[str, tuple[str, ...]] = {
    "mutuals": ("account", "other"),
    "touches": ("target", "source"),
    "hashtag_uses": ("tag", "source", "ts", "post_id"),
    "audience": ("follower", "account"),
    "engaged": ("account", "engager", "ts"),
}


@dataclass(frozen=True)
class LakeResult:
    """What :func:`run_spark_lake` wrote: the output folder, its manifest and the two driver-side tables."""

    output: str
    manifest: dict
    accounts: pa.Table
    communities: pa.Table
    timings: dict[str, float]


def default_output(source: str) -> str:
    """``DIR-analysis`` beside an input folder ``DIR``."""
    if source.startswith("table:"):
        raise LakeInputRejected(source, None, "give --output DIR when the input is table:PREFIX")
    return os.path.normpath(source) + "-analysis"


def run_spark_lake(
    source: str,
    output: str | None = None,
    params: AnalysisParams = AnalysisParams(),
    spark_params: SparkParams = SparkParams(),
    *,
    spark=None,
    progress: Callable[[str], None] | None = None,
) -> LakeResult:
    """Analyse the Parquet inputs at ``source`` on Spark and write the result tables into ``output``.

    Parameters
    ----------
    source : str
        A folder of ``accounts``, ``follows``, ``interactions`` (and ``posts``) Parquet tables, or
        ``table:PREFIX`` (:mod:`api.spark.lake`).
    output : str, optional
        A folder that does not exist yet or is empty; default :func:`default_output`.
    params, spark_params, spark, progress
        As for :func:`api.spark.pipeline.run_spark_analysis`.
    """
    from .session import spark_session

    output = output or default_output(source)
    if os.path.exists(output) and (not os.path.isdir(output) or os.listdir(output)):
        raise LakeInputRejected(output, None, "the output folder exists and is not empty (give a new folder)")
    if spark is None:
        spark = spark_session(spark_params.master, driver_memory=spark_params.driver_memory)
    step = Stopwatch(progress=progress)
    with step("read"):
        lake = read_lake(spark, source)
        inputs = lake.spark_inputs
        trusted = _trusted_rows(inputs.node_ids, params)
    done = analyse(spark, inputs, params, spark_params, step)
    columns, fitted = done.columns, done.fitted
    niche, community = columns["niche"], columns["community"]
    with step("communities_hashtags"):
        communities = _with_top_hashtags(spark, done.communities, lake.uses, community, niche, params)
    with step("authenticity"):
        table, fitted["authenticity"] = _authenticity_on_a_worker(spark, lake, inputs.n, niche, trusted, params)
        columns.update({name: table.column(name) for name in table.column_names})
    with step("engagement"):
        followers = np.asarray(inputs.accounts.column("followers_count").to_numpy(zero_copy_only=False), np.float64)
        columns.update(
            engagement_columns(
                inputs.n,
                followers,
                lake.posts,
                columns["tier"],
                niche,
                lambda start: _engaging_inbound(lake.interactions, inputs.n, start),
                params=params.engagement,
                fitted=fitted,
            )
        )
    with step("serving"):
        serving = _serving_frames(spark, lake, inputs.raw, inputs.nodes)
    with step("write"):
        manifest = _write(output, params, spark_params, done, columns, communities, serving, lake)
    return LakeResult(
        output, manifest, pq.read_table(os.path.join(output, "accounts.parquet")), communities, step.timings
    )


def _trusted_rows(node_ids: np.ndarray, params: AnalysisParams) -> np.ndarray | None:
    """Row indices of ``--trusted`` ids (the same check and message as the single-machine stage)."""
    empty = np.zeros(0, np.int32)
    ids = EdgeArrays(node_ids, np.zeros(node_ids.size), empty, empty, empty, empty, empty.astype(np.int8), empty, empty)
    return trusted_rows(ids, params.authenticity)


def _authenticity_on_a_worker(spark, lake: LakeInputs, n: int, niche: np.ndarray, trusted, params: AnalysisParams):
    """The authenticity columns (a pyarrow.Table by idx) and what the stage fitted, from one worker task."""
    from pyspark.sql import functions as F

    acc = lake.spark_inputs.accounts
    following = np.asarray(acc.column("following_count").to_numpy(zero_copy_only=False), np.float64)
    followers = np.asarray(acc.column("followers_count").to_numpy(zero_copy_only=False), np.float64)
    nodes = spark.createDataFrame(
        pd.DataFrame(
            {
                "k": np.zeros(n, np.int32),
                "idx": np.arange(n, dtype=np.int64),
                "followers_count": followers,
                "following_count": following,
                "niche": np.asarray(niche, np.int64),
            }
        )
    )
    edges = edge_rows(lake.follows, lake.interactions, follow_times=True).withColumn("k", F.lit(0))
    spec = params.authenticity
    trusted_idx = None if trusted is None else [str(int(i)) for i in trusted]

    def task(nodes_pdf: pd.DataFrame, edges_pdf: pd.DataFrame) -> pd.DataFrame:
        return _authenticity_task(nodes_pdf, edges_pdf, spec, trusted_idx)

    row = _cogroup(nodes, edges, "k", task, "table binary, fitted string").first()
    table = pa.ipc.open_stream(io.BytesIO(row["table"])).read_all()
    return table, json.loads(row["fitted"])


def _authenticity_task(nodes: pd.DataFrame, edges: pd.DataFrame, spec, trusted_idx) -> pd.DataFrame:
    """On the worker: :func:`api.stages.authenticity.compute_authenticity` over the whole graph."""
    import dataclasses

    nodes = nodes.sort_values("idx")
    edges = edges.sort_values(
        ["follow", "src", "dst", "kind", "ts", "weight"], ascending=[False, True, True, True, True, True]
    )
    n = len(nodes)
    f = edges["follow"].to_numpy(bool)
    src, dst = edges["src"].to_numpy(np.int32), edges["dst"].to_numpy(np.int32)
    ts = edges["ts"].to_numpy(np.int64)
    arrays = EdgeArrays(
        node_ids=np.array([str(i) for i in range(n)], dtype=object),
        followers_count=nodes["followers_count"].to_numpy(np.float64),
        follow_src=src[f],
        follow_dst=dst[f],
        interaction_src=src[~f],
        interaction_dst=dst[~f],
        interaction_kind=edges["kind"].to_numpy(np.int8)[~f],
        interaction_ts=ts[~f],
        interaction_weight=edges["weight"].to_numpy(np.float64)[~f],
        follow_ts=ts[f],
        interaction_n=edges["n"].to_numpy(np.int32)[~f],
    )
    accounts = pa.table({"following_count": nodes["following_count"].to_numpy(np.float64)})
    if trusted_idx is not None:
        spec = dataclasses.replace(spec, trusted=tuple(trusted_idx), trusted_lines=())
    fitted: dict = {}
    cols = compute_authenticity(arrays, accounts, nodes["niche"].to_numpy(np.int64), params=spec, fitted=fitted)
    table = pa.table({k: as_arrow(v) for k, v in cols.items()})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return pd.DataFrame(
        {"table": [sink.getvalue()], "fitted": [json.dumps(fitted["authenticity"], default=_json_default)]}
    )


def _engaging_inbound(interactions, n: int, start: int | None) -> np.ndarray:
    """:func:`api.stages.engagement.engaging_inbound` as one Spark aggregation (rows, not events, as the store)."""
    from pyspark.sql import functions as F

    e = interactions.where(F.col("kind").isin(*ENGAGING_KINDS) & (F.col("src") != F.col("dst")))
    if start is not None:
        e = e.where((F.col("ts") < 0) | (F.col("ts") >= start))
    got = e.groupBy("dst").count().toPandas()
    out = np.zeros(n)
    out[got["dst"].to_numpy(np.int64)] = got["count"].to_numpy(np.float64)
    return out


def _with_top_hashtags(spark, communities: pa.Table, uses, community, niche, params: AnalysisParams) -> pa.Table:
    """``communities`` with ``top_hashtags`` from the hashtag uses of each community's members (counted on Spark;
    most used first, ties by tag), as :func:`api.stages.communities.community_rows` lists them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    top_k = params.communities.top_k
    found: dict[tuple[str, int], list[str]] = {}
    for level, labels in (("broad", community), ("niche", niche)):
        lab = spark.createDataFrame(pd.DataFrame({"source": np.arange(len(labels), dtype=np.int32), "c": labels}))
        counts = uses.where(F.col("tag").isNotNull()).join(lab, "source").groupBy("c", "tag").agg(F.sum("n").alias("k"))
        rank = F.row_number().over(Window.partitionBy("c").orderBy(F.col("k").desc(), F.col("tag")))
        top = counts.withColumn("r", rank).where(F.col("r") <= top_k).toPandas().sort_values(["c", "r"])
        for c, tags in top.groupby("c")["tag"]:
            found[(level, int(c))] = tags.tolist()
    rows = zip(communities.column("level").to_pylist(), communities.column("community").to_pylist())
    tags = pa.array([found.get((lv, int(c)), []) for lv, c in rows], pa.list_(pa.string()))
    return communities.set_column(communities.schema.get_field_index("top_hashtags"), "top_hashtags", tags)


def _serving_frames(spark, lake: LakeInputs, raw, nodes) -> dict:
    """The serving run tables as Spark DataFrames (columns and types of :mod:`api.stages.serving`)."""
    from pyspark.sql import functions as F

    groups = int(spark.conf.get("spark.sql.shuffle.partitions"))
    hashed = nodes.select("idx", (F.col("idx") % groups).alias("g"))
    itr = lake.interactions
    return {
        "mutuals": _cogroup(
            nodes.join(hashed, "idx"),
            _halo(raw, hashed, "g"),
            "g",
            _group_mutuals,
            "account int, other int, strength double, mutual_follow boolean",
        ),
        "touches": itr.groupBy(F.col("src").cast("int").alias("source"), F.col("dst").cast("int").alias("target")).agg(
            F.sum("n").cast("long").alias("n")
        ),
        "hashtag_uses": lake.uses,
        "audience": lake.follows.select(
            F.col("src").cast("int").alias("follower"), F.col("dst").cast("int").alias("account")
        ),
        "engaged": itr.where(F.col("src") != F.col("dst"))
        .groupBy(
            F.col("src").cast("int").alias("engager"),
            F.col("dst").cast("int").alias("account"),
            F.when(F.col("ts") >= 0, F.col("ts")).alias("ts"),
        )
        .agg(F.sum(F.col("weight") * F.col("n")).alias("weight")),
    }


def _group_mutuals(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """The ``mutuals`` rows of one group's accounts, from their halo (global indices)."""
    arrays, glob, owned = work._halo(nodes, edges)
    t = mutuals_table(arrays)
    account = t.column("account").to_numpy()
    keep = owned[account]
    return pd.DataFrame(
        {
            "account": glob[account[keep]].astype(np.int32),
            "other": glob[t.column("other").to_numpy()[keep]].astype(np.int32),
            "strength": t.column("strength").to_numpy()[keep],
            "mutual_follow": t.column("mutual_follow").to_numpy(zero_copy_only=False)[keep],
        }
    )


def _write(output, params, spark_params, done, columns, communities, serving, lake: LakeInputs) -> dict:
    """Every table and the manifest into a temporary sibling folder, then renamed to ``output``."""
    from pyspark.sql import functions as F

    created = dt.datetime.now(dt.UTC)
    counts = {
        "accounts": lake.spark_inputs.n,
        "follows": lake.follows.count(),
        "interactions": int(lake.interactions.agg(F.sum("n")).first()[0] or 0),
        "posts": lake.posts.num_rows,
        "communities": done.summary["communities"],
        "niches": done.summary["niches"],
    }
    digest = hashlib.sha1(json.dumps([asdict(params), counts], sort_keys=True, default=str).encode()).hexdigest()[:8]
    run_id = f"{created:%Y%m%dT%H%M%S%fZ}-{digest}"
    tmp = f"{os.path.normpath(output)}.partial-{run_id}"
    try:
        os.makedirs(tmp)
        table = pa.table({k: as_arrow(columns.pop(k)) for k in list(columns)})
        pq.write_table(table, os.path.join(tmp, "accounts.parquet"))
        pq.write_table(communities, os.path.join(tmp, "communities.parquet"))
        for name, order in SPARK_TABLES.items():
            serving[name].orderBy(*order).write.parquet(os.path.join(tmp, f"{name}.parquet"))
        summary = done.summary
        manifest = {
            "run_id": run_id,
            "created_at": created.isoformat(),
            "input": lake.files,
            "params": {
                **asdict(params),
                "modularity": summary["modularity"],
                "kept_ids": summary["kept_ids"],
                "fitted": summary["fitted"],
                **engine_params(spark_params, done.partitions, done.max_partition),
            },
            "counts": counts,
            "tables": ["accounts", "communities", *SPARK_TABLES],
        }
        with open(os.path.join(tmp, "manifest.json"), "w") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True, default=_json_default)
        if os.path.isdir(output):
            os.rmdir(output)  # empty (checked before the run)
        os.rename(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _json_default(v):
    if isinstance(v, np.generic):
        return v.item()
    return str(v)
