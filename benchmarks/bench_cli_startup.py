"""CLI start-up: ``nichegraph --help`` and ``nichegraph COMMAND --help`` wall and CPU seconds, median of
alternating runs of one or more executables (``--peer``), and which heavy modules each one imported.

    .venv/bin/python benchmarks/bench_cli_startup.py --peer /work/main/.venv/bin/nichegraph
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("numba", "scipy", "pandas", "duckdb", "pyarrow", "neo4j", "fastapi", "uvicorn", "matplotlib")
PROBE = "import sys, runpy; sys.argv = ['nichegraph', *sys.argv[1:]]\ntry:\n    runpy.run_module('nichegraph.api.cli', run_name='__main__')\nexcept SystemExit:\n    pass\nprint('HEAVY', *[m for m in {heavy!r} if m in sys.modules], file=sys.stderr)"


def timed(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_modules(exe: str, args: list[str]) -> str:
    python = str(Path(exe).parent / "python")
    done = subprocess.run([python, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True)
    line = [x for x in done.stderr.splitlines() if x.startswith("HEAVY")]
    return " ".join(line[-1].split()[1:]) if line else "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exe", default=str(Path(sys.executable).parent / "nichegraph"))
    ap.add_argument("--peer", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    exes = [args.exe, *args.peer]
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    for cmd in (["--help"], ["demo", "--help"], ["rank", "--help"]):
        runs: dict[str, list[tuple[float, float]]] = {e: [] for e in exes}
        for _ in range(args.repeat):
            for e in exes:
                runs[e].append(timed([e, *cmd]))
        for e in exes:
            wall = statistics.median(r[0] for r in runs[e])
            cpu = statistics.median(r[1] for r in runs[e])
            print(f"{' '.join(cmd):12s} {wall:6.2f} s wall {cpu:6.2f} s CPU  {e}  imports: {heavy_modules(e, cmd)}")


if __name__ == "__main__":
    main()
