"""The node counts the HTTP requests it is answering, for the agents' pacing."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from streams.edge.middleware import Counted
from streams.pacing import Requests


async def test_a_request_counts_while_it_is_answered_and_not_after() -> None:
    requests = Requests()
    seen: list[int] = []
    release = asyncio.Event()

    async def slow(request: Request) -> PlainTextResponse:
        seen.append(requests.count)
        await release.wait()
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/slow", slow)], middleware=[Middleware(Counted, requests=requests)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node") as client:
        two = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
        while len(seen) < 2:
            await asyncio.sleep(0)
        assert requests.count == 2
        release.set()
        assert [r.status_code for r in await asyncio.gather(*two)] == [200, 200]
    assert requests.count == 0
