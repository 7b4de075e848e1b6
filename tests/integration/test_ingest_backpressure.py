"""Backpressure at the /v1 edge, against a real broker made slow.

The broker is a dedicated embedded Kafka whose JVM is stopped (SIGSTOP): its sockets
stay open and nothing is answered, as with a broker stuck in a long GC pause or a full
disk. The edge must keep at most ``max_inflight`` requests waiting for it and answer
the rest 503 with ``Retry-After`` at once, rather than queue them in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from streams.ops.broker import EmbeddedBroker, free_port
from streams.metrics import Metrics
from streams.kafka.producer import EventProducer
from streams.kafka.topics import ensure_topics
from tests.brokers import running_broker, stalled
from tests.integration.edge import WRITE_KEY, edge_app
from tests.nodes import fresh_prefix
from tests.topics import MemoryKeys, events_on
from tests.waiting import eventually

INFLIGHT = "tracklog_ingest_inflight_requests"
OVERLOADED = "tracklog_ingest_overloaded_requests_total"


@pytest.fixture(scope="module")
def stallable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A broker of this module's own: stopping it must not stall the session's."""
    with running_broker(tmp_path_factory.mktemp("stallable")) as broker:
        yield broker


@pytest.fixture
async def topic_producer(stallable: EmbeddedBroker) -> AsyncIterator[tuple[str, EventProducer]]:
    """A fresh topic and a producer that waits long for it: the broker, not it, is slow."""
    topic = f"{fresh_prefix()}.events"
    await ensure_topics(stallable.bootstrap, [(topic, 2, {})])
    producer = EventProducer(stallable.bootstrap, topic, timeout=60)
    await producer.start()
    yield topic, producer
    await producer.stop()


async def sample(client: httpx.AsyncClient, name: str) -> float:
    """One sample of ``name`` from the node's ``/metrics``, as Prometheus scrapes it."""
    text = (await client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name:
                return found.value
    raise AssertionError(f"{name} is not in /metrics")


def track(n: int) -> bytes:
    return orjson.dumps({"userId": f"u{n}", "event": "Ordered", "messageId": f"m-{n}"})


async def test_past_the_limit_a_stalled_broker_costs_a_503_at_once_and_nothing_is_lost(
    stallable: EmbeddedBroker, topic_producer: tuple[str, EventProducer]
) -> None:
    limit, extra = 4, 6
    topic, producer = topic_producer
    keys = MemoryKeys()
    app = edge_app(producer, keys=keys, max_inflight=limit)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node") as client:

        async def post(n: int) -> httpx.Response:
            return await client.post("/v1/track", content=track(n), auth=WRITE_KEY)

        assert (await post(0)).status_code == 200  # connected, partitions' leaders known
        with stalled(stallable):
            waiting = [asyncio.create_task(post(n)) for n in range(1, limit + 1)]

            async def all_waiting() -> bool:
                return await sample(client, INFLIGHT) == limit

            await eventually(all_waiting, timeout=10, what="the admitted requests to wait")
            # The broker answers nothing now: these complete only if the edge refuses them.
            async with asyncio.timeout(10):
                refused = await asyncio.gather(*(post(n) for n in range(100, 100 + extra)))
            assert not any(task.done() for task in waiting)
            assert await sample(client, INFLIGHT) == limit
            assert await sample(client, OVERLOADED) == extra
        for response in refused:
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"].isdigit()
            assert response.json()["error"] == "overloaded"
            assert "in flight" in response.json()["message"]

        # The broker is back: the waiting requests are acknowledged, and the edge takes more.
        admitted = await asyncio.gather(*waiting)
        assert [r.status_code for r in admitted] == [200] * limit
        assert (await post(limit + 1)).status_code == 200
        assert await sample(client, INFLIGHT) == 0

    acknowledged = {f"m-{n}" for n in range(limit + 2)}
    logged = await events_on(stallable.bootstrap, topic, len(acknowledged), keys)
    assert {event.message_id for _, event in logged} == acknowledged


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _settled_rss_kb() -> int:
    """This process's RSS with freed memory given back, and its peak reset to it."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM, the peak RSS
    return _status_kb("VmRSS")


@contextlib.asynccontextmanager
async def serving(app: object) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a loopback port, in this process; yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, timeout=10, what="uvicorn to serve")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def chunks(payload: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    """``payload`` sent in small chunks, so the client side holds little of it at a time."""
    view = memoryview(payload)
    for start in range(0, len(payload), size):
        yield bytes(view[start : start + size])


async def test_rss_stays_bounded_under_a_burst_while_the_broker_stalls(
    stallable: EmbeddedBroker, topic_producer: tuple[str, EventProducer]
) -> None:
    """64 batches of 390 KB over loopback, the broker stopped: the edge holds two of them.

    The peak RSS of this process (the server's, and a client that sends in 16 KB
    chunks) is measured from a baseline with freed memory given back to the system.
    """
    limit, burst = 2, 64
    _, producer = topic_producer
    calls = [
        {"type": "track", "userId": f"u{i}", "event": "Uploaded", "properties": {"blob": "x" * 30_000}}
        for i in range(13)
    ]
    payload = orjson.dumps({"batch": calls})
    metrics = Metrics()
    app = edge_app(producer, keys=MemoryKeys(), metrics=metrics, max_inflight=limit)
    async with serving(app) as url, httpx.AsyncClient(
        base_url=url, limits=httpx.Limits(max_connections=burst + 1), timeout=120
    ) as client:
        assert (await client.post("/v1/track", content=track(0), auth=WRITE_KEY)).status_code == 200
        baseline_kb = _settled_rss_kb()
        with stalled(stallable):
            posts = [
                asyncio.create_task(client.post("/v1/batch", content=chunks(payload), auth=WRITE_KEY))
                for _ in range(burst)
            ]

            async def settled() -> bool:
                # Every request is either refused or admitted (and so holds its payload).
                refused = sum(task.done() for task in posts)
                return refused + await sample(client, INFLIGHT) == burst

            await eventually(settled, timeout=30, what="every request to be refused or admitted")
            peak_kb = _status_kb("VmHWM")
        responses = await asyncio.gather(*posts)

    # Taken in, each request would hold at least its body (in practice, parsed and
    # encoded, about 3 MB each: 80 MB here). Bounded, the two admitted ones hold about
    # 6 MB, and each refused one a few kB.
    growth_kb = peak_kb - baseline_kb
    queued_kb = burst * len(payload) // 1024
    assert growth_kb < queued_kb // 2, f"RSS grew {growth_kb} kB; the bodies are {queued_kb} kB"
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * limit + [503] * (burst - limit)
