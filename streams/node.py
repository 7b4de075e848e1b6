"""The node: one Faust worker that also serves HTTP from inside its event loop.

uvicorn runs as a mode ``Service`` of the worker (its own signal handling and lifespan
off), so GraphQL resolvers read the Faust tables directly. The service starts before
the app, so ``/health`` answers 503 while tables recover, and 200 once the worker has
started.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import faust
import uvicorn
from mode import Service

from query.graphql import Context
from query.graphql.schema import Limits, build_schema
from registry import SchemaChange
from streams.agents import install_agents
from streams.app import Tracklog
from streams.commands import LoggedSchemaCommands
from streams.feed import KafkaChangeFeed
from streams.http import build_http_app
from streams.ingest import Ingest
from streams.metrics import Metrics
from streams.pacing import Requests
from streams.producer import EventProducer
from streams.settings import Settings
from streams.store import (
    TableProfileReader,
    TableSchemaReader,
    open_partitions,
    share_rocksdb_memory,
)
from streams.topics import ensure_topics

logger = logging.getLogger(__name__)


# A full collection at most once per this many collections of the middle generation
# (CPython's default is 10); see settle_heap.
FULL_COLLECTION_EVERY = 100


def settle_heap() -> int:
    """Take what start-up made out of the cyclic garbage collector's reach, and make
    full collections rarer; return how many objects were frozen.

    A node starts with ~100k objects that live as long as it does (modules, Faust,
    the GraphQL schema), and a full collection walks them all: ~70 ms here, a pause
    any read that lands on it waits out. Frozen (after collecting start-up's
    garbage), they are never walked again; what the node makes later still is.

    What it makes later includes the rows the agents keep decoded (50,000 profiles),
    which are replaced event by event: at CPython's thresholds a million events made
    84 full collections of ~350 ms each, 29 s of a 288 s drain, each a pause for
    reads too. With ``FULL_COLLECTION_EVERY`` the same drain made 10 (3.5 s), and
    its peak RSS stayed where it was: the rows die by reference count, not in cycles.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    return gc.get_freeze_count()


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The Faust worker owns the process's signals.
        yield


class NodeService(Service):
    """Declares the topics, connects the ingestion producer and serves HTTP."""

    def __init__(self, node: Node, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.node = node
        self._server: _EmbeddedServer | None = None

    async def on_start(self) -> None:
        node = self.node
        settings = node.settings
        await ensure_topics(settings.bootstrap_servers, node.tracklog.topics_to_create)
        await node.producer.start()
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
        self._server = _EmbeddedServer(config)
        self.add_future(self._server.serve())
        while not self._server.started:
            if self._server.should_exit:
                raise RuntimeError(f"could not serve HTTP on {settings.http_host}:{settings.http_port}")
            await self.sleep(0.05)
        logger.info("HTTP on http://%s:%d", settings.http_host, settings.http_port)

    async def on_stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        await self.node.feed.stop()
        await self.node.producer.stop()


class NodeWorker(faust.Worker):
    """The Faust worker of a node: marks it ready, and bounds how long a stop may take."""

    def __init__(self, node: Node, *services: Any, **kwargs: Any) -> None:
        super().__init__(node.tracklog.app, *services, **kwargs)
        self.node = node

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        open_partitions(self.node.tracklog)
        # Started last: on a fresh broker, new partitions take a moment to serve reads.
        await self.node.feed.start()
        settle_heap()
        self.node.ready = True
        settings = self.node.settings
        base = f"http://{settings.http_host}:{settings.http_port}"
        logger.info(
            "Tracklog is ready. GraphQL: %s/graphql  ingestion: %s/v1/batch  health: %s/health",
            base,
            base,
            base,
        )

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


class Node:
    """Everything one node runs, wired from the settings."""

    def __init__(self, settings: Settings) -> None:
        if not settings.broker:
            raise ValueError("TRACKLOG_BROKER is not set (kafka://host:port)")
        self.settings = settings
        self.ready = False
        self.tracklog = Tracklog(settings)
        share_rocksdb_memory(self.tracklog, settings.rocksdb_memory_mb * 2**20)
        reader = TableSchemaReader(self.tracklog)
        self.commands = LoggedSchemaCommands(self.tracklog, reader)
        self.feed = KafkaChangeFeed(settings.bootstrap_servers, self.tracklog.names.schema_changes)
        self.metrics = Metrics()
        requests = Requests()
        self.tracklog.app.requests = requests
        install_agents(self.tracklog, self.metrics, self._on_change, requests)
        self.producer = EventProducer(
            settings.bootstrap_servers,
            self.tracklog.names.events,
            timeout=settings.produce_timeout,
        )
        ingest = Ingest(
            producer=self.producer,
            source_for_key=settings.source_for_key,
            dev=settings.dev,
            metrics=self.metrics,
            max_inflight=settings.ingest_max_inflight,
        )
        self.http_app = build_http_app(
            ingest=ingest,
            context=Context(
                schemas=reader,
                commands=self.commands,
                changes=self.feed,
                profiles=TableProfileReader(self.tracklog),
            ),
            metrics=self.metrics,
            ready=lambda: self.ready,
            graphiql=settings.graphiql_enabled,
            schema=build_schema(
                Limits(
                    max_depth=settings.graphql_max_depth,
                    max_aliases=settings.graphql_max_aliases,
                    max_tokens=settings.graphql_max_tokens,
                    introspection=settings.introspection_enabled,
                )
            ),
            timeout=settings.graphql_timeout,
            tokens=settings.graphql_tokens,
            requests=requests,
        )

    def _on_change(self, change: SchemaChange) -> None:
        logger.info(
            "schema change %s %s %s: %s %s",
            change.key.source,
            change.key.event or change.key.type,
            change.path,
            change.change.kind.value,
            change.change.to_type.value,
        )

    def run(self) -> None:
        """Run until stopped by a signal; raises SystemExit like any Faust worker."""
        worker = NodeWorker(
            self,
            NodeService(self),
            loglevel=self.settings.log_level,
            redirect_stdouts=False,
        )
        worker.execute_from_commandline()
