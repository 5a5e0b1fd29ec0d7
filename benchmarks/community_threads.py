"""Paired thread-scaling run: our Leiden against NetworKit PLM on one planted graph, in one process.

Where ``bench_community.py`` runs every method in its own subprocess, this
script alternates the methods in one process, repeat by repeat, so that the
machine's drift hits all of them alike.  It answers "how much work does each
do on one thread, and how much of it do two threads take off?":

* ``leiden`` (its default, ``parallel=True``) at 1 and 2 numba threads (the 2-thread row is the
  benchmark's; labels are identical on both);
* ``leiden(parallel=False)`` (the serial queue) at 1 thread;
* NetworKit ``PLM(refine=False)`` and ``ParallelLeiden`` at 1 and 2 threads.

``--shuffle`` relabels the nodes at random first (the generator's order keeps communities
contiguous).  Modularity of every method's last result is printed with the times.

The graph is :func:`bench_community.planted` (same seed and generator).
Prints the median and every repeat per method, and ``leiden(2) / plm(2)``.

Usage::

    .venv/bin/python benchmarks/community_threads.py --edges 1000000 --repeats 7 [--shuffle]
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
    ap.add_argument("--shuffle", action="store_true", help="random node ids instead of the generator's")
    args = ap.parse_args()

    import networkit as nk
    import numba

    from nichegraph import engine
    from bench_community import planted
    from nichegraph.engine.community import leiden

    src, dst, n, _ = planted(args.edges)
    if args.shuffle:
        perm = np.random.default_rng(1).permutation(n)
        src, dst = perm[src], perm[dst]
    g = engine.from_edges(src, dst, n_nodes=n, directed=False)
    G = nk.GraphFromCoo(
        (np.ones(src.size), (src.astype(np.uint64), dst.astype(np.uint64))), n=n, directed=False, weighted=False
    )
    order = "shuffled" if args.shuffle else "generator"
    print(f"planted graph: {n:,} nodes, {src.size:,} edges, {order} order; load average {os.getloadavg()[0]:.2f}")
    leiden(g, seed=1, parallel=True)  # JIT warm-up, both variants
    leiden(g, seed=1, parallel=False)
    quality: dict[str, float] = {}

    def timed(fn, name=None) -> float:
        """Seconds of ``fn()``; its result's modularity (computed after the clock) goes to ``quality[name]``."""
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        if name is not None:
            quality[name] = out if isinstance(out, float) else out()
        return dt

    def nk_labels(algo):
        algo.run()
        return lambda: engine.modularity(g, np.asarray(algo.getPartition().getVector(), dtype=np.int64))

    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for threads in (1, 2):
            numba.set_num_threads(threads)
            nk.setNumberOfThreads(threads)
            name = f"leiden parallel=True, {threads} thr"
            times.setdefault(name, []).append(timed(lambda: leiden(g, seed=0).quality, "leiden parallel=True"))
            if threads == 1:
                name = "leiden serial, 1 thr"
                times.setdefault(name, []).append(timed(lambda: leiden(g, seed=0, parallel=False).quality, name))
            times.setdefault(f"networkit-plm, {threads} thr", []).append(
                timed(lambda: nk_labels(nk.community.PLM(G, refine=False)), f"networkit-plm {threads}")
            )
            times.setdefault(f"networkit-parallelleiden, {threads} thr", []).append(
                timed(lambda: nk_labels(nk.community.ParallelLeiden(G)), f"networkit-parallelleiden {threads}")
            )
    med = {k: float(np.median(v)) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:36s} median {med[k]:.3f} s  ({' '.join(f'{x:.3f}' for x in v)})")
    for k, q in quality.items():
        print(f"modularity {k:32s} {q:.7f}")
    ours = med["leiden parallel=True, 2 thr"]
    print(
        f"leiden 2 thr / plm 2 thr: {ours / med['networkit-plm, 2 thr']:.2f}x; "
        f"parallelleiden 2 thr / leiden 2 thr: {med['networkit-parallelleiden, 2 thr'] / ours:.2f}x; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
