"""Run the whole pipeline on the shipped sample (US senators on Twitter) and print rankings."""

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
    seed: Annotated[int, typer.Option(help="Random seed of the analysis.")] = 0,
) -> None:
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
    analyze.print_summary(result)
    for by, title in (
        ("hidden", "Hidden influencers (nano and micro tiers)"),
        ("pagerank", "Most followed (PageRank)"),
    ):
        console.print(f"\n[bold]{title}[/]")
        rank.command(store=store, by=by, limit=limit)  # every other option at its default
