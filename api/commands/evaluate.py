"""Score a run's communities against ground-truth labels: NMI, adjusted Rand index, purity, coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..options import DEFAULT_STORE, StoreOption, open_cli_store


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def command(
    store: StoreOption = DEFAULT_STORE,
    labels: Annotated[
        str,
        typer.Option(
            help="CSV or TSV file with a header: an account id and its label per row; or the GML/GraphML file "
            "that was loaded, its nodes labelled by the node attribute --label-column names (e.g. value, club)."
        ),
    ] = ...,  # type: ignore[assignment]  # typer: a required option
    id_column: Annotated[str, typer.Option(help="Column of the labels file holding account ids.")] = "id",
    label_column: Annotated[
        str, typer.Option(help="Column of the labels file holding the label (of a graph file: the node attribute).")
    ] = "label",
    run_id: Annotated[str | None, typer.Option("--run", help="Run id (default: the latest run).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    from ..evaluate import EvaluationError, evaluate_labels

    try:
        with open_cli_store(store, read_only=True) as st:
            result = evaluate_labels(st, labels, id_column=id_column, label_column=label_column, run_id=run_id)
    except EvaluationError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    console = Console()
    head = Table(title=f"run {result.run_id} against {Path(labels).name}", show_header=False)
    head.add_row("labelled accounts", f"{result.n_labelled:,}")
    head.add_row("covered by the run", f"{result.n_covered:,} ({result.coverage:.1%})")
    head.add_row("label classes", f"{result.n_classes:,}")
    head.add_row("modularity of the labels", _fmt(result.label_modularity))
    head.add_row("assortativity of the labels", _fmt(result.label_assortativity))
    console.print(head)
    table = Table(title="agreement with the labels")
    for name in ("level", "NMI", "ARI", "purity", "communities", "modularity"):
        table.add_column(name, justify="left" if name == "level" else "right")
    for s in result.levels:
        table.add_row(s.level, _fmt(s.nmi), _fmt(s.ari), _fmt(s.purity), f"{s.n_communities:,}", _fmt(s.modularity))
    console.print(table)
