"""What streams.adapters.faust assumes of the pinned faust-streaming: it fails loudly
when an upgrade changes a private part the adapter reaches into."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust.tables
from aiokafka import AIOKafkaConsumer
import pytest
from faust.exceptions import NotReady
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver

from streams.adapters.faust import (
    DRAIN_LOOP_SHA256,
    FETCH_MAX_WAIT_MS,
    TABLE_MANAGER_START_SHA256,
    EagerConsumer,
    TableManager,
    WorkerConsumerThread,
    partition_db,
    transport_producer,
    use_rocksdb_options,
)
from streams.adapters.rocksdict import SharedMemory
from streams.kafka.app import Tracklog
from streams.settings import Settings


def _tracklog(tmp_path: Path) -> Tracklog:
    # No broker is reached: only the tables' local databases are opened.
    return Tracklog(Settings(data_dir=tmp_path, partitions=2, broker="kafka://127.0.0.1:9"))


def test_the_drain_loop_eager_consumer_copies_is_the_installed_one() -> None:
    source = inspect.getsource(Consumer._drain_messages)
    assert hashlib.sha256(source.encode()).hexdigest() == DRAIN_LOOP_SHA256, (
        "faust-streaming's Consumer._drain_messages changed: copy it into "
        "streams.adapters.faust.EagerConsumer again and update DRAIN_LOOP_SHA256"
    )
    # The aiokafka driver's consumer runs the base class's loop, which ours replaces.
    assert aiokafka_driver.Consumer._drain_messages is Consumer._drain_messages
    assert EagerConsumer._drain_messages is not Consumer._drain_messages


def test_the_table_managers_start_is_faust_s_without_its_sleep(tmp_path: Path) -> None:
    source = inspect.getsource(faust.tables.TableManager.on_start)
    assert hashlib.sha256(source.encode()).hexdigest() == TABLE_MANAGER_START_SHA256, (
        "faust-streaming's TableManager.on_start changed: copy it into "
        "streams.adapters.faust.TableManager again (without its sleep) and update TABLE_MANAGER_START_SHA256"
    )
    assert "await self.sleep(1.0)" in source
    assert "sleep" not in inspect.getsource(TableManager.on_start)
    assert isinstance(_tracklog(tmp_path).app.tables, TableManager)


def test_the_worker_consumer_long_polls_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Faust hard-codes the poll; aiokafka's start() hands the attribute to its Fetcher.
    made = inspect.getsource(aiokafka_driver.AIOKafkaConsumerThread._create_worker_consumer)
    assert "fetch_max_wait_ms=1500" in made
    assert "fetch_max_wait_ms=self._fetch_max_wait_ms" in inspect.getsource(AIOKafkaConsumer.start)
    consumer = SimpleNamespace(_fetch_max_wait_ms=1500)
    monkeypatch.setattr(
        aiokafka_driver.AIOKafkaConsumerThread, "_create_worker_consumer", lambda self, transport: consumer
    )
    assert WorkerConsumerThread._create_worker_consumer(WorkerConsumerThread.__new__(WorkerConsumerThread), None) is consumer
    assert consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS < 1500


def test_a_row_written_into_a_partition_database_is_the_tables_row(tmp_path: Path) -> None:
    tracklog = _tracklog(tmp_path)
    db = partition_db(tracklog.schemas, 1)
    db[b"key"] = b"value"
    assert partition_db(tracklog.schemas, 1) is db  # Faust opens each partition once
    # Faust's own read (no current event: it looks in every open partition) sees it.
    assert tracklog.schemas.data[b"key"] == b"value"
    assert (tmp_path / "node").exists()


def test_the_transport_producer_is_there_once_faust_started_it(tmp_path: Path) -> None:
    with pytest.raises(NotReady):
        transport_producer(_tracklog(tmp_path).app)


def test_partition_databases_open_with_the_options_given(tmp_path: Path) -> None:
    tracklog = _tracklog(tmp_path)
    memory = SharedMemory(32 * 2**20)
    seen: list[Any] = []

    def options(faust_options: Any) -> Any:
        seen.append(faust_options)
        return memory.options(
            max_open_files=faust_options.max_open_files,
            write_buffer_size=faust_options.write_buffer_size,
            target_file_size_base=faust_options.target_file_size_base,
            max_write_buffer_number=faust_options.max_write_buffer_number,
        )

    use_rocksdb_options(tracklog.timeline, options)
    before = memory.memtable_usage
    partition_db(tracklog.timeline, 0)[b"k"] = b"x" * 10_000
    assert seen and all(o is seen[0] for o in seen)  # Faust asked for them as it opened it
    assert memory.memtable_usage > before  # and the database draws on the shared memory
