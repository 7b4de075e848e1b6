"""One node serving HTTP: ingestion over ``/v1/batch``, then GraphQL reads at idle and
during a full-speed import. One fresh node lives through both, as one would in use.

**Ingest.** The same generated calls go both ways, in batches of ``BATCH`` events,
from ``SENDERS`` concurrent senders that each wait for one batch's answer before
sending the next, back to back on the same broker, in ``INGEST_PAIRS`` pairs after an
uncounted warm-up pair (calls of their own each; the node, idle, has folded the
previous pair's before the next starts), each side's best run counting:

- the baseline: the ingestion edge's own aiokafka producer (``streams.kafka.producer``:
  acks=all, idempotent, its linger and batch sizes), called directly, sends the events
  as the node puts them on the log (parsed and encoded beforehand, outside the timing)
  to a topic of its own and waits for the broker's acks of each batch: what the node
  does per request, less HTTP, authentication, parsing and encoding;
- Tracklog: an ``aiohttp`` client posts the same calls as ``/v1/batch`` bodies (built
  beforehand) to the fresh node; an event counts once its request was answered 200
  (the node answers only after the broker acked every event of it).

The node's agents fold what it accepts as it accepts it, on the same two cores: the
figure is what one running node accepts, not the HTTP edge alone.

**Reads.** Once the node has folded what it accepted, one client reads, back to back
with a short pause (``PAUSE``), ``eventSchema`` ("Order Completed"), ``profile`` and
``timeline(first: 50)`` of a user of that load, in turn. Each latency is the client's:
from sending the POST (bearer token, keep-alive) to having the whole answer, so it
includes loopback HTTP. First ``ROUNDS`` rounds at idle; then ``tracklog import`` (a
subprocess, full speed) sends a second load, and reads run from the moment the node
folds its first events until every agent has drained it: every sample is taken while
the node folds at full speed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx
import orjson

from bench.harness import (
    PARTITIONS,
    POLL,
    SOURCE,
    WRITE_KEY,
    Drain,
    Section,
    first_user,
    fresh_prefix,
    graphql_headers,
    node_env,
    percentiles,
    read_calls,
    running_node,
    wait_drained,
    write_load,
)
from bench.metrics import pauses, scrape
from bench.reads import PROFILE, TIMELINE
from schemas import Event, encode_event
from streams.ops.broker import EmbeddedBroker
from streams.ops.importer import parse_line
from streams.kafka.producer import EventProducer
from streams.kafka.topics import ensure_topics
from tests.nodes import TRACKLOG, NodeProcess

logger = logging.getLogger(__name__)

BATCH = 100
SENDERS = 4
EVENT_SCHEMA = """query ($source: String!) { eventSchema(source: $source, type: TRACK, event: "Order Completed") {
  version eventCount columns { path type nullable count } } }"""
PAUSE = 0.01
# Events of the import read during: folded at ~4,500 events/s, 30,000 gave ~120 reads,
# too few for a p99 (the second-slowest read).
IMPORTED = 90_000
# Ingest runs in pairs (the producer, then the node), the node drained between them; the
# machine's speed drifts, so each side's best counts and every pair's ratio is shown.
INGEST_PAIRS = 3

# The row of a table of reads that says how the node's loop paused while they ran.
LOOP_MEANWHILE = "the node's loop meanwhile (tracklog_event_loop_lag_seconds, tracklog_gc_pause_seconds)"

T = TypeVar("T")
Samples = dict[str, list[float]]


@dataclass(frozen=True)
class Sent:
    acked: int
    failed: int
    seconds: float
    cpu_seconds: float = 0.0  # this process's, while it sent (in-process edges: theirs too)

    @property
    def rate(self) -> float:
        return self.acked / self.seconds


async def _send_all(batches: Sequence[tuple[int, T]], send: Callable[[T], Awaitable[bool]]) -> Sent:
    """Send every (events, batch) from SENDERS senders, one batch in flight each."""
    queue = list(reversed(batches))
    acked = failed = 0

    async def sender() -> None:
        nonlocal acked, failed
        while queue:
            count, batch = queue.pop()
            if await send(batch):
                acked += count
            else:
                failed += count

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return Sent(acked, failed, time.perf_counter() - started, time.process_time() - cpu)


def _unsealed(events: Sequence[Event]) -> list[tuple[bytes, bytes]]:
    """(partition key, value) of each event as it is, unsealed: the producer's own cost."""
    return [(e.identity_key, encode_event(e)) for e in events]


def _chunks(items: list[T]) -> list[list[T]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


async def raw_producer(broker: EmbeddedBroker, topic: str, events: list[Event]) -> Sent:
    """The edge's producer called directly with each request's records, made beforehand."""
    await ensure_topics(broker.bootstrap, [(topic, PARTITIONS, {})])
    producer = EventProducer(broker.bootstrap, topic, timeout=60)
    await producer.start()
    try:
        requests = [(len(chunk), await producer.records_of(_unsealed(chunk))) for chunk in _chunks(events)]

        async def send(records: dict[int, list[bytes]]) -> bool:
            await producer.send_records(records, 0)
            return True

        return await _send_all(requests, send)
    finally:
        await producer.stop()


async def over_http(node: NodeProcess, calls: list[bytes]) -> Sent:
    bodies = [(len(chunk), b'{"batch":[' + b",".join(chunk) + b"]}") for chunk in _chunks(calls)]
    # aiohttp, as the reader: the client's own Python shares the node's two cores.
    async with aiohttp.ClientSession(
        base_url=node.url,
        auth=aiohttp.BasicAuth(WRITE_KEY, ""),
        connector=aiohttp.TCPConnector(limit=SENDERS),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as session:

        async def send(body: bytes) -> bool:
            headers = {"content-type": "application/json"}
            async with session.post("/v1/batch", data=body, headers=headers) as response:
                if response.status != 200:
                    logger.warning("/v1/batch answered %d: %s", response.status, (await response.text())[:200])
                else:
                    await response.read()
                return response.status == 200

        return await _send_all(bodies, send)


class Reader:
    """One client reading the three queries in turn, timing each.

    It reads with aiohttp, whose C parser costs the measured round trip ~0.3 ms where
    httpx cost ~3 ms of Python on the same two cores as the node.
    """

    def __init__(self, session: aiohttp.ClientSession, user: str) -> None:
        self._session = session
        self._queries: list[tuple[str, str, dict[str, Any]]] = [
            ("eventSchema", EVENT_SCHEMA, {"source": SOURCE}),
            ("profile", PROFILE, {"id": user}),
            ("timeline(first: 50)", TIMELINE, {"id": user, "after": None}),
        ]

    async def round(self, samples: Samples) -> None:
        for name, query, variables in self._queries:
            body = orjson.dumps({"query": query, "variables": variables})
            started = time.perf_counter()
            async with self._session.post("/graphql", data=body) as response:
                raw = await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            answer = orjson.loads(raw)
            if response.status != 200 or answer.get("errors") or not any(answer["data"].values()):
                raise RuntimeError(f"{name} answered {response.status}: {raw[:300]!r}")
            samples.setdefault(name, []).append(elapsed)
            await asyncio.sleep(PAUSE)

    async def until(self, done: Callable[[], bool]) -> Samples:
        samples: Samples = {}
        while not done():
            await self.round(samples)
        return samples


@dataclass(frozen=True)
class Serving:
    """The node under test and where it runs."""

    broker: EmbeddedBroker
    directory: Path
    prefix: str
    node: NodeProcess

    def start_import(self, path: Path) -> subprocess.Popen[bytes]:
        """``tracklog import`` of ``path`` onto the node's events topic, as a user runs it."""
        env = {
            **os.environ,
            **node_env(self.broker, self.prefix),
            "TRACKLOG_DATA_DIR": str(self.directory / f"{self.prefix}-import"),
        }
        with open(self.directory / f"{self.prefix}-import.log", "wb") as log:
            return subprocess.Popen(
                [TRACKLOG, "import", str(path), "--source", SOURCE],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    async def routed_past(self, count: int, *, timeout: float) -> None:
        """Return once route-events has processed more than ``count`` events."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.node.url, timeout=10) as client:
            while (await scrape(client)).of("route-events") <= count:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the node routed no more than {count:,} events in {timeout:.0f} s")
                await asyncio.sleep(POLL)

    async def reads_during_import(
        self, reader: Reader, folded: int, path: Path, imported: int, *, timeout: float
    ) -> During:
        """Import ``path`` (``imported`` events) into the node, which has folded ``folded``
        so far, and read until it has folded them all."""
        started = time.monotonic()
        importer = self.start_import(path)
        drain = asyncio.create_task(
            wait_drained(
                self.node, self.broker, self.prefix, folded + imported, since=started, timeout=timeout, folded=folded
            )
        )
        try:
            async with httpx.AsyncClient(base_url=self.node.url, timeout=10) as client:
                # Reads count from the moment the node folds the import's first events.
                await self.routed_past(folded, timeout=timeout)
                before = await pauses(client)
                samples = await reader.until(drain.done)
                drained = await drain
                stalled = (await pauses(client)).since(before)
        finally:
            drain.cancel()
            if importer.poll() is None:
                importer.terminate()
            importer.wait(30)
        if importer.returncode != 0:
            raise RuntimeError(f"tracklog import exited with {importer.returncode}: see {self.directory}")
        return During(samples, time.monotonic() - started, drained, stalled)


@dataclass(frozen=True)
class During:
    """Reads during an import: their samples, the seconds from the import's start to
    every agent drained, the node's drain, and its loop's pauses while read."""

    samples: Samples
    seconds: float
    drain: Drain
    stalled: str

    def rows(self, phase: str) -> list[tuple[str, str]]:
        return [
            *latency_rows(phase, self.samples),
            (LOOP_MEANWHILE, self.stalled),
        ]


def latency_rows(phase: str, samples: Samples) -> list[tuple[str, str]]:
    rows = []
    for name, timings in samples.items():
        p50, p99 = percentiles(timings)
        rows.append((f"{name}, {phase}", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(timings):,} reads)"))
    return rows


async def run(broker: EmbeddedBroker, directory: Path, *, quick: bool) -> list[Section]:
    ingested, imported, rounds, pairs = (2_000, 1_500, 20, 1) if quick else (20_000, IMPORTED, 500, INGEST_PAIRS)
    timeout = 120 if quick else 900
    prefix = fresh_prefix("serving")
    # A warm-up pair first, not counted: the first requests to a fresh node and the
    # first records to a fresh broker ran at half speed.
    loads = [
        read_calls(write_load(directory / f"{prefix}-ingest{n}.jsonl", seed=7 + n, events=ingested))
        for n in range(pairs + 1)
    ]
    calls = loads[1]
    second = write_load(directory / f"{prefix}-import.jsonl", seed=12, events=imported)

    sent: list[tuple[Sent, Sent]] = []
    with running_node(broker, directory, prefix) as node:
        accepted = 0
        for n, load in enumerate(loads):
            now_ms = time.time_ns() // 1_000_000
            events = [parse_line(line, source=SOURCE, received_at_ms=now_ms) for line in load]
            raw = await raw_producer(broker, f"{prefix}-raw{n}", events)
            ours = await over_http(node, load)
            if n:
                sent.append((ours, raw))
            logger.info("ingested %d events over HTTP in %.1f s; waiting for the node to fold them", ours.acked, ours.seconds)
            # Drained before the next pair, so the pairs start alike.
            await wait_drained(
                node, broker, prefix, accepted + ours.acked, since=time.monotonic(), timeout=timeout, folded=accepted
            )
            accepted += ours.acked
        async with aiohttp.ClientSession(
            base_url=node.url, headers=graphql_headers(), timeout=aiohttp.ClientTimeout(total=30)
        ) as session:
            reader = Reader(session, first_user(calls))
            idle: Samples = {}
            for _ in range(rounds):
                await reader.round(idle)
            serving = Serving(broker, directory, prefix, node)
            busy = await serving.reads_during_import(reader, accepted, second, imported, timeout=timeout)
            logger.info("read %d times during the import, %.1f s", sum(map(len, busy.samples.values())), busy.seconds)

    reads = [
        *latency_rows("idle (target p99 < 10 ms)", idle),
        *busy.rows("during the import (target p99 < 50 ms)"),
        (
            f"the import: tracklog import of {imported:,} events, folded while read",
            f"{busy.seconds:.1f} s from its start to every agent drained ({busy.drain.rate:,.0f} events/s through the node)",
        ),
    ]
    return [
        ("Ingest: events/s accepted over /v1/batch against a raw aiokafka producer, same events", _ingest_rows(sent)),
        ("Reads over HTTP: GraphQL p50/p99 at idle and during a full-speed import", reads),
    ]


def _ingest_rows(sent: list[tuple[Sent, Sent]]) -> list[tuple[str, str]]:
    """The ingest table: each side's best run, every run, and the ratios."""
    ours = max((o for o, _ in sent), key=lambda x: x.rate)
    raw = max((r for _, r in sent), key=lambda x: x.rate)
    failed = sum(o.failed for o, _ in sent)
    return [
        (
            f"Tracklog node, /v1/batch ({BATCH} events a request, {SENDERS} senders; acked; best of {len(sent)})",
            f"{ours.rate:,.0f} events/s ({ours.acked:,} in {ours.seconds:.2f} s; runs: "
            + ", ".join(f"{o.rate:,.0f}" for o, _ in sent)
            + (f"; {failed:,} NOT acked)" if failed else ")"),
        ),
        (
            "aiokafka producer (the edge's, called directly), same events and batches, straight to the broker"
            f" (best of {len(sent)})",
            f"{raw.rate:,.0f} events/s ({raw.acked:,} in {raw.seconds:.2f} s; runs: "
            + ", ".join(f"{r.rate:,.0f}" for _, r in sent)
            + ")",
        ),
        ("ratio, best against best (target ≥ 0.5×)", f"{ours.rate / raw.rate:.2f}×"),
        ("ratio of each pair, in the order run", ", ".join(f"{o.rate / r.rate:.2f}×" for o, r in sent)),
    ]


def main(broker: EmbeddedBroker, directory: Path, quick: bool) -> list[Section]:
    return asyncio.run(run(broker, directory, quick=quick))
