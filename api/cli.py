"""The ``nichegraph`` command line: one thin Typer app over the command modules.

Each command lives in ``api/commands/<name>.py`` and exposes a function named
``command`` whose parameters are Typer options.  Errors from the lower layers
are shown as one clear message and exit code 2, never as a traceback; any other
error is shown as one line with exit code 1 and its traceback only with
``nichegraph --debug COMMAND``.  Store URIs in messages never show a password.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
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


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``then()`` right after the module ``name`` is first imported (and removes itself)."""

    def __init__(self, name: str, then) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then(module) -> None:
            exec_module(module)
            self.then()

        spec.loader.exec_module = exec_then  # this spec's own loader
        return spec


def _install_compile_notice() -> None:
    from . import compile_notice

    compile_notice.install()


def install_compile_notice_when_numba_loads() -> None:
    """:func:`api.compile_notice.install` now if numba is imported, else right after it is (``--help`` never is)."""
    if "numba" in sys.modules:
        _install_compile_notice()
    else:
        sys.meta_path.insert(0, _AfterImport("numba", _install_compile_notice))


def main() -> None:
    """Console entry point: run the app, turning known errors into clean messages."""
    from rich.console import Console
    from rich.markup import escape

    install_compile_notice_when_numba_loads()
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
