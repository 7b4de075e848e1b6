"""The pacer lets reads in while an agent step holds the event loop."""

from __future__ import annotations

import asyncio
import time

from streams.agents import Pacer


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
