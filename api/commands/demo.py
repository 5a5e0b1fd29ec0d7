"""Run the whole pipeline on the shipped sample (US senators on Twitter) and print rankings.

--world synth runs it on a small generated world instead, with posts: hidden influencers, the engagement-rate ranking and the #acme hashtag campaign."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..options import open_cli_store
from . import analyze, load, rank

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "senators"


def command(
    store: Annotated[
        str, typer.Option("--store", help="Where to put the demo store (a DuckDB file).")
    ] = "nichegraph-demo.duckdb",
    limit: Annotated[int, typer.Option(help="Accounts per ranking.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed of the analysis (and of the synth world).")] = 0,
    world: Annotated[
        str, typer.Option(help="senators (the shipped follow graph) or synth (a generated world with posts).")
    ] = "senators",
    accounts: Annotated[int, typer.Option(min=100, help="Accounts of the synth world.")] = 3000,
) -> None:
    if world not in ("senators", "synth"):
        raise typer.BadParameter(f"{world!r}; use senators or synth", param_hint="--world")
    if world == "synth":
        _synth_demo(store, limit, seed, accounts)
        return
    from nichegraph.graph_store.ingest import load_files

    from ..analysis import AnalysisParams, run_analysis

    console = Console()
    console.print(f"[bold]nichegraph demo[/]: the US senators' follow graph (2018), from {SAMPLE}")
    console.print("Data: T. Brambor, 'U.S. Senators on Twitter', Columbia QMSS course data, 2018 (see SOURCE.md).\n")
    with open_cli_store(store) as st:
        report = load_files(
            st,
            accounts=SAMPLE / "senators_wfollowers.csv",
            follows=SAMPLE / "senators_follow.csv",
            columns=SAMPLE / "mapping.toml",
        )
        load._summary(report, store)
        with console.status("analysing"):
            result = run_analysis(st, AnalysisParams(seed=seed))
    _show(result, store, limit, ("pagerank", "Most followed (PageRank)"))


def _show(result, store: str, limit: int, second: tuple[str, str]) -> None:
    """Print the run's summary, the hidden influencers and a second ranking (``by``, title)."""
    console = Console()
    analyze.print_summary(result)
    for by, title in (("hidden", "Hidden influencers (nano and micro tiers)"), second):
        console.print(f"\n[bold]{title}[/]")
        rank.command(store=store, by=by, limit=limit)  # every other option at its default


def _synth_demo(store: str, limit: int, seed: int, accounts: int) -> None:
    """The pipeline on a generated world loaded with its posts: hidden influencers, engagement, a campaign."""
    from nichegraph.graph_store.synth import BRAND_HANDLE, BRAND_HASHTAG, generate

    from ..analysis import AnalysisParams, run_analysis
    from . import campaign

    console = Console()
    w = generate(n_accounts=accounts, n_edges=15 * accounts, seed=seed)
    console.print(
        f"[bold]nichegraph demo[/]: a generated world of {w.n_accounts:,} accounts, {w.n_follows:,} follows, "
        f"{w.n_interactions:,} interactions and {w.n_posts:,} posts (as files: nichegraph synth --accounts "
        f"{accounts} --edges {15 * accounts} --seed {seed})\n"
    )
    with open_cli_store(store) as st:
        st.load(w.batches(posts=True))
        console.print("loaded: " + ", ".join(f"{v:,} {k}" for k, v in st.counts().items()), highlight=False)
        with console.status("analysing"):
            result = run_analysis(st, AnalysisParams(seed=seed))
    _show(result, store, limit, ("engagement", "Engagement rate per post against same-tier, same-niche peers"))
    console.print(f"\n[bold]The #{BRAND_HASHTAG} hashtag campaign since 2024-07-01[/]")
    campaign.command(store=store, hashtag=[BRAND_HASHTAG], since="2024-07-01", brand=BRAND_HANDLE, limit=limit)
