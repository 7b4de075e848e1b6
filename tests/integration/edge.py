"""The node's HTTP app built in-process around a real producer: the /v1 edge as SDKs reach it.

The GraphQL side is present (it is the same app) but never reached by these tests.
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import Suppressions
from query.graphql import Context
from streams.edge.app import build_http_app
from streams.edge.ingest import Ingest
from streams.edge.sealing import Sealing
from streams.metrics import Metrics
from streams.kafka.producer import EventProducer
from streams.settings import Settings
from tests.keys import TEST_SECRET
from tests.topics import MemoryKeys

NOW_MS = 1_795_000_000_000  # the edge's clock, fixed: receivedAt is asserted exactly
WRITE_KEY = ("test-key", "")  # HTTP Basic: the write key is the user name


class _Unused:
    """The GraphQL side of the app, which the ingestion tests never reach."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the ingestion edge used the read side ({name})")


def edge_app(
    producer: EventProducer,
    *,
    keys: MemoryKeys,
    dev: bool = False,
    metrics: Metrics | None = None,
    suppressions: Suppressions | None = None,
    **ingest: Any,
) -> Starlette:
    """The node's app with write key ``test-key`` for source ``web``, sealing events with
    ``keys``; ``ingest`` goes to Ingest."""
    settings = Settings(write_keys="test-key=web")  # type: ignore[arg-type]
    metrics = metrics or Metrics()
    sealing = Sealing(keys, Pseudonyms(TEST_SECRET.encode()), Suppressions() if suppressions is None else suppressions)
    edge = Ingest(
        producer=producer,
        sealing=sealing,
        source_for_key=settings.source_for_key,
        dev=dev,
        clock_ms=lambda: NOW_MS,
        metrics=metrics,
        **ingest,
    )
    context = Context(
        schemas=_Unused(), commands=_Unused(), changes=_Unused(), profiles=_Unused(), regulations=_Unused(), plans=_Unused(),
        violations=_Unused(),
    )
    return build_http_app(
        ingest=edge, context=context, metrics=metrics, ready=lambda: True, graphiql=False
    )


def edge_client(producer: EventProducer, **options: Any) -> httpx.AsyncClient:
    """An HTTP client of ``edge_app(producer, **options)``, in-process over ASGI."""
    transport = httpx.ASGITransport(app=edge_app(producer, **options))
    return httpx.AsyncClient(transport=transport, base_url="http://node")
