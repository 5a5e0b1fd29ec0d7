"""Defaults by evidence: the broad level's affinity weights and resolution against igraph on labelled data.

Every labelled data set of ``../shared/datasets`` (karate factions, football conferences, polbooks
leanings, email-Eu-core departments, congress-twitter parties) is loaded into a DuckDB store the way a
user would (``tests/engine/labelled.py`` says how; e-mails and congress also in their other reading).
For each setting (one-way follow weight, interaction damping, resolution) the broad level of
``analyze`` (``api.stages.communities.detect_communities`` without niches, i.e. Leiden with modularity
on the affinity graph, ``n_iterations=2``) runs with ``--seeds`` seeds; igraph's Leiden
(``community_leiden(objective_function="modularity", n_iterations=2)``) and Louvain
(``community_multilevel``) run with the same seeds (``random.seed(s)``) on the same undirected graph
(each pair once, weights summed over both directions; the follow-read sets unweighted).  Printed: mean
NMI and ARI against the labels (``engine.compare``), and each setting's worst margin over igraph's
Leiden across the data sets.

Usage::

    .venv/bin/python benchmarks/defaults_study.py --seeds 10
    .venv/bin/python benchmarks/defaults_study.py --seeds 10 --markdown   # the table of docs/communities.md
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "engine"))

ONE_WAY = (0.25, 0.5, 0.75, 1.0)
DAMPING = ("log", "none")
RESOLUTIONS = (0.75, 1.0, 1.25)


def setting_name(one_way: float, damping: str, resolution: float) -> str:
    return f"one-way {one_way:g}, damping {damping}, resolution {resolution:g}"


def broad_labels(edges, *, one_way: float, damping: str, resolution: float, seed: int) -> np.ndarray:
    """The broad communities ``analyze`` would store for these settings."""
    from nichegraph.api.stages.communities import CommunityParams, detect_communities

    params = CommunityParams(resolution=resolution, find_niches=False,
                             affinity={"one_way_follow": one_way, "damping": damping})
    return detect_communities(edges, params=params, seed=seed).community


def igraph_labels(graph, method: str, seed: int) -> np.ndarray:
    random.seed(seed)
    if method == "leiden":
        part = graph.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
    else:
        part = graph.community_multilevel(weights="weight")
    return np.asarray(part.membership)


def load_variant(name: str, reading: str, folder: Path):
    """(Labelled, EdgeArrays) of one data set read one way, through a real DuckDB store."""
    from labelled import labelled

    from nichegraph.graph_store import open_store
    from nichegraph.graph_store.ingest import load_files

    data = labelled(name, folder / f"{name}-{reading}", reading)
    with open_store(str(folder / f"{name}-{reading}.duckdb")) as st:
        load_files(st, **data.load)
        edges = st.read_edges()
    order = np.argsort(np.asarray(edges.node_ids, dtype=np.int64))  # store index -> account "i"
    assert np.array_equal(np.asarray(edges.node_ids, dtype=np.int64)[order], np.arange(data.n_nodes))
    return data, edges, order


def study(seeds: int, one_way=ONE_WAY, damping=DAMPING, resolutions=RESOLUTIONS) -> dict:
    """``{(name, reading): {"truth", "igraph leiden": (nmi, ari), "igraph louvain": .., setting: ..}}``."""
    from labelled import variants

    from nichegraph.engine import ari, nmi

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, reading in variants():
            data, edges, order = load_variant(name, reading, Path(tmp))
            truth = data.truth
            graph = data.igraph()
            row: dict = {}
            for method in ("leiden", "louvain"):
                runs = [igraph_labels(graph, method, s) for s in range(seeds)]
                nmis = [nmi(r, truth) for r in runs]
                row[f"igraph {method}"] = (np.mean(nmis), np.mean([ari(r, truth) for r in runs]),
                                           np.std(nmis, ddof=1) / np.sqrt(seeds))
            n = edges.n_nodes
            arcs = np.unique(edges.follow_src.astype(np.int64) * n + edges.follow_dst)
            reverse = np.unique(edges.follow_dst.astype(np.int64) * n + edges.follow_src)
            has_follows = bool(np.setdiff1d(arcs, reverse).size)  # a one-way follow: its weight matters
            has_interactions = edges.interaction_src.size > 0
            for w, d, r in itertools.product(one_way, damping, resolutions):
                if (w != one_way[0] and not has_follows) or (d != damping[0] and not has_interactions):
                    row[setting_name(w, d, r)] = row[setting_name(one_way[0] if not has_follows else w,
                                                                  damping[0] if not has_interactions else d, r)]
                    continue  # the setting cannot change this graph
                runs = [broad_labels(edges, one_way=w, damping=d, resolution=r, seed=s)[order] for s in range(seeds)]
                row[setting_name(w, d, r)] = (np.mean([nmi(x, truth) for x in runs]),
                                              np.mean([ari(x, truth) for x in runs]),
                                              np.std([nmi(x, truth) for x in runs], ddof=1) / np.sqrt(seeds))
            out[(name, reading)] = row
            print(f"{name} ({reading}): igraph Leiden NMI {row['igraph leiden'][0]:.3f}", file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--one-way", type=float, nargs="+", default=ONE_WAY)
    ap.add_argument("--damping", nargs="+", default=DAMPING)
    ap.add_argument("--resolutions", type=float, nargs="+", default=RESOLUTIONS)
    ap.add_argument("--markdown", action="store_true", help="print the docs table for the chosen setting")
    ap.add_argument("--choose", default=None, help="the setting whose row the markdown table shows "
                                                   "(default: the best worst-case NMI margin)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    print(f"load average {os.getloadavg()[0]:.2f}; {args.seeds} seeds per method and setting", flush=True)
    results = study(args.seeds, tuple(args.one_way), tuple(args.damping), tuple(args.resolutions))
    keys = list(results)
    settings = [k for k in results[keys[0]] if k.startswith("one-way")]
    print(f"\n{'setting':48s}" + "".join(f"{n[:10]:>12s}" for n, _ in keys) + f"{'worst NMI - igraph Leiden':>28s}")
    margins = {}
    for s in ["igraph leiden", "igraph louvain", *settings]:
        nmis = [results[k][s][0] for k in keys]
        margin = min(results[k][s][0] - results[k]["igraph leiden"][0] for k in keys)
        margins[s] = margin
        print(f"{s:48s}" + "".join(f"{x:12.3f}" for x in nmis) + f"{margin:+28.3f}")
    print(f"{'standard error of a mean NMI (largest)':48s}"
          + "".join(f"{max(v[2] for v in results[k].values()):12.3f}" for k in keys))
    print("\nreadings: " + ", ".join(f"{n} ({r})" for n, r in keys))
    mean_margin = {s: np.mean([results[k][s][0] - results[k]["igraph leiden"][0] for k in keys]) for s in settings}
    best = max(settings, key=lambda s: (round(margins[s], 3), round(mean_margin[s], 3)))
    print(f"best: {best} (worst margin {margins[best]:+.3f}, mean margin {mean_margin[best]:+.3f}; ties on the "
          "worst margin broken by the mean)")
    if args.markdown:
        chosen = args.choose or best
        print(f"\n| data set (reading) | igraph Leiden NMI / ARI | igraph Louvain NMI / ARI "
              f"| 0.25 one-way (old) NMI / ARI | {chosen} NMI / ARI |\n|---|---|---|---|---|")
        old = setting_name(0.25, "log", 1.0)
        for k in keys:
            cells = [results[k][c] for c in ("igraph leiden", "igraph louvain", old, chosen)]
            print(f"| {k[0]} ({k[1]}) | " + " | ".join(f"{c[0]:.3f} / {c[1]:.3f}" for c in cells) + " |")
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
