"""Embedded brokers for tests: one for a block of code, and one made to stall."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from streams.ops.broker import EmbeddedBroker
from streams.settings import Settings


@contextlib.contextmanager
def running_broker(data_dir: Path) -> Iterator[EmbeddedBroker]:
    """An embedded Kafka with its log in ``data_dir``, stopped when the block ends."""
    broker = EmbeddedBroker(data_dir, Settings().kafka_libs)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@contextlib.contextmanager
def stalled(broker: EmbeddedBroker) -> Iterator[None]:
    """The broker's JVM stopped (SIGSTOP) for the block: connections stay open, nothing is answered.

    As a broker in a long GC pause or on a full disk looks to its clients. It is
    continued (SIGCONT) however the block ends.
    """
    process = broker._process  # the JVM; EmbeddedBroker keeps it private
    assert process is not None and process.poll() is None, "the broker is not running"
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)
