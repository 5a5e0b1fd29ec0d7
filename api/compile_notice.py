"""One line on stderr the first time a command has to compile nichegraph's kernels.

numba fires a ``numba:compile`` event only on a cache miss (a kernel found in
the on-disk cache is loaded without one), so the line appears exactly when a
run is slow for that reason: the first run after an install or an upgrade.
"""

from __future__ import annotations

import sys
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

    def on_end(self, ev: event.Event) -> None:
        pass


def install(stream: TextIO | None = None) -> CompileNotice:
    """Register a :class:`CompileNotice` for the rest of the process and return it."""
    notice = CompileNotice(stream)
    event.register("numba:compile", notice)
    return notice
