"""Run a command and report its wall time, the CPU seconds of its whole process tree (a Spark JVM and its
Python workers included, which ``time`` misses when they are not waited for) and the peak resident memory of
the tree, with the load average before and after.

    .venv/bin/python benchmarks/tree_cpu.py .venv/bin/python -m pytest -q tests/spark
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_spark import PeakRss


def main() -> None:
    load0, t0 = os.getloadavg(), time.perf_counter()
    with PeakRss() as mem:
        rc = subprocess.run(sys.argv[1:]).returncode
    wall = time.perf_counter() - t0
    report = {
        "rc": rc,
        "wall_s": wall,
        "cpu_s": mem.cpu,
        "peak_gb": mem.peak / 1e9,
        "load_avg": [load0, os.getloadavg()],
    }
    print(json.dumps(report), file=sys.stderr)
    sys.exit(rc)


if __name__ == "__main__":
    main()
