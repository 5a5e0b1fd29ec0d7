"""Where a cold run's time goes: every numba compilation (cache miss) of one ``nichegraph`` command, slowest first.

Times are CPU seconds of the compiling thread. ``incl`` is inclusive (a kernel's time contains the kernels it calls that compiled with it), ``self`` leaves
those out; ``P`` marks a parallel compilation, ``*`` a top-level one (called from Python: the ``*`` rows'
``incl`` add up to all compile time).  Then, per Python function, the compilations of more than one
signature (each costs a full compile).  Run it with an empty cache to see a first run:

    NICHEGRAPH_CACHE_DIR=$(mktemp -d) .venv/bin/python benchmarks/compile_profile.py demo --store /tmp/d.duckdb

The CLI's compile helper (a second process compiling ahead, ``engine._warmup``) is off here, so the
numbers are one process's, unless ``--helper`` comes first: then the table shows what the command
still compiled itself.  ``--manifest`` first (before the command) prints, instead of the table,
the ``engine._warmup._TABLE`` lines of the kernels the command compiled from Python, in order.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

from numba.core import event

records: list[tuple[float, float, bool, str, str, bool]] = []
top_level: list[tuple[object, tuple]] = []  # (dispatcher, argument types) compiled from Python, in order


class CompileTimer(event.Listener):
    """Times numba's ``numba:compile`` events; compilations nest (one thread holds numba's compiler lock)."""

    def __init__(self) -> None:
        self.stack: list[list[float]] = []  # [start, time spent in nested compilations]

    def on_start(self, ev: event.Event) -> None:
        self.stack.append([time.thread_time(), 0.0])

    def on_end(self, ev: event.Event) -> None:
        d = ev.data["dispatcher"]
        t0, nested = self.stack.pop()
        incl = time.thread_time() - t0
        if self.stack:
            self.stack[-1][1] += incl
        else:
            top_level.append((d, tuple(ev.data["args"])))
        records.append(
            (
                incl,
                incl - nested,
                not self.stack,
                f"{d.py_func.__module__}.{d.py_func.__qualname__}",
                str(ev.data["args"]),
                bool(d.targetoptions.get("parallel")),
            )
        )


def print_manifest() -> None:
    """``engine._warmup._TABLE`` lines (the text between its quotes) of the top-level compilations."""
    from nichegraph.engine._jit import SerialOrParallel
    from nichegraph.engine._warmup import describe_signature

    for d, args in top_level:
        module = d.py_func.__module__
        if not module.startswith("nichegraph.engine."):
            continue
        found = [
            (attr, "" if obj is d else ("serial" if obj.serial is d else "parallel"))
            for attr, obj in vars(importlib.import_module(module)).items()
            if obj is d or (isinstance(obj, SerialOrParallel) and d in (obj.serial, obj.parallel))
        ]
        if not found:
            continue
        name, variant = found[0]
        sig = describe_signature(args)
        if sig is not None:
            kernel = ".".join(p for p in (module.removeprefix("nichegraph.engine."), name, variant) if p)
            print(f"{kernel}: {sig}")


def main() -> None:
    helper = sys.argv[1:2] == ["--helper"]
    if helper:
        del sys.argv[1]
    os.environ["NICHEGRAPH_COMPILE_HELPER"] = "1" if helper else "0"
    manifest = sys.argv[1:2] == ["--manifest"]
    if manifest:
        del sys.argv[1]
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
        report(wall, cpu, manifest)


def report(wall: float, cpu: float, manifest: bool) -> None:
    """The table (or with ``manifest`` the ``_TABLE`` lines) of what compiled."""
    if manifest:
        print_manifest()
        return
    records.sort(reverse=True)
    print(f"{'incl':>7s} {'self':>6s}", file=sys.stderr)
    for incl, own, top, name, args, parallel in records:
        flags = ("P" if parallel else " ") + ("*" if top else " ")
        print(f"{incl:7.2f} {own:6.2f} {flags} {name} {args[:100]}", file=sys.stderr)
    by_name: dict[str, list[str]] = {}
    for _, _, _, name, args, _ in records:
        by_name.setdefault(name, []).append(args)
    for name, sigs in sorted(by_name.items()):
        if len(sigs) > 1 and name.startswith("nichegraph."):
            print(f"{len(sigs)} signatures: {name}", file=sys.stderr)
            for sig in sigs:
                print(f"    {sig[:160]}", file=sys.stderr)
    total = sum(r[0] for r in records if r[2])
    print(
        f"{len(records)} compilations, {total:.2f} s compiling; command {wall:.2f} s wall, {cpu:.2f} s CPU",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
