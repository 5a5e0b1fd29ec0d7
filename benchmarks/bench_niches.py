"""Niche level vs modularity optimisation on planted graphs (issue 9).

For each size: a planted-partition graph (engine.planted: power-law degrees,
exponent 2.5; power-law community sizes 20..5000, exponent 1.5; mixing 0.3),
then in the same run

* our plain Leiden (modularity) and our niche level (CPM at the derived
  resolution inside the broad communities), each timed separately;
* igraph ``community_leiden`` (modularity, 2 iterations) and NetworKit PLM
  (2 threads) as the peers' modularity optimum;

and the NMI of each against the planted communities.

Usage::

    .venv/bin/python benchmarks/bench_niches.py --edges 1000000 5000000 [--skip-peers]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nichegraph.engine import leiden, niches
from nichegraph.engine.compare import nmi
from nichegraph.engine.planted import planted_partition


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def peers(g, labels):
    rows = []
    src, dst, _ = g.edges()
    keep = src < dst
    import igraph as ig
    G = ig.Graph(n=g.n_nodes, edges=np.column_stack([src[keep], dst[keep]]))
    part, t = timed(lambda: G.community_leiden(objective_function="modularity", n_iterations=2))
    rows.append(("igraph community_leiden (modularity)", t, len(part), nmi(labels, np.asarray(part.membership))))
    del G
    import networkit as nk
    nk.setNumberOfThreads(2)
    N = nk.Graph(g.n_nodes, weighted=False, directed=False)
    N.addEdges((src[keep].astype(np.uint64), dst[keep].astype(np.uint64)))
    plm = nk.community.PLM(N, refine=False)
    _, t = timed(plm.run)
    p = plm.getPartition()
    rows.append(("networkit PLM (2 threads)", t, p.numberOfSubsets(), nmi(labels, np.asarray(p.getVector()))))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edges", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args()
    # warm the JIT on a small graph so compile time is not measured
    warm = planted_partition(20_000, seed=0)
    niches(warm.graph, seed=0)
    print("| edges | nodes | planted | method | time (s) | communities | NMI |")
    print("|---|---|---|---|---|---|---|")
    for m in args.edges:
        pg = planted_partition(m, seed=args.seed)
        g, truth = pg.graph, pg.labels
        k = int(truth.max()) + 1
        head = f"| {g.n_edges:,} | {g.n_nodes:,} | {k:,} "
        broad, t_broad = timed(lambda: leiden(g, seed=0))
        print(f"{head}| our Leiden (modularity) | {t_broad:.2f} | {broad.n_communities:,} | {nmi(truth, broad.labels):.4f} |",
              flush=True)
        nich, t_niche = timed(lambda: niches(g, seed=0, broad=broad))
        print(f"{head}| our niche level (CPM, gamma={nich.resolution:.3g}) | {t_niche:.2f} "
              f"({t_niche / t_broad:.2f}x plain Leiden) | {nich.n_niches:,} | {nmi(truth, nich.labels):.4f} |", flush=True)
        if not args.skip_peers:
            for name, t, count, score in peers(g, truth):
                print(f"{head}| {name} | {t:.2f} | {count:,} | {score:.4f} |", flush=True)


if __name__ == "__main__":
    main()
