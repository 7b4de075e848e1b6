"""Headers, sign-in and the session cookie of the analyst's pages."""

from __future__ import annotations

import re

import pytest

from query.web import session_authorization
from query.web.graphiql import FILES, graphiql_response
from query.web.security import SESSION_COOKIE, encode_session, local_path, session_token
from tests.unit.web.pages import TOKEN, Tokens, client

OUTSIDE_DEV = Tokens(TOKEN)


@pytest.mark.parametrize("path", ["/", "/schemas?source=web", "/changes", "/profiles", "/static/tracklog.css", "/static/live.js"])
async def test_every_page_and_file_forbids_inline_scripts_and_framing(path: str) -> None:
    async with client() as c:
        response = await c.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_no_page_has_an_inline_script_or_a_foreign_asset() -> None:
    async with client() as c:
        html = "".join([(await c.get(p)).text for p in ("/", "/schemas?source=web", "/changes", "/profiles?id=u1")])
    assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html) == []
    assert re.findall(r"(?:src|href)=\"(?:https?:)?//", html) == []
    assert " style=" not in html and "<style" not in html  # the policy would refuse them


async def test_outside_dev_a_page_sends_the_browser_to_sign_in() -> None:
    async with client(tokens=OUTSIDE_DEV) as c:
        missing = await c.get("/schema?source=web&type=track&event=Price%20Set")
        files = await c.get("/static/tracklog.css")
        c.cookies.set(SESSION_COOKIE, encode_session("nope"))
        wrong = await c.get("/")
        c.cookies.set(SESSION_COOKIE, "%%%")
        garbage = await c.get("/")
        c.cookies.set(SESSION_COOKIE, encode_session(TOKEN))
        right = await c.get("/")
    assert missing.status_code == 303
    assert missing.headers["location"] == "/signin?next=%2Fschema%3Fsource%3Dweb%26type%3Dtrack%26event%3DPrice%2520Set"
    assert (wrong.status_code, garbage.status_code, right.status_code) == (303, 303, 200)
    assert "Sign out" in right.text
    assert files.status_code == 200


async def test_signing_in_sets_an_http_only_strict_cookie_and_never_puts_the_token_in_a_url() -> None:
    async with client(tokens=OUTSIDE_DEV) as c:
        form = await c.get("/signin?next=/changes")
        refused = await c.post("/signin", data={"token": "nope", "next": "/changes"})
        accepted = await c.post("/signin", data={"token": TOKEN, "next": "/changes"})
        after = await c.get("/changes")  # the client keeps the cookie
        out = await c.post("/signout")
        again = await c.get("/changes")
    assert form.status_code == 200 and 'type="password"' in form.text and TOKEN not in form.text
    assert refused.status_code == 401 and "unknown bearer token" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/changes"
    cookie = accepted.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={encode_session(TOKEN)};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert TOKEN not in accepted.headers["location"]
    assert after.status_code == 200
    assert out.status_code == 303 and 'Max-Age=0' in out.headers["set-cookie"]
    assert again.status_code == 303


async def test_a_sign_in_from_another_site_is_refused() -> None:
    async with client(tokens=OUTSIDE_DEV) as c:
        response = await c.post("/signin", data={"token": TOKEN}, headers={"origin": "https://evil.example"})
        signout = await c.post("/signout", headers={"origin": "https://evil.example"})
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert signout.status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example", "", None, "x"])
def test_a_sign_in_only_ever_returns_to_this_node(target: str | None) -> None:
    assert local_path(target) == "/"


def test_the_cookie_stands_for_the_token_on_a_websocket_handshake() -> None:
    token = "tok;en, with=odd chars é"
    assert session_token({SESSION_COOKIE: encode_session(token)}) == token
    assert session_authorization({SESSION_COOKIE: encode_session(token)}) == f"Bearer {token}"
    assert session_authorization({}) is None
    assert session_authorization({SESSION_COOKIE: "@@@"}) is None


async def test_in_dev_there_is_no_sign_in() -> None:
    async with client() as c:
        response = await c.get("/signin?next=/changes")
        page = await c.get("/")
    assert (response.status_code, response.headers["location"]) == (303, "/changes")
    assert "Sign out" not in page.text


def test_graphiql_is_served_from_the_node_with_no_inline_script() -> None:
    from starlette.requests import Request

    response = graphiql_response(Request({"type": "http", "method": "GET", "path": "/graphql", "headers": []}))
    html = bytes(response.body).decode()
    assert response.status_code == 200, html  # `make install` fetched its files
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/static/' in attributes for attributes in scripts)
    assert "unpkg" not in html and "//" not in html.replace("https://", "")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    for name in FILES:
        assert f"/static/vendor/{name}" in html
