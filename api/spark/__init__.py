"""The Spark engine: ``nichegraph analyze --engine spark`` (docs/spark.md).

Coarse partitioning and the global measures run on Spark (GraphFrames connected
components and degrees, label propagation and PageRank on DataFrames); Leiden,
niches and every per-account measure run per partition on the workers with the
numba engine.  :func:`run_spark_analysis` is the entry point; pyspark and
graphframes-py come with the ``spark`` extra.
"""

from .pipeline import SparkParams, run_spark_analysis
from .session import spark_session

__all__ = ["SparkParams", "run_spark_analysis", "spark_session"]
