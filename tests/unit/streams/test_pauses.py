"""PauseWatch: the collector's pauses and the loop's lag reach /metrics."""

from __future__ import annotations

import asyncio
import gc
import time

from streams.metrics import Metrics
from streams.node.pauses import PauseWatch


def _count(metrics: Metrics, name: str, le: str | None = None, **labels: str) -> float:
    sample = f"{name}_bucket" if le else f"{name}_count"
    value = metrics.registry.get_sample_value(sample, {**labels, **({"le": le} if le else {})})
    return value or 0.0


def test_a_full_collection_is_observed_under_its_generation_until_stopped() -> None:
    metrics = Metrics()
    watch = PauseWatch(metrics)
    gc.collect(2)
    assert _count(metrics, "tracklog_gc_pause_seconds", generation="2") >= 1
    watch.stop()
    before = _count(metrics, "tracklog_gc_pause_seconds", generation="2")
    gc.collect(2)
    assert _count(metrics, "tracklog_gc_pause_seconds", generation="2") == before


async def test_a_loop_held_60_ms_is_observed_as_lag_past_50_ms() -> None:
    metrics = Metrics()
    watch = PauseWatch(metrics, tick=0.001)
    task = asyncio.create_task(watch.run())
    try:
        await asyncio.sleep(0)  # the watch is asleep now
        time.sleep(0.06)  # the stall being measured: the loop runs nothing else
        while not _count(metrics, "tracklog_event_loop_lag_seconds"):
            await asyncio.sleep(0.001)
        stalls = _count(metrics, "tracklog_event_loop_lag_seconds") - _count(
            metrics, "tracklog_event_loop_lag_seconds", le="0.05"
        )
        assert stalls >= 1
    finally:
        task.cancel()
        watch.stop()
