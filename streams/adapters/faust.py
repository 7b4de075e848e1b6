"""The one module that reaches into faust-streaming's private parts.

Faust offers no public way to do seven things the node needs; each is wrapped here,
once, and ``tests/unit/streams/adapters/test_faust.py`` fails loudly when the pinned
version no longer behaves as these wrappers assume (``pyproject.toml`` keeps
faust-streaming below 0.16 for the copied drain loop):

- ``partition_db``: a table partition's RocksDB (``Store._db_for_partition``). Faust's
  store has no range scans; the read side needs them, and the agents write their
  step's batches straight into the partition databases.
- ``transport_producer``: the aiokafka producer under Faust's (``_ensure_producer``),
  for record batches without a Faust future per record.
- ``use_rocksdb_options``: the options every partition database opens with (Faust's
  ``RocksDBOptions.as_options``, replaced on the table's store).
- ``App`` / ``EagerConsumer``: Faust's consumer, delivering each message without
  four tasks of its own (a copy of ``Consumer._drain_messages``).
- ``WorkerConsumerThread``: the worker consumer's long poll, 1.5 s in Faust's code,
  made ``FETCH_MAX_WAIT_MS``; ``TableManager``: Faust's, without the second its start
  sleeps. Together they were 4 s of a node's 9 s start.

Faust's drain loop hands every message to the conductor through
``Service.wait_first(callback(message), suspend_flow.wait())``: two tasks for those
two, two more for the service's stopped and crashed events, an ``asyncio.wait`` and
three cancellations, so that a rebalance (``suspend_flow``) can interrupt a delivery
blocked on a full stream buffer. The callback almost never blocks: it takes an
uncontended lock, checks flow control and the producer's buffer, and puts the event
in a queue with room. Those tasks were about a tenth of a draining node's CPU.

``EagerConsumer`` runs the callback inline up to its first suspension; one that ends
there (nearly all) costs no task. One that does suspend goes on in a task raced
against ``suspend_flow`` exactly as before (``finish``). The loop is Faust's own
otherwise (faust-streaming 0.15, ``Consumer._drain_messages``).

Faust's tasks also gave the loop a turn per message, and the node's HTTP requests
those turns: delivered inline, messages reached the agents faster than the node
could answer ingestion around them (0.47-0.54x the raw producer became
0.37-0.42x). So while ``App.requests`` counts any in flight, the loop still turns
once a message, without the tasks (0.44-0.56x).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, cast

import faust
from aiokafka import AIOKafkaProducer
from faust.tables import TableManager as FaustTableManager
from faust.transport.consumer import CONSUMER_FETCHING
from faust.types import TP as TP
from faust.transport.drivers import aiokafka as aiokafka_driver
from mode import Service

from streams.adapters.rocksdict import DB, Options
from streams.pacing import Requests

# Faust's tables and streams are generic classes whose store, changelog and event
# attributes its own annotations leave untyped; these names say which is meant.
Table = Any  # a faust.Table of bytes to bytes, on the rocksdb:// store
Stream = Any  # the faust.StreamT an agent iterates
Event = Any  # a faust EventT of a stream: .key, .value, .message

# sha256 of the source of faust-streaming's ``Consumer._drain_messages`` that
# ``EagerConsumer._drain_messages`` copies; the adapter test compares it with the
# installed version's, so an upgrade that changes the loop fails loudly.
DRAIN_LOOP_SHA256 = "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417"


def start_eagerly(coro: Coroutine[Any, Any, Any]) -> Coroutine[Any, Any, Any] | None:
    """Run ``coro`` up to its first suspension: None if it finished there (an exception
    it raised propagates), else a coroutine that finishes it (``finish``)."""
    try:
        yielded = coro.send(None)
    except StopIteration:
        return None
    return finish(coro, yielded)


async def finish(coro: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    """Drive ``coro``, suspended on ``yielded``, to its end, as an asyncio task would:
    a bare yield waits a turn of the loop, a future until it is done (its result or
    exception is ``coro``'s to take); cancelling this cancels what ``coro`` waits on.
    """
    while True:
        error: BaseException | None = None
        if yielded is not None and not asyncio.isfuture(yielded):
            error = RuntimeError(f"a coroutine yielded {yielded!r}, which is not a future")
        else:
            try:
                if yielded is None:
                    await asyncio.sleep(0)
                else:
                    yielded._asyncio_future_blocking = False
                    await asyncio.wait((yielded,))
            except asyncio.CancelledError as exc:
                if yielded is not None:
                    yielded.cancel()
                error = exc
        try:
            yielded = coro.send(None) if error is None else coro.throw(error)
        except StopIteration as stop:
            return stop.value


class EagerConsumer(aiokafka_driver.Consumer):
    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover
        # Faust's loop, but for how the callback is run (see the module docstring).
        callback = self.callback
        getmany = self.getmany
        consumer_should_stop = cast(Service, self)._stopped.is_set
        fetcher_should_stop = cast(Service, fetcher)._stopped.is_set
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        set_flag = self.diag.set_flag
        unset_flag = self.diag.unset_flag
        commit_every = self._commit_every
        acks_enabled_for = self.app.topics.acks_enabled_for
        suspend_flow = self.suspend_flow
        requests: Requests | None = getattr(self.app, "requests", None)

        yield_every = 100
        num_since_yield = 0
        sleep = asyncio.sleep

        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                set_flag(CONSUMER_FETCHING)
                ait = getmany(timeout=1.0)
                await self.sleep(0)
                if not self.should_stop:
                    async for tp, message in ait:
                        num_since_yield += 1
                        # A turn of the loop per message while HTTP requests are in
                        # flight, as Faust's tasks gave them: the requests go first.
                        if num_since_yield > yield_every or (requests is not None and requests.count):
                            await sleep(0)
                            num_since_yield = 0
                        offset = message.offset
                        r_offset = get_read_offset(tp)
                        if r_offset is None or offset >= r_offset:
                            gap = offset - (r_offset or 0)
                            if gap > 1 and r_offset and acks_enabled_for(message.topic):
                                await self._add_gap(tp, r_offset + 1, offset)
                            if commit_every is not None and self._n_acked >= commit_every:
                                self._n_acked = 0
                                await self.commit()
                            # Faust types the callback as returning an Awaitable; it is a coroutine.
                            rest = start_eagerly(cast(Coroutine[Any, Any, Any], callback(message)))
                            if rest is not None:
                                await self.wait_first(rest, suspend_flow.wait())
                            set_read_offset(tp, offset)
                    unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            unset_flag(CONSUMER_FETCHING)


# Faust's worker consumer long-polls the broker for up to 1.5 s (hard-coded). A broker
# answers a connection's requests in order, so each of recovery's offset requests that
# queues behind such a poll waits it out: two of them (highwaters, then the offsets
# to read from) made every node start, and every rebalance, 3 s longer.
FETCH_MAX_WAIT_MS = 100


class WorkerConsumerThread(aiokafka_driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read by its start(), for its Fetcher
        return consumer


class _Consumer(EagerConsumer):
    def _new_consumer_thread(self) -> WorkerConsumerThread:
        return WorkerConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(aiokafka_driver.Transport):
    Consumer = _Consumer


# sha256 of the source of faust-streaming's ``TableManager.on_start``, which
# ``TableManager.on_start`` copies without its first line (the adapter test checks it).
TABLE_MANAGER_START_SHA256 = "365dd25fbc0e068499c89e526516c638693a2d143b6ac249f84a60f5267fec9d"


class TableManager(FaustTableManager):
    """Faust's, without the second its start sleeps before it registers the tables'
    changelogs (a grace for tables defined once the app runs). A node defines every
    table before it starts, and that second was a sixth of a node's start."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


class App(faust.App):
    """``faust.App`` whose consumer is ``EagerConsumer`` (the broker URL must be kafka://);
    its consumer yields to the HTTP ``requests`` in flight (see the module docstring)."""

    requests: Requests | None = None

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)


def partition_db(table: Table, partition: int) -> DB:
    """The RocksDB (a ``rocksdict.Rdict``) of one partition of a Faust table.

    Faust opens a partition's database on first use, with the table's store's options.
    """
    return table.data._db_for_partition(partition)


def owns_partition(app: faust.App, topic: str, partition: int) -> bool:
    """Whether this node's agents consume ``topic``'s ``partition`` (in the last assignment)."""
    return TP(topic, partition) in app.assignor.assigned_actives()


def active_owners(app: faust.App, table: Table) -> dict[int, str]:
    """The URL (``canonical_url``) of the node each partition of ``table`` is active on,
    in the last assignment; a partition no node holds now (mid-rebalance) is missing."""
    topic = table.changelog_topic.get_topic_name()
    return {
        partition: url
        for url, topics in app.router.table_metadata(table.name).items()
        for partition in topics.get(topic, ())
    }


def changelog_partition(table: Table, partition: int) -> TP:
    """The changelog topic partition ``table``'s ``partition`` is kept in."""
    return TP(table.changelog_topic.get_topic_name(), partition)


def serves_partition(app: faust.App, changelog: TP) -> bool:
    """Whether this node holds the table partition kept in ``changelog`` as its active
    copy, recovered: not mid-rebalance, not still reading the changelog back."""
    if app.rebalancing or getattr(app, "in_recovery", False):
        return False
    return app.assignor.is_active(changelog)


def assignment_generation(app: faust.App) -> object:
    """An object that changes with every assignment (to cache what was read of one)."""
    return cast(Any, app.assignor).changelog_distribution


def transport_producer(app: faust.App) -> AIOKafkaProducer:
    """The started aiokafka producer under ``app``'s Faust producer."""
    # Faust's ProducerT does not declare its aiokafka driver's private accessor.
    return cast(Any, app.producer)._ensure_producer()


def use_rocksdb_options(table: Table, make: Callable[[Any], Options]) -> None:
    """Open ``table``'s partition databases with ``make(faust_options)``'s options.

    ``faust_options`` is Faust's ``RocksDBOptions`` for the table (untyped: its file
    and buffer sizes); ``make`` returns the ``rocksdict.Options`` to open with. Call it before
    the table opens a database.
    """
    faust_options = table.data.rocksdb_options
    faust_options.as_options = lambda: make(faust_options)
