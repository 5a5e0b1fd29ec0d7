"""Compare ways of choosing the niche level on planted graphs (evidence for docs/niches.md).

Rules compared, all with our Leiden:

* modularity (resolution 1) and modularity at resolution 4 (global);
* global CPM at fixed multiples of the graph density (1x, 3x, 5x, 10x);
* CPM inside broad communities with gamma = sqrt(p_out * rho_bar) (the default of engine.niches);
* the same inside broad communities with fixed multiples of the density (3x, 5x).

Usage::

    .venv/bin/python benchmarks/compare_niche_rules.py --edges 1000000 5000000
"""

from __future__ import annotations

import argparse
import time

from nichegraph.engine import leiden, niches
from nichegraph.engine.compare import nmi
from nichegraph.engine.planted import planted_partition


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print("| edges | rule | resolution | communities (planted) | NMI | time (s) |")
    print("|---|---|---|---|---|---|")
    for m in args.edges:
        pg = planted_partition(m, seed=args.seed)
        g, truth = pg.graph, pg.labels
        k = int(truth.max()) + 1
        density = 2.0 * g.total_weight() / (g.n_nodes * (g.n_nodes - 1.0))
        broad = leiden(g, seed=0)

        def row(rule, res, labels, t):
            print(f"| {g.n_edges:,} | {rule} | {res} | {int(labels.max()) + 1:,} ({k:,}) | {nmi(truth, labels):.4f} "
                  f"| {t:.1f} |", flush=True)

        for r in (1.0, 4.0):
            t0 = time.perf_counter()
            p = leiden(g, seed=0, resolution=r)
            row("modularity, global", r, p.labels, time.perf_counter() - t0)
        for c in (1, 3, 5, 10):
            t0 = time.perf_counter()
            p = leiden(g, seed=0, objective="cpm", resolution=c * density)
            row("CPM, global", f"{c}x density", p.labels, time.perf_counter() - t0)
        for c in (3, 5):
            t0 = time.perf_counter()
            p = niches(g, seed=0, broad=broad, resolution=c * density)
            row("CPM inside broad communities", f"{c}x density", p.labels, time.perf_counter() - t0)
        t0 = time.perf_counter()
        p = niches(g, seed=0, broad=broad)
        row("CPM inside broad communities, derived (default)",
            f"sqrt(p_out*rho_in) = {p.resolution / density:.1f}x density", p.labels, time.perf_counter() - t0)


if __name__ == "__main__":
    main()
