"""Who may call: the bearer tokens GraphQL requires, and HTTP Basic write keys."""

from __future__ import annotations

import base64
import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from streams.edge.responses import JSONResponse
from streams.errors import UnauthorizedError


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


class Authorized:
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


def basic_user(authorization: str | None) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header (a write key), if any.

    Raises UnauthorizedError for a Basic header that does not decode.
    """
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except ValueError:
        # binascii.Error and UnicodeDecodeError are ValueErrors, and so is what base64
        # raises for non-ASCII text (headers arrive as latin-1).
        raise UnauthorizedError("the Authorization header is not valid HTTP Basic") from None
    user = decoded.partition(":")[0]
    return user or None
