"""PageRank against the scipy.sparse power iteration on one undirected planted graph in three node orders.

The graph is ``bench_community.planted`` (the community benchmark's planted-partition graph), in the
generator's own order, with shuffled ids, and with ids sorted by planted community.  Both sides stop at the
same L1 tolerance (``bench_pagerank.scipy_pagerank``: networkx's scipy loop with nichegraph's stopping
rule) and the L1 difference of the two results is printed.  Timed: from the built graph (CSR for scipy) to
the score vector; each order ``--repeat`` times, alternated, after a JIT warm-up.  Printed per order: the
median wall and process CPU seconds of each side, their ratios, and the largest L1 difference; plus the
load average before and after (the machine may be shared: at one thread the CPU ratio is the steadier one).

``--directed`` orients every edge at random (a seeded coin per edge) and keeps a fifth of them in both
directions, so the graph is directed with some reciprocity, as the synth worlds' attention graphs are;
scipy pays its transpose inside its time (nichegraph pushes along the out-arcs and builds none).

Run: .venv/bin/python benchmarks/pagerank_orders.py --edges 5000000 --threads 2 [--directed]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=int, default=5_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--directed", action="store_true", help="orient the planted edges (see the docstring)")
    args = ap.parse_args()

    import numba
    import scipy.sparse as sp
    from bench_community import planted
    from bench_pagerank import scipy_pagerank

    from nichegraph.engine import from_edges, pagerank

    numba.set_num_threads(args.threads)
    src, dst, n, truth = planted(args.edges)
    if args.directed:
        rng = np.random.default_rng(2)
        flip = rng.random(src.size) < 0.5
        src, dst = np.where(flip, dst, src), np.where(flip, src, dst)
        both = rng.random(src.size) < 0.2
        src, dst = np.concatenate([src, dst[both]]), np.concatenate([dst, src[both]])
    ring = np.arange(300_000)  # JIT warm-up, with enough edges for the parallel sweep
    pagerank(from_edges(ring, np.roll(ring, 1), directed=args.directed))
    orders = {
        "generator": np.arange(n),
        "shuffled": np.random.default_rng(1).permutation(n),
        "community": np.argsort(np.argsort(truth, kind="stable")),
    }
    kind = "directed" if args.directed else "undirected"
    print(
        f"{n:,} nodes, {src.size:,} {kind} edges, {numba.get_num_threads()} threads, {args.repeat} runs each;"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "| order | ours wall (s) | scipy wall (s) | scipy / ours (wall) | ours CPU (s) | scipy CPU (s) |"
        " scipy / ours (CPU) | L1 difference |\n|---|---|---|---|---|---|---|---|"
    )
    for name, perm in orders.items():
        g = from_edges(perm[src], perm[dst], n_nodes=n, directed=args.directed)
        A = sp.csr_array((g.weights, g.indices, g.indptr), shape=(n, n))
        times = []  # (ours wall, scipy wall, ours cpu, scipy cpu)
        l1 = 0.0
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            x = pagerank(g, tol=1e-10)
            t1, c1 = time.perf_counter(), time.process_time()
            y = scipy_pagerank(A, 0.85, 1e-10)
            t2, c2 = time.perf_counter(), time.process_time()
            times.append((t1 - t0, t2 - t1, c1 - c0, c2 - c1))
            l1 = max(l1, float(np.abs(x - y).sum()))
        ow, sw, oc, sc = np.median(np.array(times), axis=0)
        print(
            f"| {name} | {ow:.3f} | {sw:.3f} | {sw / ow:.2f} | {oc:.3f} | {sc:.3f} | {sc / oc:.2f} | {l1:.1e} |",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
