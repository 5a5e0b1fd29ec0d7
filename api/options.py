"""Options shared by every command, and opening the store they name."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from graph_store import Store, open_store

DEFAULT_STORE = "nichegraph.duckdb"

StoreOption = Annotated[
    str,
    typer.Option(
        "--store",
        envvar="NICHEGRAPH_STORE",
        help="A DuckDB file path (the embedded store) or a Neo4j URI (bolt://, neo4j://, neo4j+s://).",
    ),
]


def neo4j_settings() -> dict:
    """Neo4j connection settings from the environment (user, password, database)."""
    env = {
        "user": os.environ.get("NICHEGRAPH_NEO4J_USER") or os.environ.get("NEO4J_USER"),
        "password": os.environ.get("NICHEGRAPH_NEO4J_PASSWORD") or os.environ.get("NEO4J_PASSWORD"),
        "database": os.environ.get("NICHEGRAPH_NEO4J_DATABASE") or os.environ.get("NEO4J_DATABASE"),
    }
    return {k: v for k, v in env.items() if v}


def open_cli_store(location: str, *, read_only: bool = False) -> Store:
    """Open the store named by ``--store`` with the settings from the environment."""
    from graph_store import is_neo4j_uri

    options = neo4j_settings() if is_neo4j_uri(location) else {}
    return open_store(location, read_only=read_only, **options)
