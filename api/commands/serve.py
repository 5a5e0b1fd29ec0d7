"""Serve the latest analysis run over HTTP (the ranking API, see docs/api.md)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from ..options import DEFAULT_STORE, StoreOption, require_extra


def command(
    store: StoreOption = DEFAULT_STORE,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    api_keys: Annotated[
        str | None,
        typer.Option(
            "--api-keys",
            help="File of hashed API keys ('NAME HASH SCOPES' per line); also NICHEGRAPH_API_KEYS. "
            "Without keys the API is open.",
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="Allowed CORS origin (repeat; '*' for any). Default: none."),
    ] = None,
    rate_limit: Annotated[
        float | None,
        typer.Option(
            min=0, help="Requests per second per API key (per client address without keys); 0 disables. [default: 50]"
        ),
    ] = None,
    rate_burst: Annotated[int | None, typer.Option(min=1, help="Token bucket size. [default: 100]")] = None,
    max_page_size: Annotated[int | None, typer.Option(min=1, max=10_000, help="Largest page. [default: 500]")] = None,
    poll_seconds: Annotated[
        float | None, typer.Option(min=0, help="Check for a newer run every N seconds; 0 never. [default: 10]")
    ] = None,
    mutuals: Annotated[
        bool, typer.Option(help="Load the run's mutual connections table (for GET /v1/accounts/ID).")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Worker processes (each holds its own snapshot in memory and polls the store)."
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    import logging

    require_extra("api", "serve")
    import uvicorn

    from ..service import create_app, load_settings
    from ..service.security import KeyFileError

    try:
        settings = load_settings(
            store=store,
            api_keys_file=api_keys,
            cors_origins=cors_origin or None,
            rate_limit=rate_limit,
            rate_burst=rate_burst,
            max_page_size=max_page_size,
            poll_seconds=poll_seconds,
            mutuals=mutuals,
        )
        app = create_app(settings)
    except (KeyFileError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run = partial(uvicorn.run, host=host, port=port, log_level=log_level, access_log=False, server_header=False)
    if workers == 1:
        run(app)
        return
    # several processes: each builds the app from the same settings, passed through the environment
    import os
    import secrets
    from dataclasses import fields, replace

    if settings.cursor_secret is None:  # one secret for every worker, so each accepts the others' cursors
        settings = replace(settings, cursor_secret=secrets.token_urlsafe(32))

    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name == "extra" or value is None:
            continue
        os.environ[f"NICHEGRAPH_{f.name.upper()}"] = ",".join(value) if isinstance(value, tuple) else str(value)
    run("nichegraph.api.service.app:app_from_env", factory=True, workers=workers)
