"""The ``/v1`` ingestion edge: the Segment HTTP tracking API, so real SDKs work unchanged.

Each request is authenticated by its write key (HTTP Basic user name, or ``writeKey``
in the body), size-checked, un-gzipped, parsed by the pure ``schemas`` core, and
answered 200 only after the broker acknowledged every event of it.

At most ``max_inflight`` requests are handled at once. When the broker is slow they
wait for it, and the requests past them are answered 503 with ``Retry-After`` at once,
before their bodies are read: memory stays bounded however long the broker takes.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route

from schemas import (
    Event,
    EventType,
    InvalidEventError,
    Limits,
    PayloadTooLargeError,
    check_request_size,
    parse_batch,
    parse_body,
    parse_call,
    write_key_of,
)
from schemas.event import encode_event
from streams.errors import OverloadedError, UnauthorizedError
from streams.metrics import Metrics
from streams.producer import EventProducer
from streams.responses import JSONResponse

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
    """The handlers of ``/v1/*``; ``routes`` mounts them."""

    def __init__(
        self,
        *,
        producer: EventProducer,
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
        received_at_ms = self._clock_ms()
        raw = await self._read_body(request)
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
        if events:
            with self._metrics.produce_seconds.time():
                await self._producer.send_all([_record(event) for event in events])
            self._metrics.ingested.labels(source).inc(len(events))
        return SUCCESS

    async def _read_body(self, request: Request) -> bytes:
        limit = self._limits.max_request_bytes
        declared = request.headers.get("content-length")
        # isascii too: '²'.isdigit() is true, and int('²') fails. The stream is
        # measured below anyway; a declared length only refuses a large body early.
        if declared is not None and declared.isascii() and declared.isdigit():
            check_request_size(int(declared), self._limits)
        encoding = request.headers.get("content-encoding", "").strip().lower()
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(None, size, limit)
            chunks.append(chunk)
        raw = b"".join(chunks)
        if encoding == "gzip":
            raw = _gunzip(raw, limit)
        elif encoding not in ("", "identity"):
            raise InvalidEventError(None, "Content-Encoding", f"unsupported encoding {encoding!r}")
        return raw

    def _authenticate(self, authorization: str | None, body: Mapping[str, Any]) -> str:
        key = _basic_user(authorization) or write_key_of(body)
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


def _record(event: Event) -> tuple[bytes, bytes]:
    return event.identity_key, encode_event(event)


def _basic_user(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except ValueError:
        # binascii.Error and UnicodeDecodeError are ValueErrors, and so is what base64
        # raises for non-ASCII text (headers arrive as latin-1).
        raise UnauthorizedError("the Authorization header is not valid HTTP Basic") from None
    user = decoded.partition(":")[0]
    return user or None


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Gzip's members (RFC 1952 allows several) decompressed, never past ``limit`` bytes."""
    out = bytearray()
    rest = raw
    while True:
        decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            # At most one byte past the limit, so a bomb stops here (0 would mean no limit).
            out += decompressor.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise InvalidEventError(None, "body", f"invalid gzip data: {exc}") from None
        if len(out) > limit:
            raise PayloadTooLargeError(None, len(out), limit)
        if not decompressor.eof:
            raise InvalidEventError(None, "body", "invalid gzip data: truncated")
        rest = decompressor.unused_data
        if not rest:
            return bytes(out)
