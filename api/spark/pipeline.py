"""``nichegraph analyze --engine spark``: the same run as :func:`api.analysis.run_analysis`, computed on Spark.

Steps (docs/spark.md has the design, its approximations and costs):

1. **graphs** (workers, accounts hashed into groups): every group gets its
   *halo* (each follow and interaction touching it) and the engine builds the
   affinity and attention edges of its accounts, exactly as on one machine.
2. **partition** (Spark + driver): GraphFrames connected components and the
   load of each (halo rows plus accounts, :mod:`.budget`); a component whose
   load fits ``max_partition`` is kept whole, in larger ones weighted label
   propagation, then Leiden on the small graph between clusters (:mod:`.coarse`).
3. **communities** (workers, one partition each): Leiden on the partition's
   affinity graph at the resolution scaled by the partition's share of the
   total weight; then niches (CPM at the resolution derived from the global
   densities) inside each broad community.
4. **metrics** (workers, one partition each, with its halo): every
   per-account measure of :func:`api.stages.metrics.local_metrics`.
5. **global** (Spark): PageRank, coreness, degrees.
6. **fit** (driver): empirical Bayes priors and the hidden score over all
   accounts, stable ids, community descriptions; the run is written through
   :func:`api.analysis.store_run`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa

from nichegraph.engine.niche_detection import resolution_from_weights
from nichegraph.engine.tiers import UNKNOWN_TIER, tier_names
from nichegraph.graph_store import EdgeArrays, Store

from ..analysis import (
    ACCOUNT_COLUMNS,
    AnalysisResult,
    group_sizes,
    null_for_nan,
    read_inputs,
    store_run,
)
from ..params import AnalysisParams
from ..stages.authenticity import all_mutual_ties, compute_authenticity
from ..stages.communities import community_rows, match_ids
from ..stages.engagement import compute_engagement
from ..stages.hashtags import TagCounts, tag_counts_of_uses
from ..stages.metrics import METRIC_COLUMNS, MetricsParams, fit_evidence
from ..stages.serving import serving_tables
from ..stages.stopwatch import Stopwatch
from . import work
from .coarse import canonical, coarse_partition, group_load


@dataclass(frozen=True)
class SparkParams:
    """Settings of the Spark engine (stored with the run; results depend on ``max_partition`` and
    ``lpa_iterations``, never on the master or the number of cores; the default ``max_partition`` follows the
    memory per task, so pass it to get one partitioning on machines of different memory).

    master : Spark master (``local[2]``, ``spark://host:7077``); None keeps what spark-submit set.
    max_partition : largest load (follow and interaction rows of the halo plus accounts) one task analyses at
        once; a connected component above it is split.  None: what fits one task's memory
        (:func:`api.spark.budget.session_max_partition`), so a component that fits is analysed whole.
    lpa_iterations : label-propagation rounds inside components above ``max_partition``.
    groups : hash groups of the halo step (default: Spark's shuffle partitions).
    driver_memory : ``spark.driver.memory`` when this run starts Spark.
    """

    master: str | None = "local[2]"
    max_partition: int | None = None
    lpa_iterations: int = 10
    groups: int | None = None
    driver_memory: str = "2g"


def _collect(df) -> pd.DataFrame:
    """A Spark result (small, or one row per account) on the driver."""
    return df.toPandas()


def _frame(spark, data: dict):
    return spark.createDataFrame(pd.DataFrame(data))


def _cogroup(nodes, edges, key: str, fn: Callable, schema: str):
    """``fn(nodes_pdf, edges_pdf)`` once per value of ``key`` on the workers."""
    edge_cols = [c for c in edges.columns if c != key]

    def call(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
        if left.empty:
            return pd.DataFrame({c: [] for c in schema_names})
        if right.empty:
            right = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in zip(edge_cols, edge_types)})
        return fn(left.drop(columns=[key]), right[edge_cols])

    schema_names = [part.split()[0] for part in schema.split(",")]
    edge_types = [_PANDAS_TYPES.get(t, "float64") for _, t in edges.select(*edge_cols).dtypes]
    return nodes.groupBy(key).cogroup(edges.groupBy(key)).applyInPandas(call, schema)


_PANDAS_TYPES = {"bigint": "int64", "int": "int32", "boolean": "bool", "double": "float64"}


def _halo(raw, key_df, key: str, labels=None):
    """Every raw edge once per group of its two ends (once when both are in one group), keyed by ``key``."""
    from pyspark.sql import functions as F

    e = raw.join(key_df.select(F.col("idx").alias("src"), F.col(key).alias("_ks")), "src").join(
        key_df.select(F.col("idx").alias("dst"), F.col(key).alias("_kd")), "dst"
    )
    if labels is not None:
        e = e.join(labels.select(F.col("idx").alias("src"), F.col("label").alias("src_label")), "src").join(
            labels.select(F.col("idx").alias("dst"), F.col("label").alias("dst_label")), "dst"
        )
    cols = [*work.RAW_EDGE_COLUMNS, *(["src_label", "dst_label"] if labels is not None else [])]
    a = e.select(F.col("_ks").alias(key), *cols)
    b = e.where(F.col("_kd") != F.col("_ks")).select(F.col("_kd").alias(key), *cols)
    return a.unionByName(b)


def _globalise(part: np.ndarray, local: pd.DataFrame, n: int) -> np.ndarray:
    """Global canonical labels from per-partition local labels (``idx``, ``label``)."""
    lab = np.empty(n, dtype=np.int64)
    idx = local["idx"].to_numpy(np.int64)
    lab[idx] = local["label"].to_numpy(np.int64)
    key = part * (int(lab.max(initial=0)) + 1) + lab
    return canonical(key)


@dataclass
class SparkInputs:
    """What the Spark steps read: the edges as a DataFrame (never on the driver) and the O(n) account columns.

    raw : DataFrame of :data:`work.RAW_EDGE_COLUMNS` (global ``idx`` ends; a follow has ``kind`` 0, ``ts`` -1,
        ``weight`` 1; an interaction row's ``weight`` is its weight times its events), cached.
    nodes : DataFrame ``idx`` long, ``followers_count`` double (NaN unknown), cached.
    node_ids : ndarray of object, shape (n,): the account id of each ``idx``.
    accounts : pyarrow.Table of the account fields (:data:`api.analysis.ACCOUNT_COLUMNS` at least), by ``idx``.
    previous : the latest run's accounts (ids of communities are kept from it), or None.
    """

    raw: Any
    nodes: Any
    node_ids: np.ndarray
    accounts: pa.Table
    previous: pa.Table | None = None

    @property
    def n(self) -> int:
        return int(self.node_ids.size)


@dataclass
class Analysed:
    """What :func:`analyse` computed: the account columns so far, the ``communities`` table and the summary."""

    columns: dict
    communities: pa.Table
    summary: dict
    fitted: dict
    partitions: int
    max_partition: int


def inputs_from_arrays(spark, edges: EdgeArrays, accounts: pa.Table, previous: pa.Table | None) -> SparkInputs:
    """:class:`SparkInputs` from a store's edge arrays (the store mode: the driver holds the edges once)."""
    raw = _frame(spark, work.raw_rows(edges)).cache()
    idx = np.arange(edges.n_nodes, dtype=np.int64)
    nodes = _frame(spark, {"idx": idx, "followers_count": edges.followers_count.astype(np.float64)}).cache()
    return SparkInputs(raw, nodes, np.asarray(edges.node_ids, dtype=object), accounts, previous)


def run_spark_analysis(
    store: Store,
    params: AnalysisParams = AnalysisParams(),
    spark_params: SparkParams = SparkParams(),
    *,
    spark=None,
    progress: Callable[[str], None] | None = None,
) -> AnalysisResult:
    """Read the store, compute every measure on Spark, and write one run back (like ``run_analysis``).

    Parameters
    ----------
    store : Store
    params : AnalysisParams
        As for the single-machine engine (``threads`` and ``communities.parallel`` do not apply).
    spark_params : SparkParams
    spark : SparkSession, optional
        Default: :func:`api.spark.session.spark_session` at ``spark_params.master``.
    progress : callable, optional
        Called with the name of each stage as it starts.
    """
    from .session import spark_session

    if spark is None:
        spark = spark_session(spark_params.master, driver_memory=spark_params.driver_memory)
    step = Stopwatch(progress=progress)
    with step("read"):
        edges, accounts, uses, posts, previous = read_inputs(store)
        hashtags = tag_counts_of_uses(uses)
        inputs = inputs_from_arrays(spark, edges, accounts, previous)
    done = analyse(spark, inputs, params, spark_params, step, hashtags)
    columns, fitted, niche = done.columns, done.fitted, done.columns["niche"]
    # authenticity and engagement run on the driver with the single-machine stages (not distributed yet)
    with step("authenticity"):
        ties = all_mutual_ties(edges)  # shared with the serving stage's ``mutuals`` table
        columns.update(
            compute_authenticity(edges, accounts, niche, params=params.authenticity, fitted=fitted, ties=ties)
        )
    with step("engagement"):
        columns.update(
            compute_engagement(edges, posts, columns["tier"], niche, params=params.engagement, fitted=fitted)
        )
    with step("serving"):
        serving = serving_tables(store, edges, uses, ties=ties)
    engine = engine_params(spark_params, done.partitions, done.max_partition)
    return store_run(store, params, columns, done.communities, done.summary, serving, step, engine)


def engine_params(spark_params: SparkParams, partitions: int, max_partition: int) -> dict:
    """The Spark engine's settings as stored with a run (``engine``, ``spark``: the settings, with the
    ``max_partition`` the run used, and the number of partitions)."""
    settings = {**dataclasses.asdict(spark_params), "max_partition": max_partition, "partitions": partitions}
    return {"engine": "spark", "spark": settings}


def analyse(
    spark,
    inputs: SparkInputs,
    params: AnalysisParams,
    spark_params: SparkParams,
    step: Stopwatch,
    hashtags: TagCounts | None = None,
) -> Analysed:
    """Steps graphs to fit (module docstring) on ``inputs``: the account columns up to the hidden score.

    ``hashtags`` (:func:`api.stages.hashtags.tag_counts_of_uses`) give the communities' top hashtags; None leaves them empty.
    """
    from pyspark.sql import functions as F

    from . import measures
    from .budget import session_max_partition

    cp, mp = params.communities, params.metrics
    max_load = spark_params.max_partition or session_max_partition(spark)
    raw, nodes, n = inputs.raw, inputs.nodes, inputs.n
    idx = np.arange(n, dtype=np.int64)
    groups = spark_params.groups or int(spark.conf.get("spark.sql.shuffle.partitions"))
    with step("graphs"):
        hashed = nodes.select("idx", (F.col("idx") % groups).alias("g"))
        built = _cogroup(
            nodes.join(hashed, "idx"),
            _halo(raw, hashed, "g"),
            "g",
            lambda nd, ed: work.halo_graphs(nd, ed, cp, mp),
            work.GRAPH_SCHEMA,
        ).localCheckpoint()
        aff = built.where("graph = 0").select("src", "dst", "weight").cache()
        att = built.where("graph = 1").select("src", "dst", "weight").cache()
        total = float(aff.agg(F.sum("weight")).first()[0] or 0.0)
    with step("partition"):
        comp_pd = _collect(measures.components(nodes.select("idx"), aff)).sort_values("idx")
        component = comp_pd["component"].to_numpy(np.int64)
        comp_rows = _halo_rows(raw, _frame(spark, {"idx": idx, "key": component}))
        comps, comp_load = group_load(component, *comp_rows)
        big_comp = np.flatnonzero(comp_load[np.searchsorted(comps, component)] > max_load)
        cluster = np.full(n, -1, dtype=np.int64)
        cluster_edges = (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)
        cluster_rows = cluster_edges[:2]
        if big_comp.size:
            big_nodes = _frame(spark, {"idx": big_comp})
            inner = aff.join(big_nodes.withColumnRenamed("idx", "src"), "src")
            lpa = measures.label_propagation(big_nodes, inner, spark_params.lpa_iterations).cache()
            lpa_pd = _collect(lpa)
            cluster[lpa_pd["idx"].to_numpy(np.int64)] = lpa_pd["cluster"].to_numpy(np.int64)
            ce = (
                inner.join(lpa.select(F.col("idx").alias("src"), F.col("cluster").alias("a")), "src")
                .join(lpa.select(F.col("idx").alias("dst"), F.col("cluster").alias("b")), "dst")
                .select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b"), "weight")
                .groupBy("a", "b")
                .agg(F.round(F.sum("weight"), measures.ROUND).alias("w"))
                .toPandas()
            )
            cluster_edges = (ce["a"].to_numpy(np.int64), ce["b"].to_numpy(np.int64), ce["w"].to_numpy(np.float64))
            # clusters keep their ids (>= 0); an account outside the split components is keyed by its component
            cluster_rows = _halo_rows(
                raw, _frame(spark, {"idx": idx, "key": np.where(cluster >= 0, cluster, -1 - component)})
            )
        part = coarse_partition(
            component,
            cluster,
            cluster_edges,
            component_rows=comp_rows,
            cluster_rows=cluster_rows,
            max_load=max_load,
            resolution=cp.resolution,
            seed=params.seed,
        )
        part_df = _frame(spark, {"idx": idx, "part": part}).cache()
        internal = (
            aff.join(part_df.withColumnRenamed("idx", "src"), "src")
            .join(part_df.select(F.col("idx").alias("dst"), F.col("part").alias("_pd")), "dst")
            .where(F.col("part") == F.col("_pd"))
            .select("part", "src", "dst", "weight")
            .localCheckpoint()  # a plan of its own: it is cogrouped with part_df below
        )
    with step("communities"):
        res, seed, it, par = cp.resolution, params.seed, cp.n_iterations, cp.parallel
        broad_pd = _cogroup(
            part_df,
            internal,
            "part",
            lambda nd, ed: work.broad_communities(
                nd, ed, res * float(ed["weight"].sum()) / total if total else res, seed, it, par
            ),
            "idx long, label long",
        ).toPandas()
        broad = _globalise(part, broad_pd, n)
        community, matched = match_ids(broad, inputs.node_ids, inputs.previous, "community", cp.match_threshold)
        lab_df = _frame(spark, {"idx": idx, "label": community})
        same, strength = _label_sums(aff, lab_df, n)
        w_in = float(same["w"].sum())
        gamma = resolution_from_weights(w_in, total - w_in, np.bincount(canonical(community)), n)[0]
        if cp.niche_resolution is not None:
            gamma = float(cp.niche_resolution)
        if cp.find_niches:
            niche_pd = _cogroup(
                part_df.join(lab_df, "idx"),
                internal,
                "part",
                lambda nd, ed: work.niche_communities(nd, ed, gamma, seed, it, par),
                "idx long, label long",
            ).toPandas()
            niche, _ = match_ids(
                _globalise(part, niche_pd, n), inputs.node_ids, inputs.previous, "niche", cp.match_threshold
            )
        else:
            niche = community.copy()
        tables, modularity = [], _modularity(community, same, strength, total, res)
        for level, labels in (("broad", community), ("niche", niche)):
            if level == "niche" and not cp.find_niches:
                continue
            lab = _frame(spark, {"idx": idx, "label": labels})
            s_in, _ = _label_sums(aff, lab, n) if level == "niche" else (same, strength)
            ids = np.unique(labels)
            internal_n = np.zeros(ids.size, np.int64)
            internal_n[np.searchsorted(ids, s_in["label"].to_numpy(np.int64))] = s_in["pairs"].to_numpy(np.int64)
            parent = community[np.unique(labels, return_index=True)[1]] if level == "niche" else None
            tables.append(
                community_rows(
                    labels, internal_n, _inner(aff, lab, n), inputs.node_ids, level, parent, hashtags, cp.top_k
                )
            )
        communities = null_for_nan(pa.concat_tables(tables))
    level_labels = niche if params.level == "niche" else community
    with step("metrics"):
        lab_df = _frame(spark, {"idx": idx, "label": level_labels})
        cols = ", ".join(f"{c} double" for c in work.HALO_COLUMNS)
        halo_pd = _cogroup(
            nodes.join(part_df, "idx").join(lab_df, "idx"),
            _halo(raw, part_df, "part", labels=lab_df),
            "part",
            lambda nd, ed: work.halo_metrics(nd, ed, mp),
            f"idx long, {cols}",
        ).toPandas()
        halo_pd = halo_pd.sort_values("idx")
    with step("global"):
        node_idx = nodes.select("idx")
        pr = _collect(measures.pagerank(node_idx, att, n, damping=mp.damping, tol=mp.tol)).sort_values("idx")
        core = _collect(measures.coreness(node_idx, att)).sort_values("idx")
        deg = _collect(measures.degrees(node_idx, att)).sort_values("idx")
    with step("fit"):
        metrics = _metric_columns(halo_pd, pr, core, deg, mp)
        fitted: dict = {}
        counts = {c: halo_pd[c].to_numpy() for c in ("returned", "received_own", "received")}
        counts["tier_code"] = halo_pd["tier_code"].to_numpy().astype(np.int64)
        metrics.update(fit_evidence(metrics, counts, params=mp, fitted=fitted))
        columns: dict = {"idx": np.arange(n, dtype=np.int32)}
        for name in ACCOUNT_COLUMNS:
            columns[name] = inputs.accounts.column(name)
        columns.update(
            community=community,
            niche=niche,
            community_size=group_sizes(community),
            niche_size=group_sizes(niche),
        )
        columns.update({name: metrics[name] for name in METRIC_COLUMNS})
    summary = {
        "communities": int(np.unique(community).size),
        "niches": int(np.unique(niche).size),
        "modularity": modularity,
        "kept_ids": matched,
        "fitted": fitted,
    }
    return Analysed(columns, communities, summary, fitted, int(part.max(initial=-1)) + 1, max_load)


def _halo_rows(raw, keys) -> tuple[np.ndarray, np.ndarray]:
    """Follow and interaction rows of each group's halo: ``keys`` (``idx``, ``key``) -> (keys, rows), int64,
    only the keys >= 0."""
    got = _halo(raw, keys, "key").where("key >= 0").groupBy("key").count().toPandas()
    return got["key"].to_numpy(np.int64), got["count"].to_numpy(np.int64)


def _label_sums(aff, lab_df, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Per label: weight and number of affinity pairs inside (``label``, ``w``, ``pairs``); strength per account."""
    from pyspark.sql import functions as F

    e = aff.join(lab_df.withColumnRenamed("idx", "src"), "src").join(
        lab_df.select(F.col("idx").alias("dst"), F.col("label").alias("_ld")), "dst"
    )
    same = (
        e.where(F.col("label") == F.col("_ld"))
        .groupBy("label")
        .agg(F.sum("weight").alias("w"), F.count("*").alias("pairs"))
        .toPandas()
        .sort_values("label")
    )
    ends = aff.select(F.col("src").alias("idx"), "weight").unionByName(aff.select(F.col("dst").alias("idx"), "weight"))
    st = _collect(ends.groupBy("idx").agg(F.sum("weight").alias("s")))
    strength = np.zeros(n)
    strength[st["idx"].to_numpy(np.int64)] = st["s"].to_numpy(np.float64)
    return same, strength


def _inner(aff, lab_df, n: int) -> np.ndarray:
    """Each account's weighted degree inside its own community, float64 (n,)."""
    from pyspark.sql import functions as F

    e = (
        aff.join(lab_df.withColumnRenamed("idx", "src"), "src")
        .join(lab_df.select(F.col("idx").alias("dst"), F.col("label").alias("_ld")), "dst")
        .where(F.col("label") == F.col("_ld"))
    )
    ends = e.select(F.col("src").alias("idx"), "weight").unionByName(e.select(F.col("dst").alias("idx"), "weight"))
    got = _collect(ends.groupBy("idx").agg(F.sum("weight").alias("s")))
    out = np.zeros(n)
    out[got["idx"].to_numpy(np.int64)] = got["s"].to_numpy(np.float64)
    return out


def _modularity(labels: np.ndarray, same: pd.DataFrame, strength: np.ndarray, total: float, resolution: float) -> float:
    """Modularity of ``labels`` on the affinity graph: sum over communities of ``w_c / m - resolution (vol_c / 2m)^2``."""
    if total <= 0:
        return float("nan")
    vol = np.bincount(np.unique(labels, return_inverse=True)[1].reshape(-1), weights=strength)
    return float(same["w"].sum() / total - resolution * float(((vol / (2 * total)) ** 2).sum()))


def _metric_columns(halo_pd: pd.DataFrame, pr, core, deg, mp: MetricsParams) -> dict[str, np.ndarray]:
    """The metric columns before the fit, from the per-partition and the global results (all sorted by idx)."""
    out: dict[str, np.ndarray] = {}
    for c in work.HALO_COLUMNS:
        out[c] = halo_pd[c].to_numpy()
    for c in ("followers_observed", "inbound_accounts", "niche_engaged"):
        out[c] = out[c].astype(np.int64)
    out["tier_estimated"] = out["tier_estimated"].astype(bool)
    out["tier"] = tier_names(halo_pd["tier_code"].to_numpy().astype(np.int64), (*mp.tier_names, UNKNOWN_TIER))
    out["pagerank"] = pr["pagerank"].to_numpy(np.float64)
    out["coreness"] = core["coreness"].to_numpy().astype(np.float64)
    out["in_degree"] = deg["in_degree"].to_numpy(np.int64)
    out["out_degree"] = deg["out_degree"].to_numpy(np.int64)
    return out
