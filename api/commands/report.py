"""Write a self-contained HTML report of an analysis run (plots, rankings, parameters, counts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..options import DEFAULT_STORE, StoreOption, open_cli_store, require_extra


def command(
    store: StoreOption = DEFAULT_STORE,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    run: Annotated[str | None, typer.Option("--run", help="Run id (default: the newest run).")] = None,
    top: Annotated[int, typer.Option(min=1, help="Rows per ranking table.")] = 20,
    min_authenticity: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Rankings keep accounts whose audience authenticity is at least this (0-1)."
        ),
    ] = None,
) -> None:
    require_extra("report", "report")
    from ..report import write_report  # matplotlib is imported only when a report is made

    if out.parent and not out.parent.exists():
        raise typer.BadParameter(f"folder {out.parent} does not exist", param_hint="--out")
    err = Console(stderr=True, highlight=False)
    with open_cli_store(store, read_only=True) as st, err.status("writing the report (plots, rankings)"):
        path = write_report(st, out, run_id=run, top=top, min_authenticity=min_authenticity)
    err.print(f"report written to {path} ({path.stat().st_size:,} bytes); open it in a browser", markup=False)
