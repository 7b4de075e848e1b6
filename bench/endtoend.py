"""End to end on one node: from the first request to every event counted, with reads.

The load (issue 15's): ``EVENTS`` track calls of ``NAMES`` event names by ``USERS``
users, about 12 columns each (a nested object, an array, ``context.library`` and
``context.page``), posted as ``/v1/batch`` bodies of ``BATCH`` events by ``SENDERS``
concurrent senders, each waiting for its answer before the next. Meanwhile one reader
queries ``eventSchema`` every ``READ_EVERY`` s.

- **Tracklog**: a fresh node; acked is the first request to the last 200; end to end is
  the first request to the first read that shows every event in the five schemas'
  ``eventCount`` (polled every ``POLL``); the reads' latencies are the client's.
- **Baseline**, same run: the same events through the raw aiokafka producer (the
  edge's, acks=all), one record each, the whole load at once, into a fresh topic that
  the Faust no-op agent (``bench.noop_agent``, started and assigned first) reads: from
  the first send to the agent having seen every event.

Interleaved pairs; each side's best counts, every run is shown.
"""

from __future__ import annotations

import asyncio
import logging
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.harness import (
    PARTITIONS,
    SOURCE,
    WRITE_KEY,
    Section,
    fresh_prefix,
    graphql_headers,
    percentiles,
    running_node,
)
from bench.serving import SENDERS, Sent, _send_all, _unsealed
from schemas import parse_call
from schemas.log import record_items
from streams.kafka.producer import EventProducer
from streams.kafka.topics import ensure_topics
from streams.ops.broker import EmbeddedBroker
from tests.nodes import NodeProcess

logger = logging.getLogger(__name__)

EVENTS = 20_000
NAMES = ("Order Completed", "Product Viewed", "Cart Updated", "Search Performed", "Video Played")
USERS = 2_000
BATCH = 100
READ_EVERY = 0.02
POLL = 0.05
PAIRS = 3

SCHEMA = """query ($event: String!) { eventSchema(source: "bench", type: TRACK, event: $event) {
  version eventCount columns { path type } } }"""
COUNTS = """{ eventSchemas(source: "bench") { event eventCount } }"""


def calls(events: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for n in range(events):
        user = rng.randrange(USERS)
        name = NAMES[n % len(NAMES)]
        out.append(
            {
                "type": "track",
                "userId": f"user-{user}",
                "anonymousId": f"anon-{user}",
                "event": name,
                "messageId": f"e2e-{seed}-{n}",
                "timestamp": f"2026-12-01T10:{n // 1000 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z",
                "properties": {
                    "id": f"o-{rng.randrange(10**9)}",
                    "price": round(rng.uniform(1, 500), 2),
                    "quantity": rng.randrange(1, 9),
                    "currency": "EUR",
                    "coupon": rng.choice([None, "WELCOME"]),
                    "cart": {"size": rng.randrange(10), "value": round(rng.uniform(1, 500), 2)},
                    "tags": rng.sample(["new", "sale", "eco", "gift"], 2),
                    "in_stock": rng.random() < 0.9,
                },
                "context": {
                    "library": {"name": "analytics-python", "version": "2.3.3"},
                    "page": {"path": f"/p/{rng.randrange(100)}", "url": "https://shop.example/"},
                },
            }
        )
    return out


class Reads:
    """One client querying eventSchema every READ_EVERY s, timing each."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self.latencies: list[float] = []

    async def run(self, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            body = orjson.dumps({"query": SCHEMA, "variables": {"event": NAMES[n % len(NAMES)]}})
            started = time.perf_counter()
            async with self._session.post("/graphql", data=body) as response:
                await response.read()
            self.latencies.append((time.perf_counter() - started) * 1000)
            n += 1
            await asyncio.sleep(READ_EVERY)


async def _counted(session: aiohttp.ClientSession) -> int:
    async with session.post("/graphql", data=orjson.dumps({"query": COUNTS})) as response:
        body = orjson.loads(await response.read())
    return sum(schema["eventCount"] for schema in (body.get("data") or {}).get("eventSchemas") or [])


async def through_the_node(node: NodeProcess, load: list[dict[str, Any]]) -> tuple[Sent, float, list[float]]:
    """(acked, seconds from the first request to every event counted, read latencies)."""
    bodies = [(len(chunk), orjson.dumps({"batch": chunk})) for chunk in _chunks(load)]
    async with (
        aiohttp.ClientSession(
            base_url=node.url, auth=aiohttp.BasicAuth(WRITE_KEY, ""), connector=aiohttp.TCPConnector(limit=SENDERS)
        ) as senders,
        aiohttp.ClientSession(base_url=node.url, headers=graphql_headers()) as readers,
    ):

        async def send(body: bytes) -> bool:
            async with senders.post("/v1/batch", data=body, headers={"content-type": "application/json"}) as r:
                await r.read()
                return r.status == 200

        reads, stop = Reads(readers), asyncio.Event()
        reading = asyncio.create_task(reads.run(stop))
        started = time.monotonic()
        sent = await _send_all(bodies, send)
        while await _counted(readers) < sent.acked:
            await asyncio.sleep(POLL)
        visible = time.monotonic() - started
        stop.set()
        await reading
    return sent, visible, reads.latencies


async def through_the_baseline(broker: EmbeddedBroker, directory: Path, load: list[dict[str, Any]]) -> float:
    """Seconds from the first raw send to the no-op agent having seen every event."""
    prefix = fresh_prefix("e2e-base")
    topic = f"{prefix}.events"
    await ensure_topics(broker.bootstrap, [(topic, PARTITIONS, {})])
    received_at_ms = time.time_ns() // 1_000_000
    events = [parse_call(c, None, source=SOURCE, received_at_ms=received_at_ms, new_id=str) for c in load]
    out = directory / f"{prefix}.json"
    command = [
        sys.executable, "-m", "bench.noop_agent", "--broker", broker.url, "--topic", topic, "--app-id", prefix,
        "--partitions", str(PARTITIONS), "--events", str(len(events)), "--out", str(out), "--end-to-end",
    ]  # fmt: skip
    with open(directory / f"{prefix}.log", "wb") as log:
        agent = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent)
    producer = EventProducer(broker.bootstrap, topic, timeout=60)
    try:
        await producer.start()
        # One record per event, each in its identity key's partition, made beforehand;
        # the edge's batch send loop per partition (no future per record).
        by_partition: dict[int, list[bytes]] = {}
        for partition, values in (await producer.records_of(_unsealed(events))).items():
            by_partition[partition] = [v for record in values for v in _one_per_event(record)]
        await _until(lambda: out.with_suffix(".ready").exists() or agent.poll() is not None, 120)
        started = time.time()
        await producer.send_records(by_partition, len(events))
        await _until(lambda: out.exists() or agent.poll() is not None, 300)
        result = orjson.loads(out.read_bytes())
        return float(result["last_at"]) - started
    finally:
        await producer.stop()
        agent.terminate()
        agent.wait(30)


def _one_per_event(record: bytes) -> list[bytes]:
    return record_items(record)


async def _until(done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done in {timeout:.0f} s")
        await asyncio.sleep(0.02)


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


async def run(broker: EmbeddedBroker, directory: Path, *, quick: bool) -> list[Section]:
    events, pairs = (2_000, 1) if quick else (EVENTS, PAIRS)
    runs: list[tuple[Sent, float, list[float], float]] = []
    for n in range(pairs):
        load = calls(events, seed=40 + n)
        baseline = await through_the_baseline(broker, directory, load)
        with running_node(broker, directory, fresh_prefix("e2e")) as node:
            sent, visible, reads = await through_the_node(node, load)
        logger.info("pair %d: node %.0f events/s end to end, baseline %.0f", n, sent.acked / visible, events / baseline)
        runs.append((sent, visible, reads, baseline))
    best = min(runs, key=lambda r: r[1])
    sent, visible, reads, _ = best
    p50, p99 = percentiles([latency for run in runs for latency in run[2]])
    base = min(r[3] for r in runs)
    rows = [
        (
            f"Tracklog node: {events:,} events ({len(NAMES)} names, {USERS:,} users, ~12 columns), /v1/batch of"
            f" {BATCH}, {SENDERS} senders: acked (best of {len(runs)})",
            f"{max(r[0].rate for r in runs):,.0f} events/s; runs: " + ", ".join(f"{r[0].rate:,.0f}" for r in runs),
        ),
        (
            "Tracklog node: end to end, first request to every event counted in eventCount (target ≥ 10,000/s)",
            f"{sent.acked / visible:,.0f} events/s ({visible:.2f} s); runs: "
            + ", ".join(f"{r[0].acked / r[1]:,.0f}" for r in runs),
        ),
        (
            f"eventSchema every {READ_EVERY * 1000:.0f} ms during the load, all runs (target p99 < 50 ms)",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms ({sum(len(r[2]) for r in runs):,} reads)",
        ),
        (
            "baseline: the raw producer, one record per event, read by the Faust no-op agent: first send to all seen",
            f"{events / base:,.0f} events/s ({base:.2f} s); runs: " + ", ".join(f"{events / r[3]:,.0f}" for r in runs),
        ),
    ]
    return [("End to end: HTTP 200 to visible, with reads during it, against the raw producer and a no-op agent", rows)]


def main(broker: EmbeddedBroker, directory: Path, quick: bool) -> list[Section]:
    return asyncio.run(run(broker, directory, quick=quick))
