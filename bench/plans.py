"""What judging every event by a tracking plan costs the pipeline.

Interleaved pairs on the same generated load, each side on a fresh topic prefix: one node
with no plan, and one whose source is held to a 50-rule plan connected in QUARANTINE
mode (unplanned events and invalid events quarantined). The plan's record goes down
every events partition before the load, as a publish or connect puts it there, so every
event is judged. The plan describes the load's catalog (so most events pass, and the
order totals sent as strings early on are quarantined) and pads it with rules for
events never sent. Each side's best run counts; every pair's ratio is shown.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.harness import (
    PARTITIONS,
    SOURCE,
    Drain,
    Section,
    create_topics,
    fresh_prefix,
    preload,
    run_until_drained,
    write_load,
)
from registry.plans import parse_rules
from registry.plans.judge import InForce
from registry.plans.violations import ConnectSettings, Invalid, UnplannedEvents, UnplannedProperties
from streams.folds.commands import KIND_HEADER
from streams.folds.plans import PLAN, encode_plan_record
from streams.kafka.app import TopicNames
from streams.ops.broker import EmbeddedBroker

SEED = 11
SIZE = 20_000
RUNS = 3
RULES = 50
TARGET = 0.8
SETTINGS = ConnectSettings(UnplannedEvents.QUARANTINE, UnplannedProperties.KEEP, Invalid.QUARANTINE)

_STRING, _INT, _NUMBER, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}


def _track(event: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"type": "TRACK", "key": event, "version": 1, "jsonSchema": {"properties": {"properties": schema}}}


def _named(kind: str, name: str) -> dict[str, Any]:
    return {"type": kind, "key": name, "version": 1, "jsonSchema": {"properties": {"properties": {"type": "object"}}}}


def bench_rules() -> list[dict[str, Any]]:
    """The load's catalog (``streams.ops.loadgen``) as a plan, padded to ``RULES`` rules."""
    item = {"type": "object", "properties": {"sku": _STRING, "qty": _INT, "price": _NUMBER}, "required": ["sku"]}
    rules = [
        _track("Order Completed", {"order_id": _STRING, "total": _NUMBER, "currency": {"enum": ["USD", "EUR"]},
                                   "items": {"type": "array", "items": item}, "coupon": {"type": ["string", "null"]}},
               ["order_id", "total"]),
        _track("Product Viewed", {"product_id": _INT, "name": _STRING, "price": _NUMBER,
                                  "category": {"enum": ["shoes", "hats", "bags"]},
                                  "tags": {"type": "array", "items": _STRING}}, ["product_id"]),
        _track("Search Performed", {"query": _STRING, "results": {"type": "integer", "minimum": 0}}, ["query"]),
        _track("Cart Updated", {"cart": {"type": "object", "properties": {"size": _INT, "value": _NUMBER}},
                                "source": {"enum": ["web", "email"]}}, ["cart"]),
        _track("Coupon Applied", {"coupon_id": {"type": ["integer", "string"]}}, ["coupon_id"]),
        _track("Video Played", {"video": {"type": "object", "properties": {"id": _INT, "length_s": _INT}},
                                "autoplay": _BOOL}, ["video"]),
        _track("Signed Up", {"plan": {"enum": ["free", "starter", "pro", "enterprise"]}, "trial": _BOOL,
                             "referrer": {"type": "null"}}, ["plan"]),
        _track("Settings Changed", {"setting": {"enum": ["theme", "lang"]}, "value": {}}, ["setting"]),
        *(_named("PAGE", page) for page in ("Home", "Pricing", "Docs", "Blog", "Checkout", "Account")),
        *(_named("SCREEN", screen) for screen in ("Feed", "Profile", "Settings", "Cart", "Search")),
        {"type": "IDENTIFY", "key": None, "version": 1, "jsonSchema": {"properties": {"traits": {
            "type": "object", "properties": {"email": {"type": "string", "format": "email"}, "plan": _STRING}}}}},
        {"type": "GROUP", "key": None, "version": 1, "jsonSchema": {"properties": {"traits": {"type": "object"}}}},
        {"type": "COMMON", "key": None, "version": 1, "jsonSchema": {"properties": {"context": {"type": "object"}}}},
    ]
    padding = RULES - len(rules)
    rules += [_track(f"Planned Event {n}", {"id": _STRING, "n": _INT}, ["id"]) for n in range(padding)]
    return rules


async def hold_to_plan(broker: EmbeddedBroker, prefix: str) -> None:
    """Put the bench plan's record at the head of every events partition of ``prefix``."""
    await create_topics(broker, prefix)
    held = InForce(SOURCE, "bench", 1, SETTINGS, parse_rules(bench_rules()))
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        for partition in range(PARTITIONS):
            await producer.send_and_wait(
                TopicNames.for_prefix(prefix).events,
                encode_plan_record([held]),
                partition=partition,
                headers=[(KIND_HEADER, PLAN)],
            )
    finally:
        await producer.stop()


async def _drain(broker: EmbeddedBroker, directory: Path, size: int, *, planned: bool) -> Drain:
    prefix = fresh_prefix(f"plan{int(planned)}")
    load = write_load(directory / f"{prefix}.jsonl", seed=SEED, events=size)
    try:
        if planned:
            await hold_to_plan(broker, prefix)
        await preload(broker, prefix, load)
        return (await run_until_drained(broker, directory, prefix, size, timeout=600.0)).drain
    finally:
        load.unlink(missing_ok=True)
        shutil.rmtree(directory / prefix, ignore_errors=True)


async def run(broker: EmbeddedBroker, directory: Path, *, quick: bool) -> list[Section]:
    size, runs = (2_000, 1) if quick else (SIZE, RUNS)
    pairs = [
        (await _drain(broker, directory, size, planned=False), await _drain(broker, directory, size, planned=True))
        for _ in range(runs)
    ]
    plain = max((p for p, _ in pairs), key=lambda d: d.rate)
    planned = max((q for _, q in pairs), key=lambda d: d.rate)
    ratio = planned.rate / plain.rate

    def each(drains: list[Drain]) -> str:
        return ", ".join(f"{d.rate:,.0f}" for d in drains)

    rows = [
        (f"no plan, {size:,} events (best of {runs})", f"{plain.rate:,.0f} events/s (runs: {each([p for p, _ in pairs])})"),
        (
            f"a {RULES}-rule plan in QUARANTINE mode, the same events (best of {runs})",
            f"{planned.rate:,.0f} events/s (runs: {each([q for _, q in pairs])})",
        ),
        (
            f"planned / no plan, best against best (target ≥ {TARGET}×)",
            f"{ratio:.2f}× — {'met' if ratio >= TARGET else 'NOT met'}",
        ),
        ("ratio of each pair, in the order run", ", ".join(f"{q.rate / p.rate:.2f}×" for p, q in pairs)),
    ]
    return [("Plans: the pipeline with every event judged by a tracking plan, against none", rows)]


def main(broker: EmbeddedBroker, directory: Path, quick: bool) -> list[Section]:
    return asyncio.run(run(broker, directory, quick=quick))
