"""How the Neo4j loader schedules its batches: progress, phase timings, jobs, parallel writers.

The loader (:mod:`graph_store.neo4j_loader`) plans what to write; this module holds the small
pieces that run the plan: :class:`WriteProgress` (rows written, for a progress callback),
:func:`phase` (wall time per load phase), :class:`Job` (one relationship batch and its
statements), :func:`run_disjoint` (parallel writers on buckets of relationships that share no
node) and :func:`parallel_map`.
"""

from __future__ import annotations

import logging
import math
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
    #: The node groups of the batch's bucket: batches with disjoint groups share no node.
    groups: frozenset[int] = frozenset()


def node_groups(rows: int, batch_size: int, workers: int) -> int:
    """How many node groups :func:`run_disjoint` partitions the accounts into for ``rows`` relationships.

    A bucket (a pair of groups) holds about ``2 * rows / groups**2`` rows; the groups are chosen so that
    a bucket is about one batch, and at least ``2 * workers`` so that ``workers`` buckets with disjoint
    groups exist at any time (at most 64).  One writer needs no buckets: 1.
    """
    if workers <= 1:
        return 1
    want = math.ceil(math.sqrt(2 * max(rows, 1) / max(batch_size, 1)))
    return min(64, max(2 * max(workers, 1), want))


def run_disjoint(workers: int, buckets: list[tuple[frozenset[int], list[Any]]], fn: Callable[[Any], Any]) -> list:
    """``fn`` over the items of every bucket on ``workers`` threads; ``[(item, fn(item)), ...]`` (any order).

    Each bucket is ``(groups, items)``: its items run one after another on one thread, and two buckets
    run at the same time only when their ``groups`` are disjoint.  With relationships bucketed by the
    groups of their two endpoints (:func:`node_groups`), concurrent transactions therefore never lock
    the same node (Neo4j's "mix and batch"; linking a relationship into a chain also locks the chain's
    first relationship, which can lead anywhere, so a rare deadlock retry remains possible).  The
    biggest buckets go first.  When a call fails, no further bucket starts and the error is raised once
    the running ones finish.
    """
    if workers <= 1 or len(buckets) <= 1:
        return [(x, fn(x)) for _, items in buckets for x in items]
    pending = sorted(buckets, key=lambda b: -sum(_rows(x) for x in b[1]))
    busy: set[int] = set()
    done: list[tuple[Any, Any]] = []
    errors: list[BaseException] = []
    cond = threading.Condition()

    def take() -> tuple[frozenset[int], list[Any]] | None:
        with cond:
            while pending and not errors:
                for k, (groups, _) in enumerate(pending):
                    if busy.isdisjoint(groups):
                        busy.update(groups)
                        return pending.pop(k)
                cond.wait()  # every pending bucket shares a group with a running one: wait for a release
            return None

    def worker() -> None:
        while (bucket := take()) is not None:
            groups, items = bucket
            try:
                out = [(x, fn(x)) for x in items]
            except BaseException as exc:
                with cond:
                    errors.append(exc)
                    busy.difference_update(groups)
                    cond.notify_all()
                return
            with cond:
                done.extend(out)
                busy.difference_update(groups)
                cond.notify_all()

    threads = [threading.Thread(target=worker, name=f"nichegraph-writer-{i}") for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return done


def _rows(item: Any) -> int:
    part = getattr(item, "part", None)
    return part.num_rows if part is not None else 1


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
