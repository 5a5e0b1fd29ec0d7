"""Resolution profile of the store's affinity graph: the stable ranges of the resolution and the macro split."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..options import DEFAULT_STORE, StoreOption, open_cli_store

#: What ``--min`` and ``--max`` default to (:func:`engine.default_resolution_range`).
_SPAN = "default: 0.01 to 10 for modularity; for CPM a tenth of the edge density to the heaviest edge"


def command(
    store: StoreOption = DEFAULT_STORE,
    objective: Annotated[str, typer.Option(help="modularity (the broad level's objective) or cpm.")] = "modularity",
    min_resolution: Annotated[float | None, typer.Option("--min", help=f"Lowest resolution ({_SPAN}).")] = None,
    max_resolution: Annotated[float | None, typer.Option("--max", help=f"Highest resolution ({_SPAN}).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of every Leiden run.")] = 0,
    top: Annotated[int, typer.Option(help="Show this many of the widest stable ranges.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print every stable range as JSON.")] = False,
) -> None:
    from nichegraph.engine import default_resolution_range, resolution_profile

    from ..stages.communities import community_graph

    if objective not in ("modularity", "cpm"):
        raise typer.BadParameter(f"--objective must be modularity or cpm; got {objective!r}.", param_hint="--objective")
    with open_cli_store(store, read_only=True) as st:
        edges = st.read_edges()
    graph = community_graph(edges)
    span = None
    if min_resolution is not None or max_resolution is not None:
        default = default_resolution_range(graph, objective)
        span = (
            min_resolution if min_resolution is not None else default[0],
            max_resolution if max_resolution is not None else default[1],
        )
    with Console(stderr=True).status("profiling the resolution"):
        profile = resolution_profile(graph, objective=objective, resolution_range=span, seed=seed)
    macro = profile.macro()
    if as_json:
        steps = [
            {
                "resolution_lo": s.resolution_lo,
                "resolution_hi": s.resolution_hi,
                "width": s.width,
                "communities": s.n_communities,
                "largest": s.sizes()[:5].tolist(),
            }
            for s in profile.steps
        ]
        typer.echo(
            json.dumps(
                {
                    "objective": objective,
                    "resolution_range": list(profile.resolution_range),
                    "leiden_runs": profile.n_searches,
                    "steps": steps,
                    "macro": None
                    if macro is None
                    else {"resolution": macro.resolution, "communities": macro.n_communities},
                },
                indent=2,
            )
        )
        return
    table = Table(title=f"stable resolution ranges ({objective}, the {top} widest of {len(profile.steps)})")
    for name in ("from", "to", "width (ln)", "communities", "largest"):
        table.add_column(name, justify="right")
    for s in sorted(profile.steps, key=lambda s: -s.width)[:top]:
        table.add_row(
            f"{s.resolution_lo:.4g}",
            f"{s.resolution_hi:.4g}",
            f"{s.width:.3f}",
            f"{s.n_communities:,}",
            ", ".join(map(str, s.sizes()[:5].tolist())),
        )
    console = Console()
    console.print(table)
    if macro is not None and objective == "modularity":
        console.print(
            f"macro split: {macro.n_communities} communities, stable for resolutions "
            f"{macro.resolution_lo:.4g}..{macro.resolution_hi:.4g}; "
            f"nichegraph analyze --store {store} --resolution {macro.resolution:.4g}"
        )
