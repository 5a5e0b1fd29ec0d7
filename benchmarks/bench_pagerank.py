"""PageRank: nichegraph vs scipy.sparse power iteration, igraph and NetworKit, same graph, same run.

Graph: a directed planted-community graph with heavy-tailed in-degrees
(``--edges`` edges, ``--edges / --avg-degree`` nodes, communities of 200-5000
nodes, 85% of edges inside a community), node labels randomly shuffled so that
memory order says nothing about structure.

Tolerance: every power iteration stops at the first step with L1 change
``sum |x - x_prev| < tol`` (nichegraph's definition; scipy loop written here
the same way; NetworKit is given the same tol with its L1 norm).  igraph uses
PRPACK (a direct solver; no tolerance parameter).  The L1 difference of every
result to nichegraph's is reported.

nichegraph runs both its methods: ``power`` (networkx's iteration, step for
step) and ``gauss-seidel`` (block Gauss-Seidel, the default), on the given
(shuffled) labels and with ``order=`` the planted communities (in the
pipeline, the community stage's output).  The ordering's cost (relabelling
while building the in-CSR) is inside the timing.

Timed: from a built graph object to the score vector (nichegraph: in-CSR
build + iteration; scipy: normalisation + transpose + iteration; peers: their
call).  Graph construction is not timed for anyone.  Each time is the best of
``--repeat`` runs.

Run: .venv/bin/python benchmarks/bench_pagerank.py --edges 20000000 --threads 2
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np


def planted_graph(m: int, avg_degree: float, seed: int):
    rng = np.random.default_rng(seed)
    n = max(int(m / avg_degree), 10)
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(200, 5000)))
    sizes[-1] -= sum(sizes) - n
    sizes = np.array([s for s in sizes if s > 0])
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    comm = np.repeat(np.arange(sizes.shape[0]), sizes)
    # heavy-tailed activity (who sends) and popularity (who receives) inside each community
    src = (rng.pareto(1.5, m) * 1e9).astype(np.int64) % n  # skewed toward some senders
    src = rng.permutation(n)[src % n]
    intra = rng.random(m) < 0.85
    c = comm[src]
    off = np.floor(sizes[c] * rng.random(m) ** 3).astype(np.int64)  # popular nodes at low offsets
    dst = np.where(intra, start[c] + off, np.floor(n * rng.random(m) ** 2).astype(np.int64))
    keep = src != dst
    key = np.unique(src[keep] * n + dst[keep])  # simple graph: unit weights for every peer
    src, dst = key // n, key % n
    perm = rng.permutation(n)  # shuffle labels
    return n, perm[src].astype(np.int32), perm[dst].astype(np.int32), comm[np.argsort(perm)]


def scipy_pagerank(A, alpha: float, tol: float, max_iter: int = 1000) -> np.ndarray:
    """networkx's _pagerank_scipy loop with an L1 stop at ``tol``."""
    import scipy.sparse as sp

    n = A.shape[0]
    S = np.asarray(A.sum(axis=1)).ravel()
    inv = np.zeros(n)
    nz = S != 0
    inv[nz] = 1.0 / S[nz]
    M = (sp.diags_array(inv) @ A).T.tocsr()
    x = np.full(n, 1.0 / n)
    p = np.full(n, 1.0 / n)
    dang = ~nz
    for _ in range(max_iter):
        xlast = x
        x = alpha * (M @ x + x[dang].sum() * p) + (1 - alpha) * p
        if np.abs(x - xlast).sum() < tol:
            return x
    raise RuntimeError("scipy power iteration did not converge")


def best(fn, repeat: int):
    out, ts = None, []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edges", type=int, default=5_000_000)
    ap.add_argument("--avg-degree", type=float, default=20.0)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--peers", default="scipy,igraph,networkit")
    args = ap.parse_args()

    import numba

    from nichegraph.engine import from_edges, pagerank

    numba.set_num_threads(args.threads)
    pagerank(from_edges([0, 1, 2], [1, 2, 0]))  # JIT warm-up
    t0 = time.perf_counter()
    n, src, dst, comm = planted_graph(args.edges, args.avg_degree, args.seed)
    g = from_edges(src, dst, n_nodes=n)
    print(f"graph: {n:,} nodes, {g.nnz:,} edges (distinct), {int((g.out_degree() == 0).sum()):,} dangling; "
          f"built in {time.perf_counter() - t0:.1f} s; numba threads {numba.get_num_threads()}", flush=True)
    alpha, tol = 0.85, args.tol
    rows = []
    order = np.argsort(comm, kind="stable")
    # reference: the power iteration (networkx's iterates) on the given labels
    t_ref, ref = best(lambda: pagerank(g, damping=alpha, tol=tol, method="power"), args.repeat)
    variants = [("power", None), ("power", order), ("gauss-seidel", None), ("gauss-seidel", order)]
    for th in sorted({1, args.threads}):
        numba.set_num_threads(th)
        for method, o in variants:
            if (method, o is None, th) == ("power", True, args.threads):
                t, x = t_ref, ref
            else:
                t, x = best(lambda: pagerank(g, damping=alpha, tol=tol, method=method, order=o), args.repeat)
            label = f"nichegraph {method}, {'order=community' if o is not None else 'given labels'}"
            rows.append((label, th, t, float(np.abs(x - ref).sum())))
            print(rows[-1], flush=True)
    numba.set_num_threads(args.threads)
    peers = args.peers.split(",")
    if "scipy" in peers:
        import scipy.sparse as sp

        A = sp.csr_array((np.ones(g.nnz), g.indices, g.indptr), shape=(n, n))
        t, x = best(lambda: scipy_pagerank(A, alpha, tol), args.repeat)
        rows.append(("scipy.sparse power iteration", 1, t, float(np.abs(x - ref).sum())))
        del A
        print(rows[-1], flush=True)
    if "igraph" in peers:
        import igraph as ig

        G = ig.Graph(n=n, edges=np.column_stack(g.edges()[:2]), directed=True)
        t, x = best(lambda: np.array(G.pagerank(damping=alpha, directed=True)), args.repeat)
        rows.append(("igraph (PRPACK, no tol)", 1, t, float(np.abs(x - ref).sum())))
        del G
        print(rows[-1], flush=True)
    if "networkit" in peers:
        import networkit as nk

        G = nk.GraphFromCoo((np.ones(g.nnz), (g.edges()[0].astype(np.uint64), g.indices.astype(np.uint64))),
                            n=n, directed=True)
        for th in (1, 2):
            nk.setNumberOfThreads(th)

            def run():
                pr = nk.centrality.PageRank(G, damp=alpha, tol=tol,
                                            distributeSinks=nk.centrality.SinkHandling.DistributeSinks)
                pr.norm = nk.centrality.Norm.L1_NORM
                pr.maxIterations = 1000
                pr.run()
                s = np.array(pr.scores())
                return s / s.sum()

            t, x = best(run, args.repeat)
            rows.append((f"NetworKit (L1 norm)", th, t, float(np.abs(x - ref).sum())))
            print(rows[-1], flush=True)
        del G
    scipy_t = next((r[2] for r in rows if r[0].startswith("scipy")), None)
    print(f"\n| implementation | threads | seconds | x scipy | L1 diff to nichegraph power |")
    print("|---|---|---|---|---|")
    for name, th, t, diff in rows:
        ratio = f"{scipy_t / t:.2f}" if scipy_t else "-"
        print(f"| {name} | {th} | {t:.3f} | {ratio} | {diff:.1e} |")
    print(json.dumps({"edges": g.nnz, "nodes": n, "rows": rows}))


if __name__ == "__main__":
    main()
