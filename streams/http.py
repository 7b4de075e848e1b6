"""The node's Starlette app: ingestion, GraphQL, health, and the one error table.

Every error the node raises on purpose maps to its status here, in one place, with a
JSON body that names what was wrong and where; an unexpected error is a 500 that
reveals nothing but its kind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
import strawberry
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from query.graphql import Context
from query.graphql import schema as default_schema
from schemas import InvalidEventError, PayloadTooLargeError
from streams.errors import BrokerUnavailableError, UnauthorizedError
from streams.ingest import Ingest
from streams.metrics import Metrics
from streams.responses import JSONResponse

logger = logging.getLogger(__name__)


class _GraphQL(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema, context: Context, *, graphiql: bool) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL],
        )
        self._context = context

    async def get_context(self, request: Any, response: Any) -> Context:
        return self._context


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def _error_handlers(metrics: Metrics) -> dict[Any, ErrorHandler]:
    """The one table from error to HTTP answer."""

    def error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        metrics.rejected.labels(str(status)).inc()
        return JSONResponse({"success": False, **body}, status_code=status, headers=headers)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InvalidEventError)
        return error(400, exc.to_dict())

    async def too_large(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PayloadTooLargeError)
        return error(413, exc.to_dict())

    async def unauthorized(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnauthorizedError)
        return error(
            401,
            {"error": "unauthorized", "message": exc.reason},
            {"WWW-Authenticate": 'Basic realm="tracklog"'},
        )

    async def unavailable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BrokerUnavailableError)
        return error(
            503,
            {"error": "broker_unavailable", "message": exc.reason},
            {"Retry-After": str(exc.retry_after)},
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, {"error": "internal", "message": type(exc).__name__})

    return {
        InvalidEventError: invalid,
        PayloadTooLargeError: too_large,
        UnauthorizedError: unauthorized,
        BrokerUnavailableError: unavailable,
        Exception: unexpected,
    }


class _Bounded:
    """An ASGI app answering 503 when a request takes longer than ``timeout`` seconds.

    Resolvers that read tables are synchronous and short; this bounds everything
    between them (and a client that sends its body slowly). A class, not a function:
    Starlette would take a function for a request -> response endpoint.
    """

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self._app = app
        self._timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(self._timeout):
                await self._app(scope, receive, tracking_send)
        except TimeoutError:
            if started:
                raise
            response = JSONResponse(
                {"errors": [{"message": f"the request took longer than {self._timeout:g} s"}]},
                status_code=503,
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)


def build_http_app(
    *,
    ingest: Ingest,
    context: Context,
    metrics: Metrics,
    ready: Callable[[], bool],
    graphiql: bool,
    schema: strawberry.Schema | None = None,
    timeout: float = 10.0,
) -> Starlette:
    async def health(request: Request) -> Response:
        if ready():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "starting"}, status_code=503)

    graphql = _GraphQL(schema or default_schema, context, graphiql=graphiql)
    routes = [
        ingest.mount,
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        Route("/graphql", _Bounded(graphql, timeout), methods=["GET", "POST"]),
    ]
    routes.append(WebSocketRoute("/graphql", graphql))
    return Starlette(
        routes=routes,
        exception_handlers=_error_handlers(metrics),
    )
