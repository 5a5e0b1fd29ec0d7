"""``nichegraph export --format neo4j-admin``: node and relationship files for `neo4j-admin database import full`.

The fast way to fill a new Neo4j database: load your files into a DuckDB store first
(``nichegraph load --store my.duckdb ...``), then write the import files, run the printed importer
command on a stopped server, start it, run ``cypher-shell -f DIR/finish.cypher`` once (constraints
and indexes), and use ``--store bolt://...`` as usual.  The files hold the loaded graph (accounts, follows,
interactions and posts) in the Neo4j store's model (:mod:`nichegraph.graph_store.neo4j_bulk`), not an analysis run.  See
docs/neo4j.md.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from nichegraph.graph_store import StoreError, is_neo4j_uri


def export_neo4j_admin(store: str, out: Path, *, database: str = "neo4j", quiet: bool = False) -> None:
    """Write the import files of the DuckDB store ``store`` to the folder ``out`` and print the recipe.

    Raises
    ------
    StoreError
        When ``store`` is a Neo4j URI (the Neo4j database is the importer's target, not its source).
    """
    from nichegraph.graph_store.neo4j_bulk import write_import_files

    if is_neo4j_uri(store):
        raise StoreError(
            f"--store {store}: give the DuckDB store to read (the Neo4j database is the importer's target)"
        )
    files = write_import_files(store, out)
    if quiet:
        return
    c = files.counts
    console = Console()
    console.print(
        f"wrote {c['accounts']:,} accounts, {c['follows']:,} follows, {c['interaction_events']:,} "
        f"interaction events ({c['interactions']:,} interactions) and {c['posts']:,} posts to {escape(str(out))}",
        highlight=False,
    )
    console.print("\n1. stop the server, then import (replaces the database):", highlight=False)
    typer.echo("   " + " ".join(shlex.quote(a) for a in files.command(database)))
    console.print(f"   (the same command: {escape(str(out / 'import.sh'))} [DATABASE])", highlight=False)
    console.print("2. start the server, then once:", highlight=False)
    typer.echo(f"   cypher-shell -d {shlex.quote(database)} -f {shlex.quote(str(files.finish))}")
    console.print("3. nichegraph info --store bolt://HOST:7687", highlight=False)
