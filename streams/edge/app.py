"""The node's Starlette app: ingestion, GraphQL, health, and the one error table.

Every error the node raises on purpose maps to its status here, in one place, with a
JSON body that names what was wrong and where; an unexpected error is a 500 that
reveals nothing but its kind.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from query.graphql import Context
from query.graphql import schema as default_schema
from query.store import UnavailableReadError
from query.web import build_web_routes
from schemas import InvalidEventError, PayloadTooLargeError
from streams.edge.auth import Authorized, Tokens
from streams.edge.graphql import GraphQLView
from streams.edge.ingest import Ingest
from streams.edge.middleware import Bounded, Counted
from streams.edge.responses import JSONResponse
from streams.errors import UnauthorizedError, UnavailableError
from streams.metrics import Metrics
from streams.pacing import Requests

logger = logging.getLogger(__name__)


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
        assert isinstance(exc, UnavailableError)
        return error(
            503,
            {"error": exc.kind, "message": exc.reason},
            {"Retry-After": str(exc.retry_after)},
        )

    async def partition_unavailable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnavailableReadError)
        return error(
            503,
            {"error": "partition_unavailable", "message": str(exc), "table": exc.table, "partition": exc.partition},
            {"Retry-After": str(exc.retry_after)},
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, {"error": "internal", "message": type(exc).__name__})

    return {
        InvalidEventError: invalid,
        PayloadTooLargeError: too_large,
        UnauthorizedError: unauthorized,
        UnavailableError: unavailable,
        UnavailableReadError: partition_unavailable,
        Exception: unexpected,
    }


def build_http_app(
    *,
    ingest: Ingest,
    context: Context,
    metrics: Metrics,
    ready: Callable[[], bool],
    graphiql: bool,
    schema: strawberry.Schema | None = None,
    timeout: float = 10.0,
    tokens: frozenset[str] | None = None,
    requests: Requests | None = None,
    more_routes: list[BaseRoute] | None = None,
) -> Starlette:
    """The node's app; ``tokens`` are the GraphQL bearer tokens (None: none required);
    ``requests`` counts the HTTP requests it is answering; ``more_routes`` are more of them
    (the cluster's internal reads)."""
    async def health(request: Request) -> Response:
        if ready():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "starting"}, status_code=503)

    required = Tokens(tokens)
    graphql = GraphQLView(schema or default_schema, context, graphiql=graphiql, tokens=required)
    routes: list[BaseRoute] = [
        *(more_routes or []),
        ingest.mount,
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        Route(
            "/graphql",
            Authorized(Bounded(graphql, timeout), required),
            methods=["GET", "POST"],
        ),
    ]
    routes.append(WebSocketRoute("/graphql", graphql))
    routes += build_web_routes(context, required, graphiql=graphiql)
    return Starlette(
        routes=routes,
        exception_handlers=_error_handlers(metrics),
        middleware=[] if requests is None else [Middleware(Counted, requests=requests)],
    )
