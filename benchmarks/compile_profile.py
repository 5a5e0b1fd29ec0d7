"""Where a cold run's time goes: every numba compilation (cache miss) of one ``nichegraph`` command, slowest first.

Times are inclusive (a kernel's time contains the kernels it calls that compiled with it); ``P`` marks a
parallel compilation.  Run it with an empty cache to see a first run:

    NICHEGRAPH_CACHE_DIR=$(mktemp -d) .venv/bin/python benchmarks/compile_profile.py demo --store /tmp/d.duckdb
"""

from __future__ import annotations

import sys
import time

from numba.core import event

records: list[tuple[float, str, str, bool]] = []


class CompileTimer(event.Listener):
    def __init__(self) -> None:
        self.started: dict[tuple[int, str], float] = {}

    def on_start(self, ev: event.Event) -> None:
        self.started[id(ev.data["dispatcher"]), str(ev.data["args"])] = time.perf_counter()

    def on_end(self, ev: event.Event) -> None:
        d = ev.data["dispatcher"]
        t0 = self.started.pop((id(d), str(ev.data["args"])), time.perf_counter())
        records.append((time.perf_counter() - t0, f"{d.py_func.__module__}.{d.py_func.__qualname__}",
                        str(ev.data["args"]), bool(d.targetoptions.get("parallel"))))


def main() -> None:
    event.register("numba:compile", CompileTimer())
    from nichegraph.api.cli import main as cli

    sys.argv = ["nichegraph", *sys.argv[1:]]
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    try:
        cli()
    except SystemExit:
        pass
    finally:
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        records.sort(reverse=True)
        for seconds, name, args, parallel in records:
            print(f"{seconds:7.2f} {'P' if parallel else ' '} {name} {args[:100]}", file=sys.stderr)
        print(f"{len(records)} compilations; command {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)


if __name__ == "__main__":
    main()
