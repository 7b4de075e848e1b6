"""The Faust worker that runs a node, and the service that serves its HTTP inside it.

uvicorn runs as a mode ``Service`` of the worker (its own signal handling and lifespan
off), so GraphQL resolvers read the Faust tables directly. The service starts before
the app, so ``/health`` answers 503 while tables recover, and 200 once the worker has
started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import faust
import uvicorn
from mode import Service

from streams.kafka.topics import ensure_topics
from streams.node.heap import Heap
from streams.node.pauses import PauseWatch
from streams.state.partitions import open_partitions

if TYPE_CHECKING:
    from streams.node.wiring import Node

logger = logging.getLogger(__name__)


class EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The Faust worker owns the process's signals.
        yield


class NodeService(Service):
    """Declares the topics, connects the ingestion producer and serves HTTP."""

    def __init__(self, node: Node, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.node = node
        self._server: EmbeddedServer | None = None
        self._pauses: PauseWatch | None = None

    async def on_start(self) -> None:
        node = self.node
        settings = node.settings
        self._pauses = PauseWatch(node.metrics)
        self.add_future(self._pauses.run())
        await ensure_topics(
            settings.bootstrap_servers, node.tracklog.topics_to_create, replication=settings.replication_factor
        )
        # Each read whole before anything is served or folded: every key an event on
        # the log is sealed under, every suppression and plan in force. They are
        # independent, and each waits mostly on the broker, so side by side.
        await asyncio.gather(
            node.tracklog.keys.start(),
            node.regulations.start(),
            node.plans.start(),
            node.quarantine.start(),
            node.producer.start(),
        )
        config = uvicorn.Config(
            node.http_app,
            host=settings.http_host,
            port=settings.http_port,
            lifespan="off",
            log_config=None,
            access_log=False,
            loop="none",
            ws="auto",
        )
        self._server = EmbeddedServer(config)
        self.add_future(self._server.serve())
        while not self._server.started:
            if self._server.should_exit:
                raise RuntimeError(f"could not serve HTTP on {settings.http_host}:{settings.http_port}")
            await self.sleep(0.05)
        logger.info("HTTP on http://%s:%d", settings.http_host, settings.http_port)

    async def on_stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._pauses is not None:
            self._pauses.stop()
        await self.node.feed.stop()
        await self.node.violation_feed.stop()
        await self.node.quarantine.stop()
        await self.node.producer.stop()
        await self.node.regulations.stop()
        await self.node.plans.stop()
        await self.node.tracklog.keys.stop()
        await self.node.peers.close()


class NodeWorker(faust.Worker):
    """The Faust worker of a node: marks it ready, and bounds how long a stop may take."""

    def __init__(self, node: Node, *services: Any, **kwargs: Any) -> None:
        super().__init__(node.tracklog.app, *services, **kwargs)
        self.node = node
        self._heap = Heap()

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        open_partitions(self.node.tracklog)
        # Started last: on a fresh broker, new partitions take a moment to serve reads.
        await self.node.feed.start()
        await self.node.violation_feed.start()
        # Carries regulations out while this node holds the identity graph.
        self.add_future(self.node.executor.run())
        self._heap.settle()
        self.node.ready = True
        settings = self.node.settings
        base = f"http://{settings.http_host}:{settings.http_port}"
        logger.info(
            "Tracklog is ready. GraphQL: %s/graphql  ingestion: %s/v1/batch  health: %s/health",
            base,
            base,
            base,
        )

    async def on_stop(self) -> None:
        self._heap.stop()
        await super().on_stop()

    async def _sentinel_task(self) -> None:
        # mode's Worker runs this on the stopped loop before closing it, to let the
        # last callbacks run: a second of every node's stop in mode's code, while the
        # node has nothing left to run once its services stopped and were gathered.
        await asyncio.sleep(0.05)

    def _on_sigint(self) -> None:
        self._bound_stop()
        super()._on_sigint()

    def _on_sigterm(self) -> None:
        self._bound_stop()
        super()._on_sigterm()

    def _bound_stop(self) -> None:
        # A Faust worker's shutdown can hang (e.g. after an agent crashed); stop for
        # good once the stop timeout has passed. The embedded broker, our child, gets
        # SIGTERM from the kernel when we exit.
        self.node.ready = False
        timeout = self.node.settings.stop_timeout

        def _exit() -> None:
            logger.error("the node did not stop within %.0f s; exiting", timeout)
            os._exit(1)

        timer = threading.Timer(timeout, _exit)
        timer.daemon = True
        timer.start()
