"""One local[2] SparkSession for the whole test session, and the small world every Spark test analyses."""

from __future__ import annotations

import pytest

from nichegraph.api.spark import spark_session
from nichegraph.graph_store.duckdb_store import DuckDBStore

from .worlds import batches, world


@pytest.fixture(scope="session")
def spark():
    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=4)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def world_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("spark") / "world.duckdb"
    with DuckDBStore(str(path)) as st:
        st.load(batches(world()))
    return path
