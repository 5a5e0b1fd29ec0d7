"""How the Neo4j loader schedules its batches: progress, phase timings, jobs, parallel writers.

The loader (:mod:`graph_store.neo4j_loader`) plans what to write; this module holds the small
pieces that run the plan: :class:`WriteProgress` (rows written, for a progress callback),
:func:`phase` (wall time per load phase), :class:`Job` (one relationship batch and its
statements), :func:`alternate` (the order two writers take batches in) and
:func:`parallel_map`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

_log = logging.getLogger(__name__)

#: ``progress(rows_done, rows_total)``; the total grows as the loader plans each phase.
ProgressCallback = Callable[[int, int], None]


class WriteProgress:
    """Rows written so far and in all, reported to a callback; safe to call from worker threads."""

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self._lock = threading.Lock()
        self.total = 0
        self.done = 0

    def _report(self) -> None:
        if self.callback is not None:
            self.callback(self.done, self.total)

    def reset(self) -> None:
        with self._lock:
            self.total = self.done = 0
            self._report()

    def add_total(self, n: int) -> None:
        with self._lock:
            self.total += n
            self._report()

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            self._report()


@dataclass
class Job:
    """One batch of relationship rows and the statement that writes it."""

    part: pa.Table
    query: str
    retry_query: str
    counts: Any
    count_existing: bool
    what: str


def alternate(a: list, b: list) -> list:
    """``a[0], b[h], a[1], b[h + 1], ...`` with ``b`` rotated by half (``h = len(b) // 2``), then the
    rest of the longer list.

    Both lists are batches in source order, so two neighbours of the result (what two writers run
    at the same time) hold different relationship types *and* sources about half the id range
    apart, so they share fewer locked nodes.  (It helped in a small test; on the 1M + 1M benchmark
    its effect was within the noise, and writers still wait on shared busy targets.)
    """
    b = b[len(b) // 2 :] + b[: len(b) // 2]
    out = [x for pair in zip(a, b) for x in pair]
    n = min(len(a), len(b))
    return out + a[n:] + b[n:]


def parallel_map(workers: int, fn: Callable[[Any], Any], items: list) -> list:
    """``fn`` over ``items`` on ``workers`` parallel threads (sessions); the results in order.

    When a call fails, the items not yet started are cancelled and the error is raised.
    """
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    ex = ThreadPoolExecutor(workers)
    try:
        return list(ex.map(fn, items))
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


@contextmanager
def phase(phases: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall time of the block to ``phases[name]`` (and log it)."""
    t = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
        _log.debug("load phase %s: %.2fs", name, phases[name])
