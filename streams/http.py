"""The node's Starlette app: ingestion, GraphQL, health, and the one error table.

Every error the node raises on purpose maps to its status here, in one place, with a
JSON body that names what was wrong and where; an unexpected error is a 500 that
reveals nothing but its kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from query.graphql import Context, schema
from schemas import InvalidEventError, PayloadTooLargeError
from streams.errors import BrokerUnavailableError, UnauthorizedError
from streams.ingest import Ingest
from streams.responses import JSONResponse

logger = logging.getLogger(__name__)


class _GraphQL(GraphQL[Context, None]):
    def __init__(self, context: Context, *, graphiql: bool) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL],
        )
        self._context = context

    async def get_context(self, request: Any, response: Any) -> Context:
        return self._context


def _error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidEventError)
    return _error(400, {"success": False, **exc.to_dict()})


async def _too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PayloadTooLargeError)
    return _error(413, {"success": False, **exc.to_dict()})


async def _unauthorized(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UnauthorizedError)
    return _error(
        401,
        {"success": False, "error": "unauthorized", "message": exc.reason},
        {"WWW-Authenticate": 'Basic realm="tracklog"'},
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BrokerUnavailableError)
    return _error(
        503,
        {"success": False, "error": "broker_unavailable", "message": exc.reason},
        {"Retry-After": str(exc.retry_after)},
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error(500, {"success": False, "error": "internal", "message": type(exc).__name__})


def build_http_app(
    *, ingest: Ingest, context: Context, ready: Callable[[], bool], graphiql: bool
) -> Starlette:
    async def health(request: Request) -> Response:
        if ready():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "starting"}, status_code=503)

    graphql = _GraphQL(context, graphiql=graphiql)
    routes = [
        *ingest.routes,
        Route("/health", health, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"]),
    ]
    routes.append(WebSocketRoute("/graphql", graphql))
    return Starlette(
        routes=routes,
        exception_handlers={
            InvalidEventError: _invalid,
            PayloadTooLargeError: _too_large,
            UnauthorizedError: _unauthorized,
            BrokerUnavailableError: _unavailable,
            Exception: _unexpected,
        },
    )
