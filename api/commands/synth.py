"""Generate a synthetic social world (accounts, follows, interactions, posts and the planted truth) as CSV or Parquet files.

The world is deterministic: the same --accounts, --edges and --seed give byte-identical files. It has heavy-tailed follower counts (nano, micro, macro and mega accounts), planted niche communities inside broad communities, reciprocal conversation inside niches, one-way attention towards big accounts, a brand account (handle "brand") with its hashtag, and employees. Posts: the post behind every interaction and the original posts people reply to, repost and quote, with likes, replies, reposts, quotes and views consistent with the interactions (--no-posts leaves them out).

Load it with the `nichegraph load` command printed at the end; truth.* holds the planted niche and community of every account (for checking community detection).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, cast

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from nichegraph.graph_store.schema import TIER_NAMES
from nichegraph.graph_store.synth import FileFormat, generate, write_world


def command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into (created if missing).")],
    accounts: Annotated[int, typer.Option("--accounts", min=100, help="Number of accounts.")] = 10_000,
    edges: Annotated[int, typer.Option("--edges", min=0, help="Follows plus interactions.")] = 200_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    gzip: Annotated[bool, typer.Option("--gzip", help="Gzip the CSV files (.csv.gz).")] = False,
    follow_share: Annotated[
        float, typer.Option("--follow-share", min=0.0, max=1.0, help="Share of --edges that are follows.")
    ] = 0.4,
    interactions: Annotated[
        int | None,
        typer.Option("--interactions", min=0, help="Exact number of interactions (the rest of --edges are follows)."),
    ] = None,
    bought: Annotated[
        int,
        typer.Option(
            min=0,
            help="Members that bought a batch of fake followers (fresh mass-following accounts added to the world, "
            "delivered within a day); truth.* marks them 'buyer' and the fakes 'fake' in its planted column.",
        ),
    ] = 0,
    pods: Annotated[
        int,
        typer.Option(min=0, help="Engagement pods (4-8 members answering each other within minutes); truth: 'pod'."),
    ] = 0,
    posts: Annotated[
        bool, typer.Option("--posts/--no-posts", help="Write posts.* (original posts, replies, quotes, reposts).")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter(f"--format {fmt!r}: expected csv or parquet", param_hint="--format")
    if interactions is not None and interactions > edges:
        raise typer.BadParameter(
            f"--interactions {interactions} is more than --edges {edges}", param_hint="--interactions"
        )
    console = Console(stderr=True, quiet=quiet)
    t0 = time.perf_counter()
    try:
        with console.status(f"planting a world of {accounts:,} accounts and {edges:,} edges (seed {seed})"):
            world = generate(
                n_accounts=accounts,
                n_edges=edges,
                seed=seed,
                follow_share=follow_share,
                n_interactions=interactions,
                bought=bought,
                pods=pods,
            )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    t_gen = time.perf_counter() - t0

    totals = {
        "accounts": world.n_accounts,
        "follows": world.n_follows,
        "interactions": world.n_interactions,
        **({"posts": world.n_posts} if posts else {}),
        "truth": world.n_accounts,
    }
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<13}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=quiet,
    ) as progress:
        tasks = {name: progress.add_task(f"write {name}", total=total) for name, total in totals.items()}
        paths = write_world(
            world,
            out,
            fmt=cast(FileFormat, fmt),  # checked to be csv or parquet above
            gzip=gzip,
            progress=lambda name, rows: progress.advance(tasks[name], rows),
            posts=posts,
        )
    t_all = time.perf_counter() - t0

    if quiet:
        return
    tiers = np.bincount(world.tier(), minlength=len(TIER_NAMES))
    table = Table(title=f"synthetic world (seed {seed})", show_header=False)
    table.add_row("accounts", f"{world.n_accounts:,}")
    table.add_row("  tiers", ", ".join(f"{t} {c:,}" for t, c in zip(TIER_NAMES, tiers)))
    table.add_row("  employees", f"{int((world.affiliation == 0).sum()) - 1:,} (Acme Corp) + brand account")
    table.add_row("niches / communities", f"{world.n_niches:,} / {world.n_communities:,}")
    if world.inauthentic is not None:
        planted = world.inauthentic
        table.add_row(
            "  planted",
            f"{planted.buyers.size:,} buyers, {planted.fakes.size:,} fakes, {planted.pod_members.size:,} pod members",
        )
    table.add_row("follows", f"{world.n_follows:,}")
    table.add_row("interactions", f"{world.n_interactions:,}")
    if posts:
        table.add_row("posts", f"{world.n_posts:,}")
    for name, path in paths.items():
        table.add_row(f"  {name}", f"{path}  ({path.stat().st_size / 1e6:,.1f} MB)")
    table.add_row("time", f"{t_all:.1f} s (generate {t_gen:.1f} s)")
    console.print(table)
    console.print(
        "load it with:\n  nichegraph load --store nichegraph.duckdb "
        f"--accounts {paths['accounts']} --follows {paths['follows']} "
        f"--interactions {paths['interactions']}" + (f" --posts {paths['posts']}" if posts else ""),
        highlight=False,
        soft_wrap=True,
    )
