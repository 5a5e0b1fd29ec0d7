"""Load accounts, follows and interactions from files into a store (one transaction).

Formats: csv (or tsv, plain or .gz), parquet, jsonl (canonical tables), snap edge lists,
the SNAP higgs activity log and x-api-v2 tweets; auto-detected by default.  A file with
bad rows is refused (the store is unchanged) unless --on-error skip, which loads the
good rows and writes the bad ones to --rejects.  See docs/input-formats.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from nichegraph.graph_store import redact
from nichegraph.graph_store.errors import InputRejected, StoreError
from nichegraph.graph_store.ingest import (
    FORMATS,
    FileRejected,
    FileStats,
    Format,
    LoadReport,
    check_rejects_path,
    load_files,
    load_mapping,
)

from ..options import DEFAULT_STORE, StoreOption, open_cli_store


def command(
    store: StoreOption = DEFAULT_STORE,
    accounts: Annotated[
        list[str] | None, typer.Option("--accounts", metavar="FILE", help="Accounts file (repeatable).")
    ] = None,
    follows: Annotated[
        list[str] | None, typer.Option("--follows", metavar="FILE", help="Follows file (repeatable).")
    ] = None,
    interactions: Annotated[
        list[str] | None,
        typer.Option(
            "--interactions", metavar="FILE", help="Interactions file: table, snap, higgs or x-api-v2 (repeatable)."
        ),
    ] = None,
    posts: Annotated[
        list[str] | None,
        typer.Option(
            "--posts", metavar="FILE", help="Posts file: table (csv, parquet, jsonl) or x-api-v2 (repeatable)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="|".join(FORMATS))] = "auto",
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error",
            metavar="fail|skip",
            help="fail: refuse a file with bad rows; skip: load good rows, write bad ones to --rejects.",
        ),
    ] = "fail",
    rejects: Annotated[
        str | None,
        typer.Option("--rejects", metavar="FILE", help="CSV of rejected rows (file,line,field,reason,text)."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column", metavar="FIELD=COLUMN", help="[TABLE.]FIELD=THEIR_COLUMN, e.g. follower=source (repeatable)."
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option("--columns", metavar="FILE|NAME", help="TOML mapping file (or a shipped one: senators-follow)."),
    ] = None,
    ignore_column: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore-column",
            metavar="[TABLE.]COLUMN",
            help="Leave out a column that is no field (repeatable); any other unknown column is refused.",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", metavar="KIND", help="Interaction kind for files without one (snap edge lists)."),
    ] = None,
    ids: Annotated[
        str | None, typer.Option("--ids", metavar="keep|lower", help="keep | lower: lower-case every account id.")
    ] = None,
    timestamp_format: Annotated[
        str | None,
        typer.Option("--timestamp-format", metavar="FMT", help="auto | unix | unix_ms | iso | a strptime pattern."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
    if fmt not in FORMATS:
        err.print(f"[bold red]error:[/] --format {fmt!r}: use one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if on_error not in ("fail", "skip"):
        err.print(f"[bold red]error:[/] --on-error {on_error!r}: use fail or skip")
        raise typer.Exit(2)
    if not (accounts or follows or interactions or posts):
        err.print("[bold red]error:[/] nothing to load: give --accounts, --follows, --interactions and/or --posts")
        raise typer.Exit(2)
    try:
        # before the store is opened (which creates its file) and before any input is parsed
        check_rejects_path(rejects, [*(accounts or []), *(follows or []), *(interactions or []), *(posts or [])], store)
        mapping = load_mapping(
            columns, column or [], ids=ids, timestamp_format=timestamp_format, ignore=ignore_column or []
        )
    except StoreError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
        raise typer.Exit(2) from None

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    )
    tasks: dict[int, TaskID] = {}
    n_inputs = len(accounts or []) + len(follows or []) + len(interactions or []) + len(posts or [])
    writing: list[TaskID] = []

    def on_progress(stats: FileStats, done: int, total: int) -> None:
        if id(stats) not in tasks:
            tasks[id(stats)] = progress.add_task(escape(_short(stats.path)), total=total, rows=0)
        progress.update(tasks[id(stats)], completed=done, rows=stats.rows)
        if done >= total and len(tasks) == n_inputs and not writing:
            # every file is read; the store now merges the batches in its transaction
            writing.append(progress.add_task("writing to the store", total=None, rows=0))

    def on_write(done: int, total: int) -> None:
        # a store that reports its write phase (Neo4j) fills the "writing" task with rows
        if not writing:
            writing.append(progress.add_task("writing to the store", total=None, rows=0))
        progress.update(writing[0], rows=done)

    try:
        with open_cli_store(store, write_progress=on_write) as st, progress:
            report = load_files(
                st,
                accounts=accounts,
                follows=follows,
                interactions=interactions,
                posts=posts,
                format=cast(Format, fmt),  # checked against FORMATS above
                on_error=cast(Literal["fail", "skip"], on_error),
                rejects=rejects,
                columns=mapping,
                kind=kind,
                progress=on_progress,
            )
    except StoreError as exc:  # InputRejected, a missing file, a bad --kind ...
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
        if rejects and isinstance(exc, InputRejected) and not isinstance(exc, FileRejected):
            err.print(f"the bad rows were written to {escape(rejects)}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        # the store's transaction was rolled back as the exception left it (see docs/guarantees.md)
        err.print("[bold red]interrupted:[/] the load was stopped; the store was not changed")
        raise typer.Exit(130) from None
    _summary(report, store)


def _short(path: str, width: int = 40) -> str:
    return path if len(path) <= width else "..." + path[-(width - 3) :]


def _summary(report: LoadReport, store: str) -> None:
    out = Console(highlight=False, emoji=False)
    t = Table(title=f"loaded into {escape(redact(store))}", title_justify="left")
    for col in ("file", "format", "rows", "loaded", "rejected", "filtered", "blank"):
        t.add_column(col, justify="left" if col in ("file", "format") else "right", overflow="fold")
    for f in report.files:
        t.add_row(
            escape(_short(Path(f.path).name, 24)),
            f.format,
            f"{f.rows:,}",
            f"{f.loaded:,}",
            f"{f.rejected:,}",
            f"{f.filtered:,}",
            f"{f.blank_lines + f.comment_lines:,}",
        )
    out.print(t)
    c = report.counts
    s = Table(show_header=True, title="store changes", title_justify="left")
    for col in ("table", "rows", "new", "existing", "duplicates", "self-loops"):
        s.add_column(col, justify="left" if col == "table" else "right")
    for name in ("accounts", "follows", "interactions", "posts"):
        tc = getattr(c, name)
        if tc.rows:
            s.add_row(
                name,
                f"{tc.rows:,}",
                f"{tc.inserted:,}",
                f"{tc.existing:,}",
                f"{tc.duplicates:,}",
                f"{tc.self_loops:,}" if name not in ("accounts", "posts") else "-",
            )
    out.print(s)
    out.print(f"new accounts seen only as edge endpoints: {c.new_endpoint_accounts:,}")
    for f in report.files:
        for col, fld in f.columns.items():
            out.print(f"{escape(_short(f.path))}: column {escape(repr(col))} read as {fld} (a common spelling)")
        if f.keyed_by_handle:
            out.print(
                f"{escape(_short(f.path))}: {f.keyed_by_handle:,} mentions name a username with no id in the "
                "file; kept under the account @username"
            )
        for reason, n in f.skipped.items():
            out.print(f"{escape(_short(f.path))}: skipped {n:,} {escape(reason)}")
    if report.rejects_path:
        out.print(f"rejected rows: {report.rejected:,} (written to {escape(report.rejects_path)})")
