"""The ``/v1`` ingestion edge: the Segment HTTP tracking API, so real SDKs work unchanged.

Each request is authenticated by its write key (HTTP Basic user name, or ``writeKey``
in the body), size-checked, un-gzipped, parsed by the pure ``schemas`` core, and
answered 200 only after the broker acknowledged every event of it.

At most ``max_inflight`` requests are handled at once. When the broker is slow they
wait for it, and the requests past them are answered 503 with ``Retry-After`` at once,
before their bodies are read: memory stays bounded however long the broker takes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route

from schemas import (
    EventType,
    Limits,
    parse_batch,
    parse_body,
    parse_call,
    write_key_of,
)
from streams.edge.auth import basic_user
from streams.edge.body import read_body
from streams.edge.sealing import Sealing
from streams.errors import OverloadedError, UnauthorizedError
from streams.metrics import Metrics
from streams.kafka.producer import EventProducer
from streams.edge.responses import JSONResponse

logger = logging.getLogger(__name__)

SUCCESS = JSONResponse({"success": True})

# The short paths are the aliases analytics.js uses.
_CALLS: dict[str, EventType | None] = {
    "track": EventType.TRACK,
    "t": EventType.TRACK,
    "identify": EventType.IDENTIFY,
    "i": EventType.IDENTIFY,
    "page": EventType.PAGE,
    "p": EventType.PAGE,
    "screen": EventType.SCREEN,
    "s": EventType.SCREEN,
    "group": EventType.GROUP,
    "g": EventType.GROUP,
    "alias": EventType.ALIAS,
    "a": EventType.ALIAS,
    "batch": None,
    "b": None,
    "import": None,
}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _new_id() -> str:
    return str(uuid.uuid4())


class Ingest:
    """The handlers of ``/v1/*``; ``mount`` is the Starlette mount that serves them."""

    def __init__(
        self,
        *,
        producer: EventProducer,
        sealing: Sealing,
        source_for_key: Callable[[str], str | None],
        dev: bool,
        metrics: Metrics,
        limits: Limits = Limits(),
        clock_ms: Callable[[], int] = _now_ms,
        max_inflight: int = 64,
    ) -> None:
        if max_inflight < 1:
            raise ValueError(f"max_inflight must be at least 1, not {max_inflight}")
        self._max_inflight = max_inflight
        self._inflight = 0
        self._metrics = metrics
        self._producer = producer
        self._sealing = sealing
        self._source_for_key = source_for_key
        self._dev = dev
        self._limits = limits
        self._clock_ms = clock_ms
        self._warned_keys: set[str] = set()

    @property
    def mount(self) -> Mount:
        """``/v1/*``, open to browsers on any origin (analytics.js posts cross-origin)."""
        routes = [
            Route(f"/{name}", self._handler(call), methods=["POST"], name=f"v1-{name}")
            for name, call in _CALLS.items()
        ]
        return Mount(
            "/v1",
            routes=routes,
            middleware=[
                Middleware(
                    CORSMiddleware,
                    allow_origins=["*"],
                    allow_methods=["POST"],
                    allow_headers=["*"],
                    max_age=86400,
                )
            ],
        )

    def _handler(self, call: EventType | None) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            return await self._ingest(request, call)

        return handle

    async def _ingest(self, request: Request, call: EventType | None) -> Response:
        # One event loop: nothing runs between this check and the increment.
        if self._inflight >= self._max_inflight:
            self._metrics.overloaded.inc()
            raise OverloadedError(
                f"{self._max_inflight} ingestion requests are already in flight; retry later"
            )
        self._inflight += 1
        self._metrics.inflight.inc()
        try:
            return await self._admitted(request, call)
        finally:
            self._inflight -= 1
            self._metrics.inflight.dec()

    async def _admitted(self, request: Request, call: EventType | None) -> Response:
        # Which regulations are in force is asked at once, while the body is read, parsed
        # and sealed (``Sealing.seal``): the answer, a broker round trip, comes meanwhile.
        in_force = asyncio.ensure_future(self._sealing.in_force())
        try:
            return await self._write(request, call, in_force)
        finally:
            if not in_force.done():
                in_force.cancel()
            elif not in_force.cancelled():
                in_force.exception()  # retrieved, also when the call was refused first

    async def _write(self, request: Request, call: EventType | None, in_force: Awaitable[None]) -> Response:
        received_at_ms = self._clock_ms()
        raw = await read_body(request, self._limits)
        body = parse_body(raw)
        source = self._authenticate(request.headers.get("authorization"), body)
        if call is None:
            events = parse_batch(
                body,
                source=source,
                received_at_ms=received_at_ms,
                new_id=_new_id,
                limits=self._limits,
                from_json=True,
            )
        else:
            events = [
                parse_call(
                    body,
                    call,
                    source=source,
                    received_at_ms=received_at_ms,
                    new_id=_new_id,
                    limits=self._limits,
                    from_json=True,
                )
            ]
        sealed = await self._sealing.seal(events, in_force)
        if sealed.suppressed:
            # A suppressed person's calls are answered as any other (SDKs must not retry
            # them) and not written.
            self._metrics.suppressed.inc(sealed.suppressed)
        if sealed.records:
            with self._metrics.produce_seconds.time():
                await self._producer.send_events(sealed.records)
            self._metrics.ingested.labels(source).inc(len(sealed.records))
        return SUCCESS

    def _authenticate(self, authorization: str | None, body: Mapping[str, Any]) -> str:
        key = basic_user(authorization) or write_key_of(body)
        if key is not None:
            source = self._source_for_key(key)
            if source is not None:
                return source
        if not self._dev:
            if key is None:
                raise UnauthorizedError(
                    "missing write key: send it as the HTTP Basic user name or as writeKey"
                )
            raise UnauthorizedError("unknown write key")
        if key is None:
            return "default"
        if key not in self._warned_keys:
            self._warned_keys.add(key)
            logger.warning(
                "dev mode: accepting an unconfigured write key as source %r "
                "(configure TRACKLOG_WRITE_KEYS outside dev)",
                key,
            )
        return key
