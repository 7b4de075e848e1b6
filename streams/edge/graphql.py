"""The GraphQL endpoint: Strawberry's ASGI view with orjson bodies and token checks."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import orjson
import strawberry
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from query.graphql import Context
from query.store import UnavailableReadError
from query.web import graphiql_response, session_authorization
from streams.edge.auth import Tokens


class GraphQLView(GraphQL[Context, None]):
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
        if not isinstance(request, WebSocket):
            request.state.sub_response = response  # for process_result's status
        authorization = request.headers.get("authorization")
        if authorization is None and isinstance(request, WebSocket):
            # The analyst's page signs in with a cookie, which browsers send on the handshake.
            authorization = session_authorization(request.cookies)
        return replace(self._context, authorization=authorization)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        # A read that needed a partition no node serves is not answered in part: 503,
        # with no data, the error naming the partition, and when to try again.
        unavailable = [
            error.original_error
            for error in result.errors or []
            if isinstance(error.original_error, UnavailableReadError)
        ]
        if unavailable:
            response: Response = request.state.sub_response
            response.status_code = 503
            response.headers["Retry-After"] = str(max(e.retry_after for e in unavailable))
            return {"data": None, "errors": [error.formatted for error in result.errors or []]}
        return await super().process_result(request, result)

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
        accepted: UnsetType = UNSET  # Strawberry's sentinel for "accept, no payload"
        return accepted
