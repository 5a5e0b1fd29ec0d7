"""Cold start: the first and second ``nichegraph demo`` with an empty kernel cache, and the first ``analyze``
of a 20,000-account synthetic world, for one or more ``nichegraph`` executables side by side.

Each executable gets its own empty cache folder (``NICHEGRAPH_CACHE_DIR`` and ``NUMBA_CACHE_DIR``, so an
older build that caches next to its sources is cold too).  Wall time and the CPU time of the process
(user + sys, less sensitive to a busy machine) are printed per step; a peer (``--peer``, e.g. the main
branch's venv) runs alternately in the same run, so the numbers are comparable.

    flock /tmp/nichegraph-bench.lock .venv/bin/python benchmarks/bench_cold_start.py \\
        --peer /work/main/.venv/bin/nichegraph

A fixed reference, the compilation of one small numba function in a new process (the same work on
any branch), is timed before, between and after them, so a busy machine shows as a slower reference:
compare ``first demo / reference`` between runs, not seconds.  ``--no-helper`` adds the executable
once more with its compile helper off (``NICHEGRAPH_COMPILE_HELPER=0``; the first run has it on even on a
busy machine, where by default it would not start); ``--demo-only`` skips the 20k world.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of one command, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


REFERENCE = """
import numba, numpy as np
@numba.njit
def f(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i] if a[i] > 0 else -a[i]
    return s
f(np.arange(3.0))
"""


def reference(work: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the fixed reference (a new process compiling one small function, no cache)."""
    return timed([sys.executable, "-c", REFERENCE], {**os.environ}, work)


def run_one(exe: str, work: Path, world: Path | None, extra_env: dict) -> dict[str, tuple[float, float]]:
    cache = work / "cache"
    env = {**os.environ, "NICHEGRAPH_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache), **extra_env}
    out = {}
    out["reference (tiny compile)"] = reference(work)
    out["first demo"] = timed([exe, "demo", "--store", str(work / "demo1.duckdb")], env, work)
    out["second demo"] = timed([exe, "demo", "--store", str(work / "demo2.duckdb")], env, work)
    out["load average (1 min)"] = (os.getloadavg()[0], 0.0)
    if world is None:
        return out
    store = str(work / "world.duckdb")
    timed([exe, "load", "--store", store, "--accounts", str(world / "accounts.csv"),
           "--follows", str(world / "follows.csv"), "--interactions", str(world / "interactions.csv")], env, work)
    out["first analyze (20k world)"] = timed([exe, "analyze", "--store", store, "--seed", "0"], env, work)
    out["second analyze (20k world)"] = timed([exe, "analyze", "--store", store, "--seed", "0"], env, work)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exe", default=str(Path(sys.executable).parent / "nichegraph"), help="nichegraph to measure")
    ap.add_argument("--peer", action="append", default=[], help="another nichegraph executable, run alternately")
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--edges", type=int, default=300_000)
    ap.add_argument("--no-helper", action="store_true", help="also run --exe with its compile helper off")
    ap.add_argument("--demo-only", action="store_true", help="only the demos (no 20k world)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="ng-cold-") as tmp:
        root = Path(tmp)
        world = None if args.demo_only else root / "world"
        if world is not None:
            subprocess.run([args.exe, "synth", "--out", str(world), "--accounts", str(args.accounts),
                            "--edges", str(args.edges), "--seed", "1"], check=True, capture_output=True)
        runs = [(args.exe, args.exe, {"NICHEGRAPH_COMPILE_HELPER": "1"})]  # the helper whatever the load
        if args.no_helper:
            runs.append((f"{args.exe} (helper off)", args.exe, {"NICHEGRAPH_COMPILE_HELPER": "0"}))
        runs += [(exe, exe, {}) for exe in args.peer]
        results = {}
        for i, (label, exe, extra_env) in enumerate(runs):
            work = root / f"run{i}"
            work.mkdir()
            results[label] = run_one(exe, work, world, extra_env)
    steps = list(next(iter(results.values())))
    for i, label in enumerate(results):
        print(f"[{i}] {label}")
    print(f"{'step':28s}" + "".join(f"{'wall s':>9s}{'cpu s':>9s}  [{i}]" for i in range(len(results))))
    for step in steps:
        print(f"{step:28s}" + "".join(f"{results[exe][step][0]:9.2f}{results[exe][step][1]:9.2f}     "
                                       for exe in results))
    print(f"{'first demo / reference':28s}" + "".join(
        f"{r['first demo'][0] / r['reference (tiny compile)'][0]:9.1f}{r['first demo'][1] / r['reference (tiny compile)'][1]:9.1f}     "
        for r in results.values()))


if __name__ == "__main__":
    main()
