"""What keeps the analyst's pages safe: response headers, the session cookie, origins.

Event names, property names and trait values come from anyone holding a write key,
so every page is rendered with autoescaping and served under a Content-Security-Policy
that runs no script but the node's own files: an injected ``<script>`` or ``onerror=``
that escaped the escaping would still not run.

Outside dev the pages need the bearer token GraphQL needs. The sign-in form keeps it in
an HttpOnly, SameSite=Strict cookie: page scripts cannot read it, other sites cannot
send it, and it never appears in a URL. Browsers send it on the live feed's WebSocket
handshake too, so `session_authorization` lets GraphQL take it there.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Final, Protocol

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE: Final = "tracklog_session"

# 'self' covers the same-origin ws:// of the live feed (CSP Level 3).
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# GraphiQL's editor sets style attributes as it lays itself out, and its stylesheet
# embeds its fonts as data: URLs; its scripts stay 'self'.
GRAPHIQL_CONTENT_SECURITY_POLICY: Final = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
).replace("font-src 'self'", "font-src 'self' data:")

_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def security_headers(policy: str = CONTENT_SECURITY_POLICY) -> dict[str, str]:
    """The headers every page and asset is served with."""
    return {"Content-Security-Policy": policy, **_HEADERS}


class Secured:
    """An ASGI app that adds `security_headers` to every response of `app`."""

    def __init__(self, app: ASGIApp, policy: str = CONTENT_SECURITY_POLICY) -> None:
        self._app = app
        self._headers = security_headers(policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers.items():
                    headers[name] = value
            await send(message)

        await self._app(scope, receive, send_secured)


class Authorizer(Protocol):
    """What decides whether a bearer token may read (the node's GraphQL tokens)."""

    def refusal(self, authorization: str | None) -> str | None:
        """Why `authorization` (an Authorization header's value) is refused, or None."""


def encode_session(token: str) -> str:
    """The cookie value for `token`: URL-safe base64, so any token is a valid cookie."""
    return base64.urlsafe_b64encode(token.encode()).decode("ascii")


def session_token(cookies: Mapping[str, str]) -> str | None:
    """The token the session cookie holds, or None without a readable one."""
    raw = cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        token = base64.b64decode(raw.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (UnicodeError, binascii.Error, ValueError):
        return None
    return token or None


def session_authorization(cookies: Mapping[str, str]) -> str | None:
    """The Authorization header value the session cookie stands for, or None."""
    token = session_token(cookies)
    return None if token is None else f"Bearer {token}"


def same_origin(request: Request) -> bool:
    """Whether a form post came from a page of this node (not another site's form).

    Browsers send Origin on every POST; a client that sends none is not a browser
    carrying someone else's cookies.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def local_path(target: str | None) -> str:
    """`target` if it is a path on this node, else "/": a sign-in never redirects away."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
