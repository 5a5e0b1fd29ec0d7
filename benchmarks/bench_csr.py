"""CSR build benchmark: ``engine.from_edges`` against scipy on edges of a synthetic world.

What is measured
----------------
For each size the edges (follows + interactions, as dense int32 ``src``/``dst``
indices) of a world from :func:`graph_store.synth.generate` are saved once to
``.npy`` files.  Each measurement runs in a fresh subprocess that

1. imports numpy/numba/scipy and compiles the kernels on a tiny graph
   (``engine.from_edges`` warm-up; numba's on-disk cache makes this cheap),
2. resets the kernel's peak-RSS counter (``/proc/self/clear_refs`` = 5) and
   records the resident memory ``VmRSS``,
3. loads the two input arrays from disk, builds the CSR (timed, wall clock,
   ``time.perf_counter``), and reads the peak ``VmHWM``.

*Peak memory* is ``VmHWM - VmRSS(before)`` (Linux only): it counts
the inputs (``src``, ``dst``: 8 bytes/edge), every temporary of the build and
the result (``indptr``, ``indices``, ``weights``), and nothing of the
interpreter or the compiled code.  It is reported per input edge.

The peer is ``scipy.sparse.coo_matrix((ones, (src, dst))).tocsr()`` followed by
``sum_duplicates()`` (the same result: rows sorted, duplicates summed; the
float64 ``ones`` array is created inside the timed region, as ``from_edges``
creates its unit weights).  At the smaller sizes the two results are checked
to be identical.

Build times are the median of ``--repeat`` builds inside one subprocess; the
memory figure comes from the first build.

Usage::

    .venv/bin/python benchmarks/bench_csr.py                  # 1M and 20M edges
    .venv/bin/python benchmarks/bench_csr.py --edges 1000000  # one size
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys, time
import numpy as np
which, folder, n_nodes, repeat, check = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"

def status_mb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0  # kB
    raise RuntimeError(key + " not in /proc/self/status")

def reset_peak():
    # Linux >= 4.0: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

if which == "engine":
    from nichegraph import engine
    engine.from_edges(np.array([0, 1, 1], np.int32), np.array([1, 0, 0], np.int32), n_nodes=3)  # JIT warm-up
    def build(src, dst):
        g = engine.from_edges(src, dst, n_nodes=n_nodes, directed=True)
        return g.indptr, g.indices, g.weights
else:
    import scipy.sparse as sp
    sp.coo_matrix((np.ones(2), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2)).tocsr()
    def build(src, dst):
        m = sp.coo_matrix((np.ones(src.shape[0], dtype=np.float64), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
        m.sum_duplicates()
        return m.indptr, m.indices, m.data

import gc
gc.collect()
reset_peak()
before = status_mb("VmRSS")
t_load = time.perf_counter()
src = np.load(folder + "/src.npy")
dst = np.load(folder + "/dst.npy")
t_load = time.perf_counter() - t_load
times = []
t = time.perf_counter()
out = build(src, dst)
times.append(time.perf_counter() - t)
peak = status_mb("VmHWM") - before
nnz = int(out[1].shape[0])
if check:
    np.save(folder + f"/{which}_indptr.npy", np.asarray(out[0], dtype=np.int64))
    np.save(folder + f"/{which}_indices.npy", np.asarray(out[1], dtype=np.int64))
    np.save(folder + f"/{which}_weights.npy", np.asarray(out[2], dtype=np.float64))
del out
for _ in range(repeat - 1):
    t = time.perf_counter()
    out = build(src, dst)
    times.append(time.perf_counter() - t)
    del out
print(json.dumps({"times": times, "peak_mb": peak, "nnz": nnz, "edges": int(src.shape[0]),
                  "load_s": t_load}))
"""


def make_inputs(n_edges: int, folder: Path, seed: int) -> tuple[int, dict]:
    """Generate a world with ``n_edges`` edges (1 account per 20 edges) and save its edges."""
    import numpy as np

    from nichegraph.graph_store.synth import generate

    n_accounts = max(1000, n_edges // 20)
    t = time.perf_counter()
    w = generate(n_accounts=n_accounts, n_edges=n_edges, seed=seed)
    gen_s = time.perf_counter() - t
    np.save(folder / "src.npy", np.concatenate([w.follow_src, w.interaction_src]))
    np.save(folder / "dst.npy", np.concatenate([w.follow_dst, w.interaction_dst]))
    meta = {"accounts": n_accounts, "follows": w.n_follows, "interactions": w.n_interactions, "generate_s": gen_s}
    del w
    return n_accounts, meta


def run_child(which: str, folder: Path, n_nodes: int, repeat: int, check: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-c", _CHILD, which, str(folder), str(n_nodes), str(repeat),
                          "1" if check else "0"], capture_output=True, text=True, env=env, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"{which} child failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    import numpy as np

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--edges", type=int, nargs="+", default=[1_000_000, 20_000_000])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = p.parse_args(argv)

    import numba

    print(f"# CSR build, {os.cpu_count()} CPUs, numba threads {numba.config.NUMBA_NUM_THREADS}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'edges':>12} {'nodes':>10} {'nnz':>12} | {'engine s':>9} {'B/edge':>7} | {'scipy s':>8} "
          f"{'B/edge':>7} | {'speed-up':>8} {'mem ratio':>9} | same")
    results = []
    for n_edges in args.edges:
        with tempfile.TemporaryDirectory(prefix="nichegraph-bench-csr-") as tmp:
            folder = Path(tmp)
            n_nodes, meta = make_inputs(n_edges, folder, args.seed)
            check = n_edges <= 5_000_000
            ours = run_child("engine", folder, n_nodes, args.repeat, check)
            peer = run_child("scipy", folder, n_nodes, args.repeat, check)
            same = None
            if check:
                same = all(np.array_equal(np.load(folder / f"engine_{k}.npy"), np.load(folder / f"scipy_{k}.npy"))
                           for k in ("indptr", "indices", "weights"))
        t_ours, t_peer = float(np.median(ours["times"])), float(np.median(peer["times"]))
        b_ours = ours["peak_mb"] * 2**20 / n_edges
        b_peer = peer["peak_mb"] * 2**20 / n_edges
        row = {"edges": n_edges, "nodes": n_nodes, "nnz": ours["nnz"], "engine_s": t_ours,
               "engine_bytes_per_edge": b_ours, "scipy_s": t_peer, "scipy_bytes_per_edge": b_peer,
               "speedup": t_peer / t_ours, "same_result": same, "engine_times": ours["times"],
               "scipy_times": peer["times"], **meta}
        results.append(row)
        print(f"{n_edges:>12,} {n_nodes:>10,} {ours['nnz']:>12,} | {t_ours:>9.3f} {b_ours:>7.1f} | {t_peer:>8.3f} "
              f"{b_peer:>7.1f} | {t_peer / t_ours:>7.1f}x {b_peer / b_ours:>8.2f}x | "
              f"{'-' if same is None else same}", flush=True)
    print("# targets: 20M edges in < 2 s; < 40 bytes/edge peak (inputs included)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
