"""Campaign planner benchmark: k = 50 on a large generated world, and IMM vs Monte-Carlo CELF.

Part 1 (large): a world from :func:`graph_store.synth.generate` (``--world synth``, the
default) or a numpy power-law generator (``--world powerlaw``) is written to a cache
folder; then each planning job runs in a fresh subprocess so its peak RSS
(``VmHWM``, reset after the follow arrays are loaded) is the planner's alone:

* ``audience``: building the audience graph (CSR, followee -> follower);
* ``reach``: lazy greedy (CELF) max-coverage, k = 50, and the plain (non-lazy) greedy as the
  reference it must equal; HyperLogLog (p = 14) of the chosen set vs its exact reach;
* ``spread``: IMM, k = 50, weighted cascade (p = 0.1 is far above the epidemic threshold on a
  graph of mean degree 20: every RR set would hold most of the graph).

Part 2 (small): IMM (p = 0.1) against a Monte-Carlo CELF with Neo4j GDS's defaults (100
simulations per gain, propagation probability 0.1) on a graph small enough for CELF; both seed
sets are scored by an independent Monte-Carlo run of 10,000 cascades.

Run:  .venv/bin/python benchmarks/bench_campaign.py [--accounts 1000000 --edges 20000000]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _status_mib(field: str) -> float:
    """``VmRSS`` / ``VmHWM`` of this process in MiB (Linux; ru_maxrss survives exec, so it is not used)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak() -> bool:
    """Reset the peak-RSS mark (Linux >= 4.0: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# ----------------------------------------------------------------------------- worlds
def make_world(kind: str, n: int, m: int, seed: int, path: Path) -> dict:
    t0 = time.perf_counter()
    if kind == "synth":
        from nichegraph.graph_store.synth import generate

        w = generate(n_accounts=n, n_edges=m, n_follows=m, n_interactions=0, seed=seed)
        src, dst = np.asarray(w.follow_src, np.int32), np.asarray(w.follow_dst, np.int32)
    else:
        rng = np.random.default_rng(seed)
        # followee popularity ~ Zipf(1.1) over a random permutation; followers uniform
        ranks = np.arange(1, n + 1, dtype=np.float64)
        p = ranks ** -1.1
        p /= p.sum()
        perm = rng.permutation(n).astype(np.int32)
        dst = perm[np.minimum(np.searchsorted(np.cumsum(p), rng.random(m)), n - 1)]
        src = rng.integers(0, n, m, dtype=np.int32)
    secs = time.perf_counter() - t0
    np.savez(path, src=src, dst=dst, n=np.int64(n))
    return {"world": kind, "accounts": n, "follows": int(src.size), "generate_s": round(secs, 1)}


# ----------------------------------------------------------------------------- jobs (subprocess)
def _warm():
    from nichegraph.engine.influence import audience_graph, imm_portfolio, max_reach_portfolio, unique_reach, estimate_reach

    g = audience_graph(np.array([1, 2, 3]), np.array([0, 0, 1]), n_nodes=4)
    max_reach_portfolio(g, 2)
    imm_portfolio(g, 1, probability="wc", epsilon=0.5)
    unique_reach(g, [0])
    estimate_reach(g, [0])
    _plain_greedy(g.indptr, g.indices, 4, 2)


def _plain_greedy(indptr, indices, n, k):
    from nichegraph.engine._jit import kernel

    global _PLAIN
    if "_PLAIN" not in globals():
        @kernel
        def plain(indptr, indices, n, k):
            covered = np.zeros(n, dtype=np.bool_)
            chosen = np.full(k, -1, dtype=np.int64)
            gains = np.zeros(k, dtype=np.int64)
            taken = np.zeros(n, dtype=np.bool_)
            for i in range(k):
                best, bg = -1, 0
                for u in range(n):
                    if taken[u]:
                        continue
                    g = 0
                    for p in range(indptr[u], indptr[u + 1]):
                        if not covered[indices[p]]:
                            g += 1
                    if g > bg:
                        best, bg = u, g
                if best < 0:
                    break
                taken[best] = True
                chosen[i] = best
                gains[i] = bg
                for p in range(indptr[best], indptr[best + 1]):
                    covered[indices[p]] = True
            return chosen, gains

        _PLAIN = plain
    return _PLAIN(indptr, indices, n, k)


def job(path: str, what: str, k: int, epsilon: float) -> dict:
    from nichegraph.engine.influence import audience_graph, estimate_reach, imm_portfolio, max_reach_portfolio, unique_reach

    _warm()
    z = np.load(path)
    src, dst, n = z["src"], z["dst"], int(z["n"])
    out: dict = {"job": what, "rss_after_load_mib": round(_status_mib("VmRSS")), "peak_reset": reset_peak()}
    t0 = time.perf_counter()
    g = audience_graph(src, dst, n_nodes=n)
    out["audience_s"] = round(time.perf_counter() - t0, 2)
    out["nnz"] = g.nnz
    del src, dst, z
    if what == "reach":
        t0 = time.perf_counter()
        pf = max_reach_portfolio(g, k)
        out["plan_s"] = round(time.perf_counter() - t0, 2)
        out["reach"] = pf.total
        out["evaluations"] = pf.details["evaluations"]
        out["sum_of_audiences"] = int(np.diff(g.indptr)[pf.nodes].sum())
        t0 = time.perf_counter()
        chosen, gains = _plain_greedy(g.indptr, g.indices, n, k)
        out["plain_greedy_s"] = round(time.perf_counter() - t0, 2)
        out["plain_greedy_equal"] = bool(np.array_equal(chosen[chosen >= 0], pf.nodes))
        out["plain_greedy_evaluations"] = int(k * n)
        t0 = time.perf_counter()
        exact = unique_reach(g, pf.nodes)
        out["exact_union_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        est = estimate_reach(g, pf.nodes, p=14, seed=1)
        out["hll_s"] = round(time.perf_counter() - t0, 3)
        out["hll_estimate"] = round(est.estimate)
        out["hll_rel_error"] = round((est.estimate - exact) / exact, 4)
        out["hll_documented_rel_std"] = round(est.relative_error, 4)
    else:
        t0 = time.perf_counter()
        pf = imm_portfolio(g, k, probability="wc", epsilon=epsilon, seed=0)
        out["plan_s"] = round(time.perf_counter() - t0, 2)
        out["spread"] = round(pf.total, 1)
        out["spread_se"] = round(pf.std_error, 1)
        out.update({key: pf.details[key] for key in ("theta", "lower_bound", "eval_rr_entries", "capped")})
    out["peak_rss_mib"] = round(_status_mib("VmHWM"))
    return out


# ----------------------------------------------------------------------------- MC CELF
def mc_celf(g, k: int, p: float, n_sim: int, seed: int):
    """Monte-Carlo CELF (Leskovec et al. 2007) as in Neo4j GDS: lazy greedy on MC spread estimates."""
    from nichegraph.engine.influence import ic_spread

    def spread(seeds):
        return ic_spread(g, np.array(seeds, dtype=np.int64), probability=p, n_sim=n_sim, seed=seed).mean

    heap = [(-spread([u]), u, 0) for u in range(g.n_nodes)]
    heapq.heapify(heap)
    chosen, current, evals = [], 0.0, g.n_nodes
    while len(chosen) < k and heap:
        neg, u, stamp = heapq.heappop(heap)
        if stamp == len(chosen):
            chosen.append(u)
            current += -neg
            continue
        gain = spread(chosen + [u]) - current
        evals += 1
        heapq.heappush(heap, (-gain, u, len(chosen)))
    return np.array(chosen, dtype=np.int64), evals


def small_comparison(n: int, m: int, k: int, epsilon: float, seed: int) -> dict:
    from nichegraph.engine.influence import audience_graph, ic_spread, imm_portfolio

    rng = np.random.default_rng(seed)
    dst = np.minimum((rng.pareto(1.2, m) * 3).astype(np.int64), n - 1)
    dst = rng.permutation(n)[dst]
    src = rng.integers(0, n, m)
    g = audience_graph(src, dst, n_nodes=n)
    _warm()
    ic_spread(g, [0], n_sim=2)
    t0 = time.perf_counter()
    pf = imm_portfolio(g, k, probability=0.1, epsilon=epsilon, seed=0)
    imm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    celf, evals = mc_celf(g, k, 0.1, 100, seed=0)
    celf_s = time.perf_counter() - t0
    judge = {name: ic_spread(g, s, probability=0.1, n_sim=10_000, seed=12345)
             for name, s in (("imm", pf.nodes), ("celf", celf))}
    return {"nodes": n, "edges": g.nnz, "k": k, "epsilon": epsilon,
            "imm_s": round(imm_s, 2), "imm_theta": pf.details["theta"],
            "imm_estimate": round(pf.total, 1), "imm_estimate_se": round(pf.std_error, 1),
            "celf_s": round(celf_s, 2), "celf_evaluations": evals,
            "imm_spread_mc": round(judge["imm"].mean, 1), "imm_spread_mc_se": round(judge["imm"].std_error, 2),
            "celf_spread_mc": round(judge["celf"].mean, 1), "celf_spread_mc_se": round(judge["celf"].std_error, 2),
            "spread_ratio_imm_over_celf": round(judge["imm"].mean / judge["celf"].mean, 4),
            "time_ratio_celf_over_imm": round(celf_s / imm_s, 1), "overlap_of_seed_sets": len(
                set(pf.nodes.tolist()) & set(celf.tolist()))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=20_000_000)
    ap.add_argument("--world", choices=["synth", "powerlaw"], default="synth")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--epsilon", type=float, default=0.2)
    ap.add_argument("--cache", default="/tmp/nichegraph_bench_campaign")
    ap.add_argument("--small-nodes", type=int, default=20_000)
    ap.add_argument("--small-edges", type=int, default=100_000)
    ap.add_argument("--small-k", type=int, default=20)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-small", action="store_true")
    ap.add_argument("--job", nargs=4, metavar=("PATH", "WHAT", "K", "EPS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.job:
        print(json.dumps(job(a.job[0], a.job[1], int(a.job[2]), float(a.job[3]))))
        return
    report: dict = {"threads": os.environ.get("NUMBA_NUM_THREADS", "default"), "cpus": os.cpu_count()}
    if not a.skip_large:
        Path(a.cache).mkdir(parents=True, exist_ok=True)
        path = Path(a.cache) / f"{a.world}_{a.accounts}_{a.edges}.npz"
        if path.exists():
            z = np.load(path)
            report["world"] = {"world": a.world, "accounts": int(z["n"]), "follows": int(z["src"].size),
                               "generate_s": "cached"}
        else:
            report["world"] = make_world(a.world, a.accounts, a.edges, 0, path)
        print(json.dumps(report["world"]), flush=True)
        for what in ("reach", "spread"):
            res = subprocess.run([sys.executable, __file__, "--job", str(path), what, str(a.k), str(a.epsilon)],
                                 capture_output=True, text=True, check=False)
            if res.returncode != 0:
                report[what] = {"error": res.stderr[-2000:]}
            else:
                report[what] = json.loads(res.stdout.strip().splitlines()[-1])
            print(json.dumps(report[what]), flush=True)
    if not a.skip_small:
        report["imm_vs_celf"] = small_comparison(a.small_nodes, a.small_edges, a.small_k, a.epsilon, 3)
        print(json.dumps(report["imm_vs_celf"]), flush=True)


if __name__ == "__main__":
    main()
