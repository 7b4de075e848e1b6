"""The integration tier: one real embedded Kafka per session, fresh topics per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streams.broker import EmbeddedBroker
from streams.settings import Settings
from tests.nodes import NodeProcess, fresh_prefix


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker(tmp_path_factory.mktemp("kafka"), Settings().kafka_libs)
    broker.start()
    yield broker
    broker.stop()


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
