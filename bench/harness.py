"""The plumbing every benchmark that runs a real node shares, so each measures alike.

One embedded Kafka (``streams.ops.broker``) for the whole run; ``tracklog node`` as a
subprocess (``tests.nodes.NodeProcess``, as the integration tests run it) on a fresh
topic prefix; deterministic load files (``streams.ops.loadgen``) put on a node's events
topic by the importer's own path; the node's ``/metrics`` read until every agent has
drained; the node's peak RSS; percentiles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.metrics import scrape
from streams.kafka.app import TopicNames, Tracklog
from streams.ops.broker import EmbeddedBroker
from schemas import encode_event
from streams.ops.importer import ImportReport, import_files, parse_line
from streams.ops.loadgen import generate, write_jsonl
from streams.kafka.producer import EventProducer
from streams.folds.links import decode_links
from streams.settings import Settings
from streams.kafka.topics import assign_all, ensure_topics
from tests.keys import TEST_SECRET
from tests.nodes import NodeProcess

logger = logging.getLogger(__name__)

WRITE_KEY = "bench-key"
SOURCE = "bench"
TOKEN = "bench-token"
PARTITIONS = 4
# Agents whose processed counters must reach their totals before a node has drained.
AGENTS = ("route-events", "fold-schemas", "fold-identities")
# A benchmark's table: a title and its (what, result) rows.
Section = tuple[str, list[tuple[str, str]]]
# How often /metrics is read while waiting: a measured interval is exact to within one
# poll at each end, and each read costs the node ~1 ms of its loop (2-3 % of its CPU at
# POLL), so the reads between the ends are up to SLOW_POLL apart.
POLL = 0.05
SLOW_POLL = 0.5


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def fresh_prefix(name: str) -> str:
    """A topic prefix (and Faust app id) no other section of the run uses."""
    return f"bench-{name}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def running_broker(directory: Path) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(directory / "kafka", Settings().kafka_libs)
    broker.start()
    logger.info("embedded Kafka on %s", broker.bootstrap)
    try:
        yield broker
    finally:
        broker.stop()


def node_env(broker: EmbeddedBroker, prefix: str) -> dict[str, str]:
    return {
        "TRACKLOG_BROKER": broker.url,
        "TRACKLOG_TOPIC_PREFIX": prefix,
        "TRACKLOG_PARTITIONS": str(PARTITIONS),
        "TRACKLOG_WRITE_KEYS": f"{WRITE_KEY}={SOURCE}",
        "TRACKLOG_API_TOKENS": TOKEN,
        "TRACKLOG_LOG_LEVEL": "warning",
        # Every process of the prefix (nodes, and the importer run beside them) seals and
        # names people under the same secret.
        "TRACKLOG_SECRET": TEST_SECRET,
    }


@contextlib.contextmanager
def node_process(
    broker: EmbeddedBroker, directory: Path, prefix: str, executable: str | None = None
) -> Iterator[NodeProcess]:
    """A node on ``prefix`` (of another checkout's ``tracklog`` executable, when given),
    not yet started; stopped on the way out whatever happened."""
    node = NodeProcess("node", directory / prefix, node_env(broker, prefix))
    if executable is not None:
        node.executable = executable
    try:
        yield node
    finally:
        if node.process is not None:
            node.stop()


@contextlib.contextmanager
def running_node(
    broker: EmbeddedBroker, directory: Path, prefix: str, executable: str | None = None
) -> Iterator[NodeProcess]:
    """A node on ``prefix``, serving (``/health`` 200)."""
    with node_process(broker, directory, prefix, executable) as node:
        node.start(ready_timeout=120)
        yield node


def graphql_headers() -> dict[str, str]:
    return {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM: the highest VmRSS it reached), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def users(events: int) -> int:
    """How many users a load of ``events`` has: about 20 events each."""
    return max(10, events // 20)


def write_load(path: Path, *, seed: int, events: int) -> Path:
    """A deterministic load file: ``events`` Segment calls of ``users(events)`` users."""
    write_jsonl(path, generate(seed=seed, users=users(events), events=events))
    return path


def read_calls(path: Path) -> list[bytes]:
    """The load file's calls, one JSON object each (the file is written by write_load)."""
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def first_user(lines: list[bytes]) -> str:
    """The userId of the first identify call: a profile every read section can ask for."""
    for line in lines:
        call = orjson.loads(line)
        if call["type"] == "identify":
            return str(call["userId"])
    raise ValueError("the load has no identify call")


async def create_topics(broker: EmbeddedBroker, prefix: str) -> None:
    """Every topic of a node on ``prefix``, as the node itself declares them."""
    settings = Settings(broker=broker.url, topic_prefix=prefix, partitions=PARTITIONS, secret=TEST_SECRET)  # type: ignore[arg-type]
    await ensure_topics(broker.bootstrap, Tracklog(settings).topics_to_create)


async def preload(broker: EmbeddedBroker, prefix: str, path: Path) -> int:
    """Put the load file on the events topic of ``prefix`` (the importer's path: sealed
    under the nodes' secret, as the edge writes it); count it."""
    settings = Settings(broker=broker.url, topic_prefix=prefix, partitions=PARTITIONS, secret=TEST_SECRET)  # type: ignore[arg-type]
    report = ImportReport()
    await import_files(settings, [path], source=SOURCE, batch_size=1000, report=report)
    if report.skipped:
        raise RuntimeError(f"the load file had {report.skipped} bad lines: {report.errors[:3]}")
    return report.events


async def preload_one_per_message(broker: EmbeddedBroker, topic: str, path: Path) -> int:
    """Put the load file on ``topic`` as a stock Faust design would: one record per
    event, keyed by the user's identity (the baseline's log). Counts the events."""
    await ensure_topics(broker.bootstrap, [(topic, PARTITIONS, {})])
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=5)
    await producer.start()
    now_ms = time.time_ns() // 1_000_000
    count = 0
    try:
        for line in read_calls(path):
            event = parse_line(line, source=SOURCE, received_at_ms=now_ms)
            await producer.send(topic, key=event.identity_key, value=encode_event(event))
            count += 1
        await producer.flush()
    finally:
        await producer.stop()
    return count


@dataclass(frozen=True)
class Drain:
    """Events through every agent of a node, over the time they took."""

    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def us_per_event(self) -> float:
        return self.seconds / self.events * 1e6


@dataclass
class _Watch:
    total: int
    since: float
    folded: int  # routed before ``since``
    zero_at: float | None = None  # the last read that saw nothing new routed yet
    first: tuple[float, int] | None = None  # the first read that saw some
    drained_at: float | None = None  # the first read of a run of drained reads

    def next_poll(self, at: float, routed: int) -> float:
        """Seconds to the next read: POLL until events are seen routed, then a fifth of the
        time the rest should take at the rate so far (at least POLL, at most SLOW_POLL)."""
        if self.first is None or routed <= self.first[1] or at <= self.first[0]:
            return POLL
        rate = (routed - self.first[1]) / (at - self.first[0])
        return max(POLL, min(SLOW_POLL, (self.total - routed) / rate / 5))

    def start(self) -> tuple[float, int]:
        """Where the measured interval starts: the first read that saw new events routed,
        unless it came too late to leave much to measure; then the last read that saw
        none (or ``since``)."""
        if self.first is not None and self.first[1] - self.folded <= (self.total - self.folded) // 2:
            return self.first
        return (self.zero_at if self.zero_at is not None else self.since), self.folded


class _Links:
    """How many identity links are on the topic: route-events sends a record of links per
    step, and fold-identities counts the links it folds."""

    def __init__(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
        self._consumer = consumer
        self.partitions = partitions
        self._count = 0

    async def on_topic(self) -> int:
        """The links in every record up to the topic's current end."""
        ends = await self._consumer.end_offsets(self.partitions)
        while [tp for tp in self.partitions if await self._consumer.position(tp) < ends[tp]]:
            fetched = await self._consumer.getmany(*self.partitions, timeout_ms=1000)
            for records in fetched.values():
                self._count += sum(len(decode_links(record.value)) for record in records)
        return self._count


async def wait_drained(
    node: NodeProcess,
    broker: EmbeddedBroker,
    prefix: str,
    total: int,
    *,
    since: float,
    timeout: float,
    folded: int = 0,
) -> Drain:
    """Read ``/metrics`` until route-events and fold-schemas have processed ``total``
    events (less those dead-lettered) and fold-identities every link on its topic.

    The node may still be starting (``/metrics`` answers before the agents run); it had
    routed ``folded`` events before ``since``. The measured interval runs from the first
    read that saw more routed (or the last that saw none) to the first of two
    consecutive reads that saw every agent drained (a link still in the producer's
    buffer would show on the second).
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    watch = _Watch(total, since, folded)
    deadline = time.monotonic() + timeout
    try:
        links = _Links(consumer, await assign_all(consumer, TopicNames.for_prefix(prefix).identity_links))
        if not links.partitions:
            raise RuntimeError(f"no identity-links topic for {prefix}")
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as client:
            while time.monotonic() < deadline:
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(f"the node exited with {node.process.returncode}:\n{node.log_tail()}")
                at = time.monotonic()
                try:
                    counts = await scrape(client)
                except httpx.HTTPError:
                    await asyncio.sleep(POLL)
                    continue
                routed = counts.of("route-events")
                logger.debug("%.2f s: %s", at - since, {agent: counts.of(agent) for agent in AGENTS})
                if routed <= folded:
                    watch.zero_at = at
                elif watch.first is None:
                    watch.first = (at, routed)
                drained = routed >= total and counts.of("fold-schemas") >= total - int(
                    counts.dead.get("route-events", 0)
                ) - counts.quarantined
                if drained:
                    drained = counts.of("fold-identities") >= await links.on_topic()
                if drained and watch.drained_at is not None:
                    started_at, started_count = watch.start()
                    return Drain(total - started_count, watch.drained_at - started_at)
                watch.drained_at = at if drained else None
                await asyncio.sleep(watch.next_poll(at, routed))
    finally:
        await consumer.stop()
    raise TimeoutError(f"the node did not drain {total:,} events in {timeout:.0f} s")


@dataclass(frozen=True)
class NodeRun:
    """A node started on preloaded events and run until it drained them."""

    drain: Drain
    peak_rss_mib: float


async def run_until_drained(
    broker: EmbeddedBroker,
    directory: Path,
    prefix: str,
    total: int,
    *,
    timeout: float,
    executable: str | None = None,
) -> NodeRun:
    """A fresh node on ``prefix``, from its start until it drained ``total`` events; the
    node is stopped before this returns."""
    with node_process(broker, directory, prefix, executable) as node:
        # /metrics answers before the agents run: watch from before the node starts.
        drain = asyncio.create_task(
            wait_drained(node, broker, prefix, total, since=time.monotonic(), timeout=timeout)
        )
        try:
            await asyncio.to_thread(node.start, ready_timeout=120)
        except BaseException:
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await drain
            raise
        drained = await drain
        assert node.process is not None
        run = NodeRun(drained, peak_rss_mib(node.process.pid))
        logger.info("node %s: %d events in %.1f s, peak RSS %.0f MiB", prefix, drained.events, drained.seconds, run.peak_rss_mib)
        return run
