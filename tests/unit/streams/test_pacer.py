"""The pacer lets reads in while an agent step holds the event loop."""

from __future__ import annotations

import asyncio
import time

from streams.pacing import Pacer, Requests


async def test_a_paced_step_lets_a_waiting_task_run_before_it_ends() -> None:
    pace = Pacer(slice_s=0.001)
    order: list[str] = []
    asyncio.get_running_loop().call_soon(order.append, "read")
    for _ in range(20):  # a step: ~2 ms of folding per event, paced once per event
        spin_until = time.perf_counter() + 0.002
        while time.perf_counter() < spin_until:
            pass
        await pace()
    order.append("step done")
    assert order == ["read", "step done"]


async def test_an_unpaced_stretch_shorter_than_a_slice_does_not_yield() -> None:
    pace = Pacer(slice_s=60)
    order: list[str] = []
    asyncio.get_running_loop().call_soon(order.append, "read")
    for _ in range(100):
        await pace()
    order.append("step done")
    assert order == ["step done"]


async def test_while_a_request_is_in_flight_the_step_yields_after_the_shorter_slice() -> None:
    requests = Requests()
    pace = Pacer(slice_s=60, busy_slice_s=0.001, requests=requests)
    order: list[str] = []
    loop = asyncio.get_running_loop()

    async def step() -> None:
        for _ in range(20):
            spin_until = time.perf_counter() + 0.002
            while time.perf_counter() < spin_until:
                pass
            await pace()
        order.append("step done")

    requests.count = 1
    loop.call_soon(order.append, "request")
    await step()
    requests.count = 0
    loop.call_soon(order.append, "after")
    await step()
    order.append("end")
    # With none in flight, a step shorter than the long slice holds the loop throughout.
    assert order == ["request", "step done", "step done", "end"]
