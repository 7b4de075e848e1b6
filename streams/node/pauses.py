"""How long the node's event loop stops answering: the cyclic collector's pauses, and
how late the loop wakes a sleeper.

Every read, ingestion request and agent step shares one event loop, so a read's tail
latency is the longest stretch in which the loop ran nothing else. Two histograms on
``/metrics`` say what those stretches were:

- ``tracklog_gc_pause_seconds{generation}``: each collection of the cyclic garbage
  collector (``gc.callbacks``), which stops everything while it walks its generation;
- ``tracklog_event_loop_lag_seconds``: how late a task sleeping ``TICK`` seconds wakes,
  the wait a request arriving just then would have added to its own.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from streams.metrics import Metrics

TICK = 0.05


class PauseWatch:
    """Feeds the two histograms of ``metrics``; ``stop`` takes its collector callback back."""

    def __init__(self, metrics: Metrics, tick: float = TICK) -> None:
        # Resolved once: a young collection comes every few hundred allocations.
        self._gc_pauses = [metrics.gc_pauses.labels(str(generation)) for generation in range(3)]
        self._loop_lag = metrics.loop_lag
        self._tick = tick
        self._started = 0.0
        gc.callbacks.append(self._on_collection)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self._gc_pauses[info["generation"]].observe(time.perf_counter() - self._started)

    async def run(self) -> None:
        """Measure the loop's lag, ``tick`` by ``tick``, until cancelled."""
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self._tick)
            self._loop_lag.observe(max(0.0, time.perf_counter() - asked - self._tick))

    def stop(self) -> None:
        if self._on_collection in gc.callbacks:
            gc.callbacks.remove(self._on_collection)
