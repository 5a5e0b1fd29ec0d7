"""Campaign plans are cost-aware: off the event loop, a bounded queue (503), per-key limits and budget (429)."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from nichegraph.api.service.plan_queue import PlanQueue, PlanRefused

from .conftest import build_store, make_client


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_queue_full_is_503_and_one_key_cannot_take_every_slot():
    async def main():
        release = threading.Event()
        q = PlanQueue(workers=1, queue=3, per_key=2, budget_seconds=100, window_seconds=100)
        results = []

        async def plan(key):
            results.append(await q.run(key, lambda: release.wait(10) and key))

        async with anyio.create_task_group() as tg:
            tg.start_soon(plan, "a")
            tg.start_soon(plan, "a")
            await anyio.sleep(0.05)
            with pytest.raises(PlanRefused) as per_key:  # a third plan of key a, while two are admitted
                await q.run("a", lambda: "a")
            assert per_key.value.status == 429 and per_key.value.retry_after >= 1
            tg.start_soon(plan, "b")
            await anyio.sleep(0.05)
            with pytest.raises(PlanRefused) as full:  # three admitted: the queue is full for everyone
                await q.run("c", lambda: "c")
            assert full.value.status == 503 and full.value.retry_after >= 1
            t0 = time.perf_counter()
            await anyio.sleep(0.01)  # the event loop is free while plans run on the worker
            assert time.perf_counter() - t0 < 0.5
            release.set()
        assert sorted(results) == ["a", "a", "b"] and q.admitted == 0

    anyio.run(main)


def test_a_keys_compute_budget_is_charged_and_refills():
    clock = FakeClock()

    async def main():
        q = PlanQueue(workers=2, queue=4, per_key=2, budget_seconds=0.2, window_seconds=20, clock=clock)
        assert await q.run("a", lambda: time.sleep(0.3) or 1) == 1  # costs 0.3 s of a 0.2 s budget
        with pytest.raises(PlanRefused) as spent:
            await q.run("a", lambda: 2)
        # 0.1 s over budget, refilled at 0.2 s per 20 s: about 10 s to wait
        assert spent.value.status == 429 and 9 <= spent.value.retry_after <= 12
        assert await q.run("b", lambda: 3) == 3  # other keys are not charged
        clock.now += 12
        assert await q.run("a", lambda: 4) == 4

        def fails():
            time.sleep(0.3)
            raise ValueError("bad plan")

        clock.now += 100
        with pytest.raises(ValueError):
            await q.run("c", fails)
        with pytest.raises(PlanRefused):  # a failed plan costs its time too
            await q.run("c", lambda: 5)

    anyio.run(main)


@pytest.fixture(scope="module")
def plan_store(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("plans") / "world.duckdb")
    build_store(path)
    return path


def test_http_budget_gives_429_with_retry_after(plan_store):
    with make_client(plan_store, plan_budget_seconds=1e-6, plan_budget_window=60) as client:
        first = client.post("/v1/campaigns/plan", json={"k": 3})
        assert first.status_code == 200, first.text
        second = client.post("/v1/campaigns/plan", json={"k": 3})
        assert second.status_code == 429 and int(second.headers["retry-after"]) >= 1
        assert "budget" in second.json()["error"]["message"]
        assert client.get("/healthz").status_code == 200
