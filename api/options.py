"""Options shared by every command, and opening the store they name."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Annotated

import typer

from nichegraph.graph_store import Store, open_store

DEFAULT_STORE = "nichegraph.duckdb"

StoreOption = Annotated[
    str,
    typer.Option(
        "--store",
        envvar="NICHEGRAPH_STORE",
        help="A DuckDB file path (the embedded store) or a Neo4j URI (bolt://, neo4j://, neo4j+s://).",
    ),
]


_NEO4J_FILE_KEYS = {
    "user": str,
    "password": str,
    "database": str,
    "batch_size": int,
    "workers": int,
    "progress": bool,
    "max_retry_time": float,
    "tx_timeout": float,
    "account_results": str,
}


def neo4j_settings() -> dict:
    """Neo4j connection settings: a TOML file (``NICHEGRAPH_NEO4J_CONFIG``), then the environment.

    Environment: ``NICHEGRAPH_NEO4J_USER`` / ``_PASSWORD`` / ``_DATABASE`` (or ``NEO4J_*``),
    ``NICHEGRAPH_NEO4J_BATCH_SIZE``, ``NICHEGRAPH_NEO4J_WORKERS``, ``NICHEGRAPH_NEO4J_PROGRESS``,
    ``NICHEGRAPH_NEO4J_ACCOUNT_RESULTS`` (see docs/neo4j.md).
    """
    settings: dict = {}
    path = os.environ.get("NICHEGRAPH_NEO4J_CONFIG")
    if path:
        import tomllib

        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise typer.BadParameter(f"NICHEGRAPH_NEO4J_CONFIG={path}: {exc}") from exc
        for key, value in data.items():
            if key not in _NEO4J_FILE_KEYS or not isinstance(value, _NEO4J_FILE_KEYS[key]):
                raise typer.BadParameter(
                    f"NICHEGRAPH_NEO4J_CONFIG={path}: unknown key or wrong type: {key!r}; "
                    f"keys: {', '.join(_NEO4J_FILE_KEYS)}"
                )
            settings[key] = value
    env = {
        "user": os.environ.get("NICHEGRAPH_NEO4J_USER") or os.environ.get("NEO4J_USER"),
        "password": os.environ.get("NICHEGRAPH_NEO4J_PASSWORD") or os.environ.get("NEO4J_PASSWORD"),
        "database": os.environ.get("NICHEGRAPH_NEO4J_DATABASE") or os.environ.get("NEO4J_DATABASE"),
        "batch_size": os.environ.get("NICHEGRAPH_NEO4J_BATCH_SIZE"),
        "workers": os.environ.get("NICHEGRAPH_NEO4J_WORKERS"),
        "account_results": os.environ.get("NICHEGRAPH_NEO4J_ACCOUNT_RESULTS"),
        "progress": _flag(os.environ.get("NICHEGRAPH_NEO4J_PROGRESS")),
    }
    settings.update({k: v for k, v in env.items() if v is not None and v != ""})
    return settings


def _flag(value: str | None) -> bool | None:
    """An environment switch: True for 1/true/yes, False for 0/false/no, None when unset or else."""
    v = (value or "").strip().lower()
    return True if v in ("1", "true", "yes") else False if v in ("0", "false", "no") else None


#: Optional extras by the modules they provide (pyproject.toml's [project.optional-dependencies]).
EXTRAS = {"api": ("fastapi", "pydantic", "uvicorn"), "report": ("matplotlib",), "neo4j": ("neo4j",)}


def require_extra(extra: str, command: str) -> None:
    """Exit with a one-line message (code 2) when a module of ``extra`` cannot be imported."""
    import importlib

    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            typer.echo(
                f"error: nichegraph {command} needs the optional package {module!r} (the {extra!r} extra); "
                f"install it with: pip install 'nichegraph[{extra}]'",
                err=True,
            )
            raise typer.Exit(2) from None


#: Seconds a command waits for a DuckDB file another process holds (``NICHEGRAPH_LOCK_WAIT``).
DEFAULT_LOCK_WAIT = 30.0


def open_cli_store(
    location: str,
    *,
    read_only: bool = False,
    lock_wait: float | None = None,
    write_progress: Callable[[int, int], None] | None = None,
) -> Store:
    """Open the store named by ``--store`` with the settings from the environment.

    ``write_progress(rows_done, rows_total)`` is handed to a store that reports its write phase
    (Neo4j), unless the settings turn progress off.

    A DuckDB file is locked by whichever process has it open for writing (and,
    against writers, by readers such as the HTTP service's brief checks for a
    new run); opening retries for ``lock_wait`` seconds (default
    ``NICHEGRAPH_LOCK_WAIT`` or :data:`DEFAULT_LOCK_WAIT`) before giving up, so
    a load started during such a check waits instead of failing.
    """
    from nichegraph.graph_store import StoreError, is_neo4j_uri

    if is_neo4j_uri(location):
        options = neo4j_settings()
        if options.pop("progress", None) is not False and write_progress is not None:
            options["write_progress"] = write_progress
        return open_store(location, read_only=read_only, **options)
    if lock_wait is None:
        lock_wait = float(os.environ.get("NICHEGRAPH_LOCK_WAIT") or DEFAULT_LOCK_WAIT)
    deadline = time.monotonic() + lock_wait
    while True:
        try:
            return open_store(location, read_only=read_only)
        except StoreError as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
        time.sleep(0.05)
