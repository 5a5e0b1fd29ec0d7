"""The ``nichegraph`` command line: one thin Typer app over the command modules.

Each command lives in ``api/commands/<name>.py`` and exposes a function named
``command`` whose parameters are Typer options.  Errors from the lower layers
are shown as one clear message and exit code 2, never as a traceback; any other
error is shown as one line with exit code 1 and its traceback only with
``nichegraph --debug COMMAND``.  Store URIs in messages never show a password.
"""

from __future__ import annotations

import importlib
import sys

import typer

from nichegraph.engine import EngineError
from nichegraph.graph_store import StoreError, redact

app = typer.Typer(
    name="nichegraph",
    help="Find who really matters inside niche online communities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


#: Set by ``--debug``: show tracebacks instead of one-line messages.
DEBUG = {"on": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show the full traceback of any error.")) -> None:
    """Find who really matters inside niche online communities."""
    DEBUG["on"] = debug


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
    "evaluate": "evaluate",
    "profile": "profile",
}

for _name, _module in COMMANDS.items():
    _mod = importlib.import_module(f"nichegraph.api.commands.{_module}")
    app.command(_name, help=_mod.__doc__)(_mod.command)


def main() -> None:
    """Console entry point: run the app, turning known errors into clean messages."""
    from rich.console import Console
    from rich.markup import escape

    from . import compile_notice

    compile_notice.install()
    err = Console(stderr=True, highlight=False, emoji=False)
    try:
        app()
    except (StoreError, EngineError) as exc:
        if DEBUG["on"]:
            raise
        err.print(f"[bold red]error:[/] {escape(redact(str(exc)))}")
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err.print("[bold red]interrupted[/]")
        raise SystemExit(130) from None
    except Exception as exc:
        if DEBUG["on"] or "--debug" in sys.argv[1:2]:
            raise
        err.print(
            f"[bold red]error:[/] {escape(redact(f'{type(exc).__name__}: {exc}'))}\n"
            "this is unexpected; run the command again as nichegraph --debug ... to see the traceback "
            "and please report it"
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
