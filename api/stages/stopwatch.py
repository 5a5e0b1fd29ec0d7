"""Wall time of the named steps of an analysis, stage by stage and inside each stage.

``run_analysis`` makes one :class:`Stopwatch`; each stage gets ``watch.sub("metrics")``
and times its own steps (``metrics.pagerank``, ...) into the same ``timings`` dict.
``progress`` is told the full name of every step as it starts (the CLI shows it; the
analyze benchmark uses it to attribute peak memory to steps).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator


class Stopwatch:
    """Records ``timings[prefix + name]`` (wall seconds) and ``cpu[prefix + name]`` (CPU seconds of the
    process, all threads: the measure that survives a busy machine) for every ``with watch(name):`` block."""

    def __init__(
        self,
        timings: dict[str, float] | None = None,
        progress: Callable[[str], None] | None = None,
        prefix: str = "",
        cpu: dict[str, float] | None = None,
    ) -> None:
        self.timings: dict[str, float] = {} if timings is None else timings
        self.cpu: dict[str, float] = {} if cpu is None else cpu
        self.progress = progress
        self.prefix = prefix

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        full = self.prefix + name
        if self.progress:
            self.progress(full)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[full] = time.perf_counter() - t0
            self.cpu[full] = time.process_time() - c0

    def sub(self, stage: str) -> Stopwatch:
        """A stopwatch for the steps of ``stage`` (names ``stage.step``), sharing timings and progress."""
        return Stopwatch(self.timings, self.progress, f"{self.prefix}{stage}.", self.cpu)


def stopwatch(watch: Stopwatch | None, timings: dict[str, float] | None = None) -> Stopwatch:
    """``watch``, or a new :class:`Stopwatch` filling ``timings`` when a stage runs on its own."""
    return watch if watch is not None else Stopwatch(timings)
