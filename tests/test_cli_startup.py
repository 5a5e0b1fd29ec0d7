"""Start-up of the command line: ``nichegraph --help`` (and importing the CLI) loads no numerical engine,
store driver or web stack; each command imports what it needs when it runs.  ``nichegraph.engine`` imports
its submodules on first use, and every public name still resolves."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import types

import nichegraph.engine as engine

#: Modules a command may need, none of which the CLI's start-up or --help may import.
HEAVY = ("numba", "scipy", "duckdb", "neo4j", "fastapi", "uvicorn", "matplotlib")


def _imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_import_and_help_load_no_heavy_module():
    assert _imported_after("import nichegraph.api.cli") == []
    help_run = (
        "import sys\nfrom typer.testing import CliRunner\nfrom nichegraph.api.cli import app\n"
        "res = CliRunner().invoke(app, ['--help'])\nassert res.exit_code == 0 and 'demo' in res.output, res.output"
    )
    assert _imported_after(help_run) == []


def test_commands_import_their_engine_when_they_run():
    # the command modules are light; running one imports the engine it needs
    assert _imported_after("import nichegraph.api.commands.analyze") == []
    assert "numba" in _imported_after(
        "from nichegraph.api.commands import analyze\nfrom nichegraph.api.analysis import run_analysis"
    )


def test_every_public_engine_name_resolves():
    for sub in pkgutil.walk_packages(engine.__path__, "nichegraph.engine."):
        importlib.import_module(sub.name)  # a submodule import must not shadow a public name (engine.tiers)
    assert set(engine.__all__) <= set(dir(engine))
    for name in engine.__all__:
        value = getattr(engine, name)
        assert value is not None and not isinstance(value, types.ModuleType), name
    assert engine.community.leiden is engine.leiden  # a submodule on first use, too
    try:
        engine.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
