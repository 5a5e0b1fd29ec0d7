"""Show what a store holds: account, follow and interaction counts, and analysis runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nichegraph.graph_store import redact

from ..options import DEFAULT_STORE, StoreOption, open_cli_store


def command(
    store: StoreOption = DEFAULT_STORE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    with open_cli_store(store, read_only=True) as st:
        counts = st.counts()
        runs = st.list_runs()
    shown = redact(store)
    info = {"store": shown, **counts, "runs": len(runs), "latest_run": runs[0].run_id if runs else None}
    if as_json:
        typer.echo(json.dumps(info))
        return
    table = Table(title=f"nichegraph store {escape(shown)}", show_header=False)
    for key, value in info.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else escape(str(value)))
    Console(emoji=False).print(table)
