"""Analyse the store: communities and every measure, stored as a new run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..options import DEFAULT_STORE, StoreOption, open_cli_store


def command(
    store: StoreOption = DEFAULT_STORE,
    seed: Annotated[int, typer.Option(help="Random seed: same data and seed give the same results.")] = 0,
    resolution: Annotated[float, typer.Option(help="Community resolution (higher = smaller communities).")] = 1.0,
    level: Annotated[
        str, typer.Option(help="Communities for niche centrality and rankings: niche or broad.")
    ] = "niche",
    threads: Annotated[int | None, typer.Option(help="Worker threads for the engine (default: all cores).")] = None,
    parallel: Annotated[
        bool,
        typer.Option(
            "--parallel/--serial",
            help="Community detection on the worker threads too (the default). Results never depend on --threads, "
            "but on 100,000+ accounts --parallel finds other, equally good communities than --serial.",
        ),
    ] = True,
    follows_complete: Annotated[
        bool,
        typer.Option(
            "--follows-complete",
            help="The loaded follows hold every follower of every account: tier accounts without a platform follower "
            "count by their observed followers (default: their tier is 'unknown').",
        ),
    ] = False,
    min_evidence: Annotated[
        int,
        typer.Option(
            min=0,
            help="Distinct accounts of its niche that must engage with an account before it gets a hidden "
            "score (docs/metrics.md).",
        ),
    ] = 3,
    engine: Annotated[
        str, typer.Option(help="single (this machine, numba) or spark (docs/spark.md; needs the spark extra).")
    ] = "single",
    spark_master: Annotated[
        str | None,
        typer.Option(help="Spark master for --engine spark (local[2], spark://host:7077); default local[2]."),
    ] = None,
    max_partition: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="--engine spark: largest partition one Spark task analyses, as its follow and interaction rows "
            "plus its accounts; a connected component above it is split. Default: what fits one task's memory "
            "(spark.executor.pyspark.memory, else the executor's or local mode's driver memory, per task, at 512 "
            "bytes a row; docs/spark.md).",
        ),
    ] = None,
    input_dir: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="--engine spark: read accounts, follows, interactions (and posts) from this folder of Parquet "
            "tables (or table:PREFIX, tables a Spark session can read) instead of the store, and write the result "
            "tables as Parquet into --output (docs/spark.md).",
        ),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output", help="With --input: a new (or empty) folder for the result tables; default INPUT-analysis."
        ),
    ] = None,
    trusted: Annotated[
        Path | None,
        typer.Option(
            help="Accounts known to be genuine, one id per line: the seeds of the SybilRank trust of the "
            "authenticity score (default: the accounts with the most two-way conversing mutual ties, "
            "docs/metrics.md).",
        ),
    ] = None,
) -> None:
    from nichegraph.graph_store.labels import LabelsRejected, read_account_list

    from ..analysis import AnalysisParams, run_analysis
    from ..stages.authenticity import AuthenticityStageParams, TrustedAccountError
    from ..stages.communities import CommunityParams
    from ..stages.metrics import MetricsParams

    console = Console(stderr=True)
    authenticity = AuthenticityStageParams()
    if trusted is not None:
        try:
            listed = read_account_list(trusted)
        except LabelsRejected as exc:
            raise typer.BadParameter(str(exc), param_hint="--trusted") from None
        authenticity = AuthenticityStageParams(
            trusted=tuple(i for i, _ in listed),
            trusted_lines=tuple(line for _, line in listed),
            trusted_file=str(trusted),
        )
    params = AnalysisParams(
        seed=seed,
        level=level,
        threads=threads,
        communities=CommunityParams(resolution=resolution, parallel=parallel),
        metrics=MetricsParams(follows_complete=follows_complete, min_evidence=min_evidence),
        authenticity=authenticity,
    )
    if engine not in ("single", "spark"):
        raise typer.BadParameter(f"--engine must be 'single' or 'spark'; got {engine!r}")
    if input_dir is not None or output_dir is not None:
        _analyze_lake(engine, input_dir, output_dir, params, spark_master, max_partition, console)
        return
    try:
        with open_cli_store(store) as st, console.status("analysing") as status:
            progress = lambda name: status.update(f"analysing: {name}")
            if engine == "spark":
                from ..spark import SparkParams, run_spark_analysis

                sp = SparkParams(master=spark_master or "local[2]", max_partition=max_partition)
                result = run_spark_analysis(st, params, sp, progress=progress)
            else:
                result = run_analysis(st, params, progress=progress)
    except TrustedAccountError as exc:
        raise typer.BadParameter(str(exc), param_hint="--trusted") from None
    print_summary(result)
    console.print(
        f"stored as run {result.run.run_id} in {store}; next: nichegraph rank --store {store} --by hidden, "
        f"or nichegraph export --store {store}",
        highlight=False,
    )


def _analyze_lake(engine, input_dir, output_dir, params, spark_master, max_partition, console) -> None:
    """``--input DIR [--output DIR]``: Parquet in, Parquet out, on Spark, without a store."""
    if engine != "spark" or input_dir is None:
        raise typer.BadParameter("--input/--output need --engine spark and --input DIR", param_hint="--input")
    from nichegraph.graph_store import InputRejected

    from ..spark import SparkParams
    from ..spark.lake_run import run_spark_lake
    from ..stages.authenticity import TrustedAccountError

    sp = SparkParams(master=spark_master or "local[2]", max_partition=max_partition)
    try:
        with console.status("analysing") as status:
            result = run_spark_lake(
                input_dir, output_dir, params, sp, progress=lambda name: status.update(f"analysing: {name}")
            )
    except InputRejected as exc:
        typer.echo(str(exc), err=True)  # one unwrapped line: file, field, reason
        raise typer.Exit(2) from None
    except TrustedAccountError as exc:
        raise typer.BadParameter(str(exc), param_hint="--trusted") from None
    counts = ", ".join(f"{k} {v:,}" for k, v in result.manifest["counts"].items())
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items() if "." not in k)
    console.print(f"run {result.manifest['run_id']}: {counts}; {stages}", highlight=False)
    console.print(f"result tables in {result.output} (manifest.json lists them)", highlight=False)


def print_summary(result) -> None:
    """A short, readable summary of a run: counts, communities, timings."""
    console = Console()
    run = result.run
    table = Table(title=f"run {run.run_id}", show_header=False)
    for key, value in run.counts.items():
        table.add_row(key, f"{value:,}")
    comm = result.communities
    if comm.num_rows and "level" in comm.column_names:
        for level in ("broad", "niche"):
            sizes = [r["size"] for r in comm.to_pylist() if r["level"] == level]
            if sizes:
                sizes.sort(reverse=True)
                table.add_row(f"{level} communities", f"{len(sizes):,} (largest {', '.join(map(str, sizes[:5]))})")
    if "modularity" in run.params:
        table.add_row("modularity (broad)", f"{run.params['modularity']:.4f}")
    stages = {k: v for k, v in result.timings.items() if "." not in k}  # steps inside a stage are "stage.step"
    table.add_row("time", ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()))
    console.print(table)
