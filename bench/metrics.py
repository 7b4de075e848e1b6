"""A node's ``/metrics``, read by the benchmarks: what each agent has processed, and
how long the node's event loop stalled (``streams.node.pauses``)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Counts:
    """One read of a node's ``/metrics``: messages processed and dead-lettered per agent."""

    processed: dict[str, float]
    dead: dict[str, float]
    quarantined: int = 0  # events a tracking plan held back: never folded by fold-schemas

    def of(self, agent: str) -> int:
        return int(self.processed.get(agent, 0))


async def scrape(client: httpx.AsyncClient) -> Counts:
    response = await client.get("/metrics")
    response.raise_for_status()
    processed: dict[str, float] = {}
    dead: dict[str, float] = {}
    quarantined = 0
    for family in text_string_to_metric_families(response.text):
        if family.name == "tracklog_quarantined_events":
            quarantined = int(sum(s.value for s in family.samples if s.name.endswith("_total")))
        into = {"tracklog_processed_messages": processed, "tracklog_dead_letters": dead}.get(family.name)
        if into is None:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                into[sample.labels["agent"]] = sample.value
    return Counts(processed, dead, quarantined)


@dataclass(frozen=True)
class Pauses:
    """A node's pauses so far (``streams.node.pauses``, on its ``/metrics``)."""

    ticks: float  # the loop-lag watch's wake-ups
    late: dict[str, float]  # wake-ups at most this late (a bucket's bound) → how many
    full_collections: float
    full_seconds: float

    def since(self, before: Pauses) -> str:
        """What happened between ``before`` and this read, as a table's cell."""
        ticks = self.ticks - before.ticks
        past = {bound: ticks - (self.late[bound] - before.late[bound]) for bound in ("0.05", "0.1")}
        full = self.full_collections - before.full_collections
        mean = (self.full_seconds - before.full_seconds) / full * 1000 if full else 0.0
        return (
            f"{past['0.05']:,.0f} wake-ups over 50 ms late, {past['0.1']:,.0f} over 100 ms (of {ticks:,.0f}); "
            f"{full:,.0f} full collections, {mean:.0f} ms each"
        )


async def pauses(client: httpx.AsyncClient) -> Pauses:
    response = await client.get("/metrics")
    response.raise_for_status()
    ticks = full = full_seconds = 0.0
    late: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "tracklog_event_loop_lag_seconds_bucket":
                late[sample.labels["le"]] = sample.value
            elif sample.name == "tracklog_event_loop_lag_seconds_count":
                ticks = sample.value
            elif sample.name.startswith("tracklog_gc_pause_seconds") and sample.labels.get("generation") == "2":
                if sample.name.endswith("_count"):
                    full = sample.value
                elif sample.name.endswith("_sum"):
                    full_seconds = sample.value
    return Pauses(ticks, late, full, full_seconds)
