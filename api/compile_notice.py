"""One line on stderr the first time a command has to compile nichegraph's kernels, and a helper.

numba fires a ``numba:compile`` event only on a cache miss (a kernel found in
the on-disk cache is loaded without one), so the line appears exactly when a
run is slow for that reason: the first run after an install or an upgrade.

At that first miss, when a core is idle (fewer other processes running right now than
cores - 1: :func:`busy_cores`), a helper process (``python -m nichegraph.engine._warmup --reverse``) compiles the
kernels a first run needs from the other end of the list into the same cache,
so the command loads those instead of compiling them (numba compiles on one
core per process).  The helper is stopped when the command exits.
``NICHEGRAPH_COMPILE_HELPER=0`` turns it off, ``=1`` starts it whatever the load and cores.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
from typing import TextIO

from numba.core import event

_ENGINE = "nichegraph.engine"


class CompileNotice(event.Listener):
    """Writes :data:`message` to ``stream`` at the first compilation of an engine kernel, then stays silent."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.shown = False

    def on_start(self, ev: event.Event) -> None:
        if self.shown or not ev.data["dispatcher"].py_func.__module__.startswith(_ENGINE):
            return
        self.shown = True
        from nichegraph.engine._jit import cache_dir

        stream = self.stream or sys.stderr
        stream.write(
            f"nichegraph: compiling its kernels for this machine; this happens once "
            f"(cached in {cache_dir()}), later runs start in seconds\n"
        )
        stream.flush()
        start_helper()

    def on_end(self, ev: event.Event) -> None:
        pass


def install(stream: TextIO | None = None) -> CompileNotice:
    """Register a :class:`CompileNotice` for the rest of the process and return it."""
    notice = CompileNotice(stream)
    event.register("numba:compile", notice)
    return notice


def start_helper() -> subprocess.Popen | None:
    """Start the compile helper (see the module docstring) unless turned off or no core is idle; stop it at exit."""
    setting = os.environ.get("NICHEGRAPH_COMPILE_HELPER", "auto")
    if setting == "0":
        return None
    cores = os.cpu_count() or 1
    if setting != "1" and (cores < 2 or busy_cores() > cores - 1):
        return None  # no idle core: a second compiling process would only take time from others
    try:
        helper = subprocess.Popen(
            [sys.executable, "-m", "nichegraph.engine._warmup", "--reverse"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:  # no helper: the command compiles everything itself, as without one
        return None
    atexit.register(_stop, helper)
    return helper


def busy_cores(samples: int = 5, interval: float = 0.01) -> float:
    """How many cores other processes keep busy now, this one included (compare with ``cores - 1``).

    On Linux the median, over ``samples`` reads ``interval`` seconds apart, of the tasks running
    right now (``/proc/loadavg``'s fourth field, which counts this process): unlike the one-minute
    load average it does not stay high for a minute after the previous command, which kept the
    helper off on an idle machine after a few first runs back to back.  Elsewhere the one-minute
    load average.
    """
    counts = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as f:
                counts.append(int(f.read().split()[3].split("/")[0]))
        except (OSError, ValueError, IndexError):
            return os.getloadavg()[0]
        if i + 1 < samples:
            time.sleep(interval)
    return float(sorted(counts)[samples // 2])


def _stop(helper: subprocess.Popen) -> None:
    if helper.poll() is None:
        helper.terminate()  # numba writes cache entries by rename, so an interrupted helper leaves none half-written
        try:
            helper.wait(timeout=5)
        except subprocess.TimeoutExpired:
            helper.kill()
