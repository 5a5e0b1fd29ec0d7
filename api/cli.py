"""The ``nichegraph`` command line: one thin Typer app over the command modules.

Each command lives in ``api/commands/<name>.py`` and exposes a function named
``command`` whose parameters are Typer options.  Errors from the lower layers
are shown as one clear message and exit code 2, never as a traceback.
"""

from __future__ import annotations

import importlib

import typer

from nichegraph.engine import EngineError
from nichegraph.graph_store import StoreError

app = typer.Typer(
    name="nichegraph",
    help="Find who really matters inside niche online communities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Find who really matters inside niche online communities."""


#: command name -> module under api.commands
COMMANDS: dict[str, str] = {
    "load": "load",
    "info": "info",
    "analyze": "analyze",
    "rank": "rank",
    "serve": "serve",
    "demo": "demo",
    "synth": "synth",
    "report": "report",
    "plan": "plan",
    "export": "export",
    "neo4j-import-files": "neo4j_import_files",
}

for _name, _module in COMMANDS.items():
    _mod = importlib.import_module(f"nichegraph.api.commands.{_module}")
    app.command(_name, help=_mod.__doc__)(_mod.command)


def main() -> None:
    """Console entry point: run the app, turning known errors into clean messages."""
    from rich.console import Console

    from . import compile_notice

    compile_notice.install()
    try:
        app()
    except (StoreError, EngineError) as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
