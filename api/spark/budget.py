"""How large a partition one Spark task may analyse: the default ``--max-partition`` from the workers' memory.

A partition's *load* is the number of follow and interaction rows of its
halo (every row with at least one end among its accounts) plus its number of
accounts: the rows a worker holds as pandas frames while it builds the
partition's graphs, finds its communities and niches and computes its
measures (``api.spark.work``).  A connected component whose load fits the
budget is analysed whole, exactly as on one machine; only larger components
are split (``api.spark.coarse``).
"""

from __future__ import annotations

#: Bytes one task needs per unit of load.  ``benchmarks/partition_memory.py`` measured a peak of about
#: 255 bytes per halo row above the warm worker (1M-edge synthetic world as one partition, the graphs step
#: the peak); twice that leaves room for the Arrow batches a Python worker converts and pyspark's own buffers.
BYTES_PER_EDGE = 512
#: ``spark.executor.memory``'s default, used when nothing is set.
DEFAULT_MEMORY = "1g"

_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def memory_bytes(text: str) -> int:
    """Bytes of a Spark memory setting (``512m``, ``2g``, ``1.5g``, ``1073741824``; a bare number is MiB
    for Spark's memory options, as ``spark.executor.memory`` reads it).

    Raises
    ------
    ValueError
        Naming the setting's text when it is not a size.
    """
    s = text.strip().lower().removesuffix("b")
    try:
        if s and s[-1] in _UNITS:
            return int(float(s[:-1]) * _UNITS[s[-1]])
        return int(float(s) * _UNITS["m"])
    except ValueError:
        raise ValueError(f"not a Spark memory size: {text!r} (for example 2g or 512m)") from None


def task_slots(master: str | None, executor_cores: str | None) -> int:
    """Tasks that run at once in one executor: N of ``local[N]`` (or of ``local[N,F]``; ``local[*]`` the
    machine's cores), else ``spark.executor.cores`` (default 1)."""
    import os

    if master and master.startswith("local"):
        threads = (master[master.find("[") + 1 : master.rfind("]")] if "[" in master else "1").split(",")[0]
        return max((os.cpu_count() or 1) if threads == "*" else int(threads), 1)
    return max(int(executor_cores or 1), 1)


def task_memory(conf: dict[str, str], master: str | None) -> int:
    """Bytes one task's Python worker may use: ``spark.executor.pyspark.memory`` if set, else the executor's
    memory (``spark.executor.memory``; in local mode the driver is the executor: ``spark.driver.memory``),
    divided by the tasks that run at once in one executor (:func:`task_slots`)."""
    local = bool(master and master.startswith("local"))
    total = conf.get("spark.executor.pyspark.memory") or (
        conf.get("spark.driver.memory") if local else conf.get("spark.executor.memory")
    )
    return memory_bytes(total or DEFAULT_MEMORY) // task_slots(master, conf.get("spark.executor.cores"))


def default_max_partition(conf: dict[str, str], master: str | None) -> int:
    """The default ``--max-partition``: the load (halo rows plus accounts) that fits one task's memory,
    ``task_memory // BYTES_PER_EDGE`` (at least 1).

    Examples: ``local[2]`` with ``spark.driver.memory=2g`` gives 1 GiB per task, 2,097,152; an executor of
    ``spark.executor.pyspark.memory=16g`` and 4 cores gives 4 GiB per task, 8,388,608.
    """
    return max(task_memory(conf, master) // BYTES_PER_EDGE, 1)


def session_max_partition(spark) -> int:
    """:func:`default_max_partition` of a running SparkSession's settings and master."""
    conf = dict(spark.sparkContext.getConf().getAll())
    return default_max_partition(conf, spark.sparkContext.master)
