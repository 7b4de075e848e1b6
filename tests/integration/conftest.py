"""The integration tier: one real embedded Kafka per session, fresh topics per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from streams.ops.broker import EmbeddedBroker
from streams.kafka.producer import EventProducer
from streams.kafka.topics import ensure_topics
from tests.brokers import running_broker
from tests.integration.edge import edge_client
from tests.nodes import NodeProcess, fresh_prefix
from tests.topics import MemoryKeys


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    with running_broker(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


StartNode = Callable[..., NodeProcess]


@pytest.fixture
def start_node(kafka: EmbeddedBroker, tmp_path: Path) -> Iterator[StartNode]:
    """Start ``tracklog node`` against the session broker, on fresh topics."""
    started: list[NodeProcess] = []
    prefix = fresh_prefix()

    def start(name: str = "node", **env: str) -> NodeProcess:
        node = NodeProcess(
            "node",
            tmp_path / name,
            {
                "TRACKLOG_BROKER": kafka.url,
                "TRACKLOG_TOPIC_PREFIX": prefix,
                "TRACKLOG_PARTITIONS": "2",
                "TRACKLOG_WRITE_KEYS": "test-key=web,ios-key=ios",
                "TRACKLOG_API_TOKENS": "test-token,second-token",
                "TRACKLOG_LOG_LEVEL": "info",
                **env,
            },
        )
        started.append(node)
        return node.start()

    yield start
    for node in started:
        if node.process is not None and node.process.poll() is None:
            node.stop()


@pytest.fixture
async def topic(kafka: EmbeddedBroker) -> str:
    """A fresh events topic (two partitions) on the session broker."""
    name = f"{fresh_prefix()}.events"
    await ensure_topics(kafka.bootstrap, [(name, 2, {})])
    return name


@pytest.fixture
async def producer(kafka: EmbeddedBroker, topic: str) -> AsyncIterator[EventProducer]:
    """The ingestion edge's producer, writing to ``topic``."""
    producer = EventProducer(kafka.bootstrap, topic, timeout=10)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def keys() -> MemoryKeys:
    """The data keys the in-process edge seals events with (and tests open them with)."""
    return MemoryKeys()


@pytest.fixture
async def client(producer: EventProducer, keys: MemoryKeys) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the node's app, in-process, over ``producer`` (outside dev mode)."""
    async with edge_client(producer, keys=keys) as client:
        yield client
