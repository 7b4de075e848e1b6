"""The analyst's pages over in-memory readers, for an ASGI client (no node, no browser)."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from query.web import build_web_routes
from registry import SchemaKey
from schemas import parse_call
from tests.unit.query.fakes import MemoryPlans, MemoryProfiles, MemorySchemas, MemoryViolations, context

TOKEN = "web-token"
PRICE = SchemaKey("web", "track", "Price Set")


class Tokens:
    """The node's token check: none needed (dev) or one of `tokens`."""

    def __init__(self, *tokens: str, dev: bool = False) -> None:
        self._tokens = set(tokens)
        self._dev = dev

    def refusal(self, authorization: str | None) -> str | None:
        if self._dev:
            return None
        if authorization is None:
            return "missing bearer token"
        return None if authorization.removeprefix("Bearer ") in self._tokens else "unknown bearer token"


def loaded() -> tuple[MemorySchemas, MemoryProfiles]:
    """A source "web" whose "Price Set" price went STRING, then saw a number; one profile."""
    schemas = MemorySchemas()
    schemas.observe(PRICE, {"price": "12.00", "currency": "EUR"}, 1_790_000_000_000, "m1")
    schemas.observe(PRICE, {"price": 12}, 1_790_000_060_000, "m2")
    schemas.observe(SchemaKey("web", "track", "Signed Up"), {"plan": "pro"}, 1_790_000_100_000, "m3")
    schemas.observe(SchemaKey("ios", "screen", None), {"name": "Home"}, 1_790_000_200_000, "m4")
    profiles = MemoryProfiles()
    profiles.observe(
        event({"type": "identify", "userId": "u1", "anonymousId": "a1", "messageId": "i1",
               "traits": {"email": "Ada@Example.com", "plan": "pro"}, "timestamp": "2026-11-20T10:00:00Z"}),
        event({"type": "track", "userId": "u1", "event": "Price Set", "messageId": "t1",
               "properties": {"price": 12}, "timestamp": "2026-11-20T10:01:00Z"}),
    )
    return schemas, profiles


def event(call: dict[str, Any]) -> Any:
    return parse_call(call, None, source="web", received_at_ms=1_795_000_000_000, new_id=lambda: "id")


def client(
    schemas: MemorySchemas | None = None,
    profiles: MemoryProfiles | None = None,
    tokens: Tokens | None = None,
    *,
    graphiql: bool = False,
    plans: MemoryPlans | None = None,
    violations: MemoryViolations | None = None,
) -> httpx.AsyncClient:
    if schemas is None and profiles is None:
        schemas, profiles = loaded()
    app = Starlette(
        routes=build_web_routes(
            context(schemas, profiles=profiles, plans=plans, violations=violations), tokens or Tokens(dev=True), graphiql=graphiql
        )
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node")
