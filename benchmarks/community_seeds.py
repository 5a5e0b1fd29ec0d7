"""Modularity over seeds: our Leiden against igraph ``community_leiden`` on one planted graph.

One seed per method is a coin flip at the sizes of ``bench_community.py``:
both searches are the same algorithm, and their modularity varies from seed
to seed by more than the two differ.  This script runs ``--seeds`` seeds of
each (ours: ``leiden(g, seed=s, parallel=True)`` on ``--threads`` numba
threads; igraph: ``community_leiden(objective_function="modularity",
n_iterations=2)`` after ``random.seed(s)``) on the graph of
:func:`bench_community.planted`, and prints every value, the means, standard
deviations and the standard error of the difference of the means.

Usage::

    .venv/bin/python benchmarks/community_seeds.py --edges 5000000 --seeds 12
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import igraph as ig
    import numba

    from nichegraph import engine
    from bench_community import planted

    numba.set_num_threads(args.threads)
    src, dst, n, _ = planted(args.edges)
    g = engine.from_edges(src, dst, n_nodes=n, directed=False)
    G = ig.Graph(n=n, edges=np.stack([src, dst], axis=1))
    print(f"planted graph: {n:,} nodes, {src.size:,} edges; ours on {args.threads} thread(s), parallel=True")
    ours, theirs = [], []
    for s in range(args.seeds):
        t = time.perf_counter()
        ours.append(engine.leiden(g, seed=s, parallel=True).quality)
        t_ours = time.perf_counter() - t
        random.seed(s)
        t = time.perf_counter()
        membership = G.community_leiden(objective_function="modularity", n_iterations=2).membership
        t_ig = time.perf_counter() - t
        theirs.append(engine.modularity(g, np.asarray(membership)))
        print(f"seed {s:3d}  ours {ours[-1]:.7f} ({t_ours:.2f} s)  igraph {theirs[-1]:.7f} ({t_ig:.2f} s)", flush=True)
    a, b = np.array(ours), np.array(theirs)
    se = float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)) if a.size > 1 else float("nan")
    print(f"ours   mean {a.mean():.7f} sd {a.std(ddof=1) if a.size > 1 else 0:.1e}  range {a.min():.7f}-{a.max():.7f}")
    print(f"igraph mean {b.mean():.7f} sd {b.std(ddof=1) if b.size > 1 else 0:.1e}  range {b.min():.7f}-{b.max():.7f}")
    print(f"ours - igraph: {a.mean() - b.mean():+.1e} (standard error of the difference {se:.1e}); "
          f"seeds where ours >= igraph's: {int((a >= b).sum())} of {a.size}")


if __name__ == "__main__":
    main()
