"""The node's Starlette app: ingestion, GraphQL, health, and the one error table.

Every error the node raises on purpose maps to its status here, in one place, with a
JSON body that names what was wrong and where; an unexpected error is a 500 that
reveals nothing but its kind.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import replace
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from starlette.types import ASGIApp, Message, Receive, Scope, Send
import strawberry
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from query.graphql import Context
from query.graphql import schema as default_schema
from query.web import build_web_routes, graphiql_response, session_authorization
from schemas import InvalidEventError, PayloadTooLargeError
from streams.errors import UnauthorizedError, UnavailableError
from streams.ingest import Ingest
from streams.metrics import Metrics
from streams.pacing import Requests
from streams.responses import JSONResponse

logger = logging.getLogger(__name__)


class _GraphQL(GraphQL[Context, None]):
    def __init__(
        self, schema: strawberry.Schema, context: Context, *, graphiql: bool, tokens: Tokens
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL],
        )
        self._context = context
        self._tokens = tokens

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # its JSONDecodeError is json's, which Strawberry answers

    def encode_json(self, data: object) -> str:
        # A str, not bytes: Strawberry sends bytes to a WebSocket as a binary frame, and
        # subscription clients expect text. orjson is ~10x json on a timeline page.
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:  # an integer past 64 bits: json writes it
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    async def get_context(self, request: Any, response: Any) -> Context:
        authorization = request.headers.get("authorization")
        if authorization is None and isinstance(request, WebSocket):
            # The analyst's page signs in with a cookie, which browsers send on the handshake.
            authorization = session_authorization(request.cookies)
        return replace(self._context, authorization=authorization)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads GraphiQL from a CDN; this one is served by the node.
        return graphiql_response(request)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        # Browsers cannot set headers on a WebSocket: the token may come in the
        # connection_init payload instead, as most GraphQL clients send it.
        params = context.connection_params or {}
        given = context.authorization or params.get("Authorization") or params.get("authorization")
        refusal = self._tokens.refusal(given if isinstance(given, str) else None)
        if refusal is not None:
            raise ConnectionRejectionError({"reason": refusal})
        return UNSET


class Tokens:
    """The bearer tokens GraphQL requires; ``None`` means none is required (dev)."""

    def __init__(self, tokens: frozenset[str] | None) -> None:
        self._tokens = tokens

    def refusal(self, authorization: str | None) -> str | None:
        """Why ``authorization`` is refused, or None when it is accepted."""
        if self._tokens is None:
            return None
        if not self._tokens:
            return "no API token is configured: set TRACKLOG_API_TOKENS"
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "missing bearer token: send Authorization: Bearer <token>"
        given = token.strip().encode()
        # Compare with every token, in constant time, so timing tells nothing.
        if not any([hmac.compare_digest(given, known.encode()) for known in self._tokens]):
            return "unknown bearer token"
        return None


class _Authorized:
    """An ASGI app that refuses HTTP requests without a valid bearer token (401)."""

    def __init__(self, app: ASGIApp, tokens: Tokens) -> None:
        self._app = app
        self._tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            authorization = headers.get(b"authorization", b"").decode("latin-1") or None
            refusal = self._tokens.refusal(authorization)
            if refusal is not None:
                response = JSONResponse(
                    {"errors": [{"message": refusal}]},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="tracklog"'},
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


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

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, {"error": "internal", "message": type(exc).__name__})

    return {
        InvalidEventError: invalid,
        PayloadTooLargeError: too_large,
        UnauthorizedError: unauthorized,
        UnavailableError: unavailable,
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
    tokens: frozenset[str] | None = None,
    requests: Requests | None = None,
) -> Starlette:
    """The node's app; ``tokens`` are the GraphQL bearer tokens (None: none required);
    ``requests`` counts the HTTP requests it is answering."""
    async def health(request: Request) -> Response:
        if ready():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "starting"}, status_code=503)

    required = Tokens(tokens)
    graphql = _GraphQL(schema or default_schema, context, graphiql=graphiql, tokens=required)
    routes = [
        ingest.mount,
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        Route(
            "/graphql",
            _Authorized(_Bounded(graphql, timeout), required),
            methods=["GET", "POST"],
        ),
    ]
    routes.append(WebSocketRoute("/graphql", graphql))
    routes += build_web_routes(context, required, graphiql=graphiql)
    return Starlette(
        routes=routes,
        exception_handlers=_error_handlers(metrics),
        middleware=[] if requests is None else [Middleware(_Counted, requests=requests)],
    )


class _Counted:
    """Counts the HTTP requests being answered (not WebSockets, which stay open)."""

    def __init__(self, app: ASGIApp, requests: Requests) -> None:
        self._app = app
        self._requests = requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self._requests.count += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self._requests.count -= 1
