"""Reading an analysis' inputs straight from Parquet (or tables) with Spark: ``analyze --engine spark --input``.

The source is a folder holding ``accounts``, ``follows``, ``interactions`` and
optionally ``posts`` (each a ``NAME.parquet`` file or a folder of Parquet parts,
the columns ``nichegraph synth --format parquet`` writes: :data:`graph_store.schema.SCHEMAS`),
or ``table:PREFIX``: the tables ``PREFIX accounts``, ``PREFIX follows`` ... a Spark session
can read (``table:lake.world_`` reads ``lake.world_follows``).

The rows become what a store would hold after one ``nichegraph load`` of the same files:
every id named anywhere gets the dense index of its rank among all ids (byte order, as
the DuckDB store numbers a first load), a follow pair is kept once with its earliest
``since``, identical interaction rows become one row with their number of events ``n``.
Nothing here collects edges on the driver: only the account columns (O(accounts)) and,
when there are posts, the posts table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from nichegraph.graph_store import InputRejected, RowIssue
from nichegraph.graph_store.schema import INTERACTION_KINDS, POST_METRICS, SCHEMAS

from .pipeline import SparkInputs

#: The tables read, and whether each must be there.
TABLES: dict[str, bool] = {"accounts": False, "follows": True, "interactions": True, "posts": False}
#: Columns that identify an account or a row: no row may leave them null or empty.
ID_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": ("id",),
    "follows": ("follower", "followee"),
    "interactions": ("source", "target", "kind"),
    "posts": ("post_id", "author", "kind"),
}


class LakeInputRejected(InputRejected):
    """An input table of ``--input`` is missing, has a wrong column or bad rows; nothing was written."""

    def __init__(self, file: str, field: str | None, reason: str):
        issue = RowIssue(file, None, field, reason)
        super().__init__([issue])
        self.args = (f"refused {issue}; nothing was written",)

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class LakeInputs:
    """The Spark inputs (:class:`api.spark.pipeline.SparkInputs`) and what the Parquet writer needs besides.

    interactions : DataFrame ``src``, ``dst`` long, ``kind`` string, ``ts`` long (-1 unknown), ``post_id``,
        ``hashtags`` array<string>, ``weight`` double (of one event), ``n`` long (events), one row per distinct event.
    follows : DataFrame ``src``, ``dst`` long, ``since`` long (-1 unknown), one row per pair.
    uses : DataFrame of the ``hashtag_uses`` run table (``source`` int, ``tag``, ``n``, ``ts``, ``post_id``).
    posts : pyarrow.Table like ``Store.read_posts()`` (``author`` by idx), on the driver.
    files : the name each table was read from (for the manifest and messages).
    """

    spark_inputs: SparkInputs
    interactions: Any
    follows: Any
    uses: Any
    posts: pa.Table
    files: dict[str, str]


def _locate(spark, source: str) -> dict[str, str | None]:
    """Where each table is: a path or a table name (None: absent)."""
    if source.startswith("table:"):
        prefix = source[len("table:") :]
        return {t: (f"{prefix}{t}" if spark.catalog.tableExists(f"{prefix}{t}") else None) for t in TABLES}
    if not os.path.isdir(source):
        raise LakeInputRejected(source, None, "not a folder (give a folder of Parquet files or table:PREFIX)")
    found: dict[str, str | None] = {}
    for t in TABLES:
        paths = [os.path.join(source, f"{t}.parquet"), os.path.join(source, t)]
        found[t] = next((p for p in paths if os.path.exists(p)), None)
    return found


def _read(spark, where: str, table: str):
    from pyspark.sql.utils import AnalysisException

    try:
        if os.path.exists(where):
            return spark.read.parquet(where)
        return spark.table(where)
    except AnalysisException as exc:
        raise LakeInputRejected(where, None, f"not readable as the {table} table: {exc}") from None


def _spark_type(arrow: pa.DataType) -> tuple[str, tuple[str, ...]]:
    """(the Spark type a column is cast to, the Spark type names accepted) for an Arrow schema type."""
    if pa.types.is_string(arrow):
        return "string", ("string",)
    if pa.types.is_integer(arrow):
        return "bigint", ("tinyint", "smallint", "int", "bigint")
    if pa.types.is_floating(arrow):
        return "double", ("tinyint", "smallint", "int", "bigint", "float", "double")
    if pa.types.is_timestamp(arrow):
        return "timestamp", ("timestamp", "timestamp_ntz")
    return "array<string>", ("array<string>",)


def _conform(df, where: str, table: str):
    """``df`` with exactly the schema's columns (absent optional ones null), each of the expected type."""
    from pyspark.sql import functions as F

    types = dict(df.dtypes)
    cols = []
    for field in SCHEMAS[table]:
        target, accepted = _spark_type(field.type)
        if field.name not in types:
            if field.name in ID_FIELDS[table]:
                raise LakeInputRejected(where, field.name, f"missing column (expected {target})")
            cols.append(F.lit(None).cast(target).alias(field.name))
            continue
        got = types[field.name]
        if got not in accepted:
            raise LakeInputRejected(where, field.name, f"column of type {got}: expected {target}")
        col = F.col(field.name)
        if target == "string":
            col = F.trim(col)
            col = F.when(col == "", F.lit(None)).otherwise(col)
        cols.append(col.cast(target).alias(field.name))
    return df.select(*cols)


def _check_rows(df, where: str, table: str) -> None:
    """Refuse null ids, unknown kinds and bad weights (one aggregation over the table)."""
    from pyspark.sql import functions as F

    checks: list[tuple[str, str, Any]] = [(f, "null or empty", F.col(f).isNull()) for f in ID_FIELDS[table]]
    if table == "interactions":
        checks.append(("kind", f"not one of {', '.join(INTERACTION_KINDS)}", ~F.col("kind").isin(*INTERACTION_KINDS)))
        w = F.col("weight")
        checks.append(("weight", "must be a positive finite number", w.isNotNull() & (F.isnan(w) | (w <= 0))))
        checks.append(("weight", "must be a positive finite number", w == float("inf")))
    aggs = [F.sum(F.when(cond, 1).otherwise(0)).alias(f"c{i}") for i, (_, _, cond) in enumerate(checks)]
    aggs += [F.min(F.when(cond, F.col(f).cast("string"))).alias(f"v{i}") for i, (f, _, cond) in enumerate(checks)]
    row = df.agg(*aggs).first()
    for i, (field, reason, _) in enumerate(checks):
        bad = int(row[f"c{i}"] or 0)
        if bad:
            example = row[f"v{i}"]
            shown = f" (for example {example!r})" if example is not None else ""
            raise LakeInputRejected(where, field, f"{bad} row{'s' if bad > 1 else ''}: {reason}{shown}")
    if table in ("accounts", "posts"):
        key = "id" if table == "accounts" else "post_id"
        dup = df.groupBy(key).count().where("count > 1").orderBy(key).first()
        if dup is not None:
            raise LakeInputRejected(where, key, f"{dup[key]!r} appears {dup['count']} times (give each once)")


def kind_code(col):
    """An interaction kind's code (its position in :data:`INTERACTION_KINDS`), int."""
    from pyspark.sql import functions as F

    pairs = [x for i, k in enumerate(INTERACTION_KINDS) for x in (F.lit(k), F.lit(i))]
    return F.create_map(*pairs)[col].cast("int")


def edge_rows(follows, interactions, *, follow_times: bool):
    """Follows and interactions as one DataFrame ``src``, ``dst``, ``follow``, ``kind`` (code), ``ts``, ``weight``
    (an interaction row's weight times its events), ``n``; a follow's ``ts`` is its ``since`` with
    ``follow_times``, else -1 (as the store mode's raw edges)."""
    from pyspark.sql import functions as F

    fts = F.col("since") if follow_times else F.lit(-1).cast("long")
    return follows.select(
        "src",
        "dst",
        F.lit(True).alias("follow"),
        F.lit(0).alias("kind"),
        fts.alias("ts"),
        F.lit(1.0).alias("weight"),
        F.lit(1).cast("long").alias("n"),
    ).unionByName(
        interactions.select(
            "src",
            "dst",
            F.lit(False).alias("follow"),
            kind_code(F.col("kind")).alias("kind"),
            "ts",
            (F.col("weight") * F.col("n")).alias("weight"),
            "n",
        )
    )


def _seconds(col):
    """A timestamp column as Unix seconds (rounded, as the store's ``epoch(ts)::BIGINT``), -1 when null."""
    from pyspark.sql import functions as F

    return F.coalesce(F.round(F.unix_micros(col) / 1e6).cast("long"), F.lit(-1).cast("long"))


def read_lake(spark, source: str) -> LakeInputs:
    """Read and validate the inputs at ``source`` (module docstring); raises :class:`LakeInputRejected`."""
    from pyspark.sql import functions as F

    spark.conf.set("spark.sql.session.timeZone", "UTC")  # timestamps without a zone are UTC, as in the store
    located = _locate(spark, source)
    frames, files = {}, {}
    for table, required in TABLES.items():
        where = located[table]
        if where is None:
            if required:
                raise LakeInputRejected(os.path.join(source, f"{table}.parquet"), None, f"no {table} table found")
            continue
        df = _conform(_read(spark, where, table), where, table)
        _check_rows(df, where, table)
        frames[table], files[table] = df, where
    ids = frames["follows"].select(F.col("follower").alias("id"))
    ids = ids.union(frames["follows"].select(F.col("followee").alias("id")))
    ids = ids.union(frames["interactions"].select(F.col("source").alias("id")))
    ids = ids.union(frames["interactions"].select(F.col("target").alias("id")))
    for table, col in (("accounts", "id"), ("posts", "author")):
        if table in frames:
            ids = ids.union(frames[table].select(F.col(col).alias("id")))
    ordered = ids.distinct().orderBy("id")
    index = ordered.rdd.zipWithIndex().map(lambda r: (r[0][0], int(r[1]))).toDF("id string, idx long").cache()
    n = index.count()

    def by_idx(df, col: str, name: str):
        return df.join(index.select(F.col("id").alias(col), F.col("idx").alias(name)), col)

    fol = by_idx(by_idx(frames["follows"], "follower", "src"), "followee", "dst")
    follows = (
        fol.groupBy("src", "dst")
        .agg(F.min("since").alias("since"))
        .select("src", "dst", _seconds("since").alias("since"))
    )
    follows = follows.cache()
    itr = by_idx(by_idx(frames["interactions"], "source", "src"), "target", "dst")
    keys = ["src", "dst", "kind", "ts", "post_id", "hashtags", "weight"]
    itr = itr.select(
        "src", "dst", "kind", "ts", "post_id", "hashtags", F.coalesce("weight", F.lit(1.0)).alias("weight")
    )
    interactions = itr.groupBy(*keys).agg(F.count("*").alias("n")).withColumn("ts", _seconds(F.col("ts"))).cache()
    raw = edge_rows(follows, interactions, follow_times=False).drop("n").cache()
    accounts = _accounts(spark, frames.get("accounts"), index, n)
    followers = np.asarray(accounts.column("followers_count").to_numpy(zero_copy_only=False), dtype=np.float64)
    nodes = spark.createDataFrame(
        pa.table({"idx": np.arange(n, dtype=np.int64), "followers_count": followers}).to_pandas()
    ).cache()
    node_ids = np.asarray(accounts.column("id").to_pylist(), dtype=object)
    posts, post_rows = _posts(frames.get("posts"), index)
    uses = _hashtag_uses(interactions, post_rows)
    return LakeInputs(SparkInputs(raw, nodes, node_ids, accounts), interactions, follows, uses, posts, files)


def _accounts(spark, df, index, n: int) -> pa.Table:
    """Every account's fields by ``idx`` (null where only an edge names the account), on the driver."""
    from pyspark.sql import functions as F

    fields = [f.name for f in SCHEMAS["accounts"] if f.name != "id"]
    if df is None:
        df = index.select("id", *[F.lit(None).alias(f) for f in fields])
    got = index.join(df, "id", "left").orderBy("idx").select("id", *fields).toPandas()
    table = pa.Table.from_pandas(got, schema=SCHEMAS["accounts"], preserve_index=False)
    if table.num_rows != n:
        raise RuntimeError("an account row per index was expected")
    return table


def _posts(df, index) -> tuple[pa.Table, Any]:
    """``(posts on the driver like Store.read_posts(), the posts DataFrame with author idx or None)``."""
    from pyspark.sql import functions as F

    from nichegraph.graph_store.duckdb_posts import READ_COLUMNS

    schema = pa.schema(
        [
            pa.field("author", pa.int32()),
            *[f for f in SCHEMAS["posts"] if f.name in READ_COLUMNS and f.name != "author"],
        ]
    )
    schema = pa.schema([schema.field(c) for c in READ_COLUMNS])
    if df is None:
        return schema.empty_table(), None
    rows = df.join(index.select(F.col("id").alias("author"), "idx"), "author").drop("author")
    rows = rows.withColumnRenamed("idx", "author").cache()
    got = rows.orderBy(F.col("author"), F.col("ts").asc_nulls_first(), F.col("post_id")).select(*READ_COLUMNS)
    pdf = got.toPandas()
    for m in POST_METRICS:
        pdf[m] = pdf[m].astype("Int64")
    return pa.Table.from_pandas(pdf, schema=schema, preserve_index=False), rows


def _hashtag_uses(interactions, posts):
    """The ``hashtag_uses`` run table as a DataFrame (the store's ``read_hashtag_uses``): every post's hashtags
    once, plus those of each interaction event not made by a post of the same author."""
    from pyspark.sql import functions as F

    # written without a zone (the store's TIMESTAMP): the session's zone is UTC
    ts = F.when(F.col("ts") >= 0, F.timestamp_seconds("ts").cast("timestamp_ntz"))
    own = interactions
    if posts is not None:
        made = posts.select(F.col("post_id"), F.col("author").alias("src"), F.lit(True).alias("_made"))
        own = interactions.join(made, ["post_id", "src"], "left").where(F.col("_made").isNull())
    parts = own.select(F.col("src").alias("source"), F.explode("hashtags").alias("tag"), ts.alias("ts"), "post_id", "n")
    if posts is not None:
        parts = posts.select(
            F.col("author").alias("source"),
            F.explode("hashtags").alias("tag"),
            F.col("ts").cast("timestamp_ntz").alias("ts"),
            "post_id",
            F.lit(1).cast("long").alias("n"),
        ).unionByName(parts)
    return (
        parts.select(F.col("source").cast("int").alias("source"), F.lower("tag").alias("tag"), "ts", "post_id", "n")
        .groupBy("source", "tag", "ts", "post_id")
        .agg(F.sum("n").cast("long").alias("n"))
        .select("source", "tag", "n", "ts", "post_id")
    )
