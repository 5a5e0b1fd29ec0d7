"""Community detection benchmark: our Leiden/Louvain against igraph, leidenalg, NetworKit, networkx.

Graphs are planted-partition graphs made by :func:`planted` (numpy, seeded):
``n`` nodes in communities with sizes drawn uniformly from ``[20, 400]``,
each node has ``deg/2`` edge stubs; a stub goes inside the node's community
with probability ``1 - mu`` and to a uniform random node otherwise (duplicates
and self-loops removed).  Every method runs in its own subprocess (fresh
interpreter; peak RSS is that process's ``VmHWM``, graph loading and the library included), the
graph is read from an ``.npz`` file before the clock starts, the JIT is warmed
up on a small graph first (our methods), and the time of the algorithm call
is taken (every library's graph object, our CSR ``Graph`` included, is built
before the clock starts);
medians over ``--repeats`` runs, taken in rounds (every method once per round, so
that the machine's drift hits all of them alike).  Our 1-thread rows run the serial search
(``parallel=False``, the default); our 2-thread rows run ``parallel=True``
(parallel refinement and aggregation, and local moving of the input graph by colour groups when it has
``PARALLEL_MIN_NODES`` nodes or more; labels identical on any thread count).  Memory: peak RSS of the process, and peak
minus the RSS just before the timed call (what the algorithm itself adds on top
of the loaded library and graph).

Usage::

    .venv/bin/python benchmarks/bench_community.py --edges 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def planted(n_edges: int, *, mu: float = 0.3, deg: int = 20, seed: int = 0):
    """``(src int32, dst int32, n, truth int64)`` of a planted-partition graph with about ``n_edges`` edges."""
    rng = np.random.default_rng(seed)
    n = max(2 * n_edges // deg, 50)
    sizes = []
    total = 0
    while total < n:
        s = int(rng.integers(20, 401))
        sizes.append(s)
        total += s
    sizes[-1] -= total - n
    sizes = np.array([s for s in sizes if s > 0])
    truth = np.repeat(np.arange(sizes.size), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    stubs = deg // 2
    src = np.repeat(np.arange(n, dtype=np.int64), stubs)
    inside = rng.random(src.size) >= mu
    c = truth[src]
    dst = np.where(inside, starts[c] + (rng.random(src.size) * sizes[c]).astype(np.int64),
                   rng.integers(0, n, src.size))
    keep = src != dst
    lo, hi = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
    key = np.unique(lo * n + hi)
    return (key // n).astype(np.int32), (key % n).astype(np.int32), n, truth


def nmi(a, b) -> float:
    """Normalised mutual information (arithmetic mean normalisation, as sklearn's default)."""
    a = np.unique(a, return_inverse=True)[1].reshape(-1)
    b = np.unique(b, return_inverse=True)[1].reshape(-1)
    n = a.size
    ka, kb = a.max() + 1, b.max() + 1
    joint = np.bincount(a.astype(np.int64) * kb + b, minlength=ka * kb)
    nz = joint > 0
    pij = joint[nz] / n
    pa = np.bincount(a) / n
    pb = np.bincount(b) / n
    ia, ib = np.nonzero(nz.reshape(ka, kb))
    mi = float(np.sum(pij * np.log(pij / (pa[ia] * pb[ib]))))
    ha = -float(np.sum(pa[pa > 0] * np.log(pa[pa > 0])))
    hb = -float(np.sum(pb[pb > 0] * np.log(pb[pb > 0])))
    return 1.0 if ha + hb == 0 else 2 * mi / (ha + hb)


# -- one method in a subprocess -------------------------------------------------

def _run_method(method: str, path: str, threads: int, seed: int) -> dict:
    d = np.load(path)
    src, dst, n = d["src"], d["dst"], int(d["n"])
    if method.startswith("nichegraph"):
        import numba
        numba.set_num_threads(threads)
        from nichegraph import engine
        fn = engine.leiden if method == "nichegraph-leiden" else engine.louvain
        # JIT warm-up (kernels cached on disk, loaded on first use) on a small graph: once as it is
        # (serial local moving) and once with the colour-group local moving of the input graph
        import nichegraph.engine.community.local_moving as lm
        ws, wd, wn, _ = planted(50_000, seed=1)
        small = engine.from_edges(ws, wd, n_nodes=wn, directed=False)
        fn(small, parallel=threads > 1)
        threshold, lm.PARALLEL_MIN_NODES = lm.PARALLEL_MIN_NODES, 0
        try:
            fn(small, parallel=threads > 1)
        finally:
            lm.PARALLEL_MIN_NODES = threshold
        g = engine.from_edges(src, dst, n_nodes=n, directed=False)
        _BEFORE[0] = _rss_mb()
        t = time.perf_counter()
        p = fn(g, seed=seed, parallel=threads > 1)
        dt = time.perf_counter() - t
        labels = np.asarray(p.labels)
    elif method.startswith("igraph"):
        import igraph as ig
        import random
        random.seed(seed)
        t0 = time.perf_counter()
        g = ig.Graph(n=n, edges=np.stack([src, dst], axis=1))
        _BEFORE[0] = _rss_mb()
        t = time.perf_counter()
        if method == "igraph-leiden":
            cl = g.community_leiden(objective_function="modularity", n_iterations=2)
        else:
            cl = g.community_multilevel()
        dt = time.perf_counter() - t
        labels = np.asarray(cl.membership)
    elif method == "leidenalg":
        import igraph as ig
        import leidenalg
        g = ig.Graph(n=n, edges=np.stack([src, dst], axis=1))
        _BEFORE[0] = _rss_mb()
        t = time.perf_counter()
        part = leidenalg.find_partition(g, leidenalg.ModularityVertexPartition, seed=seed, n_iterations=2)
        dt = time.perf_counter() - t
        labels = np.asarray(part.membership)
    elif method.startswith("networkit"):
        import networkit as nk
        nk.setNumberOfThreads(threads)
        nk.setSeed(seed, True)
        g = nk.GraphFromCoo((np.ones(src.size), (src.astype(np.uint64), dst.astype(np.uint64))), n=n,
                            directed=False, weighted=False)
        _BEFORE[0] = _rss_mb()
        t = time.perf_counter()
        algo = nk.community.PLM(g, refine=False) if method == "networkit-plm" else nk.community.ParallelLeiden(g)
        algo.run()
        dt = time.perf_counter() - t
        labels = np.asarray(algo.getPartition().getVector())
    elif method == "networkx-louvain":
        import networkx as nx
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_edges_from(zip(src.tolist(), dst.tolist()))
        _BEFORE[0] = _rss_mb()
        t = time.perf_counter()
        comms = nx.community.louvain_communities(G, seed=seed)
        dt = time.perf_counter() - t
        labels = np.empty(n, dtype=np.int64)
        for i, c in enumerate(comms):
            labels[list(c)] = i
    else:
        raise ValueError(method)
    return {"time": dt, "labels": labels, "rss": _peak_rss_mb(), "rss_before": _BEFORE[0]}


_BEFORE = [float("nan")]


def _rss_mb() -> float:
    """Current resident set (VmRSS) of this process in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


METHODS = [("nichegraph-leiden", 1), ("nichegraph-leiden", 2), ("nichegraph-louvain", 1), ("nichegraph-louvain", 2),
           ("igraph-leiden", 1), ("igraph-multilevel", 1), ("leidenalg", 1),
           ("networkit-parallelleiden", 1), ("networkit-parallelleiden", 2), ("networkit-plm", 1),
           ("networkit-plm", 2), ("networkx-louvain", 1)]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edges", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--mu", type=float, default=0.3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600, help="per method run, seconds")
    ap.add_argument("--skip", nargs="*", default=[], help="method names to skip (e.g. leidenalg networkx-louvain)")
    ap.add_argument("--slow-repeats", type=int, default=1, help="repeats for leidenalg and networkx-louvain")
    ap.add_argument("--quality", action="store_true",
                    help="instead of timing: modularity and NMI on the real data sets and LFR graphs, 20 seeds each")
    ap.add_argument("--json", type=Path, help="write all results here")
    ap.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._child:
        method, path, threads, seed = a._child
        r = _run_method(method, path, int(threads), int(seed))
        np.save(path + f".{method}.{threads}.labels.npy", r.pop("labels"))
        print(json.dumps(r))
        return
    sys.path.insert(0, str(ROOT))
    from nichegraph import engine
    if a.quality:
        quality_table()
        return
    all_rows = []
    for m in a.edges:
        src, dst, n, truth = planted(m, mu=a.mu)
        g = engine.from_edges(src, dst, n_nodes=n, directed=False)
        print(f"\n## planted graph: {n:,} nodes, {src.size:,} edges, {truth.max() + 1:,} communities, mu={a.mu}")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "g.npz")
            np.savez(path, src=src, dst=dst, n=n)
            active = [(m, t) for m, t in METHODS if m not in a.skip]
            runs = {key: {"times": [], "rss": [], "grow": [], "q": None, "score": None, "failed": None}
                    for key in active}
            reps = {(m, t): a.slow_repeats if m in ("leidenalg", "networkx-louvain") else a.repeats
                    for m, t in active}
            # repeats interleaved (every method once, then again): the VM's speed drifts by minutes,
            # and this way the drift hits every method alike
            for rep in range(max(reps.values(), default=0)):
                for method, threads in active:
                    st = runs[(method, threads)]
                    if rep >= reps[(method, threads)] or st["failed"]:
                        continue
                    r = _child(method, threads, rep, path, a.timeout)
                    if isinstance(r, str):
                        st["failed"] = r
                        continue
                    st["times"].append(r["time"])
                    st["rss"].append(r["rss"])
                    st["grow"].append(r.get("rss", 0) - r.get("rss_before", float("nan")))
                    if rep == 0:
                        labels = np.load(path + f".{method}.{threads}.labels.npy")
                        st["q"] = engine.modularity(g, labels)
                        st["score"] = nmi(labels, truth)
            rows = []
            for (method, threads), st in runs.items():
                times, rss, grow = st["times"], st["rss"], st["grow"]
                row = {"edges": int(src.size), "method": method, "threads": threads, "failed": st["failed"],
                       "time_median": float(np.median(times)) if times else None, "times": times,
                       "modularity": st["q"], "nmi": st["score"], "peak_rss_mb": max(rss) if rss else None,
                       "peak_minus_loaded_mb": max(grow) if grow else None}
                rows.append(row)
                print(json.dumps(row), flush=True)
            all_rows += rows
            _print_table(rows)
    if a.json:
        a.json.write_text(json.dumps(all_rows, indent=1))


def _child(method: str, threads: int, rep: int, path: str, timeout: float) -> dict | str:
    """One timed run of ``method`` in a fresh interpreter: its result dict, or why it failed."""
    try:
        out = subprocess.run([sys.executable, __file__, "--_child", method, path, str(threads), str(rep)],
                             capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s"
    if out.returncode != 0:
        return out.stderr.strip().splitlines()[-1][:80]
    return json.loads(out.stdout.strip().splitlines()[-1])


def quality_table(seeds: int = 20) -> None:
    """Modularity (mean and best of ``seeds`` runs) and NMI to the ground truth, ours vs igraph Leiden."""
    import random

    sys.path.insert(0, str(ROOT / "tests" / "engine"))
    from zoo import DATASET_NAMES, dataset, lfr

    from nichegraph.engine import leiden

    print("| graph | nodes | edges | ours Q mean | ours Q best | igraph Q mean | igraph Q best | ours NMI mean | igraph NMI mean |")
    print("|---|---|---|---|---|---|---|---|---|")
    graphs = [dataset(n) for n in DATASET_NAMES] + [lfr(mu) for mu in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)]
    for z in graphs:
        g, G = z.engine(), z.igraph()
        oq, on, iq, inn = [], [], [], []
        for s in range(seeds):
            p = leiden(g, seed=s, n_iterations=2)
            oq.append(p.quality)
            on.append(nmi(p.labels, z.truth))
            random.seed(s)
            m = G.community_leiden(objective_function="modularity", weights="weight", n_iterations=2).membership
            iq.append(G.modularity(m, weights="weight"))
            inn.append(nmi(np.asarray(m), z.truth))
        print(f"| {z.name} | {z.n_nodes} | {g.n_edges} | {np.mean(oq):.4f} | {max(oq):.4f} | {np.mean(iq):.4f} | "
              f"{max(iq):.4f} | {np.mean(on):.3f} | {np.mean(inn):.3f} |")


def _print_table(rows) -> None:
    ours = {r["threads"]: r for r in rows if r["method"] == "nichegraph-leiden" and r["time_median"]}
    base = ours.get(1) or ours.get(2)
    print("\n| method | threads | median s | time / ours (leiden, 1 thr) | modularity | NMI | peak RSS MiB | "
          "peak - RSS before the call |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["time_median"] is None:
            print(f"| {r['method']} | {r['threads']} | {r['failed']} | | | | | |")
            continue
        ratio = r["time_median"] / base["time_median"] if base else float("nan")
        print(f"| {r['method']} | {r['threads']} | {r['time_median']:.2f} | {ratio:.2f}x | {r['modularity']:.4f} | "
              f"{r['nmi']:.4f} | {r['peak_rss_mb']:.0f} | {r.get('peak_minus_loaded_mb') or float('nan'):.0f} |")


if __name__ == "__main__":
    main()
