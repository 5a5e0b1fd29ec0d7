"""Export an analysis run: accounts with every measure, communities and niches (and edges with --edges)
to Parquet or CSV (a folder, one file per table) or to GEXF or GraphML (one graph file, for Gephi).

`--format neo4j-admin` writes the loaded graph of a DuckDB store instead (no run needed) as node and relationship files for `neo4j-admin database import full` into a new Neo4j database, and prints the recipe (see docs/neo4j.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

from ..export import EXPORT_FORMATS, ExportFormat, export_run
from ..neo4j_admin import export_neo4j_admin
from ..options import DEFAULT_STORE, StoreOption, open_cli_store

#: The graph (not a run) as `neo4j-admin database import full` files.
NEO4J_ADMIN = "neo4j-admin"


def command(
    store: StoreOption = DEFAULT_STORE,
    out: Annotated[Path, typer.Option("--out", help="Folder (parquet, csv) or file (gexf, graphml) to write.")] = Path(
        "export"
    ),
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="|".join((*EXPORT_FORMATS, NEO4J_ADMIN)))
    ] = "parquet",
    run: Annotated[str | None, typer.Option("--run", help="Run id (default: the newest run).")] = None,
    edges: Annotated[bool, typer.Option("--edges", help="Also export follows and interactions.")] = False,
    database: Annotated[
        str, typer.Option("--database", help="neo4j-admin: the database name in the printed command.")
    ] = "neo4j",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="neo4j-admin: print nothing.")] = False,
) -> None:
    if fmt == NEO4J_ADMIN:
        if run is not None or edges:
            raise typer.BadParameter("neo4j-admin exports the whole loaded graph: no --run or --edges")
        export_neo4j_admin(store, out, database=database, quiet=quiet)
        return
    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"{fmt!r}: use one of {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    target = out if fmt in ("parquet", "csv") else out.parent
    if fmt in ("gexf", "graphml") and not target.exists():
        raise typer.BadParameter(f"folder {target} does not exist", param_hint="--out")
    err = Console(stderr=True, highlight=False)
    with open_cli_store(store, read_only=True) as st, err.status("exporting") as status:
        record, files = export_run(
            st,
            out,
            cast(ExportFormat, fmt),
            run_id=run,
            edges=edges,
            progress=lambda step: status.update(f"exporting: {step}"),
        )
    err.print(f"exported run {record.run_id} ({record.counts.get('accounts', 0):,} accounts) as {fmt}:")
    for path in files:
        err.print(f"  {path} ({path.stat().st_size:,} bytes)")
