"""The default ``--max-partition``: one task's memory from Spark's settings, divided by the bytes per edge."""

from __future__ import annotations

import os

import pytest

from nichegraph.api.spark.budget import (
    BYTES_PER_EDGE,
    default_max_partition,
    memory_bytes,
    task_memory,
    task_slots,
)


def test_memory_sizes_read_like_spark():
    assert memory_bytes("2g") == 2 << 30
    assert memory_bytes("512m") == memory_bytes("512") == 512 << 20  # a bare number is MiB
    assert memory_bytes("1.5G") == 3 << 29
    assert memory_bytes(" 16gb ") == 16 << 30
    assert memory_bytes("4k") == 4096
    with pytest.raises(ValueError, match="not a Spark memory size: 'lots'"):
        memory_bytes("lots")


def test_task_slots_of_local_and_cluster_masters():
    assert task_slots("local[2]", None) == 2
    assert task_slots("local[3,2]", "8") == 3  # local mode ignores spark.executor.cores
    assert task_slots("local", None) == 1
    assert task_slots("local[*]", None) == (os.cpu_count() or 1)
    assert task_slots("spark://head:7077", "4") == 4
    assert task_slots("yarn", None) == 1
    assert task_slots(None, None) == 1


def test_task_memory_prefers_the_python_workers_setting():
    local = {"spark.driver.memory": "2g", "spark.executor.memory": "8g"}
    assert task_memory(local, "local[2]") == 1 << 30  # the driver is the executor in local mode
    assert task_memory({**local, "spark.executor.pyspark.memory": "6g"}, "local[2]") == 3 << 30
    cluster = {"spark.driver.memory": "2g", "spark.executor.memory": "8g", "spark.executor.cores": "4"}
    assert task_memory(cluster, "spark://head:7077") == 2 << 30
    assert task_memory({**cluster, "spark.executor.pyspark.memory": "16g"}, "spark://head:7077") == 4 << 30
    assert task_memory({}, "spark://head:7077") == 1 << 30  # Spark's default executor memory


def test_default_max_partition_is_what_fits_one_task():
    assert default_max_partition({"spark.driver.memory": "2g"}, "local[2]") == (1 << 30) // BYTES_PER_EDGE
    assert default_max_partition({"spark.driver.memory": "2g"}, "local[2]") == 2_097_152
    big = {"spark.executor.pyspark.memory": "16g", "spark.executor.cores": "4"}
    assert default_max_partition(big, "spark://head:7077") == 8_388_608
    assert default_max_partition({"spark.driver.memory": "1k"}, "local[8]") == 1  # never zero
