"""Paired thread-scaling run: our Leiden against NetworKit PLM on one planted graph, in one process.

Where ``bench_community.py`` runs every method in its own subprocess, this
script alternates the methods in one process, repeat by repeat, so that the
machine's drift hits all of them alike.  It answers "how much work does each
do on one thread, and how much of it do two threads take off?":

* ``leiden parallel=True`` at 1 and 2 numba threads (the 2-thread row is the
  benchmark's; labels are identical on both);
* ``leiden`` serial default (``parallel=False``) at 1 thread;
* NetworKit ``PLM(refine=False)`` at 1 and 2 threads.

The graph is :func:`bench_community.planted` (same seed and generator).
Prints the median and every repeat per method, and ``leiden(2) / plm(2)``.

Usage::

    .venv/bin/python benchmarks/community_threads.py --edges 1000000 --repeats 7
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    import networkit as nk
    import numba

    from nichegraph import engine
    from bench_community import planted
    from nichegraph.engine.community import leiden

    src, dst, n, _ = planted(args.edges)
    g = engine.from_edges(src, dst, n_nodes=n, directed=False)
    G = nk.GraphFromCoo((np.ones(src.size), (src.astype(np.uint64), dst.astype(np.uint64))), n=n,
                        directed=False, weighted=False)
    print(f"planted graph: {n:,} nodes, {src.size:,} edges; load average {os.getloadavg()[0]:.2f}")
    leiden(g, seed=1, parallel=True)  # JIT warm-up, both variants
    leiden(g, seed=1)

    def timed(fn) -> float:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for threads in (1, 2):
            numba.set_num_threads(threads)
            nk.setNumberOfThreads(threads)
            times.setdefault(f"leiden parallel=True, {threads} thr", []).append(
                timed(lambda: leiden(g, seed=0, parallel=True)))
            if threads == 1:
                times.setdefault("leiden serial, 1 thr", []).append(timed(lambda: leiden(g, seed=0)))
            times.setdefault(f"networkit-plm, {threads} thr", []).append(
                timed(lambda: nk.community.PLM(G, refine=False).run()))
    med = {k: float(np.median(v)) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:32s} median {med[k]:.3f} s  ({' '.join(f'{x:.3f}' for x in v)})")
    print(f"leiden 2 thr / plm 2 thr: {med['leiden parallel=True, 2 thr'] / med['networkit-plm, 2 thr']:.2f}x")


if __name__ == "__main__":
    main()
