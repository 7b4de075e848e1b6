"""ASGI wrappers of the node's app: a time bound on GraphQL, and a count of requests."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streams.edge.responses import JSONResponse
from streams.pacing import Requests


class Bounded:
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


class Counted:
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
