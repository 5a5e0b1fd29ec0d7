"""Campaign plans off the event loop: a few worker threads, a bounded queue, a compute budget per key.

A ``spread`` plan (IMM) can take seconds of CPU, so the request rate limit alone
would let one key queue minutes of work.  :class:`PlanQueue` admits a plan only
when

* fewer than ``queue`` plans are running or waiting (else 503: the server is busy),
* the key has fewer than ``per_key`` plans admitted (else 429), and
* the key's compute budget is not spent (else 429): a token bucket of
  ``budget_seconds`` refilled over ``window_seconds``, charged after each plan
  with the plan's measured wall time on its worker.

Both refusals carry ``Retry-After``.  Admission is decided on the event loop
with no await between check and count, so it needs no lock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

T = TypeVar("T")


class PlanRefused(Exception):
    """A plan not admitted: HTTP ``status`` (429 or 503), a message, and seconds to wait."""

    def __init__(self, status: int, message: str, retry_after: float):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass
class _Budget:
    balance: float
    updated: float


class PlanQueue:
    """Run plans on ``workers`` threads with at most ``queue`` admitted (see the module docstring)."""

    def __init__(
        self,
        *,
        workers: int = 2,
        queue: int = 8,
        per_key: int = 2,
        budget_seconds: float = 30.0,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.workers = workers
        self.queue = queue
        self.per_key = per_key
        self.budget = budget_seconds
        self.refill = budget_seconds / window_seconds  # seconds of budget regained per second
        self._clock = clock
        self._limiter: anyio.CapacityLimiter | None = None
        self.admitted = 0
        self._by_key: dict[str, int] = {}
        self._budgets: dict[str, _Budget] = {}
        self._mean_seconds = 1.0  # running mean of plan times, for Retry-After

    def _balance(self, key: str) -> _Budget:
        now = self._clock()
        b = self._budgets.get(key)
        if b is None:
            b = self._budgets[key] = _Budget(self.budget, now)
        b.balance = min(self.budget, b.balance + (now - b.updated) * self.refill)
        b.updated = now
        return b

    def _admit(self, key: str) -> None:
        if self.admitted >= self.queue:
            wait = self._mean_seconds * (self.admitted - self.workers + 1) / self.workers
            raise PlanRefused(
                503,
                f"{self.admitted} campaign plans are running or waiting (the most this server queues); retry later",
                wait,
            )
        if self._by_key.get(key, 0) >= self.per_key:
            raise PlanRefused(
                429,
                f"at most {self.per_key} campaign plans per client at once; wait for one to finish",
                self._mean_seconds,
            )
        budget = self._balance(key)
        if budget.balance <= 0:
            raise PlanRefused(
                429,
                f"the compute budget for campaign plans ({self.budget:g} s per "
                f"{self.budget / self.refill:g} s) is spent; retry later",
                -budget.balance / self.refill,
            )
        self.admitted += 1
        self._by_key[key] = self._by_key.get(key, 0) + 1

    def _release(self, key: str, seconds: float | None) -> None:
        self.admitted -= 1
        left = self._by_key[key] - 1
        if left:
            self._by_key[key] = left
        else:
            del self._by_key[key]
        if seconds is not None:
            self._balance(key).balance -= seconds
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds
        if not self._by_key and len(self._budgets) > 10_000:  # forget full buckets of idle keys
            self._budgets = {k: b for k, b in self._budgets.items() if self._balance(k).balance < self.budget}

    async def run(self, key: str, plan: Callable[[], T]) -> T:
        """Run ``plan()`` on a worker thread for ``key``; raises :class:`PlanRefused` when not admitted."""
        self._admit(key)
        spent: list[float] = []  # a failed plan costs its time too
        try:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(self.workers)

            def timed() -> T:
                t0 = time.perf_counter()
                try:
                    return plan()
                finally:
                    spent.append(time.perf_counter() - t0)

            return await anyio.to_thread.run_sync(timed, limiter=self._limiter)
        finally:
            self._release(key, spent[0] if spent else None)
