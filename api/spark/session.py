"""A SparkSession with the GraphFrames jars, the venv's Python on the workers, and modest memory."""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

from .budget import task_slots

#: Maven coordinates of the GraphFrames jar (keep in step with .ci/spark/pom.xml and the ``spark`` extra).
GRAPHFRAMES_PACKAGE = "io.graphframes:graphframes-spark3_2.12:0.11.0"
#: Where ``.ci/spark.sh`` puts the jars in a source checkout.
CHECKOUT_JARS = Path(__file__).resolve().parents[2] / ".ci" / "spark" / "target" / "lib"


def graphframes_jars() -> list[str]:
    """The GraphFrames jars: ``$NICHEGRAPH_SPARK_JARS`` (a folder or a comma-separated list), else the checkout's
    ``.ci/spark/target/lib``; an empty list when neither exists (then Spark fetches :data:`GRAPHFRAMES_PACKAGE`)."""
    env = os.environ.get("NICHEGRAPH_SPARK_JARS")
    if env:
        if os.path.isdir(env):
            return sorted(glob.glob(os.path.join(env, "*.jar")))
        return [p for p in env.split(",") if p]
    return sorted(str(p) for p in CHECKOUT_JARS.glob("*.jar"))


def spark_session(
    master: str | None = "local[2]",
    *,
    driver_memory: str = "2g",
    shuffle_partitions: int | None = None,
    app_name: str = "nichegraph",
    checkpoint_dir: str | None = None,
    conf: dict[str, str] | None = None,
):
    """Get or create the SparkSession the Spark engine runs on.

    Parameters
    ----------
    master : str or None
        ``local[N]``, ``spark://host:7077``, ``yarn`` ...; None keeps what ``spark-submit`` set.
    driver_memory : str
        ``spark.driver.memory`` (only takes effect when this call starts the JVM).
    shuffle_partitions : int, optional
        ``spark.sql.shuffle.partitions``; default 4 per local core (8 for a cluster master).
    checkpoint_dir : str, optional
        For GraphFrames' connected components; default a folder under the system temp dir.
    conf : dict, optional
        Any other Spark settings.
    """
    from pyspark.sql import SparkSession

    # the workers must run the interpreter that has numba, pandas and nichegraph
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    jars = graphframes_jars()
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    else:
        builder = builder.config("spark.jars.packages", GRAPHFRAMES_PACKAGE)
    if shuffle_partitions is None:
        shuffle_partitions = task_slots(master, None) * 4 if master and master.startswith("local") else 8
    settings = {
        "spark.driver.memory": driver_memory,
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.default.parallelism": str(shuffle_partitions),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.adaptive.enabled": "false",  # fixed partitioning: the same plan for every run
        "spark.pyspark.python": sys.executable,
        **(conf or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    import tempfile

    spark.sparkContext.setCheckpointDir(checkpoint_dir or os.path.join(tempfile.gettempdir(), "nichegraph-spark-ckpt"))
    return spark
