"""A GraphQL request that runs past its time answers 503 rather than hanging."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from streams.edge.middleware import Bounded


async def _slow(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(5)


async def _fast(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _routed(app: ASGIApp) -> httpx.ASGITransport:
    # Mounted as the node mounts it: Starlette must take it for an ASGI app.
    return httpx.ASGITransport(app=Starlette(routes=[Route("/graphql", app, methods=["GET", "POST"])]))


async def test_a_request_past_the_timeout_is_a_503_with_retry_after() -> None:
    transport = _routed(Bounded(_slow, 0.05))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        response = await client.post("/graphql", json={"query": "{ sources { name } }"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "longer than 0.05 s" in response.json()["errors"][0]["message"]


async def test_a_request_within_the_timeout_is_untouched() -> None:
    transport = _routed(Bounded(_fast, 1.0))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        response = await client.get("/graphql")
    assert (response.status_code, response.text) == (200, "ok")
