"""Files and databases in, plain arrays out: nichegraph's storage layer.

This package knows nothing about the engine.  It turns input files into
validated Arrow batches (:mod:`graph_store.ingest`), writes them to a store,
and reads edges back out as numpy arrays with the ids that map dense indices
back to accounts.
"""

from __future__ import annotations

from .base import RESULT_TABLES, EdgeArrays, LoadCounts, RunRecord, Store, TableCounts
from .errors import InputRejected, NoRunError, RowIssue, StoreError, StoreLocationError
from .schema import INTERACTION_KINDS, SCHEMAS, TableBatch
from .uri import Neo4jLocation, parse_neo4j_uri, redact

NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def is_neo4j_uri(location: str) -> bool:
    """True when ``location`` names a Neo4j server rather than a DuckDB file (any letter case)."""
    return str(location).lower().startswith(NEO4J_SCHEMES)


def open_store(location: str, *, read_only: bool = False, **options) -> Store:
    """Open the store named by ``--store``: a DuckDB path or a Neo4j URI.

    Parameters
    ----------
    location : str
        A file path (``nichegraph.duckdb``) or ``bolt://``, ``neo4j://``,
        ``neo4j+s://`` URI.
    read_only : bool
        Open without write access (DuckDB only; Neo4j access follows its user).
    **options
        Passed to the Neo4j store (user, password, database, batch_size ...).
    """
    location = str(location)
    if is_neo4j_uri(location):
        parsed = parse_neo4j_uri(location)  # refused before the driver is imported; credentials leave the URI
        if parsed.user is not None or parsed.password is not None:
            options = {**options, "user": parsed.user, "password": parsed.password}
        try:
            from .neo4j_store import Neo4jStore  # optional dependency: the `neo4j` extra
        except ImportError as exc:
            raise StoreError(
                f"a Neo4j store needs the neo4j extra ({exc}); install it with pip install 'nichegraph[neo4j]'"
            ) from None
        return Neo4jStore.connect(parsed.uri, **options)
    if "://" in location:
        raise StoreLocationError(
            f"--store {redact(location)!r}: unsupported scheme; use a file path or one of {', '.join(NEO4J_SCHEMES)}"
        )
    from .duckdb_store import DuckDBStore

    return DuckDBStore(location, read_only=read_only)


__all__ = [
    "INTERACTION_KINDS",
    "RESULT_TABLES",
    "SCHEMAS",
    "EdgeArrays",
    "InputRejected",
    "LoadCounts",
    "Neo4jLocation",
    "NoRunError",
    "RowIssue",
    "RunRecord",
    "Store",
    "StoreError",
    "StoreLocationError",
    "TableBatch",
    "TableCounts",
    "is_neo4j_uri",
    "open_store",
    "parse_neo4j_uri",
    "redact",
]
